#!/usr/bin/env bash
# The main job: set up and build, synthesise South Korea's base-year population (one agent per
# resident, 51,090,859 agents) and print what it holds.
# Usage: scripts/main.sh [extra popsim synthesize options, e.g. --scale 0.01]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
mkdir -p "$here/out"
popsim="$here/build/src/popsim"
"$popsim" check "$here/inputs/korea/baseline.toml"
"$popsim" synthesize "$here/inputs/korea/baseline.toml" --out "$here/out/korea-2023.h5" "$@"
"$popsim" info "$here/out/korea-2023.h5"
