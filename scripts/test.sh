#!/usr/bin/env bash
# The whole test suite: set up and build, then run every test (unit, MPI on 1-4 ranks with
# 1-4 threads, command line end to end) with CTest.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
cd "$here/build"
ctest --output-on-failure -j "$(nproc)" "$@"
