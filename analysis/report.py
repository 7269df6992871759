#!/usr/bin/python3
"""Figures and a Markdown summary of one popsim run (or an ensemble), from its results files.

Usage:
    /usr/bin/python3 analysis/report.py RESULTS.h5 --out DIR [--ensemble ENSEMBLE.h5]
        [--assumptions inputs/korea/assumptions_medium.csv] [--map-years 2023,2050,2073]
        [--geojson BOUNDARIES.geojson] [--scaling bench/results/scaling.csv]

Writes to DIR (PNG, 110 dpi) and DIR/summary.md:
* population.png - national population (and, with --ensemble, its median and 80%/95% intervals)
  with births and deaths; tfr.png - the simulated total fertility rate of national women against the
  assumption path (the nationals' TFR)
* pyramids.png - population pyramids at the start, 2050 (if simulated) and the end
* share_65plus.png - share aged 65+ by province and nationally
* extinction_map_YEAR.png - the extinction index by region: points at region centroids sized by
  population (a choropleth when --geojson gives si/gun/gu boundaries with a 10-digit code property)
* net_migration_provinces.png - net internal migration by province over time
* scaling.png - speed-up and efficiency, when --scaling gives bench/results/scaling.csv
Needs Debian's /usr/bin/python3 with python3-h5py, python3-numpy, python3-matplotlib.
"""
import argparse
import csv
import json
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CLASS_EDGES = [0.2, 0.5, 1.0, 1.5]
CLASS_NAMES = ["high risk", "risk", "caution", "normal", "low risk"]


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit(f"report: {path}: not a readable HDF5 file ({e})")
    with f:
        if "/meta" not in f or "/population" not in f:
            sys.exit(f"report: {path}: not a popsim results file")
        scale = float(f["/meta"].attrs["scale"])
        pop = f["/population"][:].astype(float) / scale  # [Y, R, 2, 101], everyone resident
        if "/nationals/population" not in f:
            sys.exit(f"report: {path}: no /nationals/population (written by an older popsim); rerun the projection")
        nationals = f["/nationals/population"][:].astype(float) / scale  # registered population
        done = len(pop)
        if "/extinction/class" in f:
            done = int(np.sum(f["/extinction/class"][:, 0] >= 0))
        r = dict(
            scale=scale, years=f["/years"][:done], pop=pop[:done], nationals=nationals[:done],
            births=f["/births"][:done].astype(float) / scale, deaths=f["/deaths"][:done].astype(float) / scale,
            national_births=f["/nationals/births_by_mother_age"][:done].astype(float) / scale,
            province=f["/regions/province"][:], lon=f["/regions/centroid_lon"][:], lat=f["/regions/centroid_lat"][:],
            code=f["/regions/code"][:], prov_code=f["/provinces/code"][:],
            prov_name=[text(x) for x in f["/provinces/name_en"][:]],
            mig_in=f["/migration/in"][:done].astype(float) / scale, mig_out=f["/migration/out"][:done].astype(float) / scale,
            scenario=text(f["/meta"].attrs.get("scenario_name", b"")), config=text(f["/meta"].attrs["config_path"]),
        )
    return r


def tfr(r):
    """Simulated TFR of the nationals (the assumption path's): births to national mothers by age
    (15..49 at the start of the year) / national women of that age at the start."""
    out = [np.nan]
    for t in range(1, len(r["years"])):
        women = r["nationals"][t - 1, :, 1, 15:50].sum(axis=0)
        b = r["national_births"][t].sum(axis=0)
        out.append(float(np.sum(np.where(women > 0, b / np.maximum(women, 1e-9), 0.0))))
    return np.array(out)


