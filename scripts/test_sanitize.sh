#!/usr/bin/env bash
# The GoogleTest programs (unit and MPI tests, the CTest entries test_*) built with
# AddressSanitizer + UndefinedBehaviorSanitizer in build-sanitize/ and run with CTest; any
# sanitizer report fails its test and this script. The MPI tests run on 1 and 2 ranks
# (POPSIM_SANITIZE_MAX_RANKS=4 for all); the long script tests (app.*, analysis.*, slurm.*,
# fuzz.*) run in the normal build only (scripts/test.sh, which also runs this script).
# Usage: scripts/test_sanitize.sh [CTEST_OPTIONS...]
# -O1 -g: compiles in two thirds of the time of -O2 under the instrumentation and runs the tests
# as fast. Leaks are not checked (see tests/CMakeLists.txt); to check them, run
# cmake -B build-sanitize -DPOPSIM_SANITIZE_LEAKS=ON once, then this script again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$here/build-sanitize"

echo "test_sanitize: building $build_dir with AddressSanitizer + UBSan"
"$here/scripts/setup.sh" "$build_dir" -DPOPSIM_ENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" "-DPOPSIM_TEST_MAX_RANKS=${POPSIM_SANITIZE_MAX_RANKS:-2}"
cd "$build_dir"
ctest --output-on-failure --no-tests=error -j "$(nproc)" -R '^test_' "$@"
