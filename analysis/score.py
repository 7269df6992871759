#!/usr/bin/python3
"""Score a popsim results file against an observed population table, or its households against
the registered households.

Usage
-----
    /usr/bin/python3 analysis/score.py RESULTS.h5 --observed OBSERVED_LONG.csv --year Y
                                       [--population nationals|everyone] [--json OUT.json] [--overwrite]
    /usr/bin/python3 analysis/score.py RESULTS.h5 --households OBSERVED_DIR --year Y [--json OUT.json]
                                       [--overwrite]

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

Household mode (--households).  OBSERVED_DIR holds, as inputs/korea/observed/ does (written by
inputs/prep_households.py):
  * households_sgg_*.csv: region,households_YYYY,... registered households (세대, 거주자 basis) by
    si/gun/gu; scored against popsim's /households/size [year, region, size 1..7+] summed over sizes,
    less /households/foreign (households of foreign residents only) where the file has it;
  * living_alone_sido_*.csv: province,sex,age_from,age_to,one_person_YYYY,...,population_YYYY,...
    one-person 세대 (all registrations, as published) by province x sex x 10-year group (0-9 ...
    90-99, 100-100 = 100+); scored against popsim's /households/living_alone [year, region, sex,
    age 0..100+] (persons living alone) summed to the same cells.  Daegu (27) and Gyeongbuk (47)
    are one unit: Gunwi-gun moved between them on 2023-07-01 and the published provinces of
    earlier Decembers have it in Gyeongbuk.
Year Y must be in the results and in the observed columns; y1 = the latest observed year before
Y must be in the results too.  popsim's forecast on the observed basis = the observed y1 value x
popsim's own Y / y1 ratio of the cell (region for households, unit x sex x group for one-person
households; the observed y1 value where popsim's y1 count is 0).  The ratio carries popsim's
change and keeps the observed level, so popsim has the same information as the naive forecasts
(the observed values up to y1) plus the model, and the difference of basis (popsim starts from
the 거주자 households; the one-person table counts all registrations) cancels; the scale cancels
too.  The alternative, popsim's one-person rate (living alone / nationals of the cell) times the
observed population of Y, is printed as a diagnostic: it uses the observed population of Y (not
known at forecast time) and carries popsim's start-state level differences.  Naive forecasts as
above ("no change" = y1; "last change repeated" = y1 + (y1 - y0) per year, floored at 0, i.e. the
previous change repeated).  Printed: households by region (national error, region MAPE) and
one-person households (national error, cell WAPE over unit x sex x group).

A year needed (Y, and y1 in household mode) that an unfinished run (stopped, killed or still
running) has not written yet is refused, naming the last year written.

Exit codes (docs/files.md, "Analysis tools"): 0 scored (also when the observed table lacks year
Y: a warning, nothing scored); 2 refused, nothing written: a file is missing or not as expected
(the message names the file and what was expected), a year is not written, or the JSON output
exists (--overwrite replaces it), is one of the input files or is being written by another
process; 1 writing the JSON output failed (a full disk, a read-only file system).
Needs h5py, numpy and pandas only.
"""
import glob
import json
import math
import os
import re

import numpy as np
import pandas as pd

import popsim_files
from popsim_files import Outputs, Refused, Results

AGE5 = [f"{a}-{a + 4}" for a in range(0, 100, 5)] + ["100+"]
SEXES = ("M", "F")
OBS_COLS = ["year", "adm_code", "level", "sex", "age_group", "pop"]


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
def read_results(res, year, population):
    """Forecast cells (R, 2, 21) at `year`, region codes, base year, scale."""
    dset = "/nationals/population" if population == "nationals" else "/population"
    t = res.row(year, f"scoring {dset}")
    pop = res.counts(dset, res.R, 2, 101)[t].astype(float) / res.scale
    g = pop[:, :, :100].reshape(res.R, 2, 20, 5).sum(axis=3)
    cells = np.concatenate([g, pop[:, :, 100:101]], axis=2)
    return cells, [str(int(c)) for c in res.codes], res.start, res.scale


