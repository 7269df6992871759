#!/usr/bin/env bash
# The popsim command line end to end: `check` accepts the shipped inputs and refuses bad ones
# with exit code 2; `synthesize` writes bit-identical data on 1..4 ranks and 1..2 threads;
# `info` describes the file. Needs POPSIM (the binary) and MPIEXEC from CTest.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
config="$POPSIM_SOURCE_DIR/inputs/korea/baseline.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_exit CODE PATTERN COMMAND...: runs COMMAND, checks its exit code and that its output
# (stdout and stderr) matches PATTERN.
expect_exit() {
  local code=$1 pattern=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [[ $rc -eq $code ]] || fail "$* exited $rc, expected $code. Output: $out"
  grep -qE -- "$pattern" <<<"$out" || fail "$* output lacks /$pattern/. Output: $out"
}

expect_exit 0 "inputs are valid" "$POPSIM" check "$config"
expect_exit 0 "51,090,859" "$POPSIM" check "$config"

# A bad table: the run must not start and the message must say where and what.
cp -r "$POPSIM_SOURCE_DIR/inputs/korea" "$work/bad"
sed -i '0,/^1111000000,M,/s//1111000000,M,x/' "$work/bad/population.csv"
expect_exit 2 "population.csv:[0-9]+:3: column 'age_0': expected an integer" "$POPSIM" check "$work/bad/baseline.toml"
expect_exit 2 "population.csv:[0-9]+:3: column 'age_0'" "$POPSIM" synthesize "$work/bad/baseline.toml" --out "$work/bad.h5"
[[ ! -e "$work/bad.h5" ]] || fail "synthesize wrote a file from invalid inputs"
expect_exit 2 "no such file .expected the configuration file" "$POPSIM" check "$work/absent.toml"
expect_exit 2 "the directory .* does not exist" "$POPSIM" synthesize "$config" --out "$work/no/such/dir/p.h5"
expect_exit 2 "expected a file name ending in .h5" "$POPSIM" synthesize "$config" --out "$work/p.txt"
expect_exit 2 "--scale must be in" "$POPSIM" synthesize "$config" --scale 0 --out "$work/p.h5"
expect_exit 2 "not an HDF5 file" "$POPSIM" info "$config"

# A failure on some ranks only ends every rank with the same message (no rank waits forever).
expect_exit 2 "population.csv:[0-9]+:3: column 'age_0'" timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" check "$work/bad/baseline.toml"
expect_exit 2 "\(rank 1\) .*population.csv:[0-9]+:3: column 'age_0'" timeout 120 "$MPIEXEC" --oversubscribe \
  -n 1 "$POPSIM" synthesize "$config" --scale 0.001 --out "$work/mixed.h5" : \
  -n 1 "$POPSIM" synthesize "$work/bad/baseline.toml" --scale 0.001 --out "$work/mixed.h5"
[[ ! -e "$work/mixed.h5" ]] || fail "a run with invalid inputs on one rank wrote a file"

# The same population on every decomposition: data identical bit for bit.
scale=0.003
runs=("1 1" "2 2" "3 1" "4 2")
for run in "${runs[@]}"; do
  read -r np threads <<<"$run"
  OMP_NUM_THREADS=$threads expect_exit 0 "persons" \
    "$MPIEXEC" -n "$np" --oversubscribe --bind-to none "$POPSIM" synthesize "$config" --scale $scale \
    --out "$work/pop-$np.h5"
done
for run in "${runs[@]:1}"; do
  read -r np threads <<<"$run"
  for group in /persons /households; do
    h5diff -q "$work/pop-1.h5" "$work/pop-$np.h5" $group $group || fail "$group differs between 1 and $np ranks"
  done
  for dataset in code name_ko name_en province person_offset household_offset; do
    h5diff -q "$work/pop-1.h5" "$work/pop-$np.h5" /regions/$dataset /regions/$dataset \
      || fail "/regions/$dataset differs between 1 and $np ranks"
  done
done

expect_exit 0 "regions +229 in 17 provinces" "$POPSIM" info "$work/pop-2.h5"
expect_exit 0 "Seoul" "$POPSIM" info "$work/pop-2.h5"
expect_exit 0 "written by 4 rank" "$POPSIM" info "$work/pop-4.h5"

# popsim run: results.h5 with the documented datasets, identical on 1 and 2 ranks.
expect_exit 2 "--years 200: the run would end in 2223" "$POPSIM" run "$config" --years 200 --scale 0.001 --out "$work/long"
for np in 1 2; do
  OMP_NUM_THREADS=$np expect_exit 0 "popsim run: 3 years 2024..2026" \
    "$MPIEXEC" -n "$np" --oversubscribe --bind-to none "$POPSIM" run "$config" --years 3 --scale 0.002 --out "$work/run-$np"
