#!/usr/bin/python3
"""Compare a popsim run's internal migration in its first projected year with the 2023 targets.

Usage: /usr/bin/python3 analysis/migration_targets.py RESULTS.h5 [--year Y]

Reads /migration/{in_by_age,out_by_age,flows} and /population of a results file and prints, as a
Markdown table, the between-province movers, the capital-region net, net migration by province
(count, rate) and the net rates of the 20s and 30s by province, next to the FACTS.md 4.3 targets
that inputs/calibrate_migration.py fits. Counts are national (divided by the run's scale); rates
are net / residents at the end of the previous year (of the age group, ages at the end of the
year).

Exit codes (docs/files.md, "Analysis tools"): 0 printed; 2 refused: the results file is missing,
damaged or not a popsim results file, or year Y is not a projected year of the run or not written
yet (an unfinished run). Writes no file.
"""
import numpy as np

import popsim_files
from popsim_files import Refused, Results

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
    ap = popsim_files.ArgumentParser(description=__doc__.split("\n")[0], outputs=False)
    ap.add_argument("results")
    ap.add_argument("--year", type=int, help="projected year (default: the first)")
    args = ap.parse_args()
    with Results(args.results) as res:
        # /years starts with the base year (its row holds the initial state and no events)
        year = res.start + 1 if args.year is None else args.year
        if year == res.start:
            raise Refused(f"{args.results}: {year} is the start state, not a projected year ({res.start + 1}..{res.end})")
        t = res.row(year, "the migration targets")
        P = res.length("/provinces/code")
        provinces = res.dataset("/provinces/code", (P,), kind="int")
        prov_of_region = res.dataset("/regions/province", (res.R,), kind="int")
        base = res.counts("/population", res.R, 2, 101)[t - 1].sum(axis=1)  # [R, age]: residents a year before
        inn = res.counts("/migration/in_by_age", res.R, 101)[t]
        out = res.counts("/migration/out_by_age", res.R, 101)[t]
        flows = res.counts("/migration/flows", P, P)[t]
        scale = res.scale
    missing = sorted(set(PROV_NAME) - set(int(p) for p in provinces))
    if missing:
        raise Refused(f"{args.results}: /provinces/code lacks the provinces {missing} that the targets name")
    net = inn - out  # [R, age]
    A = (prov_of_region[:, None] == provinces[None, :]).astype(float)  # R x P
    net_p, base_p = A.T @ net, A.T @ base
    k = {int(p): i for i, p in enumerate(provinces)}
    rate = lambda p, lo=0, hi=100: 100 * net_p[k[p], lo:hi + 1].sum() / base_p[k[p], lo:hi + 1].sum()
    between = flows.sum() - np.trace(flows)
    rows = [("between-province movers", f"{100 * between / base.sum():.2f} %", "4.2 %"),
            ("capital region net", f"{sum(net_p[k[p]].sum() for p in CAPITAL) / scale:+,.0f}", "+48,000")]
    for p, v in COUNT.items():
        rows.append((f"{PROV_NAME[p]} net", f"{net_p[k[p]].sum() / scale:+,.0f}", f"{v:+,}"))
    for p, v in RATE.items():
        rows.append((f"{PROV_NAME[p]} net rate", f"{rate(p):+.2f} %", f"{v:+.1f} %"))
    for p in OUT_MIGRATION:
        rows.append((f"{PROV_NAME[p]} net rate", f"{rate(p):+.2f} %", "< 0"))
    for p, v in RATE20.items():
        rows.append((f"{PROV_NAME[p]} 20s net rate", f"{rate(p, 20, 29):+.2f} %", f"{v:+.1f} %"))
    for p, v in RATE30.items():
        rows.append((f"{PROV_NAME[p]} 30s net rate", f"{rate(p, 30, 39):+.2f} %", f"{v:+.1f} %"))
    print(f"| {year} (simulated) vs 2023 | simulated | target |\n|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    popsim_files.run(main)
