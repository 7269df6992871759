#!/usr/bin/env bash
# The jobs/ scripts on a real SLURM: starts a single-node cluster (munged, slurmctld, slurmd;
# tests/slurm/cluster.sh), submits each script at a tiny scale with sbatch, waits for it and
# checks its results:
#   - jobs/projection.sbatch: results bit-identical to the same run under mpirun;
#   - jobs/long_run.sbatch: stopped mid-run by USR1 (scancel --signal, as --signal=USR1@N
#     would), it checkpoints, exits 3, requeues itself and completes: results identical to an
#     uninterrupted run;
#   - jobs/ensemble_array.sbatch: a 2-task array and the dependent merge give the same summary
#     as `popsim run --replicates 2`;
#   - jobs/scaling.sbatch: one CSV row per run; jobs/synthesize.sbatch: a valid population file;
#   - a script given a missing binary fails early with a clear message.
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

# 1. A single projection.
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/proj" YEARS=6 SCALE=0.005 \
      submit "$src/jobs/projection.sbatch" -n 2 --export=ALL) || fail "sbatch projection"
slurm_wait_job "$jid" 300 >/dev/null || fail "jobs/projection.sbatch did not complete"
timeout 300 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years 6 --scale 0.005 --out "$work/proj-ref" \
  >/dev/null 2>&1 || fail "the reference run failed"
same_results "$work/proj-ref/results.h5" "$work/proj/results.h5" "jobs/projection.sbatch vs mpirun"

# 2. The restart chain: USR1 to the job's ranks mid-run -> checkpoint, exit 3, requeue, completion.
years=30
timeout 600 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years $years --scale 0.02 --out "$work/long-ref" \
  >/dev/null 2>&1 || fail "the uninterrupted reference run failed"
jid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/long" YEARS=$years SCALE=0.02 EVERY=100 \
      submit "$src/jobs/long_run.sbatch" -n 2 --export=ALL) || fail "sbatch long_run"
signalled=0
for _ in $(seq 1 600); do
  if grep -q "\] 20[3-9][0-9]: population" "$work"/popsim-long-"$jid".out 2>/dev/null; then
    scancel --signal=USR1 "$jid" && signalled=1
    break
  fi
  sleep 0.1
done
[[ $signalled -eq 1 ]] || fail "the long run never reached the 2030s (cannot test the stop)"
slurm_wait_job "$jid" 600 >/dev/null || fail "jobs/long_run.sbatch did not complete after its requeue"
log="$work/popsim-long-$jid.out"
grep -q "stopped before the time limit with a checkpoint; requeueing" "$log" || fail "the long run was not stopped and requeued: $(tail -20 "$log")"
grep -q "continuing from" "$log" || fail "the requeued job did not restart from its checkpoint"
grep -q "the projection is complete" "$log" || fail "the long run did not complete"
restarts=$(scontrol show job -o "$jid" | sed -n 's/.* Restarts=\([0-9]*\).*/\1/p')
[[ "${restarts:-0}" -ge 1 ]] || fail "the job was not requeued (Restarts=$restarts)"
same_results "$work/long-ref/results.h5" "$work/long/results.h5" "the restart chain (stopped, requeued, restarted)"

# 3. An ensemble as a job array plus a dependent merge, against --replicates in one job.
aid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/ens" YEARS=4 SCALE=0.005 \
      submit "$src/jobs/ensemble_array.sbatch" -n 1 --array=0-1 --export=ALL) || fail "sbatch ensemble array"
mid=$(POPSIM="$POPSIM" CONFIG="$config" OUT="$work/ens" MERGE=1 \
      submit "$src/jobs/ensemble_array.sbatch" -n 1 --dependency=afterok:"$aid" --export=ALL) || fail "sbatch merge"
slurm_wait_job "${aid}_0" 300 >/dev/null || fail "array task 0 did not complete"
slurm_wait_job "${aid}_1" 300 >/dev/null || fail "array task 1 did not complete"
slurm_wait_job "$mid" 300 >/dev/null || fail "the merge job did not complete"
timeout 300 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years 4 --scale 0.005 --replicates 2 \
  --out "$work/ens-ref" >/dev/null 2>&1 || fail "the --replicates reference failed"
h5diff -q "$work/ens-ref/ensemble.h5" "$work/ens/ensemble.h5" /summary /summary >/dev/null 2>&1 \
  || fail "the job-array ensemble differs from --replicates 2"

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