def read_assumptions(path):
    years, values = [], []
    with open(path, encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            years.append(int(row["year"]))
            values.append(float(row["tfr"]))
    return np.array(years), np.array(values)


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def population_figure(r, ens, path):
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    y = r["years"]
    a.plot(y, r["pop"].sum(axis=(1, 2, 3)) / 1e6, lw=2, label="everyone resident")
    a.plot(y, r["nationals"].sum(axis=(1, 2, 3)) / 1e6, lw=1.5, label="nationals (registered)")
    if ens is not None:
        ey = ens["/years"][:]
        m = ens["/summary/national/population/median"][:] / 1e6
        ok = np.isfinite(m)
        a.fill_between(ey[ok], ens["/summary/national/population/lo95"][ok] / 1e6,
                       ens["/summary/national/population/hi95"][ok] / 1e6, alpha=0.2, label="95% interval")
        a.fill_between(ey[ok], ens["/summary/national/population/lo80"][ok] / 1e6,
                       ens["/summary/national/population/hi80"][ok] / 1e6, alpha=0.35, label="80% interval")
        a.plot(ey[ok], m[ok], "k--", lw=1, label=f"median of {int(ens['/meta'].attrs['replicates'])} replicates")
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
    save(fig, path)


def tfr_figure(r, assumptions, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(r["years"][1:], tfr(r)[1:], lw=2, label="simulated")
    if assumptions:
        ay, av = read_assumptions(assumptions)
        sel = (ay >= r["years"][0]) & (ay <= r["years"][-1])
        ax.plot(ay[sel], av[sel], "k--", label=f"assumption path ({os.path.basename(assumptions)})")
    ax.set_title("Total fertility rate")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, path)


def pyramids_figure(r, path):
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
    save(fig, path)


def share65_figure(r, path):
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
    save(fig, path)


def extinction_index(r, t):
    """KEIS's index is of the registered population: nationals."""
    p = r["nationals"][t]
    old = p[:, :, 65:].sum(axis=(1, 2))
    return np.where(old > 0, p[:, 1, 20:40].sum(axis=1) / np.maximum(old, 1e-9), np.inf)


def map_figure(r, year, path, geojson=None):
    t = list(r["years"]).index(year)
    idx = extinction_index(r, t)
    cls = np.digitize(idx, CLASS_EDGES)
    colours = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#2166ac"]
    fig, ax = plt.subplots(figsize=(6.5, 7.5))
    drawn = False
    if geojson:
        with open(geojson, encoding="utf-8") as f:
            gj = json.load(f)
        index_of = {int(c): i for i, c in enumerate(r["code"])}
        for feat in gj.get("features", []):
            props = feat.get("properties", {})
            code = next((int(v) for v in props.values() if str(v).isdigit() and int(v) in index_of), None)
            if code is None:
                continue
            geom = feat["geometry"]
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            for poly in polys:
                ring = np.array(poly[0])
                ax.fill(ring[:, 0], ring[:, 1], color=colours[cls[index_of[code]]], ec="white", lw=0.2)
                drawn = True
    if not drawn:
        size = r["pop"][t].sum(axis=(1, 2))
        ax.scatter(r["lon"], r["lat"], s=8 + 400 * size / size.max(), c=[colours[c] for c in cls], ec="k", lw=0.3)
    for c in range(5):
        ax.scatter([], [], c=colours[c], label=f"{CLASS_NAMES[c]}: {int(np.sum(cls == c))}")
    ax.legend(title="extinction index class", fontsize=8, loc="lower right")
    ax.set_title(f"Local extinction index, {year} (nationals: women 20-39 / persons 65+)")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1.2)
    save(fig, path)


def migration_figure(r, path):
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
    save(fig, path)


def scaling_figure(path_csv, path):
    rows = list(csv.DictReader(open(path_csv, encoding="utf-8")))
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for kind, marker in (("strong", "o"), ("weak", "s")):
        sel = [r for r in rows if r.get("kind") == kind]
        if not sel:
            continue
        cores = np.array([int(r["ranks"]) * int(r["threads"]) for r in sel])
        rate = np.array([float(r["agent_years_per_s"]) for r in sel])
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
    save(fig, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ensemble")
    ap.add_argument("--assumptions")
    ap.add_argument("--map-years", default="")
    ap.add_argument("--geojson")
    ap.add_argument("--scaling")
    args = ap.parse_args()
    r = load(args.results)
    os.makedirs(args.out, exist_ok=True)
    ens = h5py.File(args.ensemble, "r") if args.ensemble else None
    made = []
    population_figure(r, ens, os.path.join(args.out, "population.png")); made.append("population.png")
    tfr_figure(r, args.assumptions, os.path.join(args.out, "tfr.png")); made.append("tfr.png")
    pyramids_figure(r, os.path.join(args.out, "pyramids.png")); made.append("pyramids.png")
    share65_figure(r, os.path.join(args.out, "share_65plus.png")); made.append("share_65plus.png")
    years = [int(y) for y in r["years"]]
    maps = [int(y) for y in args.map_years.split(",") if y] or sorted({years[0], 2050 if 2050 in years else years[-1], years[-1]})
    for y in maps:
        if y not in years:
            sys.exit(f"report: --map-years: {y} is not in the run ({years[0]}..{years[-1]})")
        map_figure(r, y, os.path.join(args.out, f"extinction_map_{y}.png"), args.geojson)
        made.append(f"extinction_map_{y}.png")
    migration_figure(r, os.path.join(args.out, "net_migration_provinces.png")); made.append("net_migration_provinces.png")
    if args.scaling:
        scaling_figure(args.scaling, os.path.join(args.out, "scaling.png")); made.append("scaling.png")
    total = r["pop"].sum(axis=(1, 2, 3))
    L = [f"# popsim run: {args.results}", "",
         f"Configuration {r['config']}, scenario '{r['scenario'] or 'none'}', scale {r['scale']:g}; {years[0]}..{years[-1]}.", "",
         "Population: everyone resident (Statistics Korea's definition); nationals: the registered population, on "
         "which the extinction index is computed.", "",
         "| year | population | nationals | births | deaths | 65+ share | TFR | regions at risk (index < 0.5) |",
         "|---|---|---|---|---|---|---|---|"]
    nationals = r["nationals"].sum(axis=(1, 2, 3))
    rates = tfr(r)
    for y in sorted({years[0], *[v for v in (2030, 2040, 2050, 2060, 2070) if v in years], years[-1]}):
        t = years.index(y)
        L.append(f"| {y} | {total[t]:,.0f} | {nationals[t]:,.0f} | {r['births'][t].sum():,.0f} | {r['deaths'][t].sum():,.0f} | "
                 f"{100 * r['pop'][t, :, :, 65:].sum() / total[t]:.1f}% | "
                 f"{'' if np.isnan(rates[t]) else f'{rates[t]:.2f}'} | {int(np.sum(extinction_index(r, t) < 0.5))} |")
    L += ["", "Figures:", ""] + [f"![{m}]({m})" for m in made] + [""]
    with open(os.path.join(args.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    print(f"report: {len(made)} figures and summary.md in {args.out}")


if __name__ == "__main__":
    main()