def read_observed(path):
    if not os.path.isfile(path):
        raise Refused(f"{path}: file not found (expected an observed table with columns "
                      f"{','.join(OBS_COLS)})")
    try:
        d = pd.read_csv(path, dtype={"adm_code": str})
    except Exception as exc:  # noqa: BLE001
        raise Refused(f"{path}: cannot read as CSV: {exc}") from exc
    d.columns = [str(c).lstrip("\ufeff") for c in d.columns]
    miss = [c for c in OBS_COLS if c not in d.columns]
    if miss:
        raise Refused(f"{path}: missing columns {miss} (expected the layout "
                      "ref_date,year,adm_code,name,level,sex,age_group,pop)")
    d = d[d.level.astype(str) == "sgg"].copy()
    if d.empty:
        raise Refused(f"{path}: no rows with level 'sgg' (the si/gun/gu-level units)")
    d["age_group"] = d.age_group.astype(str).str.strip().str.replace("~", "-", regex=False)
    bad = sorted(set(d.age_group) - set(AGE5))
    if bad:
        raise Refused(f"{path}: unknown age groups {bad[:5]}; expected 0~4 ... 95~99, 100+")
    d = d[d.sex.isin(SEXES)]
    if d.empty:
        raise Refused(f"{path}: no rows with sex M or F")
    try:
        d["year"] = d.year.astype(int)
        d["pop"] = pd.to_numeric(d["pop"], errors="raise").astype(float)
    except Exception as exc:  # noqa: BLE001
        raise Refused(f"{path}: year and pop must be numbers ({exc})") from exc
    if (d["pop"] < 0).any() or d["pop"].isna().any():
        raise Refused(f"{path}: negative or missing counts in pop")
    d["code"] = d.adm_code.map(recode)
    return d


def observed_cells(d, year, codes, path):
    """(R, 2, 21) observed cells of one year in the results' region order."""
    x = d[d.year == year]
    unknown = sorted(set(x.code) - set(codes))
    if unknown:
        raise Refused(f"{path}: year {year} has codes not in the results file's /regions/code "
                      f"(after the Gangwon and Gunwi recodes): {unknown[:5]}"
                      + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""))
    missing = sorted(set(codes) - set(x.code))
    if missing:
        raise Refused(f"{path}: year {year} lacks {len(missing)} of the results file's {len(codes)} "
                      f"regions, e.g. {missing[:5]}")
    if x.duplicated(["code", "sex", "age_group"]).any():
        raise Refused(f"{path}: year {year} has more than one row per region x sex x age group")
    w = x.pivot_table(index=["code", "sex"], columns="age_group", values="pop", aggfunc="sum")
    w = w.reindex(columns=AGE5)
    idx = pd.MultiIndex.from_product([codes, SEXES])
    w = w.reindex(idx)
    if w.isna().any().any():
        raise Refused(f"{path}: year {year} lacks some region x sex x age group cells")
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


# ----------------------------------------------------------------------------------------
# household mode
# ----------------------------------------------------------------------------------------
HH_SIZES = 7
GROUPS10 = [(a, a + 9) for a in range(0, 100, 10)] + [(100, 100)]
MERGED_UNITS = {"27": "27+47", "47": "27+47"}   # Gunwi-gun moved from Gyeongbuk to Daegu on 2023-07-01


def read_household_results(res, years_needed):
    """popsim's households by region and persons living alone by region x sex x age, unscaled,
    at each year of years_needed; region codes, their provinces, all years written, scale."""
    R = res.R
    codes = [str(int(c)) for c in res.codes]
    if res.has("/regions/province"):
        prov = [f"{int(x):02d}" for x in res.dataset("/regions/province", (R,), kind="int", lo=0, hi=99)]
    else:
        prov = [c[:2] for c in codes]
    if not res.has("/households/living_alone"):
        raise Refused(f"{res.path}: no /households/living_alone (written by an older popsim): the household scoring "
                      "needs it; rerun the projection")
    need = "the household scoring (the year scored and the last observed year before it)"
    rows = {y: res.row(y, need) for y in years_needed}
    size = res.counts("/households/size", R, HH_SIZES)
    alone = res.counts("/households/living_alone", R, 2, 101)
    nationals = res.counts("/nationals/population", R, 2, 101)
    # The register counts the nationals' 세대: households of foreign residents only are left out
    # where the results say which they are (/households/foreign).
    foreign = res.counts("/households/foreign", R) if res.has("/households/foreign") else np.zeros(size.shape[:2])
    out = {}
    for y, t in rows.items():
        households = size[t].sum(axis=1).astype(float) - foreign[t]
        if (households < 0).any():
            raise Refused(f"{res.path}: /households/foreign exceeds the households of /households/size in {y}")
        out[y] = dict(households=households, alone=alone[t].astype(float), nationals=nationals[t].astype(float))
    return out, codes, prov, res.years, res.scale


