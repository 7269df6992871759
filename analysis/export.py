#!/usr/bin/python3
"""Export a popsim results file as tidy CSV tables (one observation per row) for R, Stata or
spreadsheets.

Usage: /usr/bin/python3 analysis/export.py RESULTS.h5 --csv DIR [--national-scale] [--overwrite]

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
Counts are of simulated agents unless --national-scale divides them by the run's scale. An
unfinished run (stopped, killed or still running): the tables stop at the last year written, and
each starts with a line `# incomplete run: written up to YEAR of END` (README.txt and the output
say so too).

Exit codes (docs/files.md, "Analysis tools"): 0 exported; 2 refused, nothing written: the results
file is missing, damaged or not a popsim results file, or a table exists (--overwrite replaces
it), is the results file, or DIR is being written by another process; 1 a write failed (a full
disk, a read-only file system): no table replaced.
"""
import csv
import sys

import popsim_files
from popsim_files import Outputs, Refused, Results

# The household indicators of results.h5 (/households/<name>, [year, region]) in household_indicators.csv.
INDICATORS = ["alone_65plus", "alone_80plus", "with_child_under_6", "with_child_under_18"]
SEXES = ("male", "female")


def head_age_columns(res):
    """Column names of /households/by_head_age's groups, from its attribute `groups`
    ("0: under 30; 1: 30-39; ...; 6: 80+") -> head_age_under_30, head_age_30_39, ..., head_age_80plus."""
    groups = res.attribute("/households/by_head_age", "groups", "text")
    labels = [g.split(":", 1)[1].strip() for g in groups.split(";") if ":" in g]
    if len(labels) != res.f["/households/by_head_age"].shape[2]:
        raise Refused(f"{res.path}: /households/by_head_age: attribute groups ({groups!r}) does not name its "
                      f"{res.f['/households/by_head_age'].shape[2]} groups")
    return ["head_age_" + g.replace("+", "plus").replace("-", "_").replace(" ", "_") for g in labels]


def read(res):
    """Every dataset the tables need, checked (written rows only), before anything is written."""
    R = res.R
    if not res.has("/nationals/population"):
        raise Refused(f"{res.path}: no /nationals/population (written by an older popsim); rerun the projection")
    d = dict(codes=res.codes, names=res.dataset("/regions/name_en", (R,), kind="text"),
             province=res.dataset("/regions/province", (R,), kind="int"),
             capital=res.dataset("/regions/capital_region", (R,), kind="int"),
             declining=res.dataset("/regions/declining_area", (R,), kind="int"),
             lon=res.dataset("/regions/centroid_lon", (R,)), lat=res.dataset("/regions/centroid_lat", (R,)),
             population=res.counts("/population", R, 2, 101), nationals=res.counts("/nationals/population", R, 2, 101),
             births=res.counts("/births", R, 35), deaths=res.counts("/deaths", R, 2, 101),
             events=[res.counts(f"/nationals/{k}", R) for k in ("births", "deaths", "immigrants", "emigrants",
                                                                   "naturalisations")],
             migration=[res.counts(k, R) for k in ("/migration/in", "/migration/out", "/international/immigrants",
                                                   "/international/emigrants")],
             size=res.counts("/households/size", R, None))
    if res.has("/households/living_alone"):
        d["alone"] = res.counts("/households/living_alone", R, 2, 101)
        d["indicators"] = {k: res.counts(f"/households/{k}", R) for k in INDICATORS + ["foreign", "mixed_nationality"]}
        d["heads"] = res.counts("/households/by_head_age", R, None)
        d["head_columns"] = head_age_columns(res)
    if res.has("/extinction/index"):
        d["index"] = res.values("/extinction/index", R)
        d["class"] = res.values("/extinction/class", R, kind="int", lo=-1, hi=4)
    return d


def household_indicator_rows(d, years, fmt):
    """household_indicators.csv: one row per year and region, mean size and one-person share derived."""
    size, codes = d["size"], d["codes"]
    households = size.sum(axis=2)
    persons = d["population"].sum(axis=(2, 3))
    ind, heads = d["indicators"], d["heads"]
    header = (["year", "region_code", "households", "persons", "mean_size", "one_person", "one_person_share"] + INDICATORS
              + d["head_columns"] + ["foreign", "mixed_nationality"])

    def ratio(a, b):
        return f"{a / b:.4f}" if b > 0 else ""

    rows = ((years[t], codes[r], fmt(households[t, r]), fmt(persons[t, r]), ratio(persons[t, r], households[t, r]),
             fmt(size[t, r, 0]), ratio(size[t, r, 0], households[t, r]), *(fmt(ind[k][t, r]) for k in INDICATORS),
             *(fmt(x) for x in heads[t, r]), fmt(ind["foreign"][t, r]), fmt(ind["mixed_nationality"][t, r]))
            for t in range(len(years)) for r in range(len(codes)))
    return header, rows


