#!/usr/bin/env bash
# The analysis commands on a small run: analysis/report.py (figures + summary, with an ensemble),
# analysis/compare_scenarios.py (two scenarios) and analysis/export.py (tidy CSV) produce their
# files with the expected content; bad input is refused with a non-zero exit. Their file contract
# (docs/files.md, "Analysis tools"): an unfinished run is drawn and exported up to its last year
# and said to be incomplete, or refused where a year is missing; an output that exists is
# replaced only with --overwrite, an input never; an output another process is writing is
# refused; a full disk fails with exit 1 and leaves the old output as it was.
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

# --- The file contract ---------------------------------------------------------------------------
# err CMD...: runs a tool that must refuse (exit 2, one 'error:' line, no traceback); its stderr in $work/err.
err() {
  local rc=0
  "$py" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc -eq 2 ]] && grep -q '^error: ' "$work/err" && ! grep -q Traceback "$work/err" \
    || fail "$(basename "$2"): expected a refusal (exit 2, 'error:'), got exit $rc: $(cat "$work/err")"
}
# An unfinished run: written up to 2030 of 2051, as an older popsim leaves it when killed (no
# `complete`, the /years entries after 2030 are 0) and as a newer one does (complete 0, last_year
# 2030, the rows after it not yet written: -1 here, which a tool must never read).
for kind in killed running; do
  cp "$results" "$work/$kind.h5"
  $py - "$work/$kind.h5" "$kind" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    meta, rows = f["/meta"].attrs, 2030 - 2023 + 1
    if sys.argv[2] == "killed":
        for key in ("complete", "last_year"):
            if key in meta:
                del meta[key]
        f["/years"][rows:] = 0
    else:
        meta["complete"], meta["last_year"] = np.int64(0), np.int64(2030)
        f["/population"][rows:] = -1
    for g in ("/extinction", "/aggregates"):
        del f[g]
PY
  $py "$src/analysis/report.py" "$work/$kind.h5" --out "$work/report-$kind" >"$work/out" \
    && grep -q "incomplete run: written up to 2030 of 2051" "$work/out" || fail "report.py on a $kind run: $(cat "$work/out")"
  grep -q "incomplete run: written up to 2030 of 2051" "$work/report-$kind/summary.md" && ! grep -q "| 2031 |" "$work/report-$kind/summary.md" \
    || fail "the summary of a $kind run does not stop at 2030 saying so"
  [[ -e "$work/report-$kind/extinction_map_2030.png" && ! -e "$work/report-$kind/extinction_map_2050.png" ]] \
    || fail "report.py on a $kind run: $(ls "$work/report-$kind")"
  $py "$src/analysis/export.py" "$work/$kind.h5" --csv "$work/csv-$kind" >"$work/out" && grep -q "incomplete run" "$work/out" \
    || fail "export.py on a $kind run: $(cat "$work/out")"
  [[ $(head -1 "$work/csv-$kind/population.csv") == "# incomplete run: written up to 2030 of 2051" \
     && $(tail -1 "$work/csv-$kind/population.csv" | cut -d, -f1) == 2030 ]] || fail "population.csv of a $kind run"
  $py "$src/analysis/pyramid.py" "$work/$kind.h5" --out "$work/pyramid-$kind.png" >"$work/out" \
    && grep -q "incomplete run: written up to 2030 of 2051; drawn at the end of 2030" "$work/out" || fail "pyramid.py on a $kind run"
  err "$src/analysis/score.py" "$work/$kind.h5" --observed "$src/inputs/korea/observed/mois_resident_sgg_sex_age5_2022_2023_long.csv" --year 2040
  grep -q "needs 2040, which is not written (incomplete run: last_year 2030 of 2051)" "$work/err" || fail "score.py: $(cat "$work/err")"
  err "$src/analysis/compare_scenarios.py" "$results" "$work/$kind.h5" --out "$work/compare-$kind"
  grep -q "incomplete run: written up to 2030 of 2051 (last_year 2030)" "$work/err" && [[ ! -e "$work/compare-$kind" ]] \
    || fail "compare_scenarios.py on a $kind run: $(cat "$work/err")"
