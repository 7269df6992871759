#!/usr/bin/env bash
# The analysis commands on a small run: analysis/report.py (figures + summary, with an ensemble),
# analysis/compare_scenarios.py (two scenarios) and analysis/export.py (tidy CSV) produce their
# files with the expected content; bad input is refused with a non-zero exit.
# Needs POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest; Debian's /usr/bin/python3.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
src=$POPSIM_SOURCE_DIR
config="$src/inputs/korea/baseline.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 MPLBACKEND=Agg
fail() { echo "FAIL: $*" >&2; exit 1; }
py=/usr/bin/python3

timeout 600 "$MPIEXEC" -n 2 --oversubscribe --bind-to none "$POPSIM" run "$config" --years 28 --scale 0.005 \
  --scenario "$src/inputs/korea/scenarios/baseline.toml" --replicates 2 --out "$work/base" >"$work/base.log" 2>&1 \
  || fail "baseline run: $(tail -5 "$work/base.log")"
timeout 600 "$MPIEXEC" -n 1 "$POPSIM" run "$config" --years 28 --scale 0.005 \
  --scenario "$src/inputs/korea/scenarios/birth_grant.toml" --out "$work/grant" >"$work/grant.log" 2>&1 \
  || fail "birth-grant run: $(tail -5 "$work/grant.log")"
results="$work/base/replicate-0/results.h5"

# png FILE: a non-trivial PNG image
png() { [[ -s "$1" && $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a && $(stat -c %s "$1") -gt 10000 ]] || fail "$1 is not a PNG figure"; }

$py "$src/analysis/report.py" "$results" --out "$work/report" --ensemble "$work/base/ensemble.h5" \
  --assumptions "$src/inputs/korea/assumptions_medium.csv" >/dev/null || fail "report.py failed"
for f in population tfr pyramids share_65plus extinction_map_2023 extinction_map_2050 extinction_map_2051 net_migration_provinces \
         households alone_65plus_growth_2023_2050 alone_65plus_growth_2023_2051; do
  png "$work/report/$f.png"
done
grep -q "| 2050 |" "$work/report/summary.md" || fail "the summary lacks 2050"
# The household lines and the rankings of the si/gun/gu where persons 65+ living alone grow fastest.
$py - "$results" "$work/report/summary.md" <<'PY' || fail "the summary's household tables are wrong"
import re, sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
summary = open(sys.argv[2]).read()
scale = float(f["/meta"].attrs["scale"])
years = list(f["/years"][:])
a = f["/households/alone_65plus"][:] / scale
line = next(l for l in summary.splitlines() if l.startswith("| 2050 |") and l.count("|") == 8)
cells = [c.strip() for c in line.split("|")[1:-1]]
assert float(cells[4].replace(",", "")) == round(a[years.index(2050)].sum()), cells
for end in (2050, 2051):
    t = years.index(end)
    section = summary.split(f"### Where persons 65+ living alone grow fastest, 2023-{end}")[1]
    rows = re.findall(r"^\| (\d+) \| [^|]+ \| [^|]+ \| (\d+) \|", section, re.M)[:15]
    growth = np.where(a[0] > 0, (a[t] - a[0]) / np.maximum(a[0], 1e-9), -np.inf)
    codes = list(f["/regions/code"][:])
    ranked = [growth[codes.index(int(code))] for _, code in rows]
    assert len(rows) == 15 and [int(k) for k, _ in rows] == list(range(1, 16)), rows
    assert ranked == sorted(ranked, reverse=True) and ranked[-1] >= np.sort(growth)[-15], (end, ranked)
PY
rc=0; $py "$src/analysis/report.py" "$config" --out "$work/bad" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "report.py on a TOML file: exit $rc, expected 2"
# A refused option writes nothing: a figure already in DIR is left as it was.
mkdir -p "$work/keep" && cp "$work/report/population.png" "$work/keep/population.png" && echo old >"$work/keep/population.png"
rc=0; $py "$src/analysis/report.py" "$results" --out "$work/keep" --map-years 2099 >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "report.py with a year outside the run: exit $rc, expected 2"
[[ $(cat "$work/keep/population.png") == old && ! -e "$work/keep/summary.md" ]] || fail "report.py wrote to DIR before refusing --map-years"
# A results file of an older popsim (no household indicators): the report without them.
cp "$results" "$work/older.h5"
$py - "$work/older.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for k in ("living_alone", "alone_65plus", "alone_80plus", "with_child_under_6", "with_child_under_18", "by_head_age",
              "foreign", "mixed_nationality"):
        del f["/households/" + k]
PY
$py "$src/analysis/report.py" "$work/older.h5" --out "$work/report-older" >/dev/null || fail "report.py failed on an older results file"
png "$work/report-older/households.png"
grep -q "household indicators .* are absent" "$work/report-older/summary.md" || fail "the older file's summary does not say the indicators are absent"
[[ ! -e "$work/report-older/alone_65plus_growth_2023_2051.png" ]] || fail "a growth map drawn without the indicators"

