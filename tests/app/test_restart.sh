#!/usr/bin/env bash
# Checkpoint and restart end to end (small scale):
#   - a run that writes checkpoints ends with the same results as one that does not;
#   - restarting from a checkpoint written on 2 ranks, on 1, 2 and 3 ranks (and 2 threads),
#     ends with results identical to the uninterrupted run;
#   - SIGTERM (sent to every rank, as SLURM does) and SIGUSR1 (to mpirun, which forwards it)
#     make the run finish the year, write a checkpoint and exit with code 3;
#   - runs killed with SIGKILL at random moments (also while a checkpoint is being written) and
#     restarted from whatever is on disk always finish with identical results, and no file
#     named ckpt-*.h5 is ever invalid;
#   - damaged, truncated, foreign and mismatched checkpoints are refused with exit code 2.
# Needs POPSIM, MPIEXEC and POPSIM_SOURCE_DIR from CTest.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
config="$POPSIM_SOURCE_DIR/inputs/korea/baseline.toml"
work=$(mktemp -d)
trap 'pkill -9 -f -- "$work/" 2>/dev/null || true; rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
years=24
scale=0.01
export OMP_NUM_THREADS=1

# run_popsim RANKS OUT [ARGS...]: a projection of the test size; returns popsim's exit code.
run_popsim() {
  local ranks=$1 out=$2; shift 2
  timeout 300 "$MPIEXEC" -n "$ranks" --oversubscribe --bind-to none -x OMP_NUM_THREADS \
    "$POPSIM" run "$config" --years "$years" --scale "$scale" --out "$out" "$@" >"$out.log" 2>&1
}