def tables(d, years, fmt):
    """name -> (header, rows) of every table this results file gives."""
    codes, names, prov = d["codes"], d["names"], d["province"]
    T, R = len(years), len(codes)
    pop, nat, b, dd, h = d["population"], d["nationals"], d["births"], d["deaths"], d["size"]
    mi, mo, im, em = d["migration"]
    t = {
        "regions": (["region_code", "region_name", "province", "capital_region", "declining_area", "centroid_lon",
                     "centroid_lat"], zip(codes, names, prov, d["capital"], d["declining"], d["lon"], d["lat"])),
        "population": (["year", "region_code", "region_name", "province", "sex", "age", "persons", "nationals"],
                       ((years[y], codes[r], names[r], prov[r], SEXES[s], a, fmt(pop[y, r, s, a]), fmt(nat[y, r, s, a]))
                        for y in range(T) for r in range(R) for s in range(2) for a in range(101))),
        "nationals": (["year", "region_code", "births", "deaths", "immigrants", "emigrants", "naturalisations"],
                      ((years[y], codes[r], *(fmt(e[y, r]) for e in d["events"])) for y in range(1, T) for r in range(R))),
        "births": (["year", "region_code", "mother_age", "births"],
                   ((years[y], codes[r], 15 + a, fmt(b[y, r, a])) for y in range(1, T) for r in range(R) for a in range(35))),
        "deaths": (["year", "region_code", "sex", "age", "deaths"],
                   ((years[y], codes[r], SEXES[s], a, fmt(dd[y, r, s, a]))
                    for y in range(1, T) for r in range(R) for s in range(2) for a in range(101))),
        "migration": (["year", "region_code", "in_migrants", "out_migrants", "immigrants", "emigrants"],
                      ((years[y], codes[r], fmt(mi[y, r]), fmt(mo[y, r]), fmt(im[y, r]), fmt(em[y, r]))
                       for y in range(1, T) for r in range(R))),
        "households": (["year", "region_code", "size", "households"],
                       ((years[y], codes[r], f"{k + 1}{'+' if k == h.shape[2] - 1 else ''}", fmt(h[y, r, k]))
                        for y in range(T) for r in range(R) for k in range(h.shape[2]))),
    }
    if "alone" in d:
        alone = d["alone"]
        t["living_alone"] = (["year", "region_code", "sex", "age", "persons"],
                             ((years[y], codes[r], SEXES[s], a, fmt(alone[y, r, s, a]))
                              for y in range(T) for r in range(R) for s in range(2) for a in range(101)))
        t["household_indicators"] = household_indicator_rows(d, years, fmt)
    if "index" in d:
        x, c = d["index"], d["class"]
        t["extinction"] = (["year", "region_code", "index", "class"],
                           ((years[y], codes[r], f"{x[y, r]:.6f}", int(c[y, r])) for y in range(T) for r in range(R)))
    return t


def readme(args, res):
    counts = ("national (divided by the scale)" if args.national_scale
              else "simulated agents (divide by the scale for national figures)")
    return (f"Exported from {args.results} by analysis/export.py.\n"
            + (f"{res.status}: the tables stop at {res.last_year} (each .csv starts with a # line saying so).\n"
               if res.status else "")
            + f"Scale of the run: {res.scale:g}; counts are {counts}.\n"
            "States (persons, households, extinction) are at the end of the year; events (births, deaths, migration) "
            "during it. Ages: completed years, 100 = 100+. persons: everyone resident (Statistics Korea's definition); "
            "nationals: the registered population. Extinction index (KEIS, on nationals): women 20-39 / persons 65+; class 0 high "
            "risk (<0.2) .. 4 low risk (>=1.5).\n"
            "Households (end of the year): living_alone = persons in one-person households; mean_size = persons / "
            "households and one_person_share = one-person / households (0..1), both derived; head_age_* = households by "
            "the age group of their reference person (the first member aged 18+ in household order, else the first "
            "member); foreign = households of foreign residents only, mixed_nationality = of nationals and foreign "
            "residents together.\n")


def main():
    ap = popsim_files.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("--csv", required=True, metavar="DIR")
    ap.add_argument("--national-scale", action="store_true", help="divide counts by the run's scale")
    args = ap.parse_args()
    res = Results(args.results)
    d = read(res)
    div = res.scale if args.national_scale else 1.0
    fmt = (lambda x: f"{x / div:.4f}") if args.national_scale else (lambda x: str(int(x)))
    content = tables(d, res.years, fmt)
    out = Outputs(args.overwrite, [args.results])
    paths = out.folder(args.csv, [name + ".csv" for name in content] + ["README.txt"], "--csv")
    with out:
        for name, (header, rows) in content.items():
            with out.open(paths[name + ".csv"], newline="") as f:
                if res.status:
                    f.write(f"# {res.status}\n")
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        out.write_text(paths["README.txt"], readme(args, res))
    if res.status:
        print(f"export: {args.results}: {res.status}; the tables stop at {res.last_year}")
    if "alone" not in d:
        print(f"export: {args.results} has no household indicators (written by an older popsim): living_alone.csv and "
              "household_indicators.csv are not written", file=sys.stderr)
    print(f"export: {len(content)} tables in {args.csv}: " + ", ".join(t + ".csv" for t in content))


if __name__ == "__main__":
    popsim_files.run(main)