done
# An output that exists is replaced only with --overwrite; the refusal comes before anything is written.
sum=$(md5sum <"$work/report/population.png")
touch -d '2000-01-01' "$work/report/summary.md"
err "$src/analysis/report.py" "$results" --out "$work/report"
grep -q "population.png exists; give --overwrite" "$work/err" && [[ $(md5sum <"$work/report/population.png") == "$sum" ]] \
  && [[ $(stat -c %Y "$work/report/summary.md") -lt 1000000000 ]] || fail "report.py replaced an output without --overwrite"
$py "$src/analysis/report.py" "$results" --out "$work/report" --overwrite >/dev/null && [[ $(stat -c %Y "$work/report/summary.md") -gt 1000000000 ]] \
  || fail "report.py --overwrite did not replace summary.md"
grep -q "^pid [0-9]* on .* since 20[0-9-]*T[0-9:]*Z: .*report.py $results --out $work/report --overwrite" "$work/report/.popsim.lock" \
  || fail "the lock file does not name its last holder: $(cat "$work/report/.popsim.lock")"
# An output is never one of the inputs, even with --overwrite.
cp "$results" "$work/input.h5" && sum=$(md5sum <"$work/input.h5")
err "$src/analysis/pyramid.py" "$work/input.h5" --out "$work/input.h5" --overwrite
grep -q "input.h5 is an input of this command" "$work/err" && [[ $(md5sum <"$work/input.h5") == "$sum" ]] || fail "pyramid.py over its input"
err "$src/analysis/export.py" "$results" --csv "$src/inputs/korea"
grep -q "regions.csv exists" "$work/err" || fail "export.py into inputs/korea: $(cat "$work/err")"
# Results of other regions are not compared.
cp "$work/grant/results.h5" "$work/other-regions.h5"
$py -c "import sys, h5py; f = h5py.File(sys.argv[1], 'r+'); f['/regions/code'][5] = 1" "$work/other-regions.h5"
err "$src/analysis/compare_scenarios.py" "$results" "$work/other-regions.h5" --out "$work/compare-other"
grep -q "its regions differ" "$work/err" || fail "compare_scenarios.py on other regions: $(cat "$work/err")"
# One writer per output: the lock of popsim's protocol (DIR/.popsim.lock, a POSIX record lock)
# held by another process is refused, naming that process.
sum=$(md5sum <"$work/report/population.png")
err "$src/tests/fuzz/hold_lock.py" "$work/report/.popsim.lock" "$py" "$src/analysis/report.py" "$results" --out "$work/report" --overwrite
grep -q "^error: --out $work/report: is being written by another process (pid [0-9]* on fuzz-host since 2026-01-01T00:00:00Z: hold_lock.py" "$work/err" \
  && [[ $(md5sum <"$work/report/population.png") == "$sum" ]] || fail "a locked output: $(cat "$work/err")"
# A full disk (a small tmpfs; needs root): exit 1 naming the file and the reason, the old output
# intact, no temporary file left.
if [[ $(id -u) -eq 0 ]] && mkdir "$work/full" && mount -t tmpfs -o size=400k tmpfs "$work/full" 2>/dev/null; then
  trap 'umount "$work/full" 2>/dev/null || true; rm -rf "$work"' EXIT
  mkdir "$work/full/csv" && echo old >"$work/full/csv/population.csv"
  rc=0; $py "$src/analysis/export.py" "$results" --csv "$work/full/csv" --overwrite >/dev/null 2>"$work/err" || rc=$?
  [[ $rc -eq 1 ]] && grep -q "^error: writing .*/full/csv/population.csv: No space left on device" "$work/err" \
    && [[ $(cat "$work/full/csv/population.csv") == old && -z $(ls -A "$work/full/csv" | grep partial) ]] || fail "a full disk: exit $rc: $(cat "$work/err"); $(ls -a "$work/full/csv")"
  umount "$work/full"
else
  echo "analysis: the full-disk check needs root and tmpfs; skipped"
fi
echo "analysis tests passed"