# datasets FILE: every dataset of a results file but those of /meta and /performance (which record
# the decomposition and the timings), sorted.
datasets() { h5ls -r "$1" | awk '$2 == "Dataset" {print $1}' | grep -vE '^/(meta|performance)/' | sort; }
# same_results A B WHAT: both hold the same datasets (read from the files, so that a new one is
# compared too), every one of them identical.
same_results() {
  local a=$1 b=$2 what=$3 dataset
  local -a list
  mapfile -t list < <(datasets "$a")
  [[ ${#list[@]} -ge 60 ]] || { fail "$what: $a holds only ${#list[@]} datasets"; return; }
  [[ "$(datasets "$b")" == "$(printf '%s\n' "${list[@]}")" ]] || { fail "$what: the results hold different datasets"; return; }
  for dataset in "${list[@]}"; do
    h5diff -q "$a" "$b" "$dataset" "$dataset" >/dev/null 2>&1 || { fail "$what: $dataset differs"; return; }
  done
}

# 1. The reference, and a run that writes a checkpoint every 4 years (keeping 2).
run_popsim 2 "$work/ref" || fail "the reference run failed: $(tail -5 "$work/ref.log")"
run_popsim 2 "$work/ck" --checkpoint-every 4 --checkpoint-keep 2 || fail "the checkpointing run failed"
same_results "$work/ref/results.h5" "$work/ck/results.h5" "a run writing checkpoints"
# The checkpoints carry every time-indexed dataset of results.h5 but /performance, the household
# indicators among them.
for name in households.living_alone households.alone_65plus households.alone_80plus households.with_child_under_6 \
            households.with_child_under_18 households.by_head_age households.foreign households.mixed_nationality; do
  h5ls "$work/ck/checkpoints/ckpt-2043.h5/results/$name" >/dev/null 2>&1 || fail "the checkpoint lacks /results/$name"
done
mapfile -t kept < <(cd "$work/ck/checkpoints" && ls)
[[ "${kept[*]}" == "ckpt-2039.h5 ckpt-2043.h5" ]] || fail "kept checkpoints: '${kept[*]}', expected ckpt-2039.h5 ckpt-2043.h5"

# 2. Restart from a checkpoint written on 2 ranks, on 1, 2 and 3 ranks (and 2 threads).
for ranks in 1 2 3; do
  run_popsim "$ranks" "$work/re$ranks" --restart "$work/ck/checkpoints/ckpt-2039.h5" \
    || fail "restart on $ranks ranks failed: $(tail -5 "$work/re$ranks.log")"
  grep -q "restarting from .*ckpt-2039.h5" "$work/re$ranks.log" || fail "restart on $ranks ranks did not say where from"
  same_results "$work/ref/results.h5" "$work/re$ranks/results.h5" "restart on $ranks ranks"
done
OMP_NUM_THREADS=2 run_popsim 1 "$work/re-omp" --restart "$work/ck/checkpoints" || fail "restart with 2 threads failed"
grep -q "restarting from .*ckpt-2043.h5" "$work/re-omp.log" || fail "a directory should restart from its newest checkpoint"
same_results "$work/ref/results.h5" "$work/re-omp/results.h5" "restart from a directory with 2 threads"
# The synthesised population is the checkpoint of the base year.
"$POPSIM" synthesize "$config" --scale "$scale" --out "$work/pop.h5" >/dev/null 2>&1 || fail "synthesize failed"
run_popsim 2 "$work/re-pop" --restart "$work/pop.h5" || fail "a run from the synthesised population failed"
same_results "$work/ref/results.h5" "$work/re-pop/results.h5" "a run starting from the synthesised population"

# 3. Signals: finish the year, write a checkpoint, exit 3; the restart completes the run.
# wait_for_year LOG: until the log shows a simulated year (the signal then arrives mid-run).
wait_for_year() {
  for _ in $(seq 1 600); do
    grep -q "\] 20[2-9][0-9]: population" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
mkdir -p "$work/sig"
for sig in TERM USR1; do
  rc=0
  run_popsim 2 "$work/sig/$sig" & pid=$!
  wait_for_year "$work/sig/$sig.log" || fail "SIG$sig: the run never reached a year"
  if [[ $sig == TERM ]]; then
    pkill -TERM -f -- "^$POPSIM run .*$work/sig/$sig" || fail "no popsim process to signal"
  else
    pkill -USR1 -f -- "^[^ ]*mpi[a-z]* .*$work/sig/$sig" || fail "no mpirun process to signal"
  fi
  wait "$pid" || rc=$?
  [[ $rc -eq 3 ]] || fail "SIG$sig: exit code $rc, expected 3: $(tail -5 "$work/sig/$sig.log")"
  grep -q "stopped by a signal after" "$work/sig/$sig.log" || fail "SIG$sig: no stop message"
  ls "$work/sig/$sig/checkpoints"/ckpt-*.h5 >/dev/null 2>&1 || fail "SIG$sig: no checkpoint written"
  run_popsim 3 "$work/sig/$sig" --restart "$work/sig/$sig/checkpoints" || fail "SIG$sig: the restart failed"
  same_results "$work/ref/results.h5" "$work/sig/$sig/results.h5" "SIG$sig then restart"
done

# 4. SIGKILL at random moments (seeded, so a failure can be replayed), checkpoints every year,
#    restarted from whatever is on disk on 1..3 ranks until the run completes.
RANDOM=20231231
out="$work/kill"
attempts=0
partial_seen=0
done_run=0
while [[ $done_run -eq 0 && $attempts -lt 12 ]]; do
  attempts=$((attempts + 1))
  ranks=$((attempts % 3 + 1))
  args=(--checkpoint-every 1 --checkpoint-keep 2)
  # Continue from the checkpoints on disk; without one, replace what a killed attempt left.
  if ls "$out/checkpoints"/ckpt-*.h5 >/dev/null 2>&1; then args+=(--restart "$out/checkpoints"); else args+=(--overwrite); fi
  rc=0
  run_popsim "$ranks" "$out" "${args[@]}" & pid=$!
  if [[ $attempts -lt 6 ]]; then
    # kill after 0.3-2.2 s: during synthesis, a year, or a checkpoint write
    sleep "$(printf '0.%d' $((RANDOM % 10)))"
    sleep "$((RANDOM % 2))".$((RANDOM % 10))
    ls "$out/checkpoints"/*.partial >/dev/null 2>&1 && partial_seen=$((partial_seen + 1))
    pkill -9 -f -- "$out" 2>/dev/null || true
  fi
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] && done_run=1
  # Whatever is on disk: every file named ckpt-*.h5 must be a valid checkpoint.
  for f in "$out/checkpoints"/ckpt-*.h5; do
    [[ -e "$f" ]] || continue
    "$POPSIM" info "$f" >/dev/null 2>&1 || fail "after a kill, $f is not a valid checkpoint"
  done
done
[[ $done_run -eq 1 ]] || fail "the killed run never completed in $attempts attempts: $(grep popsim: "$out.log")"
same_results "$work/ref/results.h5" "$out/results.h5" "a run killed and restarted $((attempts - 1)) times"
echo "SIGKILL: $attempts attempts, a checkpoint being written at $partial_seen of the kills"

# 5. Refusals: damaged, truncated, foreign and mismatched checkpoints (exit code 2, no run).
ck="$work/ck/checkpoints/ckpt-2043.h5"
cp "$ck" "$work/trunc.h5"
truncate -s $(($(stat -c %s "$ck") / 2)) "$work/trunc.h5"
rc=0; run_popsim 1 "$work/bad1" --restart "$work/trunc.h5" || rc=$?
[[ $rc -eq 2 ]] || fail "a truncated checkpoint: exit $rc, expected 2"
grep -qE "trunc.h5.*(not an HDF5 file|not a valid popsim checkpoint|fails its checksum|truncated)" "$work/bad1.log" \
  || fail "a truncated checkpoint was not refused clearly: $(cat "$work/bad1.log")"
/usr/bin/python3 - "$ck" "$work/flip.h5" <<'PY'
import shutil, sys, h5py
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r") as f:
    offset = f["/persons/partner"].id.get_offset()
with open(sys.argv[2], "r+b") as f:
    f.seek(offset + 4099)
    b = f.read(1)
    f.seek(offset + 4099)
    f.write(bytes([b[0] ^ 0x20]))
PY
rc=0; run_popsim 1 "$work/bad2" --restart "$work/flip.h5" || rc=$?
[[ $rc -eq 2 ]] || fail "a bit-flipped checkpoint: exit $rc, expected 2"
grep -q "partner fails its checksum" "$work/bad2.log" || fail "a bit-flipped checkpoint was not refused clearly: $(cat "$work/bad2.log")"
cp "$ck" "$work/version.h5"
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f.attrs['schema_version'] = 99" "$work/version.h5"
rc=0; run_popsim 1 "$work/bad3" --restart "$work/version.h5" || rc=$?
[[ $rc -eq 2 ]] || fail "a wrong-version checkpoint: exit $rc, expected 2"
grep -q "schema version 99" "$work/bad3.log" || fail "a wrong-version checkpoint was not refused clearly: $(cat "$work/bad3.log")"
rc=0; run_popsim 1 "$work/bad4" --restart "$config" || rc=$?
[[ $rc -eq 2 ]] || fail "a foreign file: exit $rc, expected 2"
rc=0
timeout 300 "$MPIEXEC" -n 1 "$POPSIM" run "$config" --years "$years" --scale "$scale" --seed 7 --out "$work/bad5" \
  --restart "$ck" >"$work/bad5.log" 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q "seed" "$work/bad5.log" || fail "a checkpoint of another seed: exit $rc: $(cat "$work/bad5.log")"
rc=0; run_popsim 1 "$work/ck" || rc=$?
[[ $rc -eq 2 ]] && grep -q "results of an earlier run" "$work/ck.log" || fail "a fresh run into a directory with results: exit $rc"
mkdir -p "$work/empty"
rc=0; run_popsim 1 "$work/bad6" --restart "$work/empty" || rc=$?
[[ $rc -eq 2 ]] && grep -q "holds no checkpoint" "$work/bad6.log" || fail "an empty directory: exit $rc"
[[ ! -e "$work/bad1/results.h5" && ! -e "$work/bad2/results.h5" ]] || fail "a refused restart wrote results"
# A refused restart leaves the results already in its output directory untouched.
mkdir -p "$work/keep" && cp "$work/ref/results.h5" "$work/keep/results.h5"
rc=0; run_popsim 1 "$work/keep" --restart "$work/flip.h5" || rc=$?
[[ $rc -eq 2 ]] || fail "a bit-flipped checkpoint into an existing run: exit $rc"
cmp -s "$work/ref/results.h5" "$work/keep/results.h5" || fail "a refused restart changed the existing results.h5"

# 6. A directory whose newest checkpoint is damaged: the restart falls back to the newest one that
#    passes every check, says so, and still ends with the uninterrupted run's results.
mkdir -p "$work/fall/checkpoints"
cp "$work/ck/checkpoints/ckpt-2039.h5" "$work/fall/checkpoints/"
cp "$work/flip.h5" "$work/fall/checkpoints/ckpt-2043.h5"
rc=0; run_popsim 2 "$work/fall" --restart "$work/fall/checkpoints" || rc=$?
[[ $rc -eq 0 ]] || fail "a restart past a damaged checkpoint: exit $rc: $(tail -3 "$work/fall.log")"
grep -q "skipped a damaged checkpoint (continuing from the older .*ckpt-2039.h5).*ckpt-2043.h5" "$work/fall.log" \
  || fail "the fallback past a damaged checkpoint was not reported: $(cat "$work/fall.log")"
same_results "$work/ref/results.h5" "$work/fall/results.h5" "a restart past a damaged checkpoint"

# 7. An input table changed since the checkpoint: refused, naming the table.
cp -r "$POPSIM_SOURCE_DIR/inputs/korea" "$work/changed"
sed -i '1i # edited: a comment changes the content, not the rates' "$work/changed/fertility.csv"
rc=0
timeout 300 "$MPIEXEC" -n 1 "$POPSIM" run "$work/changed/baseline.toml" --years "$years" --scale "$scale" --out "$work/bad7" \
  --restart "$ck" >"$work/bad7.log" 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q "fertility.csv (\[inputs\] fertility) has changed\|\[inputs\] fertility is now .*fertility.csv, whose content differs" "$work/bad7.log" \
  || fail "a checkpoint continued with a changed input table: exit $rc: $(cat "$work/bad7.log")"
# The same tables under another path are the same inputs.
rm -rf "$work/moved" && cp -r "$POPSIM_SOURCE_DIR/inputs/korea" "$work/moved"
rc=0
timeout 300 "$MPIEXEC" -n 1 "$POPSIM" run "$work/moved/baseline.toml" --years "$years" --scale "$scale" --out "$work/moved-run" \
  --restart "$ck" >"$work/moved.log" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || fail "a restart with the inputs copied elsewhere: exit $rc: $(tail -3 "$work/moved.log")"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "restart tests passed"
