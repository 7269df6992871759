#!/usr/bin/python3
"""Figures and a Markdown summary of one popsim run (or an ensemble), from its results files.

Usage:
    /usr/bin/python3 analysis/report.py RESULTS.h5 --out DIR [--ensemble ENSEMBLE.h5]
        [--assumptions inputs/korea/assumptions_medium.csv] [--map-years 2023,2050,2073]
        [--geojson BOUNDARIES.geojson] [--scaling bench/results/scaling.csv] [--overwrite]

Writes to DIR (PNG, 110 dpi) and DIR/summary.md:
* population.png - national population (and, with --ensemble, its median and 80%/95% intervals)
  with births and deaths; tfr.png - the simulated total fertility rate of national women against the
  assumption path (the nationals' TFR)
* pyramids.png - population pyramids at the start, 2050 (if simulated) and the end
* share_65plus.png - share aged 65+ by province and nationally
* extinction_map_YEAR.png - the extinction index by region: points at region centroids sized by
  population (a choropleth when --geojson gives si/gun/gu boundaries with a 10-digit code property)
* net_migration_provinces.png - net internal migration by province over time
* households.png - national households, the one-person share and persons 65+ and 80+ living alone
* alone_65plus_growth_START_END.png - the growth of persons 65+ living alone by si/gun/gu from the
  start year to the last year and to 2050 (if inside the run), drawn like the extinction maps; the
  summary ranks the si/gun/gu where it grows fastest (results of an older popsim, without the
  household indicators, get the households figure without them and no growth maps)
* scaling.png - speed-up and efficiency, when --scaling gives bench/results/scaling.csv
An unfinished run (stopped, killed or still running) is drawn up to the last year written, and
the output, every figure's title and the summary say `incomplete run: written up to YEAR of END`.
Exit codes (docs/files.md, "Analysis tools"): 0 done; 2 refused, checked before anything is
written: a file that is not what it should be (missing, damaged, another kind of file, an
ensemble of other regions), a --map-years outside the years written, a figure or summary.md that
exists (--overwrite replaces them) or is an input, DIR being written by another process; 1 a write
failed (a full disk, a read-only file system): nothing in DIR replaced.
Needs Debian's /usr/bin/python3 with python3-h5py, python3-numpy, python3-matplotlib.
"""
import csv
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import popsim_files  # noqa: E402
from popsim_files import Ensemble, Outputs, Refused, Results  # noqa: E402

CLASS_EDGES = [0.2, 0.5, 1.0, 1.5]
CLASS_NAMES = ["high risk", "risk", "caution", "normal", "low risk"]
# Growth of persons 65+ living alone (% from the start year): class edges and names.
GROWTH_EDGES = [0.0, 50.0, 100.0, 200.0]
GROWTH_NAMES = ["fewer", "+0-50%", "+50-100%", "+100-200%", "+200% or more"]
RANKED = 15  # rows of the summary's ranking


def households(res, scale):
    """The national household series and the regional persons 65+ living alone (national scale);
    None for the indicators of a file that predates them. Mean size = persons / households."""
    size = res.counts("/households/size", res.R, None).astype(float) / scale
    h = dict(households=size.sum(axis=2), one_person=size[:, :, 0])
    if res.has("/households/alone_65plus"):
        for k in ("alone_65plus", "alone_80plus", "with_child_under_6"):
            h[k] = res.counts(f"/households/{k}", res.R).astype(float) / scale
    return h


