#!/usr/bin/env bash
# Smoke test of tests/slurm/cluster.sh: starts a real single-node SLURM, runs a few jobs, stops it.
# Usage (root): tests/slurm/smoke.sh [DIR]   (DIR defaults to a new temp dir; POPSIM and CONFIG
# default to build/src/popsim and inputs/korea/baseline.toml; the popsim job is skipped if absent)
# Takes about a minute (a requeued job waits cred_expire, 20 s, before it may start again).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/slurm/cluster.sh
source "$here/cluster.sh"
dir=${1:-$(mktemp -d /tmp/slurm-smoke.XXXXXX)}
popsim=${POPSIM:-$root/build/src/popsim}
config=${CONFIG:-$root/inputs/korea/baseline.toml}
passed=0 failed=0
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  slurm_stop || bad "slurm_stop"
  echo "$passed passed, $failed failed"
  ((failed == 0)) || exit 1
}
trap finish EXIT

slurm_start "$dir" || { bad "slurm_start (see the logs above)"; exit 1; }
ok "slurm_start"
work=$dir/jobs
mkdir -p "$work" && cd "$work" || exit 1

if srun --mpi=list 2>&1 | grep -qx '[[:space:]]*pmix'; then ok "srun --mpi=list has pmix"
else bad "srun --mpi=list has no pmix (install libpmix-dev)"; srun --mpi=list; fi

# 1. a batch job with a 2-task step
j=$(sbatch --parsable -n 2 -o hostname.out --wrap 'hostname; srun --mpi=pmix -n 2 hostname')
if res=$(slurm_wait_job "$j" 60) && [[ $(grep -c . hostname.out) -eq 3 ]]; then ok "hostname job: $res"
else bad "hostname job: $res"; cat hostname.out; fi

# 2. a 2-rank MPI job through PMIx
if [[ -x "$popsim" && -f "$config" ]]; then
  j=$(sbatch --parsable -n 2 -o check.out --wrap "srun --mpi=pmix '$popsim' check '$config'")
  if res=$(slurm_wait_job "$j" 300) && grep -q 'inputs are valid' check.out; then ok "popsim check on 2 ranks: $res"
  else bad "popsim check on 2 ranks: $res"; cat check.out; fi
else
  echo "SKIP: popsim check ($popsim or $config missing)"
fi

# 3. --signal=USR1@N reaches the step's tasks before the time limit (sent 0..60 s early)
j=$(sbatch --parsable -n 1 --time=1 --signal=USR1@50 -o signal.out --wrap \
  "srun bash -c 'trap \"echo got USR1; exit 3\" USR1; for i in \$(seq 300); do sleep 1; done'; echo srun=\$?")
res=$(slurm_wait_job "$j" 120)
if grep -q 'got USR1' signal.out && grep -q 'srun=3' signal.out; then ok "USR1 delivered to the step: $res"
else bad "USR1 not delivered: $res"; cat signal.out; fi

# 4. scontrol requeue of a running job (admin), and 5. a job that requeues itself (jobs/long_run.sbatch)
body='echo "run ${SLURM_RESTART_COUNT:-0}"; if [ "${SLURM_RESTART_COUNT:-0}" -ge 1 ]; then exit 0; fi'
ja=$(sbatch --parsable -n 1 --open-mode=append -o requeue-admin.out --wrap "$body; sleep 300")
jb=$(sbatch --parsable -n 1 --requeue --open-mode=append -o requeue-self.out \
  --wrap "$body; scontrol requeue \$SLURM_JOB_ID; sleep 30")
for _ in $(seq 60); do scontrol show job -o "$ja" | grep -q 'JobState=RUNNING' && break; sleep 0.5; done
scontrol requeue "$ja" || bad "scontrol requeue $ja"
while read -r id file; do
  res=$(slurm_wait_job "$id" 120)
  if [[ $res == COMPLETED* ]] && grep -q 'run 0' "$file" && grep -q 'run 1' "$file"; then
    ok "requeue ($file): $res, $(scontrol show job "$id" | grep -o 'Restarts=[0-9]*')"
  else bad "requeue ($file): $res"; cat "$file"; fi
done <<<"$ja requeue-admin.out
$jb requeue-self.out"

# 6. a job with --no-requeue cannot be requeued
j=$(sbatch --parsable -n 1 --no-requeue -o norequeue.out --wrap 'sleep 60')
for _ in $(seq 60); do scontrol show job -o "$j" | grep -q 'JobState=RUNNING' && break; sleep 0.5; done
if msg=$(scontrol requeue "$j" 2>&1); then bad "--no-requeue job was requeued"
else ok "--no-requeue job refused: $msg"; fi
scancel "$j"

# 7. a failing job is reported as FAILED with its output
j=$(sbatch --parsable -n 1 -o fail.out --wrap 'echo about to fail; exit 7')
res=$(slurm_wait_job "$j" 60 2>/dev/null); rc=$?
if [[ $rc -eq 1 && $res == "FAILED 7:0" ]]; then ok "failing job: $res"; else bad "failing job: rc=$rc $res"; fi

((failed == 0))
