#!/usr/bin/python3
"""Compare a synthesised population (popsim synthesize --out POP.h5, or a checkpoint) with the
registered households it was built from.

Usage
-----
    /usr/bin/python3 analysis/start_state.py POP.h5 --inputs inputs/korea [--json OUT.json] [--overwrite]

Compared, for the nationals (persons without the foreign-resident flag, bit 2 of /persons/flags):
  * households by size 1..6, 7+ and province (a household counts its national members; households
    of foreign residents only are left out) against INPUTS/households_by_size.csv;
  * persons living alone by province x sex x 10-year age group against INPUTS/living_alone.csv
    (share x the region's residents of the cell, population.csv, summed to the province).
The population file's scale (its root attribute `scale`) divides the counts. Printed: the
relative error of every cell and the largest among the cells of at least 1,000 (registered).
Exit codes (docs/files.md, "Analysis tools"): 0 compared; 2 refused, nothing written: a file is
missing, damaged or not as expected (the message names it), or the JSON output exists
(--overwrite replaces it), is an input or is being written by another process; 1 writing the
JSON output failed (a full disk, a read-only file system).
"""
import json
import os

import numpy as np
import pandas as pd

import popsim_files
from popsim_files import Outputs, Population, Refused

SIZES = 7
GROUPS = 11
TABLES = ("regions.csv", "population.csv", "households_by_size.csv", "living_alone.csv")


def read_csv(path, columns, text=()):
    """An input table with `columns`, numbers (finite) but for those in `text`; also the age_*
    columns of population.csv."""
    if not os.path.isfile(path):
        raise Refused(f"{path}: no such file (expected a popsim input table)")
    try:
        t = pd.read_csv(path, comment="#")
    except Exception as exc:  # noqa: BLE001
        raise Refused(f"{path}: not a CSV table: {exc}") from exc
    missing = [c for c in columns if c not in t.columns]
    if missing:
        raise Refused(f"{path}: lacks the column(s) {', '.join(missing)}")
    for c in [c for c in columns if c not in text] + [c for c in t.columns if str(c).startswith("age_")]:
        values = pd.to_numeric(t[c], errors="coerce")
        if not np.isfinite(values).all():
            raise Refused(f"{path}: column {c} holds {t[c][~np.isfinite(values)].iloc[0]!r}; expected numbers")
        t[c] = values
    return t


def read_population(path):
    with Population(path) as pop:
        p = {"household": pop.persons("household"), "birth_year": pop.persons("birth_year", pop.year - 150, pop.year),
             "sex": pop.persons("sex", 0, 1), "flags": pop.persons("flags"), "region": pop.persons("region", 0, pop.R - 1)}
        return p, pop.codes, pop.year, pop.scale


def compare(pop_path, inputs):
    p, codes, year, scale = read_population(pop_path)
    regions = read_csv(os.path.join(inputs, "regions.csv"), ["code", "province_code"])
    province_of = dict(zip(regions.code, regions.province_code))
    unknown = [c for c in codes if c not in province_of]
    if unknown:
        raise Refused(f"{pop_path}: region codes not in {inputs}/regions.csv: {unknown[:5]}")
    population = read_csv(os.path.join(inputs, "population.csv"), ["region", "sex"], text=("sex",))
    sizes = read_csv(os.path.join(inputs, "households_by_size.csv"), ["province"] + [f"size_{k}" for k in range(1, 7)] + ["size_7plus"])
    alone_table = read_csv(os.path.join(inputs, "living_alone.csv"), ["region", "sex", "age_from", "share"], text=("sex",))

    national = (p["flags"] & 4) == 0
    prov = np.array([province_of[c] for c in codes])[p["region"]]
    age = np.minimum(year - p["birth_year"].astype(int), 100)
    _, inv, counts = np.unique(p["household"], return_inverse=True, return_counts=True)
    nat_members = np.bincount(inv, weights=national.astype(float)).astype(int)
    hprov = np.zeros(len(counts), dtype=int)
    hprov[inv] = prov
    alone = (counts[inv] == 1) & national

    rows = []
    keep = nat_members > 0
    sim_sizes = pd.crosstab(hprov[keep], np.minimum(nat_members[keep], SIZES)).reindex(columns=range(1, SIZES + 1), fill_value=0)
    for _, r in sizes.iterrows():
        for k in range(1, SIZES + 1):
            expected = float(r[f"size_{k}" if k < SIZES else "size_7plus"])
            sim = float(sim_sizes.loc[r.province, k]) / scale if r.province in sim_sizes.index else 0.0
            rows.append(dict(table="size", province=int(r.province), sex="", group=k, expected=expected, popsim=sim))

    ages = [c for c in population.columns if c.startswith("age_")]
    pop_long = population.melt(id_vars=["region", "sex"], value_vars=ages, var_name="a", value_name="n")
    pop_long["g"] = np.minimum(pop_long.a.str.extract(r"(\d+)")[0].astype(int) // 10, GROUPS - 1)
    cells = pop_long.groupby(["region", "sex", "g"]).n.sum().reset_index()
    shares = alone_table.assign(g=alone_table.age_from // 10)[["region", "sex", "g", "share"]]
    cells = cells.merge(shares, on=["region", "sex", "g"], how="left")
    if cells.share.isna().any():
        raise Refused(f"{inputs}/living_alone.csv: no share for some region x sex x group of population.csv")
    cells["province"] = cells.region.map(province_of)
    cells["expected"] = cells.n * cells.share
    expected = cells.groupby(["province", "sex", "g"]).expected.sum()
    sim = pd.DataFrame({"province": prov[alone], "sex": np.where(p["sex"][alone] == 0, "M", "F"),
                        "g": np.minimum(age[alone] // 10, GROUPS - 1)}).groupby(["province", "sex", "g"]).size() / scale
    for key, e in expected.items():
        rows.append(dict(table="living_alone", province=int(key[0]), sex=key[1], group=int(key[2]), expected=float(e),
                         popsim=float(sim.get(key, 0.0))))
    out = pd.DataFrame(rows)
    out["error_pct"] = np.where(out.expected > 0, 100 * (out.popsim / out.expected.where(out.expected > 0, 1) - 1), 0.0)
    return out, scale


def main():
    ap = popsim_files.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("population")
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--json")
    a = ap.parse_args()
    out = Outputs(a.overwrite, [a.population] + [os.path.join(a.inputs, t) for t in TABLES])
    json_path = out.file(a.json, "--json") if a.json else None
    compared, scale = compare(a.population, a.inputs)
    big = compared[compared.expected >= 1000]
    print(f"start state {a.population} (scale {scale}) against {a.inputs}: households by size x province and "
          f"persons living alone by province x sex x 10-year age")
    for table in ("size", "living_alone"):
        t = big[big.table == table]
        if t.empty:
            print(f"  {table:13s} no cells of 1,000+")
            continue
        worst = t.loc[t.error_pct.abs().idxmax()]
        print(f"  {table:13s} {len(t):4d} cells of 1,000+: max |error| {t.error_pct.abs().max():.2f}% "
              f"(province {int(worst.province)} {worst.sex} {int(worst.group)}); within 2%: "
              f"{(t.error_pct.abs() <= 2).sum()}")
    for k in range(1, SIZES + 1):
        t = big[(big.table == "size") & (big.group == k)]
        print(f"  size {k if k < SIZES else '7+'}: max |error| {t.error_pct.abs().max():.2f}% over {len(t)} provinces")
    if json_path:
        with out, out.open(json_path) as f:
            json.dump(dict(scale=scale, cells=compared.to_dict(orient="records")), f)


if __name__ == "__main__":
    popsim_files.run(main)