def _find_one(folder, pattern):
    hits = sorted(glob.glob(os.path.join(folder, pattern)))
    if len(hits) != 1:
        raise Refused(f"{folder}: expected one file {pattern}, found {len(hits)}"
                      + (f" ({', '.join(os.path.basename(h) for h in hits)})" if hits else ""))
    return hits[0]


def _read_table(path, required):
    try:
        d = pd.read_csv(path, comment="#", dtype={"region": str, "province": str})
    except Exception as exc:  # noqa: BLE001
        raise Refused(f"{path}: cannot read as CSV: {exc}") from exc
    d.columns = [str(c).lstrip("\ufeff") for c in d.columns]
    miss = [c for c in required if c not in d.columns]
    if miss:
        raise Refused(f"{path}: missing columns {miss}")
    if d.empty:
        raise Refused(f"{path}: no rows")
    return d


def _year_columns(d, prefix, path):
    ys = sorted(int(m.group(1)) for c in d.columns for m in [re.fullmatch(prefix + r"(\d{4})", c)] if m)
    if not ys:
        raise Refused(f"{path}: no {prefix}YYYY columns")
    for y in ys:
        try:
            v = pd.to_numeric(d[f"{prefix}{y}"], errors="raise").astype(float)
        except Exception as exc:  # noqa: BLE001
            raise Refused(f"{path}: {prefix}{y} must be numbers ({exc})") from exc
        if v.isna().any() or (v < 0).any():
            raise Refused(f"{path}: {prefix}{y} has missing or negative values")
        d[f"{prefix}{y}"] = v
    return ys


def read_household_observed(folder, codes, prov):
    """Observed households by region (results order) and one-person households by unit x sex x
    group, per year."""
    if not os.path.isdir(folder):
        raise Refused(f"{folder}: folder not found (expected the observed household tables, e.g. "
                      "inputs/korea/observed)")
    hpath = _find_one(folder, "households_sgg_*.csv")
    h = _read_table(hpath, ["region"])
    hyears = _year_columns(h, "households_", hpath)
    h["code"] = h.region.astype(str).str.strip().map(recode)
    if h.code.duplicated().any():
        raise Refused(f"{hpath}: more than one row per region")
    if sorted(h.code) != sorted(codes):
        unknown = sorted(set(h.code) - set(codes))
        missing = sorted(set(codes) - set(h.code))
        raise Refused(f"{hpath}: its regions differ from the results file's /regions/code (unknown "
                      f"{unknown[:5]}, missing {missing[:5]})")
    h = h.set_index("code").loc[codes]
    households = {y: h[f"households_{y}"].to_numpy(float) for y in hyears}

    lpath = _find_one(folder, "living_alone_sido_*.csv")
    d = _read_table(lpath, ["province", "sex", "age_from", "age_to"])
    lyears = _year_columns(d, "one_person_", lpath)
    pyears = _year_columns(d, "population_", lpath)
    d["province"] = d.province.astype(str).str.strip().str.zfill(2)
    d = d[d.sex.isin(SEXES)]
    try:
        groups = list(zip(d.age_from.astype(int), d.age_to.astype(int)))
    except Exception as exc:  # noqa: BLE001
        raise Refused(f"{lpath}: age_from and age_to must be whole numbers ({exc})") from exc
    if sorted(set(groups)) != GROUPS10:
        raise Refused(f"{lpath}: age groups {sorted(set(groups))[:4]}...; expected 0-9, 10-19, ..., 90-99, 100-100")
    d["g"] = [GROUPS10.index(x) for x in groups]
    if d.duplicated(["province", "sex", "g"]).any():
        raise Refused(f"{lpath}: more than one row per province x sex x age group")
    provinces = sorted(set(prov))
    if sorted(set(d.province)) != provinces:
        raise Refused(f"{lpath}: provinces {sorted(set(d.province))} differ from the results file's "
                      f"{provinces}")
    units = sorted(set(MERGED_UNITS.get(p, p) for p in provinces))
    d["unit"] = d.province.map(lambda p: MERGED_UNITS.get(p, p))
    if len(d) != len(provinces) * 2 * len(GROUPS10):
        raise Refused(f"{lpath}: expected {len(provinces) * 2 * len(GROUPS10)} rows (each province x sex M, F "
                      f"x 11 age groups), found {len(d)}")

    def cube(col):
        x = np.zeros((len(units), 2, len(GROUPS10)))
        for u, s, g, v in zip(d.unit, d.sex, d.g, d[col]):
            x[units.index(u), SEXES.index(s), g] += v
        return x
    one = {y: cube(f"one_person_{y}") for y in lyears}
    pop = {y: cube(f"population_{y}") for y in pyears}
    return dict(households=households, one=one, pop=pop, units=units, hpath=hpath, lpath=lpath,
                hyears=hyears, lyears=lyears)