def load(res):
    """The written years of a results file, checked, at national scale."""
    if not res.has("/nationals/population"):
        raise Refused(f"{res.path}: no /nationals/population (written by an older popsim); rerun the projection")
    R, P = res.R, res.length("/provinces/code")
    scale = res.scale
    return dict(
        scale=scale, years=res.years, status=res.status,
        pop=res.counts("/population", R, 2, 101).astype(float) / scale,  # [Y, R, 2, 101], everyone resident
        nationals=res.counts("/nationals/population", R, 2, 101).astype(float) / scale,  # registered population
        births=res.counts("/births", R, 35).astype(float) / scale,
        deaths=res.counts("/deaths", R, 2, 101).astype(float) / scale,
        national_births=res.counts("/nationals/births_by_mother_age", R, 35).astype(float) / scale,
        province=res.dataset("/regions/province", (R,), kind="int"),
        lon=res.dataset("/regions/centroid_lon", (R,)), lat=res.dataset("/regions/centroid_lat", (R,)),
        code=res.codes, prov_code=res.dataset("/provinces/code", (P,), kind="int"),
        prov_name=res.dataset("/provinces/name_en", (P,), kind="text"),
        mig_in=res.counts("/migration/in", R).astype(float) / scale,
        mig_out=res.counts("/migration/out", R).astype(float) / scale,
        scenario=res.attribute("/meta", "scenario_name", "text", ""), config=res.attribute("/meta", "config_path", "text"),
        name=res.dataset("/regions/name_en", (R,), kind="text"),
        hh=households(res, scale),
    )


def tfr(r):
    """Simulated TFR of the nationals (the assumption path's): births to national mothers by age
    (15..49 at the start of the year) / national women of that age at the start."""
    out = [np.nan]
    for t in range(1, len(r["years"])):
        women = r["nationals"][t - 1, :, 1, 15:50].sum(axis=0)
        b = r["national_births"][t].sum(axis=0)
        out.append(float(np.sum(np.where(women > 0, b / np.maximum(women, 1e-9), 0.0))))
    return np.array(out)


def read_table(path, option, columns):
    """Rows of a CSV input (lines starting with # skipped) as dicts of floats of `columns`."""
    try:
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        return [{c: float(row[c]) for c in columns} | {k: v for k, v in row.items() if k not in columns}
                for row in rows]
    except (OSError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
        raise Refused(f"{option} {path}: expected a CSV table with numeric columns {', '.join(columns)} "
                      f"({type(e).__name__}: {e})") from e


def read_assumptions(path):
    rows = read_table(path, "--assumptions", ("year", "tfr"))
    return np.array([int(r["year"]) for r in rows]), np.array([r["tfr"] for r in rows]), os.path.basename(path)


def read_geojson(path):
    try:
        with open(path, encoding="utf-8") as f:
            gj = json.load(f)
        features = [(feat["properties"], feat["geometry"]) for feat in gj.get("features", [])]
        for _, geom in features:
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            for poly in polys:
                if np.asarray(poly[0], dtype=float).shape[1:] != (2,):
                    raise ValueError("a ring is not a list of [lon, lat]")
        return features
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError, AttributeError) as e:
        raise Refused(f"--geojson {path}: expected GeoJSON features with Polygon or MultiPolygon geometries "
                      f"({type(e).__name__}: {e})") from e


def population_figure(r, ens):
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    y = r["years"]
    a.plot(y, r["pop"].sum(axis=(1, 2, 3)) / 1e6, lw=2, label="everyone resident")
    a.plot(y, r["nationals"].sum(axis=(1, 2, 3)) / 1e6, lw=1.5, label="nationals (registered)")
    if ens is not None:
        ey, q = ens["years"], ens["population"]
        ok = np.isfinite(q["median"]) & (ey <= y[-1])
        a.fill_between(ey[ok], q["lo95"][ok] / 1e6, q["hi95"][ok] / 1e6, alpha=0.2, label="95% interval")
        a.fill_between(ey[ok], q["lo80"][ok] / 1e6, q["hi80"][ok] / 1e6, alpha=0.35, label="80% interval")
        a.plot(ey[ok], q["median"][ok] / 1e6, "k--", lw=1, label=f"median of {ens['replicates']} replicates")
    a.set_title("National population")
    a.set_ylabel("million persons")
    a.legend(fontsize=8)
    b.plot(y[1:], r["births"][1:].sum(axis=(1, 2)) / 1e3, label="births")
    b.plot(y[1:], r["deaths"][1:].sum(axis=(1, 2, 3)) / 1e3, label="deaths")
    b.set_title("Births and deaths per year")
    b.set_ylabel("thousands")
    b.legend(fontsize=8)
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.set_xlabel("year")
    return fig


