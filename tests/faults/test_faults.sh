#!/usr/bin/env bash
# Fault injection (tests/faults/faults.py): popsim run/synthesize/merge/--replicates and the analysis
# tools on full disks (tmpfs), past `ulimit -f`, on a file system turned read-only mid-run and past a
# quota must exit 1 with 'error: writing FILE: REASON' on 1 and 2 ranks, never a signal or a hang,
# leaving earlier checkpoints and outputs unchanged and no *.partial file; a second writer is
# refused naming the holder; runs killed with SIGKILL restart to identical results; files declaring
# 2^31 elements are refused before anything is allocated. About 1-2 minutes on 2 cores.
# Mounting needs root: without it the full-disk cases use ulimit -f and the read-only and quota
# cases are reported as not run (the output says so). Every mount is removed at the end.
# Needs POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest; arguments go to faults.py (--only REGEX).
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/popsim-faults.XXXXXX")
cleanup() {
  # faults.py unmounts what it mounted; this is for a harness that was itself killed.
  local mounts
  mounts=$(awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r)
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  [[ " $* " == *" --keep "* ]] || rm -rf "$work"
}
trap 'cleanup "$@"' EXIT
trap 'exit 143' TERM INT
code=0
/usr/bin/python3 "$POPSIM_SOURCE_DIR/tests/faults/faults.py" --work "$work" "$@" || code=$?
exit "$code"