done
listing=$(h5ls -r "$work/run-1/results.h5" | tr -s ' ')
for entry in "/years Dataset {4}" "/population Dataset {4, 229, 2, 101}" "/births Dataset {4, 229, 35}" \
             "/deaths Dataset {4, 229, 2, 101}" "/households/size Dataset {4, 229, 7}" \
             "/households/type Dataset {4, 229, 5}" "/international/immigrants Dataset {4, 229}" \
             "/nationals/population Dataset {4, 229, 2, 101}" "/nationals/naturalisations Dataset {4, 229}" \
             "/regions/code Dataset {229}" "/performance/seconds Dataset {4, 1, 7}" "/meta Group" \
             "/households/living_alone Dataset {4, 229, 2, 101}" "/households/alone_65plus Dataset {4, 229}" \
             "/households/alone_80plus Dataset {4, 229}" "/households/with_child_under_6 Dataset {4, 229}" \
             "/households/with_child_under_18 Dataset {4, 229}" "/households/by_head_age Dataset {4, 229, 7}" \
             "/households/foreign Dataset {4, 229}" "/households/mixed_nationality Dataset {4, 229}"; do
  grep -qxF -- "$entry" <<<"$listing" || fail "results.h5 lacks $entry"
done
# The household indicators agree with each other and with /households/size in every year and region.
/usr/bin/python3 - "$work/run-2/results.h5" <<'PY' || fail "the household indicators of results.h5 are inconsistent"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
h = {k: f["/households/" + k][:] for k in ("size", "living_alone", "alone_65plus", "alone_80plus", "with_child_under_6",
                                           "with_child_under_18", "by_head_age", "foreign", "mixed_nationality")}
households = h["size"].sum(axis=2)
checks = {
    "living_alone = one-person households": np.array_equal(h["living_alone"].sum(axis=(2, 3)), h["size"][:, :, 0]),
    "alone_65plus = living_alone 65+": np.array_equal(h["alone_65plus"], h["living_alone"][:, :, :, 65:].sum(axis=(2, 3))),
    "alone_80plus = living_alone 80+": np.array_equal(h["alone_80plus"], h["living_alone"][:, :, :, 80:].sum(axis=(2, 3))),
    "with_child_under_18 >= with_child_under_6": bool((h["with_child_under_18"] >= h["with_child_under_6"]).all()),
    "by_head_age sums to households": np.array_equal(h["by_head_age"].sum(axis=2), households),
    "foreign + mixed <= households": bool((h["foreign"] + h["mixed_nationality"] <= households).all()),
    "the indicators are not all zero": all(h[k].sum() > 0 for k in h),
    "by_head_age names its groups": "0: under 30" in str(f["/households/by_head_age"].attrs["groups"]),
}
bad = [name for name, ok in checks.items() if not ok]
if bad:
    sys.exit("failed: " + "; ".join(bad))
PY
expect_exit 0 "popsim results, 2023..2026 \\(3 years\\)" "$POPSIM" info "$work/run-1/results.h5"
# info: the national household series (households, one-person share, mean size, living alone,
# children under 6), tables within 100 columns; a file of an older popsim (no indicators) still
# prints everything else and says the indicators are absent.
info_out=$("$POPSIM" info "$work/run-2/results.h5")
grep -qE "^ +year +households +one-person +mean size +65\+ alone +80\+ alone +with child <6$" <<<"$info_out" \
  || fail "info lacks the household series: $info_out"
grep -qE "^ +2026 +[0-9,]+ +[0-9.]+% +[0-9]\.[0-9]{2} +[0-9,]+ +[0-9,]+ +[0-9,]+$" <<<"$info_out" \
  || fail "info's household series has no row for 2026: $info_out"
wide=$(tail -n +2 <<<"$info_out" | awk 'length > 100')
[[ -z $wide ]] || fail "info prints lines wider than 100 columns: $wide"
cp "$work/run-2/results.h5" "$work/older.h5"
/usr/bin/python3 - "$work/older.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    for k in ("living_alone", "alone_65plus", "alone_80plus", "with_child_under_6", "with_child_under_18", "by_head_age",
              "foreign", "mixed_nationality"):
        del f["/households/" + k]
PY
info_out=$("$POPSIM" info "$work/older.h5") || fail "info failed on a results file without the household indicators"
grep -q "the household indicators are absent" <<<"$info_out" || fail "info did not say the household indicators are absent: $info_out"
grep -qE "^ +2026 +[0-9,]+ +[0-9.]+% +[0-9]\.[0-9]{2}$" <<<"$info_out" || fail "info on an older file lost the household counts: $info_out"
grep -q "65+ alone" <<<"$info_out" && fail "info on an older file printed a 65+ alone column: $info_out"
wide=$(tail -n +2 <<<"$info_out" | awk 'length > 100')
[[ -z $wide ]] || fail "info on an older file prints lines wider than 100 columns: $wide"
grep -qE "^ +2026 +[0-9,]+ +[0-9,]+ " <<<"$info_out" || fail "info on an older file lost the national series: $info_out"
h5dump -a /population/units "$work/run-1/results.h5" | grep -q persons || fail "/population has no units attribute"
h5dump -a /meta/seed "$work/run-1/results.h5" | grep -q 20231231 || fail "/meta lacks the seed"
# Every dataset but /meta and /performance (which record the decomposition), found in the file so
# that none is left out; the two files hold the same datasets.
datasets() { h5ls -r "$1" | awk '$2 == "Dataset" {print $1}' | grep -vE '^/(meta|performance)/' | sort; }
mapfile -t compared < <(datasets "$work/run-1/results.h5")
[[ "$(datasets "$work/run-2/results.h5")" == "$(printf '%s\n' "${compared[@]}")" ]] \
  || fail "results.h5 on 1 and 2 ranks hold different datasets"
