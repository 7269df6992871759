#!/usr/bin/python3
"""Score a popsim results file against an observed population table.

Usage
-----
    /usr/bin/python3 analysis/score.py RESULTS.h5 --observed OBSERVED_LONG.csv --year Y
                                       [--population nationals|everyone] [--json OUT.json]

OBSERVED_LONG.csv has the layout of the MOIS table shipped in
inputs/korea/observed/mois_resident_sgg_sex_age5_2022_2023_long.csv: ref_date,year,adm_code,name,level,sex,age_group,pop
with level "sgg" for the si/gun/gu-level units, sex T/M/F and age groups 0~4 ... 95~99, 100+
("0-4" is accepted too).  Codes of earlier years are mapped to the results file's codes (MOIS
codes of Dec 2023): Gangwon 42xx -> 51xx, Gunwi-gun 4772000000 -> 2772000000.

The forecast is results.h5 /nationals/population (default; MOIS residents are registered
nationals) or /population (--population everyone) at the time point whose /years equals Y,
divided by the /meta attribute `scale`, summed to 5-year groups (100+ = age 100).

Printed for year Y, for popsim and for naive forecasts built from the observed table's earlier
years ("no change" = the latest observed year before Y; "last change repeated" = latest +
(latest - the year before) per year, cells floored at 0, when the table has two earlier years):
  * national error: forecast total - observed total (persons and %)
  * region MAPE: mean over the regions of |F - O| / O of the region totals (%)
  * cell WAPE: sum |F - O| / sum O over the region x sex x 5-year cells (%)

Exit codes: 0 scored (also when the observed table lacks year Y: a warning, nothing scored);
2 a file is missing or not as expected (the message names the file and what was expected).
Needs h5py, numpy and pandas only.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import pandas as pd

AGE5 = [f"{a}-{a + 4}" for a in range(0, 100, 5)] + ["100+"]
SEXES = ("M", "F")
OBS_COLS = ["year", "adm_code", "level", "sex", "age_group", "pop"]


class ScoreError(Exception):
    """A file is missing or not as expected."""


def recode(code):
    """MOIS code of an earlier year -> Dec-2023 code."""
    c = str(code).strip()
    if c == "4772000000":
        return "2772000000"
    if c.startswith("42") and len(c) == 10:
        return "51" + c[2:]
    return c


# ----------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------
def read_results(path, year, population):
    """Forecast cells (R, 2, 21) at `year`, region codes, base year, scale."""
    try:
        import h5py
    except ImportError as exc:
        raise ScoreError(f"h5py is needed to read {path} ({exc})") from exc
    if not os.path.isfile(path):
        raise ScoreError(f"{path}: file not found (expected a popsim results.h5)")
    dset = "/nationals/population" if population == "nationals" else "/population"
    try:
        with h5py.File(path, "r") as f:
            for name in (dset, "/years", "/regions/code", "/meta"):
                if name not in f:
                    raise ScoreError(f"{path}: no {name} (expected a popsim results file with {dset} "
                                     "[year, region, sex, age 0..100], /years, /regions/code and /meta)")
            years = np.asarray(f["/years"][:]).astype(int)
            codes = [str(int(c)) if np.issubdtype(np.asarray(c).dtype, np.integer) else
                     (c.decode() if isinstance(c, bytes) else str(c)) for c in f["/regions/code"][:]]
            if "scale" not in f["/meta"].attrs:
                raise ScoreError(f"{path}: /meta has no attribute 'scale'")
            scale = float(f["/meta"].attrs["scale"])
            ds = f[dset]
            if ds.ndim != 4 or ds.shape[0] != len(years) or ds.shape[1] != len(codes) or ds.shape[2] != 2 \
                    or ds.shape[3] != 101:
                raise ScoreError(f"{path}: {dset} has shape {ds.shape}; expected "
                                 f"[{len(years)} years, {len(codes)} regions, 2 sexes, 101 ages]")
            hit = np.where(years == year)[0]
            if len(hit) == 0:
                raise ScoreError(f"{path}: year {year} is not in /years (it holds "
                                 f"{years.min()}..{years.max()})")
            pop = np.asarray(ds[int(hit[0])], dtype=float)
    except ScoreError:
        raise
    except Exception as exc:  # noqa: BLE001  (unreadable or not HDF5)
        raise ScoreError(f"{path}: cannot read as a popsim results file (HDF5): {exc}") from exc
    if not scale > 0:
        raise ScoreError(f"{path}: /meta scale is {scale}; expected > 0")
    pop = pop / scale
    g = pop[:, :, :100].reshape(len(codes), 2, 20, 5).sum(axis=3)
    cells = np.concatenate([g, pop[:, :, 100:101]], axis=2)
    return cells, codes, int(years[0]), scale


def read_observed(path):
    if not os.path.isfile(path):
        raise ScoreError(f"{path}: file not found (expected an observed table with columns "
                         f"{','.join(OBS_COLS)})")
    try:
        d = pd.read_csv(path, dtype={"adm_code": str})
    except Exception as exc:  # noqa: BLE001
        raise ScoreError(f"{path}: cannot read as CSV: {exc}") from exc
    d.columns = [str(c).lstrip("\ufeff") for c in d.columns]
    miss = [c for c in OBS_COLS if c not in d.columns]
    if miss:
        raise ScoreError(f"{path}: missing columns {miss} (expected the layout "
                         "ref_date,year,adm_code,name,level,sex,age_group,pop)")
    d = d[d.level.astype(str) == "sgg"].copy()
    if d.empty:
        raise ScoreError(f"{path}: no rows with level 'sgg' (the si/gun/gu-level units)")
    d["age_group"] = d.age_group.astype(str).str.strip().str.replace("~", "-", regex=False)
    bad = sorted(set(d.age_group) - set(AGE5))
    if bad:
        raise ScoreError(f"{path}: unknown age groups {bad[:5]}; expected 0~4 ... 95~99, 100+")
    d = d[d.sex.isin(SEXES)]
    if d.empty:
        raise ScoreError(f"{path}: no rows with sex M or F")
    try:
        d["year"] = d.year.astype(int)
        d["pop"] = pd.to_numeric(d["pop"], errors="raise").astype(float)
    except Exception as exc:  # noqa: BLE001
        raise ScoreError(f"{path}: year and pop must be numbers ({exc})") from exc
    if (d["pop"] < 0).any():
        raise ScoreError(f"{path}: negative counts in pop")
    d["code"] = d.adm_code.map(recode)
    return d


def observed_cells(d, year, codes, path):
    """(R, 2, 21) observed cells of one year in the results' region order."""
    x = d[d.year == year]
    unknown = sorted(set(x.code) - set(codes))
    if unknown:
        raise ScoreError(f"{path}: year {year} has codes not in the results file's /regions/code "
                         f"(after the Gangwon and Gunwi recodes): {unknown[:5]}"
                         + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
    missing = sorted(set(codes) - set(x.code))
    if missing:
        raise ScoreError(f"{path}: year {year} lacks {len(missing)} of the results file's {len(codes)} "
                         f"regions, e.g. {missing[:5]}")
    if x.duplicated(["code", "sex", "age_group"]).any():
        raise ScoreError(f"{path}: year {year} has more than one row per region x sex x age group")
    w = x.pivot_table(index=["code", "sex"], columns="age_group", values="pop", aggfunc="sum")
    w = w.reindex(columns=AGE5)
    idx = pd.MultiIndex.from_product([codes, SEXES])
    w = w.reindex(idx)
    if w.isna().any().any():
        raise ScoreError(f"{path}: year {year} lacks some region x sex x age group cells")
    return w.to_numpy(float).reshape(len(codes), 2, len(AGE5))


# ----------------------------------------------------------------------------------------
# scoring
# ----------------------------------------------------------------------------------------
def metrics(F, O):
    nat_f, nat_o = float(F.sum()), float(O.sum())
    rf, ro = F.sum(axis=(1, 2)), O.sum(axis=(1, 2))
    ok = ro > 0
    return dict(forecast_total=nat_f, observed_total=nat_o, national_error=nat_f - nat_o,
                national_error_pct=100.0 * (nat_f - nat_o) / nat_o,
                region_mape_pct=100.0 * float(np.mean(np.abs(rf[ok] - ro[ok]) / ro[ok])),
                cell_wape_pct=100.0 * float(np.abs(F - O).sum() / O.sum()))


def naive_forecasts(d, year, codes, path):
    """The naive forecasts available from the observed years before `year`."""
    earlier = sorted(y for y in d.year.unique() if y < year)
    out = []
    if not earlier:
        why = f"the observed table has no year before {year}"
        return [dict(name="no change", available=False, why=why),
                dict(name="last change repeated", available=False, why=why)]
    y1 = earlier[-1]
    o1 = observed_cells(d, y1, codes, path)
    out.append(dict(name=f"no change ({y1})", available=True, cells=o1, based_on=[int(y1)]))
    if len(earlier) < 2:
        out.append(dict(name="last change repeated", available=False,
                        why=f"the observed table has only one year before {year} ({y1})"))
    else:
        y0 = earlier[-2]
        o0 = observed_cells(d, y0, codes, path)
        per_year = (o1 - o0) / (y1 - y0)
        out.append(dict(name=f"last change repeated ({y0}->{y1})", available=True,
                        cells=np.maximum(o1 + per_year * (year - y1), 0.0), based_on=[int(y0), int(y1)]))
    return out


def _fmt_row(name, m):
    return (f"{name:<34}{m['forecast_total']:>14,.0f}{m['national_error']:>+12,.0f}"
            f"{m['national_error_pct']:>+9.3f}{m['region_mape_pct']:>12.3f}{m['cell_wape_pct']:>12.3f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Score a popsim results file against an observed population table.")
    ap.add_argument("results", help="results.h5 of popsim run")
    ap.add_argument("--observed", required=True, help="observed long table (mois_resident_sgg_sex_age5 layout)")
    ap.add_argument("--year", required=True, type=int, help="calendar year to score (a /years entry)")
    ap.add_argument("--population", choices=("nationals", "everyone"), default="nationals",
                    help="forecast: /nationals/population (default) or /population (nationals + foreign)")
    ap.add_argument("--json", help="write the numbers to this JSON file")
    a = ap.parse_args(argv)
    if a.json and not os.path.isdir(os.path.dirname(os.path.abspath(a.json))):
        raise ScoreError(f"{a.json}: its folder does not exist (cannot write the JSON output)")

    F, codes, base, scale = read_results(a.results, a.year, a.population)
    d = read_observed(a.observed)
    years_obs = sorted(int(y) for y in d.year.unique())
    result = dict(results=a.results, observed=a.observed, year=a.year, population=a.population,
                  base_year=base, scale=scale, observed_years=years_obs, regions=len(codes), forecasts=[])

    print(f"score: {a.results} vs {a.observed}")
    print(f"year {a.year}, population: {a.population} "
          f"({'/nationals/population' if a.population == 'nationals' else '/population'}), scale {scale:g}")
    print(f"forecast base year {base} (/years[0]): {a.year - base} year(s) ahead; "
          f"observed years in the table: {', '.join(map(str, years_obs))}")
    if a.population == "everyone":
        print("note: the observed MOIS residents are nationals; 'everyone' includes the foreign residents")
    if a.year not in years_obs:
        msg = f"warning: the observed table has no year {a.year}; nothing scored"
        print(msg)
        print(f"popsim forecast total {F.sum():,.0f}")
        result.update(warning=msg, forecast_total=float(F.sum()))
        _write_json(a.json, result)
        return 0
    O = observed_cells(d, a.year, codes, a.observed)
    n_cells = O.size
    print(f"observed total {O.sum():,.0f}: {len(codes)} regions, {n_cells:,} region x sex x 5-year cells")
    print()
    head = (f"{'forecast':<34}{'total':>14}{'nat. error':>12}{'%':>9}"
            f"{'MAPE reg %':>12}{'WAPE cell %':>12}")
    print(head)
    print("-" * len(head))
    m = metrics(F, O)
    print(_fmt_row(f"popsim (base {base})", m))
    result["forecasts"].append(dict(name="popsim", available=True, **m))
    for nf in naive_forecasts(d, a.year, codes, a.observed):
        if nf["available"]:
            mm = metrics(nf["cells"], O)
            print(_fmt_row(nf["name"], mm))
            result["forecasts"].append(dict(name=nf["name"], available=True, based_on=nf["based_on"], **mm))
        else:
            print(f"{nf['name']:<34}not available: {nf['why']}")
            result["forecasts"].append(dict(name=nf["name"], available=False, why=nf["why"]))
    print()
    print("national error = forecast - observed; MAPE reg = mean |F-O|/O of the region totals; "
          "WAPE cell = sum|F-O| / sum O over region x sex x 5-year cells")

    # where popsim errs most (diagnostics, also in the JSON)
    rf, ro = F.sum(axis=(1, 2)), O.sum(axis=(1, 2))
    pe = 100.0 * (rf - ro) / np.where(ro > 0, ro, np.nan)
    order = np.argsort(-np.nan_to_num(np.abs(pe)), kind="stable")[:5]
    print("\npopsim, largest region errors: " + "; ".join(f"{codes[i]} {pe[i]:+.2f}%" for i in order))
    ga = F.sum(axis=(0, 1)) - O.sum(axis=(0, 1))
    print("popsim, national error by age group (persons): "
          + " ".join(f"{AGE5[g]}:{ga[g]:+,.0f}" for g in range(len(AGE5))))
    result["popsim_region_error_pct"] = {codes[i]: float(pe[i]) for i in range(len(codes))}
    result["popsim_age_group_error"] = {AGE5[g]: float(ga[g]) for g in range(len(AGE5))}
    _write_json(a.json, result)
    return 0


def _write_json(path, result):
    if not path:
        return
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(clean(result), f, indent=1, ensure_ascii=False)
            f.write("\n")
    except OSError as exc:
        raise ScoreError(f"{path}: cannot write the JSON output ({exc})") from exc
    print(f"wrote {path}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ScoreError as exc:
        print(f"score.py: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:      # output piped into head etc.
        sys.stderr.close()
        sys.exit(0)
