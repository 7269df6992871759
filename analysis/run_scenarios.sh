#!/usr/bin/env bash
# Runs the shipped scenarios (inputs/korea/scenarios/*.toml) one after the other and compares
# them: OUT/NAME/results.h5 (and log.txt) for each, then analysis/compare_scenarios.py writes the
# figures and the summary to the docs folder.
# Usage: analysis/run_scenarios.sh [--scale F] [--years N] [--docs DIR] [--overwrite]
#   Defaults: the full population, 50 years, docs/scenarios. At any scale but 1 the docs folder
#   must be named (--docs DIR or OUT_DOCS), so that a sample never replaces the committed figures
#   by default. Every output is checked before anything runs: one that exists (a scenario's
#   results.h5 or log.txt, a figure, summary.md) is refused unless --overwrite, which is then
#   passed to popsim run and compare_scenarios.py.
# Environment: POPSIM (default build/src/popsim), MPIEXEC (default mpirun), POPSIM_RANKS (default:
# all cores), OMP_NUM_THREADS (default 1), INPUTS (the folder of baseline.toml and scenarios/,
# default inputs/korea), SCENARIOS (names, default all six), OUT (default out/scenarios), OUT_DOCS
# (the docs folder, as --docs).
# Exit codes: 0 done; 2 refused before anything ran (an option, an output, a scenario that popsim
# check refuses); otherwise that of the command that failed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
refuse() { echo "error: $*" >&2; exit 2; }
popsim=${POPSIM:-$here/build/src/popsim}
[[ -x "$popsim" ]] || refuse "$popsim not found; build popsim (scripts/setup.sh) or set POPSIM"
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ranks=${POPSIM_RANKS:-$(nproc --all)}
years=50
scale=()
docs=${OUT_DOCS:-}
overwrite=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --scale) [[ $# -ge 2 ]] || refuse "--scale needs a value"; scale=(--scale "$2"); shift 2 ;;
    --years) [[ $# -ge 2 ]] || refuse "--years needs a value"; years=$2; shift 2 ;;
    --docs) [[ $# -ge 2 ]] || refuse "--docs needs a folder"; docs=$2; shift 2 ;;
    --overwrite) overwrite=(--overwrite); shift ;;
    *) refuse "unknown option $1 (usage: analysis/run_scenarios.sh [--scale F] [--years N] [--docs DIR] [--overwrite])" ;;
  esac
done
[[ $years =~ ^[1-9][0-9]*$ ]] || refuse "--years $years: expected a whole number of years"
if [[ -z $docs ]]; then
  if [[ ${#scale[@]} -gt 0 ]] && ! awk -v s="${scale[1]}" 'BEGIN { exit !(s == 1) }'; then
    refuse "--scale ${scale[1]}: name the folder of the figures with --docs DIR (or OUT_DOCS); the default," \
      "docs/scenarios, holds the committed figures"
  fi
  docs=$here/docs/scenarios
fi
out=${OUT:-$here/out/scenarios}
inputs=${INPUTS:-$here/inputs/korea}
names=${SCENARIOS:-baseline low high birth_grant declining_areas decentralisation}
files=()
for name in $names; do
  "$popsim" check "$inputs/baseline.toml" --scenario "$inputs/scenarios/$name.toml" >/dev/null
  for f in results.h5 log.txt; do
    [[ ${#overwrite[@]} -gt 0 || ! -e "$out/$name/$f" ]] || refuse "$out/$name/$f exists; give --overwrite to replace it"
  done
  files+=("$out/$name/results.h5")
done
/usr/bin/python3 "$here/analysis/compare_scenarios.py" "${files[@]}" --out "$docs" "${overwrite[@]}" --check-outputs
for name in $names; do
  scenario="$inputs/scenarios/$name.toml"
  mkdir -p "$out/$name"
  log="$out/$name/.log.txt.$$.partial"
  trap 'rm -f "$log"' EXIT
  /usr/bin/time -f "$name: %e s, %M KB max RSS per rank" \
    "${MPIEXEC:-mpirun}" -n "$ranks" --oversubscribe --bind-to none -x OMP_NUM_THREADS "$popsim" run \
    "$inputs/baseline.toml" --scenario "$scenario" --years "$years" "${scale[@]}" --out "$out/$name" \
    "${overwrite[@]}" >"$log" 2>&1 || { rc=$?; mv "$log" "$out/$name/log.txt"; tail -n 5 "$out/$name/log.txt" >&2; exit $rc; }
  mv "$log" "$out/$name/log.txt"
  tail -n 1 "$out/$name/log.txt"
done
/usr/bin/python3 "$here/analysis/compare_scenarios.py" "${files[@]}" --out "$docs" "${overwrite[@]}"