$py "$src/analysis/compare_scenarios.py" "$results" "$work/grant/results.h5" --out "$work/compare" >/dev/null \
  || fail "compare_scenarios.py failed"
for f in population births share_65plus capital_share extinction_classes; do png "$work/compare/$f.png"; done
grep -q "birth-grant" "$work/compare/summary.md" || fail "the comparison does not name the scenario"

$py "$src/analysis/export.py" "$results" --csv "$work/csv" >/dev/null || fail "export.py failed"
rows=$(($(wc -l <"$work/csv/population.csv") - 1))
[[ $rows -eq $((29 * 229 * 2 * 101)) ]] || fail "population.csv has $rows rows, expected $((29 * 229 * 2 * 101))"
$py - "$results" "$work/csv" <<'PY'
import csv, sys, h5py
f = h5py.File(sys.argv[1])
total = sum(int(r["persons"]) for r in csv.DictReader(open(sys.argv[2] + "/population.csv")) if r["year"] == "2040")
t = list(f["/years"][:]).index(2040)
assert total == int(f["/population"][t].sum()), (total, int(f["/population"][t].sum()))
births = sum(int(r["births"]) for r in csv.DictReader(open(sys.argv[2] + "/births.csv")))
assert births == int(f["/births"][:].sum()), births
ext = list(csv.DictReader(open(sys.argv[2] + "/extinction.csv")))
assert len(ext) == 29 * 229 and all(-1 <= int(r["class"]) <= 4 for r in ext)
# The household indicators: living alone in long format, the per-region indicators one row per
# year and region, mean size and one-person share derived.
alone = list(csv.DictReader(open(sys.argv[2] + "/living_alone.csv")))
assert len(alone) == 29 * 229 * 2 * 101, len(alone)
assert list(alone[0]) == ["year", "region_code", "sex", "age", "persons"], list(alone[0])
assert sum(int(r["persons"]) for r in alone if r["year"] == "2040") == int(f["/households/living_alone"][t].sum())
old = sum(int(r["persons"]) for r in alone if r["year"] == "2040" and r["sex"] == "female" and int(r["age"]) >= 65)
assert old == int(f["/households/living_alone"][t, :, 1, 65:].sum()), old
ind = list(csv.DictReader(open(sys.argv[2] + "/household_indicators.csv")))
assert len(ind) == 29 * 229, len(ind)
heads = [k for k in ind[0] if k.startswith("head_age_")]
assert heads == ["head_age_under_30", "head_age_30_39", "head_age_40_49", "head_age_50_59", "head_age_60_69",
                 "head_age_70_79", "head_age_80plus"], heads
size, pop = f["/households/size"][:], f["/population"][:]
codes = list(f["/regions/code"][:])
for row in ind:
    y, r = list(f["/years"][:]).index(int(row["year"])), codes.index(int(row["region_code"]))
    households = int(size[y, r].sum())
    assert int(row["households"]) == households and int(row["one_person"]) == int(size[y, r, 0]), row
    assert int(row["persons"]) == int(pop[y, r].sum()), row
    assert abs(float(row["mean_size"]) - pop[y, r].sum() / households) < 1e-4, row
    assert abs(float(row["one_person_share"]) - size[y, r, 0] / households) < 1e-4, row
    assert sum(int(row[k]) for k in heads) == households, row
    for k in ("alone_65plus", "alone_80plus", "with_child_under_6", "with_child_under_18", "foreign", "mixed_nationality"):
        assert int(row[k]) == int(f["/households/" + k][y, r]), (k, row)
PY
# An older popsim's results: everything but the household indicators.
$py "$src/analysis/export.py" "$work/older.h5" --csv "$work/csv-older" >/dev/null 2>&1 || fail "export.py failed on an older results file"
[[ -s "$work/csv-older/households.csv" && ! -e "$work/csv-older/living_alone.csv" && ! -e "$work/csv-older/household_indicators.csv" ]] \
  || fail "export.py on an older results file: $(ls "$work/csv-older")"
# Refusals: exit 2, nothing written; a table never replaces the results file it reads.
rc=0; $py "$src/analysis/export.py" "$config" --csv "$work/csv-bad" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 && ! -e "$work/csv-bad" ]] || fail "export.py on a TOML file: exit $rc, expected 2 and nothing written"
mkdir -p "$work/clash" && cp "$results" "$work/clash/living_alone.csv"
rc=0; $py "$src/analysis/export.py" "$work/clash/living_alone.csv" --csv "$work/clash" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "export.py over its own input: exit $rc, expected 2"
cmp -s "$results" "$work/clash/living_alone.csv" && [[ ! -e "$work/clash/population.csv" ]] \
  || fail "export.py wrote before refusing to replace its input"
echo "analysis tests passed"