def tfr_figure(r, assumptions):
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(r["years"][1:], tfr(r)[1:], lw=2, label="simulated")
    if assumptions:
        ay, av, name = assumptions
        sel = (ay >= r["years"][0]) & (ay <= r["years"][-1])
        ax.plot(ay[sel], av[sel], "k--", label=f"assumption path ({name})")
    ax.set_title("Total fertility rate")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def pyramids_figure(r):
    years = list(r["years"])
    picks = [years[0]] + ([2050] if 2050 in years[1:-1] else []) + ([years[-1]] if len(years) > 1 else [])
    fig, axes = plt.subplots(1, len(picks), figsize=(4.2 * len(picks), 4.5), sharey=True)
    axes = np.atleast_1d(axes)
    top = r["pop"][[years.index(y) for y in picks]].sum(axis=1).max() / 1e3
    for ax, y in zip(axes, picks):
        p = r["pop"][years.index(y)].sum(axis=0) / 1e3  # [2, 101]
        ages = np.arange(101)
        ax.barh(ages, -p[0], height=1.0, color="#4477aa", label="men")
        ax.barh(ages, p[1], height=1.0, color="#cc6677", label="women")
        ax.set_xlim(-top * 1.05, top * 1.05)
        ax.set_title(f"{y}: {p.sum() / 1e3:.1f} million")
        ax.set_xlabel("thousand persons")
    axes[0].set_ylabel("age")
    axes[0].legend(fontsize=8)
    return fig


def share65_figure(r):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    y = r["years"]
    for k, code in enumerate(r["prov_code"]):
        sel = r["province"] == code
        p = r["pop"][:, sel]
        ax.plot(y, 100 * p[:, :, :, 65:].sum(axis=(1, 2, 3)) / p.sum(axis=(1, 2, 3)), lw=0.9, label=r["prov_name"][k])
    ax.plot(y, 100 * r["pop"][:, :, :, 65:].sum(axis=(1, 2, 3)) / r["pop"].sum(axis=(1, 2, 3)), "k", lw=2.5, label="Korea")
    ax.set_title("Share aged 65+")
    ax.set_ylabel("% of persons")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=2)
    return fig


def extinction_index(r, t):
    """KEIS's index is of the registered population: nationals."""
    p = r["nationals"][t]
    old = p[:, :, 65:].sum(axis=(1, 2))
    return np.where(old > 0, p[:, 1, 20:40].sum(axis=1) / np.maximum(old, 1e-9), np.inf)


def draw_regions(ax, r, colour, size, geojson=None):
    """The si/gun/gu in their colours: a choropleth from the --geojson features (read_geojson),
    otherwise points at their centroids sized by `size` (one value per region)."""
    drawn = False
    if geojson:
        index_of = {int(c): i for i, c in enumerate(r["code"])}
        for props, geom in geojson:
            code = next((int(v) for v in (props or {}).values() if str(v).isdigit() and int(v) in index_of), None)
            if code is None:
                continue
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            for poly in polys:
                ring = np.array(poly[0])
                ax.fill(ring[:, 0], ring[:, 1], color=colour[index_of[code]], ec="white", lw=0.2)
                drawn = True
    if not drawn:
        ax.scatter(r["lon"], r["lat"], s=8 + 400 * size / max(size.max(), 1e-9), c=colour, ec="k", lw=0.3)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1.2)


