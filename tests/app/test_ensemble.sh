#!/usr/bin/env bash
# Ensembles: `popsim run --replicates 3` on 3 ranks (one group per replicate, seeds S, S+1,
# S+2) and the same replicates run one by one (as a job array would) then combined with
# `popsim merge` give the same summary; the median lies between the replicates' minimum and
# maximum everywhere; intervals have zero width for identical replicates and widen when they
# differ; bad merges (one file, a seed twice, a stopped run, different runs) are refused. Needs POPSIM, MPIEXEC, POPSIM_SOURCE_DIR from CTest.
set -euo pipefail
: "${POPSIM:?}" "${MPIEXEC:?}" "${POPSIM_SOURCE_DIR:?}"
config="$POPSIM_SOURCE_DIR/inputs/korea/baseline.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
common=(--years 4 --scale 0.01)
fail() { echo "FAIL: $*" >&2; exit 1; }

timeout 600 "$MPIEXEC" -n 3 --oversubscribe --bind-to none "$POPSIM" run "$config" "${common[@]}" --replicates 3 \
  --out "$work/ens" >"$work/ens.log" 2>&1 || fail "the ensemble run failed: $(tail -5 "$work/ens.log")"
[[ -f "$work/ens/ensemble.h5" ]] || fail "no ensemble.h5"
seed=$(/usr/bin/python3 -c "import h5py,sys; print(int(h5py.File(sys.argv[1])['/meta'].attrs['seed']))" "$work/ens/replicate-0/results.h5")
for k in 0 1 2; do  # the job-array way: one run per replicate, seed + k
  timeout 600 "$MPIEXEC" -n 1 "$POPSIM" run "$config" "${common[@]}" --seed $((seed + k)) --out "$work/array/$k" \
    >"$work/array-$k.log" 2>&1 || fail "replicate $k failed: $(tail -5 "$work/array-$k.log")"
done
"$POPSIM" merge --out "$work/merged.h5" "$work/array/0/results.h5" "$work/array/1/results.h5" "$work/array/2/results.h5" \
  >/dev/null || fail "popsim merge failed"
# Identical replicates: a copy of replicate 0 relabelled with another seed.
cp "$work/array/0/results.h5" "$work/copy.h5"
/usr/bin/python3 -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); f['/meta'].attrs['seed'] = f['/meta'].attrs['seed'] + 1000" "$work/copy.h5"
"$POPSIM" merge --out "$work/same.h5" "$work/array/0/results.h5" "$work/copy.h5" >/dev/null || fail "merge of copies"
h5diff -q "$work/ens/ensemble.h5" "$work/merged.h5" /summary /summary || fail "the in-job ensemble and the merged job array differ"
h5diff -q "$work/ens/ensemble.h5" "$work/merged.h5" /replicates /replicates || fail "the replicate series differ"

/usr/bin/python3 - "$work/ens/ensemble.h5" "$work/same.h5" <<'PY'
import sys, h5py, numpy as np
e, s = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
assert int(e["/meta"].attrs["replicates"]) == 3
inds = list(e["/summary"].keys())
inds.remove("national")
assert set(inds) == {"population", "nationals", "births", "deaths", "net_internal_migration", "persons_65plus", "extinction_index"}, inds
for ind in inds:
    rep = e[f"/replicates/{ind}"][:]                      # [K, Y], national
    nat = {q: e[f"/summary/national/{ind}/{q}"][:] for q in ("median", "lo80", "hi80", "lo95", "hi95")}
    ok = np.isfinite(rep).all(axis=0)
    lo, hi = rep.min(axis=0), rep.max(axis=0)
    assert (nat["median"][ok] >= lo[ok] - 1e-9).all() and (nat["median"][ok] <= hi[ok] + 1e-9).all(), ind
    assert (nat["lo95"][ok] <= nat["lo80"][ok] + 1e-9).all() and (nat["lo80"][ok] <= nat["median"][ok] + 1e-9).all(), ind
    assert (nat["median"][ok] <= nat["hi80"][ok] + 1e-9).all() and (nat["hi80"][ok] <= nat["hi95"][ok] + 1e-9).all(), ind
    assert np.allclose(nat["lo95"][ok], lo[ok] + 0.025 * 2 * (np.sort(rep, 0)[1][ok] - lo[ok])), ind
    reg = e[f"/summary/{ind}/median"][:]
    assert np.isfinite(reg[1:]).any(), ind
    width_same = s[f"/summary/national/{ind}/hi95"][:] - s[f"/summary/national/{ind}/lo95"][:]
    assert np.nanmax(np.abs(width_same)) == 0.0, f"{ind}: identical replicates must give zero-width intervals"
births_width = e["/summary/national/births/hi95"][1:] - e["/summary/national/births/lo95"][1:]
assert (births_width > 0).all(), f"replicates with different seeds must differ: {births_width}"
print("ensemble checks passed")
PY

# Bad merges: one file, the same seed twice, a stopped run, or files of different runs.
rc=0; out=$("$POPSIM" merge --out "$work/bad.h5" "$work/array/0/results.h5" "$work/array/0/results.h5" 2>&1) || rc=$?
[[ $rc -eq 2 ]] && grep -q "the same seed" <<<"$out" || fail "a merge of one replicate twice: exit $rc: $out"
cp "$work/array/1/results.h5" "$work/stopped.h5"
/usr/bin/python3 -c "import h5py, sys; h5py.File(sys.argv[1], 'r+')['/meta'].attrs['complete'] = 0" "$work/stopped.h5"
rc=0; out=$("$POPSIM" merge --out "$work/bad.h5" "$work/array/0/results.h5" "$work/stopped.h5" 2>&1) || rc=$?
[[ $rc -eq 2 ]] && grep -q "did not reach its last year" <<<"$out" || fail "a merge with a stopped run: exit $rc: $out"
rc=0; "$POPSIM" merge --out "$work/bad.h5" "$work/array/0/results.h5" >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a merge of one file was accepted"
timeout 600 "$MPIEXEC" -n 1 "$POPSIM" run "$config" --years 3 --scale 0.01 --out "$work/short" >/dev/null 2>&1 || fail "short run"
rc=0; out=$("$POPSIM" merge --out "$work/bad.h5" "$work/array/0/results.h5" "$work/short/results.h5" 2>&1) || rc=$?
[[ $rc -eq 2 ]] && grep -q "different years" <<<"$out" || fail "a merge of different runs: exit $rc: $out"
echo "ensemble tests passed"
