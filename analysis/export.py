#!/usr/bin/python3
"""Export a popsim results file as tidy CSV tables (one observation per row) for R, Stata or
spreadsheets.

Usage: /usr/bin/python3 analysis/export.py RESULTS.h5 --csv DIR [--national-scale]

Writes DIR/population.csv (year, region_code, region_name, province, sex, age, persons, nationals:
everyone resident, and the nationals among them, i.e. the registered population),
births.csv (year, region_code, mother_age, births), deaths.csv (year, region_code, sex, age, deaths),
migration.csv (year, region_code, in_migrants, out_migrants, immigrants, emigrants),
nationals.csv (year, region_code, births, deaths, immigrants, emigrants, naturalisations of nationals),
households.csv (year, region_code, size, households), extinction.csv (year, region_code, index,
class) when the run has the outlook, regions.csv (the region table) and README.txt (units, scale).
Counts are of simulated agents unless --national-scale divides them by the run's scale. Years
that were not simulated (a stopped run) are left out.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--csv", required=True, metavar="DIR")
    ap.add_argument("--national-scale", action="store_true", help="divide counts by the run's scale")
    args = ap.parse_args()
    try:
        f = h5py.File(args.results, "r")
    except OSError as e:
        sys.exit(f"export: {args.results}: not a readable HDF5 file ({e})")
    if "/population" not in f or "/meta" not in f:
        sys.exit(f"export: {args.results}: not a popsim results file")
    if "/nationals/population" not in f:
        sys.exit(f"export: {args.results}: no /nationals/population (written by an older popsim); rerun the projection")
    os.makedirs(args.csv, exist_ok=True)
    scale = float(f["/meta"].attrs["scale"])
    div = scale if args.national_scale else 1.0
    fmt = (lambda x: f"{x / div:.4f}") if args.national_scale else (lambda x: str(int(x)))
    years = f["/years"][:]
    done = int(np.sum(f["/extinction/class"][:, 0] >= 0)) if "/extinction/class" in f else len(years)
    codes = f["/regions/code"][:]
    names = [text(x) for x in f["/regions/name_en"][:]]
    prov = f["/regions/province"][:]

    def write(name, header, rows):
        with open(os.path.join(args.csv, name), "w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(header)
            w.writerows(rows)

    write("regions.csv", ["region_code", "region_name", "province", "capital_region", "declining_area", "centroid_lon",
                          "centroid_lat"],
          zip(codes, names, prov, f["/regions/capital_region"][:], f["/regions/declining_area"][:],
              f["/regions/centroid_lon"][:], f["/regions/centroid_lat"][:]))
    pop = f["/population"][:done]
    nat = f["/nationals/population"][:done]
    write("population.csv", ["year", "region_code", "region_name", "province", "sex", "age", "persons", "nationals"],
          ((years[t], codes[r], names[r], prov[r], "male" if s == 0 else "female", a, fmt(pop[t, r, s, a]),
            fmt(nat[t, r, s, a]))
           for t in range(done) for r in range(len(codes)) for s in range(2) for a in range(101)))
    events = [f[f"/nationals/{k}"][:done] for k in ("births", "deaths", "immigrants", "emigrants", "naturalisations")]
    write("nationals.csv", ["year", "region_code", "births", "deaths", "immigrants", "emigrants", "naturalisations"],
          ((years[t], codes[r], *(fmt(e[t, r]) for e in events)) for t in range(1, done) for r in range(len(codes))))
    b = f["/births"][:done]
    write("births.csv", ["year", "region_code", "mother_age", "births"],
          ((years[t], codes[r], 15 + a, fmt(b[t, r, a])) for t in range(1, done) for r in range(len(codes)) for a in range(35)))
    d = f["/deaths"][:done]
    write("deaths.csv", ["year", "region_code", "sex", "age", "deaths"],
          ((years[t], codes[r], "male" if s == 0 else "female", a, fmt(d[t, r, s, a]))
           for t in range(1, done) for r in range(len(codes)) for s in range(2) for a in range(101)))
    mi, mo = f["/migration/in"][:done], f["/migration/out"][:done]
    im, em = f["/international/immigrants"][:done], f["/international/emigrants"][:done]
    write("migration.csv", ["year", "region_code", "in_migrants", "out_migrants", "immigrants", "emigrants"],
          ((years[t], codes[r], fmt(mi[t, r]), fmt(mo[t, r]), fmt(im[t, r]), fmt(em[t, r]))
           for t in range(1, done) for r in range(len(codes))))
    h = f["/households/size"][:done]
    write("households.csv", ["year", "region_code", "size", "households"],
          ((years[t], codes[r], f"{k + 1}{'+' if k == h.shape[2] - 1 else ''}", fmt(h[t, r, k]))
           for t in range(done) for r in range(len(codes)) for k in range(h.shape[2])))
    tables = ["regions", "population", "nationals", "births", "deaths", "migration", "households"]
    if "/extinction/index" in f:
        x, c = f["/extinction/index"][:done], f["/extinction/class"][:done]
        write("extinction.csv", ["year", "region_code", "index", "class"],
              ((years[t], codes[r], f"{x[t, r]:.6f}", int(c[t, r])) for t in range(done) for r in range(len(codes))))
        tables.append("extinction")
    with open(os.path.join(args.csv, "README.txt"), "w", encoding="utf-8") as out:
        out.write(f"Exported from {args.results} by analysis/export.py.\n"
                  f"Scale of the run: {scale:g}; counts are {'national (divided by the scale)' if args.national_scale else 'simulated agents (divide by the scale for national figures)'}.\n"
                  "States (persons, households, extinction) are at the end of the year; events (births, deaths, migration) "
                  "during it. Ages: completed years, 100 = 100+. persons: everyone resident (Statistics Korea's definition); "
                  "nationals: the registered population. Extinction index (KEIS, on nationals): women 20-39 / persons 65+; class 0 high "
                  "risk (<0.2) .. 4 low risk (>=1.5).\n")
    print(f"export: {len(tables)} tables in {args.csv}: " + ", ".join(t + ".csv" for t in tables))


if __name__ == "__main__":
    main()