def map_figure(r, year, geojson=None):
    t = list(r["years"]).index(year)
    idx = extinction_index(r, t)
    cls = np.digitize(idx, CLASS_EDGES)
    colours = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#2166ac"]
    fig, ax = plt.subplots(figsize=(6.5, 7.5))
    draw_regions(ax, r, [colours[c] for c in cls], r["pop"][t].sum(axis=(1, 2)), geojson)
    for c in range(5):
        ax.scatter([], [], c=colours[c], label=f"{CLASS_NAMES[c]}: {int(np.sum(cls == c))}")
    ax.legend(title="extinction index class", fontsize=8, loc="lower right")
    ax.set_title(f"Local extinction index, {year} (nationals: women 20-39 / persons 65+)")
    return fig


def alone_growth(r, t0, t1):
    """Growth (%) of persons 65+ living alone per region from time point t0 to t1; NaN where there
    were none at t0."""
    a = r["hh"]["alone_65plus"]
    return np.where(a[t0] > 0, 100 * (a[t1] - a[t0]) / np.maximum(a[t0], 1e-9), np.nan)


def growth_map_figure(r, year, geojson=None):
    t = list(r["years"]).index(year)
    growth = alone_growth(r, 0, t)
    cls = np.digitize(np.nan_to_num(growth, nan=0.0), GROWTH_EDGES)
    colours = ["#4393c3", "#fee0b6", "#fdb863", "#e08214", "#7f3b08"]
    colour = ["#bbbbbb" if np.isnan(g) else colours[c] for g, c in zip(growth, cls)]
    fig, ax = plt.subplots(figsize=(6.5, 7.5))
    draw_regions(ax, r, colour, r["hh"]["alone_65plus"][t], geojson)
    for c in range(5):
        ax.scatter([], [], c=colours[c], label=f"{GROWTH_NAMES[c]}: {int(np.sum((cls == c) & ~np.isnan(growth)))}")
    if np.isnan(growth).any():
        ax.scatter([], [], c="#bbbbbb", label=f"none at the start: {int(np.isnan(growth).sum())}")
    ax.legend(title=f"persons 65+ living alone, {r['years'][0]}-{year}", fontsize=8, loc="lower right")
    ax.set_title(f"Growth of persons 65+ living alone, {r['years'][0]}-{year} (point size: {year})")
    return fig


def households_figure(r):
    h = r["hh"]
    y = r["years"]
    n = h["households"].sum(axis=1)
    panels = 3 if "alone_65plus" in h else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 4))
    axes[0].plot(y, n / 1e6, lw=2)
    axes[0].set_title("Households")
    axes[0].set_ylabel("million")
    axes[1].plot(y, 100 * h["one_person"].sum(axis=1) / n, lw=2)
    axes[1].set_title("One-person households")
    axes[1].set_ylabel("% of households")
    if panels == 3:
        axes[2].plot(y, h["alone_65plus"].sum(axis=1) / 1e6, lw=2, label="65+")
        axes[2].plot(y, h["alone_80plus"].sum(axis=1) / 1e6, lw=1.5, label="80+")
        axes[2].set_title("Persons living alone")
        axes[2].set_ylabel("million")
        axes[2].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_xlabel("year")
    return fig


