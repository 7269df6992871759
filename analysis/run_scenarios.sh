#!/usr/bin/env bash
# Runs the shipped scenarios (inputs/korea/scenarios/*.toml) one after the other and compares
# them: out/scenarios/NAME/results.h5 for each, then analysis/compare_scenarios.py writes the
# figures and the summary to docs/scenarios/ (or OUT_DOCS).
# Usage: analysis/run_scenarios.sh [--scale F] [--years N]   (defaults: full population, 50 years)
# Environment: POPSIM_RANKS (default: all cores), OMP_NUM_THREADS (default 1), SCENARIOS (names,
# default all six), OUT (default out/scenarios), OUT_DOCS (default docs/scenarios).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
popsim="$here/build/src/popsim"
[[ -x "$popsim" ]] || { echo "run_scenarios: $popsim not found; run scripts/setup.sh first" >&2; exit 2; }
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ranks=${POPSIM_RANKS:-$(nproc --all)}
years=50
scale=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) scale=(--scale "$2"); shift 2 ;;
    --years) years=$2; shift 2 ;;
    *) echo "run_scenarios: unknown option $1" >&2; exit 2 ;;
  esac
done
out=${OUT:-$here/out/scenarios}
docs=${OUT_DOCS:-$here/docs/scenarios}
names=${SCENARIOS:-baseline low high birth_grant declining_areas decentralisation}
files=()
for name in $names; do
  scenario="$here/inputs/korea/scenarios/$name.toml"
  "$popsim" check "$here/inputs/korea/baseline.toml" --scenario "$scenario" >/dev/null
  mkdir -p "$out/$name"
  /usr/bin/time -f "$name: %e s, %M KB max RSS per rank" \
    mpirun -n "$ranks" --oversubscribe --bind-to none -x OMP_NUM_THREADS "$popsim" run "$here/inputs/korea/baseline.toml" \
    --scenario "$scenario" --years "$years" "${scale[@]}" --out "$out/$name" --overwrite >"$out/$name/log.txt" 2>&1
  tail -n 1 "$out/$name/log.txt"
  files+=("$out/$name/results.h5")
done
/usr/bin/python3 "$here/analysis/compare_scenarios.py" "${files[@]}" --out "$docs"