def to_units(x, prov, units):
    """(R, 2, 101) by region x sex x age -> (U, 2, 11) by unit x sex x 10-year group."""
    out = np.zeros((len(units), 2, len(GROUPS10)))
    g_of_age = np.minimum(np.arange(101) // 10, len(GROUPS10) - 1)
    by_group = np.zeros(x.shape[:2] + (len(GROUPS10),))
    for g in range(len(GROUPS10)):
        by_group[:, :, g] = x[:, :, g_of_age == g].sum(axis=2)
    for i, p in enumerate(prov):
        out[units.index(MERGED_UNITS.get(p, p))] += by_group[i]
    return out


def _ratio_forecast(obs_y1, own_y, own_y1):
    """The observed y1 level times popsim's own Y / y1 ratio; the observed y1 value where popsim
    has nothing at y1."""
    ok = own_y1 > 0
    return np.where(ok, obs_y1 * own_y / np.where(ok, own_y1, 1.0), obs_y1), int((~ok).sum())


def _print_table(rows, error_label, prefix, error_key):
    """One table of the household scores: total, national error and `error_key` per forecast."""
    head = f"{'forecast':<38}{'total':>14}{'nat. error':>12}{'%':>9}{error_label:>12}"
    print(head)
    print("-" * len(head))
    for label, m in rows:
        if not m["available"]:
            print(f"{label:<38}not available: {m['why']}")
            continue
        print(f"{label:<38}{m[prefix + '_forecast_total']:>14,.0f}{m[prefix + '_national_error']:>+12,.0f}"
              f"{m[prefix + '_national_error_pct']:>+9.3f}{m[error_key]:>12.3f}")


def _hh_metrics(F, O):
    ok = O > 0
    return dict(households_forecast_total=float(F.sum()), households_observed_total=float(O.sum()),
                households_national_error=float(F.sum() - O.sum()),
                households_national_error_pct=100.0 * float(F.sum() - O.sum()) / float(O.sum()),
                households_region_mape_pct=100.0 * float(np.mean(np.abs(F[ok] - O[ok]) / O[ok])))


def _one_metrics(F, O):
    return dict(one_person_forecast_total=float(F.sum()), one_person_observed_total=float(O.sum()),
                one_person_national_error=float(F.sum() - O.sum()),
                one_person_national_error_pct=100.0 * float(F.sum() - O.sum()) / float(O.sum()),
                one_person_cell_wape_pct=100.0 * float(np.abs(F - O).sum() / O.sum()))


def household_tables(folder):
    """The observed household tables of OBSERVED_DIR: (households by region, one-person households)."""
    if not os.path.isdir(folder):
        raise Refused(f"{folder}: folder not found (expected the observed household tables, e.g. "
                      "inputs/korea/observed)")
    return _find_one(folder, "households_sgg_*.csv"), _find_one(folder, "living_alone_sido_*.csv")


def score_households(a, res):
    """Household mode: prints the scores and returns them (the JSON output)."""
    hpath, lpath = household_tables(a.households)
    # the year must be in the results (as in the population mode) before the observed tables are asked
    res.row(a.year, "the household scoring")
    hy = _year_columns(_read_table(hpath, ["region"]), "households_", hpath)
    ly = _year_columns(_read_table(lpath, ["province"]), "one_person_", lpath)
    if a.year not in hy or a.year not in ly:
        msg = (f"warning: the observed tables have no year {a.year} (households: {hy}, one-person: {ly}); "
               "nothing scored")
        print(msg)
        return dict(results=a.results, households=a.households, year=a.year, warning=msg, forecasts=[])
    earlier = sorted(set(y for y in hy if y < a.year) & set(y for y in ly if y < a.year))
    if not earlier:
        raise Refused(f"{a.households}: the observed tables have no year before {a.year}; the household scoring "
                      "applies popsim's change since the last observed year")
    y1 = earlier[-1]
    R, codes, prov, years, scale = read_household_results(res, [y1, a.year])
    o = read_household_observed(a.households, codes, prov)
    units = o["units"]
    Y = a.year
    base = int(years[0])
    result = dict(results=a.results, households=a.households, year=Y, base_year=base, scale=scale,
                  observed_years=sorted(set(o["hyears"]) | set(o["lyears"])), regions=len(codes), units=units,
                  ratio_year=y1, forecasts=[])
    print(f"score: {a.results} vs {a.households} (households)")
    print(f"year {Y}, scale {scale:g}; forecast base year {base} (/years[0]): {Y - base} year(s) ahead; popsim's "
          f"change {y1} -> {Y} applied to the observed {y1} values")

    # (a) households by region
    Oh = o["households"][Y]
    own = {y: R[y]["households"] / scale for y in (y1, Y)}
    Fh, zero_h = _ratio_forecast(o["households"][y1], own[Y], own[y1])
    # (b) one-person households by unit x sex x group
    Oo = o["one"][Y]
    alone = {y: to_units(R[y]["alone"] / scale, prov, units) for y in (y1, Y)}
    Fo, zero_o = _ratio_forecast(o["one"][y1], alone[Y], alone[y1])
    naive = [dict(name=f"no change ({y1})", based_on=[y1], hh=o["households"][y1], one=o["one"][y1])]
    earlier2 = [y for y in earlier if y < y1]
    if earlier2:
        y0 = earlier2[-1]
        step = (Y - y1) / (y1 - y0)
        naive.append(dict(name=f"last change repeated ({y0}->{y1})", based_on=[y0, y1],
                          hh=np.maximum(o["households"][y1] + (o["households"][y1] - o["households"][y0]) * step, 0.0),
                          one=np.maximum(o["one"][y1] + (o["one"][y1] - o["one"][y0]) * step, 0.0)))
    else:
        naive.append(dict(name="last change repeated", why=f"the observed tables have only one year before {Y}"))

    rows = [(f"popsim (base {base})", dict(name="popsim", available=True, **_hh_metrics(Fh, Oh), **_one_metrics(Fo, Oo)))]
    for n in naive:
        if "why" in n:
            rows.append((n["name"], dict(name=n["name"], available=False, why=n["why"])))
        else:
            rows.append((n["name"], dict(name=n["name"], available=True, based_on=n["based_on"],
                                         **_hh_metrics(n["hh"], Oh), **_one_metrics(n["one"], Oo))))
    print(f"\n(a) registered households (세대) by si/gun/gu: observed {Oh.sum():,.0f} in {len(codes)} regions "
          f"({os.path.basename(o['hpath'])})")
    _print_table(rows, "MAPE reg %", "households", "households_region_mape_pct")
    print(f"\n(b) one-person households by province x sex x 10-year group ({len(units)} units: Daegu and "
          f"Gyeongbuk as one): observed {Oo.sum():,.0f} ({os.path.basename(o['lpath'])})")
    _print_table(rows, "WAPE cell %", "one_person", "one_person_cell_wape_pct")
    result["forecasts"] = [m for _, m in rows]
    print("\npopsim = observed " + str(y1) + " x popsim's own " + f"{Y}/{y1}" + " ratio per region (a) or cell (b); "
          "MAPE reg = mean |F-O|/O of the regions; WAPE cell = sum|F-O| / sum O over the cells")

    # diagnostics: popsim's own levels and changes, and the rate-based alternative for (b)
    diag = dict(popsim_households_level={str(y): float(own[y].sum()) for y in (y1, Y)},
                popsim_one_person_level={str(y): float(alone[y].sum()) for y in (y1, Y)},
                observed_households={str(y1): float(o["households"][y1].sum())},
                observed_one_person={str(y1): float(o["one"][y1].sum())},
                regions_without_popsim_households=zero_h, cells_without_popsim_one_person=zero_o)
    print(f"popsim's own households {own[y1].sum():,.0f} -> {own[Y].sum():,.0f} "
          f"({100 * (own[Y].sum() / own[y1].sum() - 1):+.2f}%; households with a national member), "
          f"observed {o['households'][y1].sum():,.0f} -> {Oh.sum():,.0f} ({100 * (Oh.sum() / o['households'][y1].sum() - 1):+.2f}%)")
    print(f"popsim's own persons living alone {alone[y1].sum():,.0f} -> {alone[Y].sum():,.0f} "
          f"({100 * (alone[Y].sum() / max(alone[y1].sum(), 1e-9) - 1):+.2f}%), observed one-person 세대 "
          f"{o['one'][y1].sum():,.0f} -> {Oo.sum():,.0f} ({100 * (Oo.sum() / o['one'][y1].sum() - 1):+.2f}%)")
    if zero_h or zero_o:
        print(f"note: popsim has no households at {y1} in {zero_h} region(s) and nobody living alone in {zero_o} "
              "cell(s): those keep the observed value (no change)")
    if Y in o["pop"]:
        nat = to_units(R[Y]["nationals"] / scale, prov, units)
        rate = np.where(nat > 0, alone[Y] / np.where(nat > 0, nat, 1.0), 0.0)
        Fr = rate * o["pop"][Y]
        mr = _one_metrics(Fr, Oo)
        diag["popsim_rate_x_observed_population"] = mr
        print(f"diagnostic, (b) as popsim's rate (living alone / nationals) x the observed {Y} population: total "
              f"{mr['one_person_forecast_total']:,.0f} ({mr['one_person_national_error_pct']:+.3f}%), WAPE cell "
              f"{mr['one_person_cell_wape_pct']:.3f}%")
    ge = (Fo - Oo).sum(axis=(0, 1))
    print("popsim, (b) national error by age group: " + " ".join(
        f"{lo}{'+' if lo == 100 else '-' + str(hi)}:{ge[g]:+,.0f}" for g, (lo, hi) in enumerate(GROUPS10)))
    rh = 100.0 * (Fh - Oh) / np.where(Oh > 0, Oh, np.nan)
    order = np.argsort(-np.nan_to_num(np.abs(rh)), kind="stable")[:5]
    print("popsim, (a) largest region errors: " + "; ".join(f"{codes[i]} {rh[i]:+.2f}%" for i in order))
    diag["popsim_one_person_age_group_error"] = {f"{lo}-{hi}": float(ge[g]) for g, (lo, hi) in enumerate(GROUPS10)}
    diag["popsim_households_region_error_pct"] = {codes[i]: float(rh[i]) for i in range(len(codes))}
    result["diagnostics"] = diag
    return result


def _fmt_row(name, m):
    return (f"{name:<34}{m['forecast_total']:>14,.0f}{m['national_error']:>+12,.0f}"
            f"{m['national_error_pct']:>+9.3f}{m['region_mape_pct']:>12.3f}{m['cell_wape_pct']:>12.3f}")


def score_population(a, res):
    """Population mode: prints the scores and returns them (the JSON output)."""
    F, codes, base, scale = read_results(res, a.year, a.population)
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
        return result
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
    return result


def main():
    ap = popsim_files.ArgumentParser(description="Score a popsim results file against an observed population table.")
    ap.add_argument("results", help="results.h5 of popsim run")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--observed", help="observed long table (mois_resident_sgg_sex_age5 layout)")
    mode.add_argument("--households", help="folder of the observed household tables (inputs/korea/observed): "
                      "score households by region and one-person households")
    ap.add_argument("--year", required=True, type=int, help="calendar year to score (a /years entry)")
    ap.add_argument("--population", choices=("nationals", "everyone"), default="nationals",
                    help="forecast: /nationals/population (default) or /population (nationals + foreign)")
    ap.add_argument("--json", help="write the numbers to this JSON file")
    a = ap.parse_args()
    inputs = [a.results] + (list(household_tables(a.households)) if a.households else [a.observed])
    out = Outputs(a.overwrite, inputs)
    json_path = out.file(a.json, "--json") if a.json else None
    with Results(a.results) as res, out:
        result = score_households(a, res) if a.households else score_population(a, res)
        if json_path:
            with out.open(json_path) as f:
                json.dump(_finite(result), f, indent=1, ensure_ascii=False)
                f.write("\n")
    if json_path:
        print(f"wrote {a.json}")


def _finite(v):
    """JSON has no NaN or infinity: null instead."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


if __name__ == "__main__":
    popsim_files.run(main)
