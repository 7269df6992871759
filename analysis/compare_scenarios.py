#!/usr/bin/python3
"""Compare popsim scenario runs: figures and a Markdown summary.

Usage:
    /usr/bin/python3 analysis/compare_scenarios.py RESULTS.h5 [RESULTS.h5 ...] --out DIR

The first file is the reference (normally the baseline). Writes to DIR:

* population.png, births.png, share_65plus.png, capital_share.png - national series per scenario
* extinction_classes.png - number of regions in each extinction-risk class over time
* summary.md - headline tables (population, births, 65+ share, capital-region share, regions at
  risk at selected years) and the regions whose extinction class differs most from the reference

Counts are divided by each run's scale (national figures). Needs h5py, numpy, matplotlib
(Debian's /usr/bin/python3 with python3-h5py, python3-numpy, python3-matplotlib).
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CLASSES = ["high risk (<0.2)", "risk (0.2-0.5)", "caution (0.5-1.0)", "normal (1.0-1.5)", "low risk (>=1.5)"]


def load(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit(f"compare_scenarios: {path}: not a readable HDF5 file ({e})")
    with f:
        for need in ("/meta", "/years", "/population", "/extinction/class", "/aggregates/capital/population"):
            if need not in f:
                sys.exit(f"compare_scenarios: {path}: not a popsim results file with the outlook (missing {need})")
        meta = f["/meta"].attrs
        scale = float(meta["scale"])
        name = meta["scenario_name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        years = f["/years"][:]
        pop = f["/population"][:].astype(float)  # [Y, R, 2, 101]
        done = int(np.sum(f["/extinction/class"][:, 0] >= 0))  # simulated time points
        r = dict(
            path=path, name=name or os.path.basename(os.path.dirname(os.path.abspath(path))), scale=scale,
            years=years[:done],
            population=pop[:done].sum(axis=(1, 2, 3)) / scale,
            births=f["/births"][:done].sum(axis=(1, 2)) / scale,
            share65=pop[:done, :, :, 65:].sum(axis=(1, 2, 3)) / pop[:done].sum(axis=(1, 2, 3)),
            capital=f["/aggregates/capital/population"][:done, 0] / f["/aggregates/capital/population"][:done].sum(axis=1),
            klass=f["/extinction/class"][:done],
            index=f["/extinction/index"][:done],
            by_class=f["/extinction/regions_by_class"][:done],
            region_name=[x.decode() if isinstance(x, bytes) else str(x) for x in f["/regions/name_en"][:]],
            region_code=f["/regions/code"][:],
        )
    return r


def series_plot(runs, key, ylabel, title, path, scale=1.0, percent=False):
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in runs:
        y = r[key] * (100 if percent else 1) / scale
        ax.plot(r["years"], y, label=r["name"], lw=2 if r is runs[0] else 1.3)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def classes_plot(runs, path):
    fig, axes = plt.subplots(1, len(CLASSES), figsize=(15, 3.4), sharex=True)
    for k, ax in enumerate(axes):
        for r in runs:
            ax.plot(r["years"], r["by_class"][:, k], label=r["name"], lw=2 if r is runs[0] else 1.2)
        ax.set_title(CLASSES[k], fontsize=9)
        ax.grid(alpha=0.3)
        ax.set_xlabel("year")
    axes[0].set_ylabel("regions (of 229)")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def at(r, key, year):
    k = np.flatnonzero(r["years"] == year)
    return r[key][k[0]] if len(k) else np.nan


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", help="results.h5 files; the first is the reference")
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--years", default="2030,2040,2050,2073", help="years of the summary tables")
    args = ap.parse_args()
    runs = [load(p) for p in args.results]
    os.makedirs(args.out, exist_ok=True)
    series_plot(runs, "population", "million persons", "National population", os.path.join(args.out, "population.png"), 1e6)
    series_plot(runs, "births", "thousand births", "Births per year", os.path.join(args.out, "births.png"), 1e3)
    series_plot(runs, "share65", "% of persons", "Share aged 65+", os.path.join(args.out, "share_65plus.png"), percent=True)
    series_plot(runs, "capital", "% of persons", "Capital region's share of the population (Seoul, Incheon, Gyeonggi)",
                os.path.join(args.out, "capital_share.png"), percent=True)
    classes_plot(runs, os.path.join(args.out, "extinction_classes.png"))

    ref = runs[0]
    years = [int(y) for y in args.years.split(",") if int(y) in set(int(x) for x in ref["years"])]
    L = ["# Scenario comparison", "",
         "Generated by `analysis/compare_scenarios.py` from: " + ", ".join(f"`{r['path']}` ({r['name']}, scale {r['scale']:g})"
                                                                       for r in runs) + ".", "",
         "National figures (agents / scale). Extinction index = women 20-39 / persons 65+ per si/gun/gu; "
         "'at risk' = index < 0.5 (classes high risk and risk).", ""]
    for key, label, fmt in (("population", "Population (millions)", lambda v: f"{v / 1e6:.2f}"),
                            ("births", "Births (thousands)", lambda v: f"{v / 1e3:.1f}"),
                            ("share65", "Share aged 65+ (%)", lambda v: f"{100 * v:.1f}"),
                            ("capital", "Capital-region share (%)", lambda v: f"{100 * v:.2f}")):
        L += [f"### {label}", "", "| scenario | " + " | ".join(str(y) for y in years) + " |",
              "|---|" + "---|" * len(years)]
        for r in runs:
            L.append(f"| {r['name']} | " + " | ".join(fmt(at(r, key, y)) for y in years) + " |")
        L.append("")
    L += ["### Regions at risk (index < 0.5) / in high risk (< 0.2), of 229", "",
          "| scenario | " + " | ".join(str(y) for y in years) + " |", "|---|" + "---|" * len(years)]
    for r in runs:
        cells = []
        for y in years:
            k = np.flatnonzero(r["years"] == y)
            b = r["by_class"][k[0]] if len(k) else None
            cells.append(f"{b[0] + b[1]} / {b[0]}" if b is not None else "")
        L.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    L.append("")
    last = int(min(r["years"][-1] for r in runs))
    L += [f"### Regions whose class in {last} differs most from {ref['name']}", "",
          "| scenario | region | code | class (" + ref["name"] + ") | class | index (" + ref["name"] + ") | index |",
          "|---|---|---|---|---|---|---|"]
    t0 = int(np.flatnonzero(ref["years"] == last)[0])
    for r in runs[1:]:
        t = int(np.flatnonzero(r["years"] == last)[0])
        dc = r["klass"][t].astype(int) - ref["klass"][t0].astype(int)
        di = r["index"][t] - ref["index"][t0]
        order = sorted(range(len(dc)), key=lambda i: (-abs(dc[i]), -abs(di[i]) if np.isfinite(di[i]) else 0, i))
        shown = 0
        for i in order:
            if dc[i] == 0 or shown == 5:
                break
            L.append(f"| {r['name']} | {r['region_name'][i]} | {r['region_code'][i]} | {ref['klass'][t0][i]} | "
                     f"{r['klass'][t][i]} | {ref['index'][t0][i]:.3f} | {r['index'][t][i]:.3f} |")
            shown += 1
        if shown == 0:
            L.append(f"| {r['name']} | (no region changes class) | | | | | |")
    L += ["", "Figures: ![population](population.png) ![births](births.png) ![65+](share_65plus.png) "
          "![capital](capital_share.png) ![classes](extinction_classes.png)", ""]
    with open(os.path.join(args.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    print(f"compare_scenarios: {len(runs)} runs -> {args.out}/summary.md and 5 figures")


if __name__ == "__main__":
    main()
