#!/usr/bin/env bash
# Benchmark: the full-scale projection (51,090,859 agents), 10 years, on 1 rank x 2 threads and
# 1 rank x 1 thread. Appends one CSV row per configuration to bench/results/projection.csv:
# wall time of the years, agent-years per second (per core), mean seconds per phase of the year
# (from /performance of results.h5), and peak memory in bytes per agent.
# Usage: bench/projection.sh [BUILD_DIR] [YEARS] [SCALE]   (run scripts/setup.sh first)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$here/build"}
years=${2:-10}
scale=${3:-1}
popsim="$build/src/popsim"
[[ -x "$popsim" ]] || { echo "bench: $popsim not found; run scripts/setup.sh first" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out_csv="$here/bench/results/projection.csv"
work=$(mktemp -d "${TMPDIR:-/tmp}/popsim-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/,/ /g')
rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
[[ -f "$out_csv" ]] || echo "date,git_revision,cpu,cores,ranks,threads,scale,years,agents_start,agent_years,years_wall_s,agent_years_per_s,agent_years_per_s_per_core,s_per_year,rates_s,kernels_s,rebuild_s,accounting_s,checks_s,output_s,peak_rss_mb,peak_bytes_per_agent" >"$out_csv"

for threads in 2 1; do
  sync
  OMP_NUM_THREADS=$threads /usr/bin/time -f "peak_rss_kb %M" "$popsim" run "$here/inputs/korea/baseline.toml" \
    --years "$years" --scale "$scale" --out "$work/run" >"$work/log" 2>&1
  row=$(/usr/bin/python3 - "$work/run/results.h5" "$work/log" "$threads" <<'PY'
import sys, re, h5py, numpy as np
f = h5py.File(sys.argv[1])
log = open(sys.argv[2]).read()
threads = int(sys.argv[3])
secs = f["performance/seconds"][1:, :, :].sum(axis=1)       # years x phases (summed over ranks)
agents = f["performance/agents"][:, :].sum(axis=1)           # agents at the end of each time point
agent_years = int(agents[:-1].sum())                         # agents at the start of each simulated year
wall = float(secs.sum()) / f["performance/seconds"].shape[1]
rss = int(re.search(r"peak_rss_kb (\d+)", log).group(1))
row = [int(f["meta"].attrs["ranks"]), threads, float(f["meta"].attrs["scale"]), secs.shape[0], int(agents[0]),
       agent_years, round(wall, 2), round(agent_years / wall), round(agent_years / wall / threads),
       round(wall / secs.shape[0], 3)] + [round(x, 3) for x in secs.mean(axis=0)] + [round(rss / 1024), round(rss * 1024 / agents[0], 1)]
print(",".join(str(x) for x in row))
PY
)
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ),$rev,$cpu,$(nproc),$row"
  echo "$line" >>"$out_csv"
  echo "$line"
done