def household_summary(r, years, picks):
    """The summary's household lines: the national series and the ranking of the si/gun/gu where
    persons 65+ living alone grow fastest."""
    h = r["hh"]
    persons = r["pop"].sum(axis=(1, 2, 3))
    n = h["households"].sum(axis=1)
    L = ["", "## Households", "",
         "Mean size = population / households (derived); one-person share of households; counts at the end of the year.", ""]
    if "alone_65plus" not in h:
        return L + ["The household indicators (persons living alone, households with children) are absent from this "
                    "file: it was written by an older popsim.", ""]
    L += ["| year | households | mean size | one-person | 65+ living alone | 80+ living alone | with a child under 6 |",
          "|---|---|---|---|---|---|---|"]
    for y in picks:
        t = years.index(y)
        L.append(f"| {y} | {n[t]:,.0f} | {persons[t] / n[t]:.2f} | {100 * h['one_person'][t].sum() / n[t]:.1f}% | "
                 f"{h['alone_65plus'][t].sum():,.0f} | {h['alone_80plus'][t].sum():,.0f} | {h['with_child_under_6'][t].sum():,.0f} |")
    for end in growth_years(years):
        t = years.index(end)
        growth = alone_growth(r, 0, t)
        order = [k for k in np.argsort(-np.nan_to_num(growth, nan=-np.inf), kind="stable") if not np.isnan(growth[k])]
        L += ["", f"### Where persons 65+ living alone grow fastest, {years[0]}-{end}", "",
              f"The {min(RANKED, len(order))} si/gun/gu with the highest growth of persons 65+ living alone "
              f"({int(np.isnan(growth).sum())} with none at the start are not ranked; scale {r['scale']:g}).", "",
              f"| rank | si/gun/gu | province | code | {years[0]} | {end} | growth |", "|---|---|---|---|---|---|---|"]
        a = h["alone_65plus"]
        province = dict(zip(r["prov_code"], r["prov_name"]))
        for rank, k in enumerate(order[:RANKED], 1):
            L.append(f"| {rank} | {r['name'][k]} | {province.get(r['province'][k], '')} | {r['code'][k]} | "
                     f"{a[0, k]:,.0f} | {a[t, k]:,.0f} | {growth[k]:+.0f}% |")
    return L + [""]


def growth_years(years):
    """The ends of the growth maps and rankings: 2050 if inside the run, and the last year."""
    return sorted({y for y in (2050, years[-1]) if y in years[1:]})


def migration_figure(r):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    y = r["years"][1:]
    for k, code in enumerate(r["prov_code"]):
        sel = r["province"] == code
        net = (r["mig_in"][1:, sel] - r["mig_out"][1:, sel]).sum(axis=1)
        ax.plot(y, net / 1e3, lw=1, label=r["prov_name"][k])
    ax.axhline(0, color="k", lw=0.8)
    ax.set_title("Net internal migration by province")
    ax.set_ylabel("thousand persons per year")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=2)
    return fig


def read_scaling(path):
    return read_table(path, "--scaling", ("ranks", "threads", "agent_years_per_s"))


def scaling_figure(rows):
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, marker in (("strong", "o"), ("weak", "s")):
        sel = [r for r in rows if r.get("kind") == kind]
        if not sel:
            continue
        cores = np.array([r["ranks"] * r["threads"] for r in sel])
        rate = np.array([r["agent_years_per_s"] for r in sel])
        base = rate[np.argmin(cores)] / cores.min()
        a.plot(cores, rate / 1e6, marker, label=f"{kind} scaling")
        b.plot(cores, rate / (cores * base), marker, label=f"{kind} scaling")
    a.set_xlabel("cores (ranks x threads)")
    a.set_ylabel("million agent-years / s")
    b.set_xlabel("cores (ranks x threads)")
    b.set_ylabel("efficiency per core (vs the smallest)")
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def read_ensemble(path, res):
    """The national population quantiles of an ensemble of runs like RESULTS (same regions and start)."""
    with Ensemble(path) as ens:
        if not np.array_equal(ens.codes, res.codes) or ens.years[0] != res.start:
            raise Refused(f"--ensemble {path}: not an ensemble of runs like {res.path} (other regions or start year: "
                          f"{len(ens.codes)} regions from {ens.years[0]}, against {res.R} from {res.start})")
        return dict(years=ens.years, replicates=ens.replicates,
                    population={q: ens.national("population", q, lo=0) for q in ("median", "lo80", "hi80", "lo95", "hi95")})


