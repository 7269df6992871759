#!/usr/bin/env bash
# Benchmark: writing and reading a run checkpoint of the full population (51,090,859 agents) on
# 1 and 2 ranks (1 thread each). Each configuration runs 2 years with a checkpoint after the
# first (the write), then restarts from it (the read: all columns, checksums verified, the
# results so far). Appends one CSV row per configuration to bench/results/checkpoint.csv:
# seconds and MB/s each way, file size and bytes per agent.
# Usage: bench/checkpoint.sh [BUILD_DIR] [SCALE]   (run scripts/setup.sh first)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$here/build"}
scale=${2:-1}
popsim="$build/src/popsim"
[[ -x "$popsim" ]] || { echo "bench: $popsim not found; run scripts/setup.sh first" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
out_csv="$here/bench/results/checkpoint.csv"
work=$(mktemp -d "${TMPDIR:-/tmp}/popsim-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/,/ /g')
rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
fs=$(df -T "$work" | awk 'NR == 2 {print $2}')
header="date,git_revision,cpu,cores,filesystem,ranks,scale,agents,file_bytes,bytes_per_agent,write_s,write_mb_per_s,read_s,read_mb_per_s"
[[ -f "$out_csv" ]] || echo "$header" >"$out_csv"
for ranks in 1 2; do
  rm -rf "$work/run"
  mpirun -n "$ranks" --bind-to none -x OMP_NUM_THREADS "$popsim" run "$here/inputs/korea/baseline.toml" \
    --years 2 --scale "$scale" --out "$work/run" --checkpoint-every 1 >"$work/write.log" 2>&1
  ckpt=$(ls "$work/run/checkpoints"/ckpt-*.h5)
  sync
  echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true  # a cold read where permitted
  mpirun -n "$ranks" --bind-to none -x OMP_NUM_THREADS "$popsim" run "$here/inputs/korea/baseline.toml" \
    --years 2 --scale "$scale" --out "$work/run2" --restart "$ckpt" >"$work/read.log" 2>&1
  row=$(/usr/bin/python3 - "$work/write.log" "$work/read.log" "$ckpt" <<'PY'
import os, re, sys, h5py
w = re.search(r"checkpoint \S+ \((\d+) MB in ([\d.]+) s", open(sys.argv[1]).read())
r = re.search(r"read checkpoint \S+ \((\d+) MB in ([\d.]+) s", open(sys.argv[2]).read())
size = os.path.getsize(sys.argv[3])
agents = h5py.File(sys.argv[3])["/persons/id"].shape[0]
ws, rs = float(w.group(2)), float(r.group(2))
print(f"{agents},{size},{size / agents:.1f},{ws:.2f},{size / 1e6 / ws:.0f},{rs:.2f},{size / 1e6 / rs:.0f}")
PY
)
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$rev,$cpu,$(nproc --all),$fs,$ranks,$scale,$row" | tee -a "$out_csv"
done
