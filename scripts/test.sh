#!/usr/bin/env bash
# The whole test suite: set up and build, then run every test (unit, MPI on 1-4 ranks with
# 1-4 threads, command line end to end) with CTest; then the unit and MPI tests again, built with
# AddressSanitizer + UBSan (scripts/test_sanitize.sh; POPSIM_TEST_SANITIZE=0 skips it). CTest
# options given here apply to the first run only. Fails if either run fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$here/scripts/setup.sh"
status=0
(cd "$here/build" && ctest --output-on-failure -j "$(nproc)" "$@") || status=$?
if [[ ${POPSIM_TEST_SANITIZE:-1} != 0 ]]; then
  "$here/scripts/test_sanitize.sh" || status=$?
fi
exit "$status"