def summary(args, r, years, made):
    total = r["pop"].sum(axis=(1, 2, 3))
    L = [f"# popsim run: {args.results}", ""]
    if r["status"]:
        L += [f"**{r['status']}**: every table and figure stops at {years[-1]}.", ""]
    L += [f"Configuration {r['config']}, scenario '{r['scenario'] or 'none'}', scale {r['scale']:g}; {years[0]}..{years[-1]}.", "",
          "Population: everyone resident (Statistics Korea's definition); nationals: the registered population, on "
          "which the extinction index is computed.", "",
          "| year | population | nationals | births | deaths | 65+ share | TFR | regions at risk (index < 0.5) |",
          "|---|---|---|---|---|---|---|---|"]
    nationals = r["nationals"].sum(axis=(1, 2, 3))
    rates = tfr(r)
    picks = sorted({years[0], *[v for v in (2030, 2040, 2050, 2060, 2070) if v in years], years[-1]})
    for y in picks:
        t = years.index(y)
        L.append(f"| {y} | {total[t]:,.0f} | {nationals[t]:,.0f} | {r['births'][t].sum():,.0f} | {r['deaths'][t].sum():,.0f} | "
                 f"{100 * r['pop'][t, :, :, 65:].sum() / total[t]:.1f}% | "
                 f"{'' if np.isnan(rates[t]) else f'{rates[t]:.2f}'} | {int(np.sum(extinction_index(r, t) < 0.5))} |")
    L += household_summary(r, years, picks)
    return "\n".join(L + ["", "Figures:", ""] + [f"![{m}]({m})" for m in made] + [""])


def main():
    ap = popsim_files.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ensemble")
    ap.add_argument("--assumptions")
    ap.add_argument("--map-years", default="")
    ap.add_argument("--geojson")
    ap.add_argument("--scaling")
    args = ap.parse_args()
    # Every input and option is read and checked, and every output named, before anything is written.
    with Results(args.results) as res:
        r = load(res)
        years = [int(y) for y in r["years"]]
        try:
            maps = [int(y) for y in args.map_years.split(",") if y.strip()]
        except ValueError:
            raise Refused(f"--map-years {args.map_years}: expected years separated by commas") from None
        for y in maps:
            res.row(y, "--map-years")
        maps = maps or sorted({years[0], 2050 if 2050 in years else years[-1], years[-1]})
        ens = read_ensemble(args.ensemble, res) if args.ensemble else None
    assumptions = read_assumptions(args.assumptions) if args.assumptions else None
    geojson = read_geojson(args.geojson) if args.geojson else None
    scaling = read_scaling(args.scaling) if args.scaling else None
    figures = [("population.png", lambda: population_figure(r, ens)), ("tfr.png", lambda: tfr_figure(r, assumptions)),
               ("pyramids.png", lambda: pyramids_figure(r)), ("share_65plus.png", lambda: share65_figure(r))]
    figures += [(f"extinction_map_{y}.png", lambda y=y: map_figure(r, y, geojson)) for y in maps]
    figures += [("net_migration_provinces.png", lambda: migration_figure(r)), ("households.png", lambda: households_figure(r))]
    if "alone_65plus" in r["hh"]:
        figures += [(f"alone_65plus_growth_{years[0]}_{y}.png", lambda y=y: growth_map_figure(r, y, geojson))
                    for y in growth_years(years)]
    if scaling is not None:
        figures.append(("scaling.png", lambda: scaling_figure(scaling)))
    made = [name for name, _ in figures]
    out = Outputs(args.overwrite, [args.results, args.ensemble, args.assumptions, args.geojson, args.scaling])
    paths = out.folder(args.out, made + ["summary.md"], "--out")
    with out:
        for name, draw in figures:
            fig = draw()
            if r["status"]:
                fig.suptitle(r["status"], color="firebrick", fontsize=10)
            fig.tight_layout()
            out.save_figure(fig, paths[name])
        out.write_text(paths["summary.md"], summary(args, r, years, made))
    if r["status"]:
        print(f"report: {args.results}: {r['status']}; figures and summary stop at {years[-1]}")
    print(f"report: {len(made)} figures and summary.md in {args.out}")


if __name__ == "__main__":
    popsim_files.run(main)