[[ ${#compared[@]} -ge 60 ]] && printf '%s\n' "${compared[@]}" | grep -qx /households/living_alone \
  || fail "the rank comparison found only ${#compared[@]} datasets: ${compared[*]}"
for dataset in "${compared[@]}"; do
  h5diff -q "$work/run-1/results.h5" "$work/run-2/results.h5" "$dataset" "$dataset" \
    || fail "$dataset differs between 1 and 2 ranks"
done

# Nothing already written is lost: results, populations and ensembles are never replaced unless
# --overwrite is given, and an output is never one of the inputs.
sum() { sha256sum "$1" | cut -d' ' -f1; }
before=$(sum "$work/run-1/results.h5")
expect_exit 2 "holds the results of an earlier run.*--overwrite" "$POPSIM" run "$config" --years 2 --scale 0.002 --out "$work/run-1"
expect_exit 2 "holds the results of an earlier run" timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" \
  --years 2 --scale 0.002 --out "$work/run-1"
[[ $(sum "$work/run-1/results.h5") == "$before" ]] || fail "a refused run changed the existing results.h5"
expect_exit 0 "popsim run: 2 years" "$POPSIM" run "$config" --years 2 --scale 0.002 --out "$work/run-1" --overwrite
before=$(sum "$work/pop-2.h5")
expect_exit 2 "the file exists; give --overwrite" "$POPSIM" synthesize "$config" --scale 0.003 --out "$work/pop-2.h5"
[[ $(sum "$work/pop-2.h5") == "$before" ]] || fail "a refused synthesize changed the existing file"
expect_exit 0 "persons" "$POPSIM" synthesize "$config" --scale 0.003 --out "$work/pop-2.h5" --overwrite
expect_exit 0 "popsim run: 3 years" "$POPSIM" run "$config" --years 3 --scale 0.002 --seed 5 --out "$work/run-s5"
before=$(sum "$work/run-2/results.h5")
expect_exit 2 "the output is also an input" "$POPSIM" merge --out "$work/run-2/results.h5" "$work/run-2/results.h5" \
  "$work/run-s5/results.h5"
[[ $(sum "$work/run-2/results.h5") == "$before" ]] || fail "merge wrote over one of its inputs"

# One error contract on any number of ranks: exit 2 and one message, never MPI_ABORT or exit 1.
touch "$work/a-file"
for np in 1 2; do
  expect_exit 2 "--out $work/a-file: exists and is not a directory" timeout 120 "$MPIEXEC" -n $np --oversubscribe \
    "$POPSIM" run "$config" --years 2 --scale 0.002 --out "$work/a-file"
done
out=$(timeout 120 "$MPIEXEC" -n 2 --oversubscribe "$POPSIM" run "$config" --years 2 --scale 0.002 --out "$work/a-file" 2>&1 || true)
[[ $(grep -c "popsim: error:" <<<"$out") -eq 1 ]] || fail "an error seen by every rank was reported more than once: $out"
grep -q "MPI_ABORT" <<<"$out" && fail "an input error ended in MPI_ABORT: $out"
expect_exit 2 "--seed: Value -1 not in range" "$POPSIM" run "$config" --years 2 --seed -1 --out "$work/seed"
expect_exit 2 "is a directory, expected the configuration file" "$POPSIM" check "$work"
expect_exit 2 "not a regular file" "$POPSIM" check /dev/zero
expect_exit 2 "too small for these inputs: .* the smallest scale at which every region expects at least 5 adults" \
  "$POPSIM" run "$config" --years 2 --scale 1e-4 --out "$work/tiny"
# A successful run prints no HDF5 error stack.
out=$("$POPSIM" run "$config" --years 2 --scale 0.002 --out "$work/quiet" 2>&1)
grep -q "HDF5-DIAG" <<<"$out" && fail "a successful run printed HDF5 error stacks"
# A results file whose parts disagree (here /years shorter than /meta says) is refused, not read out of bounds.
cp "$work/run-2/results.h5" "$work/short.h5"
/usr/bin/python3 - "$work/short.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    years = f["years"][:2]
    del f["years"]
    f["years"] = years
PY
expect_exit 2 "short.h5: not a valid popsim results file: dataset /years has extent 2 on axis 0, expected 4" \
  "$POPSIM" info "$work/short.h5"

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all CLI checks passed"
