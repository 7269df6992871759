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
for f in population tfr pyramids share_65plus extinction_map_2023 extinction_map_2050 extinction_map_2051 net_migration_provinces; do
  png "$work/report/$f.png"
done
grep -q "| 2050 |" "$work/report/summary.md" || fail "the summary lacks 2050"
rc=0; $py "$src/analysis/report.py" "$config" --out "$work/bad" >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "report.py accepted a TOML file"
rc=0; $py "$src/analysis/report.py" "$results" --out "$work/bad" --map-years 2099 >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "report.py accepted a year outside the run"

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
PY
echo "analysis tests passed"
