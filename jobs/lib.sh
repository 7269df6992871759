# shellcheck shell=bash
# Sourced by jobs/*.sbatch: the shared settings and checks, and what a job does with what an
# earlier attempt left on disk, so that every script can be requeued (scontrol requeue, node
# failure or preemption under --requeue, its own requeue at the time limit) or submitted again
# with the same OUT. A projection (popsim_run) decides from OUT:
#   OUT/results.h5 complete (/meta `complete` = 1)  nothing to do, exit 0 (complete results of
#                                                  another number of years: refused, exit 2)
#   OUT/checkpoints/ckpt-YEAR.h5 present            continue: --restart OUT/checkpoints (popsim
#                                                  takes the newest valid one and refuses other options)
#   an unfinished run without a checkpoint          start over: --overwrite
#   nothing                                         start
# Environment: POPSIM (default build/src/popsim), CONFIG (default inputs/korea/baseline.toml),
# both under the submit directory; EVERY (years between checkpoints, default 5; 0: only when
# stopped by a signal), KEEP (checkpoints kept, default 2). Completeness is read with h5dump
# (hdf5-tools), or else from `popsim info`.
set -euo pipefail
root=${SLURM_SUBMIT_DIR:-$PWD}
popsim=${POPSIM:-$root/build/src/popsim}
config=${CONFIG:-$root/inputs/korea/baseline.toml}
every=${EVERY:-5}
keep=${KEEP:-2}
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
# srun (Slurm 22.05+) no longer inherits --cpus-per-task from the allocation.
export SRUN_CPUS_PER_TASK=${SLURM_CPUS_PER_TASK:-1}
job=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID:-}}
job=${job:-${SLURM_JOB_ID:-}}

say() { echo "$(date -Is)${job:+ job $job}${SLURM_RESTART_COUNT:+ (restart $SLURM_RESTART_COUNT)}: $*"; }
die() { say "$*" >&2; exit 2; }

need_inputs() {  # the binary and the configuration
  [[ -x "$popsim" ]] || die "popsim binary not found or not executable: $popsim (set POPSIM)"
  [[ -f "$config" ]] || die "configuration not found: $config (set CONFIG)"
}
need_dir() {  # DIR: created if missing, writable
  { mkdir -p "$1" 2>/dev/null && [[ -w "$1" ]]; } || die "cannot write the output directory $1 (set OUT)"
}

# finished_years RESULTS.h5: the number of years of a finished run; nothing if the run did not
# finish (stopped, killed, still running) or the file is absent.
finished_years() {
  local f=$1 info
  [[ -f "$f" ]] || return 0
  if command -v h5dump >/dev/null; then
    h5meta() { h5dump -a "/meta/$1" "$f" 2>/dev/null | sed -n 's/^ *(0): //p'; }
    if [[ "$(h5meta complete)" == 1 ]]; then echo $(($(h5meta end_year) - $(h5meta start_year))); fi
  else
    info=$("$popsim" info "$f" 2>/dev/null) || return 0
    grep -q '^ *status: ' <<<"$info" || die "cannot tell whether $f is complete: install h5dump (hdf5-tools)"
    if grep -q '^ *status: complete' <<<"$info"; then sed -n '1s/.*(\([0-9]*\) years).*/\1/p' <<<"$info"; fi
  fi
}

newest_checkpoint() {  # OUT: the name of the newest OUT/checkpoints/ckpt-YEAR.h5, if any
  local f=
  for f in "$1"/checkpoints/ckpt-*.h5; do :; done
  if [[ -e "$f" ]]; then echo "${f##*/}"; fi
}

# popsim_run OUT YEARS ARG...: `srun popsim run ARG... --years YEARS --out OUT` with checkpoints,
# continuing what OUT holds (see above). Exit code 3 (stopped by --signal=USR1@N before the time
# limit, with a checkpoint) requeues the job if it got further than where it started. Exits.
popsim_run() {
  local out=$1 years=$2 done_years start rc=0
  shift 2
  local args=(run "$@" --years "$years" --out "$out" --checkpoint-every "$every" --checkpoint-keep "$keep")
  done_years=$(finished_years "$out/results.h5")
  if [[ -n "$done_years" ]]; then
    [[ "$done_years" == "$years" ]] || die "$out/results.h5 is a finished run of $done_years years, not $years: move it away or set OUT"
    say "$out/results.h5 is complete: nothing to do"
    exit 0
  fi
  start=$(newest_checkpoint "$out")
  if [[ -n "$start" ]]; then
    say "continuing from $out/checkpoints (newest: $start)"
    args+=(--restart "$out/checkpoints")
  elif [[ -e "$out/results.h5" ]]; then
    say "$out holds an unfinished run without a checkpoint: starting over"
    args+=(--overwrite)
  else
    say "starting $out"
  fi
  srun --mpi=pmix "$popsim" "${args[@]}" || rc=$?
  case $rc in
    0) say "the projection is complete: $out/results.h5" ;;
    3) if [[ -z "${SLURM_JOB_ID:-}" ]]; then
         say "stopped with a checkpoint; run the script again to continue"
       elif [[ "$(newest_checkpoint "$out")" == "$start" ]]; then
         say "stopped without a checkpoint newer than ${start:-none}; not requeued (is --time shorter than a year plus a checkpoint?)" >&2
       else
         say "stopped before the time limit with a checkpoint; requeueing"
         # An array task by ARRAYID_TASK: its own id may be the whole array's.
         if scontrol requeue "$job"; then rc=0; else say "could not requeue $job: submit the script again to continue" >&2; fi
       fi ;;
    *) say "popsim failed with exit code $rc" >&2 ;;
  esac
  exit "$rc"
}
