#!/usr/bin/env bash
# The jobs/ scripts on a real SLURM: starts a single-node cluster (munged, slurmctld, slurmd;
# tests/slurm/cluster.sh), submits each script at a tiny scale with sbatch, waits for it and
# checks its results:
#   - jobs/long_run.sbatch: stopped mid-run by USR1 (scancel --signal, as --signal=USR1@N
#     would), it checkpoints, exits 3, requeues itself and completes: results identical to an
#     uninterrupted run under mpirun;
#   - jobs/projection.sbatch: killed mid-run (SIGKILL, no checkpoint) and requeued, it starts
#     over and completes: results identical to the same run under mpirun;
#   - jobs/ensemble_array.sbatch: a 2-task array (a checkpoint every year) and the dependent
#     merge; while they run, task 1 is requeued (scontrol requeue) and task 0 gets USR1 (as at
#     its time limit: it checkpoints and requeues itself); both continue from their checkpoints
#     and the merge runs and gives the same summary as `popsim run --replicates 2`;
#     requeued again once complete, a task and the merge do nothing and leave ensemble.h5 as it was;
#   - jobs/scaling.sbatch: one CSV row per run; jobs/synthesize.sbatch: a valid population file;
#   - a script given a missing binary fails early with a clear message.
# SLURM holds a requeued job for the credential lifetime (SLURM_TEST_CRED_EXPIRE, 20 s) before
# it may start again; the test then starts it at once (scontrol update StartTime=now).
# Every daemon started is stopped by PID. If SLURM cannot start, the test says why and fails.
# Needs root, POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
src=$POPSIM_SOURCE_DIR
config="$src/inputs/korea/baseline.toml"
work=$(mktemp -d)
chmod 755 "$work"  # munged runs as user munge and must reach its socket under here
export SLURM_TEST_CRED_EXPIRE=${SLURM_TEST_CRED_EXPIRE:-20}
# shellcheck source=cluster.sh
source "$src/tests/slurm/cluster.sh"
cleanup() { slurm_stop || true; rm -rf "$work"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
export OMP_NUM_THREADS=1

same_results() {  # A B WHAT: all data but /meta and /performance
  local object
  for object in years regions provinces population nationals births deaths households international unions migration extinction aggregates; do
    h5diff -q "$1" "$2" "/$object" "/$object" >/dev/null 2>&1 || { fail "$3: /$object differs"; return; }
  done
}

slurm_start "$work/slurm" || { echo "FAIL: SLURM did not start (see above)" >&2; exit 1; }
sinfo

# submit SCRIPT [SBATCH OPTIONS...] -- prints the job id; the environment comes from `env` vars.
submit() {
  local script=$1; shift
  sbatch --parsable -D "$work" --output="$work/%x-%j.out" "$@" "$script"
}
job_field() { { scontrol show job -o "$1" 2>/dev/null || true; } | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }  # ID FIELD
# wait_log ID PATTERN: wait (up to 60 s, 0.1 s polls) until job ID's output matches PATTERN.
wait_log() {
  local i log
  for ((i = 0; i < 600; i++)); do
    log=$(job_field "$1" StdOut)
    [[ -f "$log" ]] && grep -q "$2" "$log" && return 0
    sleep 0.1
  done
  return 1
}
# release ID: once job ID is pending again after a requeue, let it start now instead of after
# the credential lifetime. Not in the second its credential was revoked (when it ended): slurmd
# refuses a credential created in that second (`Job credential revoked`).
release() {
  local i info
  for ((i = 0; i < 600; i++)); do
    info=$(scontrol show job -o "$1" 2>/dev/null) || true
    [[ "$info" == *JobState=PENDING* && "$info" =~ Restarts=[1-9] ]] && break
    sleep 0.1
  done
  sleep 1
  scontrol update JobId="$1" StartTime=now || fail "job $1 was not pending after its requeue: $info"
}

# 1. The restart chain: USR1 to the job's ranks mid-run -> checkpoint, exit 3, requeue, completion.
years=20
timeout 600 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years $years --scale 0.02 --out "$work/long-ref" \
  >/dev/null 2>&1 || fail "the uninterrupted reference run failed"
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/long" YEARS=$years SCALE=0.02 EVERY=100 \
      submit "$src/jobs/long_run.sbatch" -n 2 --export=ALL) || fail "sbatch long_run"
if wait_log "$jid" "\] 20[3-9][0-9]: population"; then
  scancel --signal=USR1 "$jid" || fail "scancel --signal=USR1 $jid"
  release "$jid"
else
  fail "the long run never reached the 2030s (cannot test the stop)"
fi
slurm_wait_job "$jid" 600 >/dev/null || fail "jobs/long_run.sbatch did not complete after its requeue"
log="$work/popsim-long-$jid.out"
grep -q "stopped before the time limit with a checkpoint; requeueing" "$log" || fail "the long run was not stopped and requeued: $(tail -20 "$log")"
grep -q "continuing from" "$log" || fail "the requeued job did not restart from its checkpoint"
grep -q "the projection is complete" "$log" || fail "the long run did not complete"
[[ "$(job_field "$jid" Restarts)" -ge 1 ]] || fail "the long run was not requeued (Restarts=$(job_field "$jid" Restarts))"
same_results "$work/long-ref/results.h5" "$work/long/results.h5" "the restart chain (stopped, requeued, restarted)"

# 2. A projection killed without warning (no checkpoint: EVERY=0) and requeued starts over; the
#    same run as the long one, so the same results.
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/proj" YEARS=$years SCALE=0.02 EVERY=0 \
      submit "$src/jobs/projection.sbatch" -n 2 --export=ALL) || fail "sbatch projection"
if wait_log "$jid" "\] 202[6-9]: population"; then
  # SIGKILL to the job's popsim ranks, as a node failure would (scancel --signal=KILL cancels
  # the job with SIGTERM first, and popsim would checkpoint).
  pids=$(scontrol listpids "$jid" | awk '$3 != "batch" && $4 ~ /^[0-9]+$/ { print $1 }') || true
  killed=0
  for pid in $pids; do
    if [[ "$(readlink -f "/proc/$pid/exe")" == "$(readlink -f "$POPSIM")" ]]; then
      kill -KILL "$pid" && killed=$((killed + 1))
    fi
  done
  [[ $killed -eq 2 ]] || fail "killed $killed popsim ranks of job $jid, expected 2 (pids: $pids)"
  state=$(slurm_wait_job "$jid" 120 2>/dev/null || true)
  [[ "$state" == FAILED* ]] || fail "the killed projection ended '$state', expected FAILED"
  [[ -f "$work/proj/results.h5" ]] || fail "the killed projection left no partial results"
  scontrol requeue "$jid" || fail "scontrol requeue $jid"
  release "$jid"
else
  fail "the projection never reached 2026 (cannot test the kill)"
fi
slurm_wait_job "$jid" 300 >/dev/null || fail "jobs/projection.sbatch did not complete after its requeue"
log="$work/popsim-$jid.out"
grep -q "holds an unfinished run without a checkpoint: starting over" "$log" || fail "the requeued projection did not start over: $(tail -20 "$log")"
same_results "$work/long-ref/results.h5" "$work/proj/results.h5" "jobs/projection.sbatch (killed, requeued) vs mpirun"

# 3. An ensemble as a job array plus a dependent merge, against --replicates in one job. While
#    they run, task 1 is requeued (SIGTERM: popsim checkpoints the year; the task starts again)
#    and task 0 stopped by USR1 (it checkpoints and requeues itself).
aid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/ens" YEARS=$years SCALE=0.002 EVERY=1 \
      submit "$src/jobs/ensemble_array.sbatch" -n 1 --array=0-1 --export=ALL) || fail "sbatch ensemble array"
mid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/ens" MERGE=1 \
      submit "$src/jobs/ensemble_array.sbatch" -n 1 --dependency=afterok:"$aid" --export=ALL) || fail "sbatch merge"
if wait_log "${aid}_1" "\] 202[8-9]: population" && wait_log "${aid}_0" "\] 20[23][0-9]: population"; then
  scontrol requeue "${aid}_1" || fail "scontrol requeue ${aid}_1"
  scancel --signal=USR1 "${aid}_0" || fail "scancel --signal=USR1 ${aid}_0"  # as at its time limit
  release "${aid}_1"
  release "${aid}_0"
else
  fail "the array tasks never reached 2028 (cannot test their requeue)"
fi
timeout 300 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years $years --scale 0.002 --replicates 2 \
  --out "$work/ens-ref" >/dev/null 2>&1 || fail "the --replicates reference failed"
slurm_wait_job "${aid}_0" 300 >/dev/null || fail "array task 0 did not complete"
slurm_wait_job "${aid}_1" 300 >/dev/null || fail "array task 1 did not complete after its requeue"
slurm_wait_job "$mid" 300 >/dev/null || fail "the merge job did not complete"
log=$(job_field "${aid}_1" StdOut)
[[ "$(job_field "${aid}_1" Restarts)" -ge 1 ]] || fail "array task 1 was not requeued"
grep -q "continuing from $work/ens/replicate-1/checkpoints" "$log" || fail "requeued array task 1 did not continue from its checkpoint: $(tail -20 "$log")"
log=$(job_field "${aid}_0" StdOut)
{ grep -q "stopped before the time limit with a checkpoint; requeueing" "$log" && grep -q "continuing from $work/ens/replicate-0/checkpoints" "$log"; } \
  || fail "array task 0 did not requeue itself and continue from its checkpoint: $(tail -20 "$log")"
h5diff -q "$work/ens-ref/ensemble.h5" "$work/ens/ensemble.h5" /summary /summary >/dev/null 2>&1 \
  || fail "the job-array ensemble (a task requeued) differs from --replicates 2"
# Requeued once complete, a task and the merge have nothing to do.
before=$(stat -c '%n %y' "$work/ens/ensemble.h5" "$work/ens/replicate-0/results.h5" | md5sum)
for id in "${aid}_0" "$mid"; do scontrol requeue "$id" || fail "scontrol requeue $id (complete)"; done
for id in "${aid}_0" "$mid"; do release "$id"; done
slurm_wait_job "${aid}_0" 120 >/dev/null || fail "array task 0 requeued once complete did not exit 0"
slurm_wait_job "$mid" 120 >/dev/null || fail "the merge requeued once complete did not exit 0"
grep -q "results.h5 is complete: nothing to do" "$(job_field "${aid}_0" StdOut)" || fail "requeued complete task 0 did not say it had nothing to do"
grep -q "already merged, nothing to do" "$(job_field "$mid" StdOut)" || fail "the requeued merge did not say it had nothing to do"
[[ "$(stat -c '%n %y' "$work/ens/ensemble.h5" "$work/ens/replicate-0/results.h5" | md5sum)" == "$before" ]] \
  || fail "a requeue after completion rewrote ensemble.h5 or a replicate"

# 4. The scaling series.
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/scaling" YEARS=2 SCALE=0.005 WEAK_SCALE=0.002 \
      submit "$src/jobs/scaling.sbatch" -n 2 --export=ALL) || fail "sbatch scaling"
slurm_wait_job "$jid" 300 >/dev/null || fail "jobs/scaling.sbatch did not complete"
rows=$(($(wc -l <"$work/scaling/scaling.csv") - 1))
[[ $rows -eq 4 ]] || fail "scaling.csv has $rows rows, expected 4 (strong and weak on 1 and 2 ranks)"

# 5. The base-year population alone.
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/pop.h5" SCALE=0.005 submit "$src/jobs/synthesize.sbatch" -n 2 --export=ALL) \
  || fail "sbatch synthesize"
slurm_wait_job "$jid" 300 >/dev/null || fail "jobs/synthesize.sbatch did not complete"
"$POPSIM" info "$work/pop.h5" >/dev/null 2>&1 || fail "jobs/synthesize.sbatch did not write a valid population file"

# 6. Fail early and clearly.
jid=$(POPSIM=/nonexistent/popsim CONFIG="$config" OUT="$work/bad" submit "$src/jobs/projection.sbatch" -n 1 --export=ALL) \
  || fail "sbatch bad"
state=$(slurm_wait_job "$jid" 120 2>/dev/null || true)
[[ "$state" == "FAILED 2:0" ]] || fail "a missing binary: job ended '$state', expected 'FAILED 2:0'"
grep -q "popsim binary not found" "$work"/popsim-"$jid".out || fail "a missing binary: no clear message"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s); daemon logs:" >&2
  slurm_logs 30 >&2 || true
  exit 1
fi
echo "SLURM tests passed"
