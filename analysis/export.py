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
When the run has the household indicators (results of an older popsim lack them): living_alone.csv
(year, region_code, sex, age, persons: persons in one-person households) and
household_indicators.csv, one row per year and region: households, persons, mean_size (persons /
households, derived here: results.h5 stores no mean size), one_person, one_person_share (of
households, 0..1), alone_65plus, alone_80plus, with_child_under_6, with_child_under_18,
head_age_<group> (households by the age group of their reference person), foreign and
mixed_nationality households.
Counts are of simulated agents unless --national-scale divides them by the run's scale. Years
that were not simulated (a stopped run) are left out.

Exit codes: 0 exported; 2 refused (the results file is missing or not a popsim results file, or
one of the tables would replace it): nothing is written then.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


TABLES = ["regions", "population", "nationals", "births", "deaths", "migration", "households", "extinction",
          "living_alone", "household_indicators"]
# The household indicators of results.h5 (/households/<name>, [year, region]) in household_indicators.csv.
INDICATORS = ["alone_65plus", "alone_80plus", "with_child_under_6", "with_child_under_18"]


def refuse(message):
    print(f"export: {message}", file=sys.stderr)
    sys.exit(2)


def head_age_columns(dataset):
    """Column names of /households/by_head_age's groups, from its attribute `groups`
    ("0: under 30; 1: 30-39; ...; 6: 80+") -> head_age_under_30, head_age_30_39, ..., head_age_80plus."""
    labels = [g.split(":", 1)[1].strip() for g in text(dataset.attrs["groups"]).split(";")]
    if len(labels) != dataset.shape[2]:
        refuse(f"/households/by_head_age: attribute groups names {len(labels)} groups, the dataset has {dataset.shape[2]}")
    return ["head_age_" + g.replace("+", "plus").replace("-", "_").replace(" ", "_") for g in labels]


def household_indicator_rows(f, done, codes, years, fmt):
    """household_indicators.csv: one row per year and region, mean size and one-person share derived."""
    size = f["/households/size"][:done]
    households = size.sum(axis=2)
    persons = f["/population"][:done].sum(axis=(2, 3))
    ind = {k: f[f"/households/{k}"][:done] for k in INDICATORS + ["foreign", "mixed_nationality"]}
    heads = f["/households/by_head_age"][:done]
    header = (["year", "region_code", "households", "persons", "mean_size", "one_person", "one_person_share"] + INDICATORS
              + head_age_columns(f["/households/by_head_age"]) + ["foreign", "mixed_nationality"])

    def ratio(a, b):
        return f"{a / b:.4f}" if b > 0 else ""

    rows = ((years[t], codes[r], fmt(households[t, r]), fmt(persons[t, r]), ratio(persons[t, r], households[t, r]),
             fmt(size[t, r, 0]), ratio(size[t, r, 0], households[t, r]), *(fmt(ind[k][t, r]) for k in INDICATORS),
             *(fmt(x) for x in heads[t, r]), fmt(ind["foreign"][t, r]), fmt(ind["mixed_nationality"][t, r]))
            for t in range(done) for r in range(len(codes)))
    return header, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--csv", required=True, metavar="DIR")
    ap.add_argument("--national-scale", action="store_true", help="divide counts by the run's scale")
    args = ap.parse_args()
    try:
        f = h5py.File(args.results, "r")
    except OSError as e:
        refuse(f"{args.results}: not a readable HDF5 file ({e})")
    if "/population" not in f or "/meta" not in f:
        refuse(f"{args.results}: not a popsim results file")
    if "/nationals/population" not in f:
        refuse(f"{args.results}: no /nationals/population (written by an older popsim); rerun the projection")
    for name in TABLES + ["README"]:
        out = os.path.join(args.csv, name + (".txt" if name == "README" else ".csv"))
        if os.path.exists(out) and os.path.samefile(out, args.results):
            refuse(f"--csv {args.csv}: {os.path.basename(out)} would replace the results file {args.results}")
    indicators = "/households/living_alone" in f
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
    if indicators:
        alone = f["/households/living_alone"][:done]
        write("living_alone.csv", ["year", "region_code", "sex", "age", "persons"],
              ((years[t], codes[r], "male" if s == 0 else "female", a, fmt(alone[t, r, s, a]))
               for t in range(done) for r in range(len(codes)) for s in range(2) for a in range(101)))
        write("household_indicators.csv", *household_indicator_rows(f, done, codes, years, fmt))
        tables += ["living_alone", "household_indicators"]
    else:
        print(f"export: {args.results} has no household indicators (written by an older popsim): living_alone.csv and "
              "household_indicators.csv are not written", file=sys.stderr)
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
                  "risk (<0.2) .. 4 low risk (>=1.5).\n"
                  "Households (end of the year): living_alone = persons in one-person households; mean_size = persons / "
                  "households and one_person_share = one-person / households (0..1), both derived; head_age_* = households by "
                  "the age group of their reference person (the first member aged 18+ in household order, else the first "
                  "member); foreign = households of foreign residents only, mixed_nationality = of nationals and foreign "
                  "residents together.\n")
    print(f"export: {len(tables)} tables in {args.csv}: " + ", ".join(t + ".csv" for t in tables))


if __name__ == "__main__":
    main()
