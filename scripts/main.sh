#!/usr/bin/env bash
# The main job: set up and build, then project South Korea's population from the December 2023
# registration (51,090,859 agents, one per resident) 50 years ahead under the Statistics Korea
# medium scenario, one MPI rank per core, and print the national series.
# Results: out/baseline/results.h5; a checkpoint every 10 years in out/baseline/checkpoints
# (continue a stopped run with the same command plus --restart out/baseline/checkpoints). POPSIM_RANKS and OMP_NUM_THREADS override the layout.
# Usage: scripts/main.sh [extra popsim run options, e.g. --scale 0.01 for a 1% sample]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Every core runs an MPI rank (regions are spread over them; one OpenMP thread each).
ranks=${POPSIM_RANKS:-$(nproc)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
popsim="$here/build/src/popsim"
"$popsim" check "$here/inputs/korea/baseline.toml"
# A fresh projection replaces the results and checkpoints of an earlier one (--overwrite; popsim
# refuses to mix them otherwise).
overwrite=(--overwrite)
[[ " $* " == *" --restart "* ]] && overwrite=()
mpirun -n "$ranks" --oversubscribe --bind-to none -x OMP_NUM_THREADS \
  "$popsim" run "$here/inputs/korea/baseline.toml" --years 50 --out "$here/out/baseline" --checkpoint-every 10 "${overwrite[@]}" "$@"
"$popsim" info "$here/out/baseline/results.h5"
