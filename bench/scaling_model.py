#!/usr/bin/python3
"""A scaling model of the projection, from measured costs and the real region sizes.

Usage: /usr/bin/python3 bench/scaling_model.py [--scaling bench/results/scaling.csv]
           [--inputs inputs/korea] [--out bench/results/scaling_model.csv]

Per year at full scale (51.1 M agents) on P ranks of one thread:
    T(P) = c_agent x max_rank_agents(P) + c_serial + c_byte x bytes(P) / P + c_latency x log2(P)
* c_agent: seconds per agent-year of the per-region work (kernels, rebuild, accounting, checks),
  from the 1-rank strong-scaling row; max_rank_agents(P): the largest rank's persons when the 229
  regions are assigned whole by the LPT partitioner (what popsim does), so no rank can hold less
  than the largest region (Suwon-si, about 1.19 M persons);
* c_serial: the per-year work every rank repeats (national rates and reductions over all regions:
  the 'rates' phase), measured;
* bytes(P): migrants crossing ranks; with regions spread over P ranks about (P-1)/P of the
  internal migrants' households leave their rank, so bytes(P) = B(2) x 2 (P-1)/P from the 2-rank
  measurement, and each rank sends bytes(P)/P; c_byte from the measured exchange seconds/byte;
* c_latency: the collectives' latency per doubling of ranks (MPI_Alltoall, Allreduce), an
  ASSUMPTION of 50 microseconds x 20 collectives a year (typical InfiniBand latency), not measured
  on this 2-core machine.
Prints and writes the projected seconds per year, speed-up and efficiency for P = 1 ... 1,024.
"""
import argparse
import csv
import math
import os

import numpy as np


def lpt(sizes, ranks):
    load = [0.0] * ranks
    for s in sorted(sizes, reverse=True):
        k = min(range(ranks), key=lambda i: (load[i], i))
        load[k] += s
    return max(load)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scaling", default="bench/results/scaling.csv")
    ap.add_argument("--inputs", default="inputs/korea")
    ap.add_argument("--out", default="bench/results/scaling_model.csv")
    args = ap.parse_args()
    rows = [r for r in csv.DictReader(open(args.scaling)) if r["kind"] == "strong" and r["oversubscribed"] == "0"]
    if not rows:
        raise SystemExit("scaling_model: no strong-scaling rows in " + args.scaling)
    rev = rows[-1]["git_revision"]
    rows = [r for r in rows if r["git_revision"] == rev]
    one = next(r for r in rows if r["ranks"] == "1" and r["threads"] == "1")
    two = next((r for r in rows if r["ranks"] == "2" and r["threads"] == "1"), None)
    agents, years = float(one["agents"]), float(one["years"])
    per_region = sum(float(one[k]) for k in ("kernels_s", "rebuild_s", "accounting_s", "checks_s"))
    c_agent = per_region / agents
    c_serial = float(one["rates_s"]) + float(one["output_s"])
    if two is not None and float(two["bytes_exchanged_per_year"]) > 0:
        b2 = float(two["bytes_exchanged_per_year"]) / float(two["scale"])  # full-scale bytes at 2 ranks
        c_byte = float(two["exchange_s"]) / (float(two["bytes_exchanged_per_year"]) / 2)
    else:
        b2, c_byte = 0.0, 0.0
    c_latency = 20 * 50e-6
    pop = {}
    with open(os.path.join(args.inputs, "population.csv")) as f:
        for r in csv.DictReader(l for l in f if not l.startswith("#")):
            pop[r["region"]] = pop.get(r["region"], 0) + sum(int(r[f"age_{a}"]) for a in range(101))
    sizes = list(pop.values())
    total = float(sum(sizes))
    out = []
    t1 = None
    for p in [1, 2, 4, 8, 16, 32, 43, 64, 128, 256, 512, 1024]:
        heaviest = lpt(sizes, p) if p <= len(sizes) else max(sizes)
        bytes_p = b2 * 2 * (p - 1) / p if p > 1 else 0.0
        t = c_agent * heaviest + c_serial + c_byte * bytes_p / p + c_latency * math.log2(p) if p > 1 else c_agent * total + c_serial
        t1 = t1 or t
        out.append(dict(ranks=p, seconds_per_year=round(t, 4), speedup=round(t1 / t, 2), efficiency=round(t1 / t / p, 3),
                        heaviest_rank_agents=int(heaviest), imbalance=round(heaviest / (total / p), 2),
                        exchange_bytes_per_rank=int(bytes_p / p) if p > 1 else 0))
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)
    print(f"measured (revision {rev}, scale {one['scale']}): c_agent {c_agent * 1e9:.1f} ns per agent-year, "
          f"c_serial {c_serial:.3f} s/year, exchange {c_byte * 1e9:.2f} ns/byte, {b2 / 1e6:.0f} MB/year at 2 ranks "
          f"(full scale); largest region {max(sizes):,} of {int(total):,} persons")
    print("ranks  s/year  speed-up  efficiency  heaviest-rank agents  imbalance")
    for o in out:
        print(f"{o['ranks']:5d} {o['seconds_per_year']:7.3f} {o['speedup']:9.1f} {o['efficiency']:11.3f} "
              f"{o['heaviest_rank_agents']:21,d} {o['imbalance']:10.2f}")


if __name__ == "__main__":
    main()
