#!/usr/bin/python3
"""Compare a popsim run's internal migration in its first projected year with the 2023 targets.

Usage: /usr/bin/python3 analysis/migration_targets.py RESULTS.h5 [--year Y] [--markdown]

Reads /migration/{in,out,in_by_age,out_by_age,flows} and /population of a results file and prints
the between-province movers, the capital-region net, net migration by province (count, rate) and
the net rates of the 20s and 30s by province, next to the FACTS.md 4.3 targets that
inputs/calibrate_migration.py fits. Rates are net / residents at the end of the previous year
(of the age group, ages at the end of the year).
"""
import argparse
import sys

import h5py
import numpy as np

PROV_NAME = {11: "Seoul", 26: "Busan", 27: "Daegu", 28: "Incheon", 29: "Gwangju", 30: "Daejeon",
             31: "Ulsan", 36: "Sejong", 41: "Gyeonggi", 43: "Chungbuk", 44: "Chungnam",
             45: "Jeonbuk", 46: "Jeonnam", 47: "Gyeongbuk", 48: "Gyeongnam", 50: "Jeju", 51: "Gangwon"}
CAPITAL = (11, 28, 41)
OUT_MIGRATION = (11, 26, 27, 29, 30, 31, 45, 46, 47, 48, 50, 51)  # the 12 sido with a 2023 net outflow
# FACTS.md 4.3 (2023): net persons, all-age rate %, 20s rate %, 30s rate %
COUNT = {11: -31000, 41: 45000, 28: 34000, 44: 16000}
RATE = {28: 1.1, 44: 0.7, 36: 0.4, 41: 0.3, 43: 0.2, 29: -0.6, 31: -0.6}
RATE20 = {11: 3.4, 36: 1.3, 28: 1.0, 30: 0.6, 41: 0.4, 48: -4.0, 46: -3.4, 45: -3.3, 47: -3.1, 50: -2.6}
RATE30 = {11: -1.7, 29: -1.1, 26: -0.7, 28: 2.3, 36: 1.8, 44: 1.3, 41: 0.9}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--year", type=int, help="projected year (default: the first)")
    args = ap.parse_args()
    with h5py.File(args.results, "r") as f:
        years = f["/years"][:]
        # /years starts with the base year (its row holds the initial state and no events)
        year = years[1] if args.year is None and len(years) > 1 else args.year
        if year is None or year not in years[1:]:
            sys.exit(f"{args.results}: no projected year {year} in /years {years[0]}..{years[-1]}")
        t = int(np.flatnonzero(years == year)[0])
        prov_of_region = f["/regions/province"][:]
        provinces = f["/provinces/code"][:]
        base = f["/population"][t - 1].sum(axis=1)  # [R, age]: residents at the end of the previous year
        inn = f["/migration/in_by_age"][t]
        out = f["/migration/out_by_age"][t]
        flows = f["/migration/flows"][t]
    net = inn - out  # [R, age]
    A = (prov_of_region[:, None] == provinces[None, :]).astype(float)  # R x P
    net_p, base_p = A.T @ net, A.T @ base
    k = {int(p): i for i, p in enumerate(provinces)}
    rate = lambda p, lo=0, hi=100: 100 * net_p[k[p], lo:hi + 1].sum() / base_p[k[p], lo:hi + 1].sum()
    between = flows.sum() - np.trace(flows)
    rows = [("between-province movers", f"{100 * between / base.sum():.2f} %", "4.2 %"),
            ("capital region net", f"{sum(net_p[k[p]].sum() for p in CAPITAL):+,.0f}", "+48,000")]
    for p, v in COUNT.items():
        rows.append((f"{PROV_NAME[p]} net", f"{net_p[k[p]].sum():+,.0f}", f"{v:+,}"))
    for p, v in RATE.items():
        rows.append((f"{PROV_NAME[p]} net rate", f"{rate(p):+.2f} %", f"{v:+.1f} %"))
    for p in OUT_MIGRATION:
        rows.append((f"{PROV_NAME[p]} net rate", f"{rate(p):+.2f} %", "< 0"))
    for p, v in RATE20.items():
        rows.append((f"{PROV_NAME[p]} 20s net rate", f"{rate(p, 20, 29):+.2f} %", f"{v:+.1f} %"))
    for p, v in RATE30.items():
        rows.append((f"{PROV_NAME[p]} 30s net rate", f"{rate(p, 30, 39):+.2f} %", f"{v:+.1f} %"))
    print(f"| {int(years[t])} (simulated) vs 2023 | simulated | target |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
