#!/usr/bin/env bash
# The fuzzing suite (tests/fuzz/fuzz.py): every input table, the configuration, a scenario and its
# assumption table, a checkpoint, a synthesised population, a results file and the command line,
# mutated in several hundred ways, and the analysis tools on damaged, foreign and unfinished files
# and on outputs that exist, are inputs or are locked; popsim and the tools must run validly or
# refuse with exit code 2 and a message naming the file, and never crash, abort, exit 1, hang,
# print a traceback or change a file that existed before.
# Needs POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest; FUZZ_* variables pass through
# (FUZZ_FULL=1 runs the whole catalogue). Writes fuzz-summary.json in the working directory.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
exec /usr/bin/python3 "$POPSIM_SOURCE_DIR/tests/fuzz/fuzz.py" "$@"
