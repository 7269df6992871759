#!/usr/bin/env bash
# Benchmark: the full-scale projection (51,090,859 agents), 10 years, on 1 rank x 2 threads,
# 2 ranks x 1 thread and 1 rank x 1 thread. Appends one CSV row per configuration to
# bench/results/projection.csv: wall time of the years, agent-years per second (per core), mean
# seconds per phase of the year (from /performance of results.h5; the slowest rank), the share of
# the year spent in the migrant exchange and lost to load imbalance, bytes exchanged, and peak
# memory in bytes per agent (summed over ranks). The kernels' CPU seconds per year by event go to
# bench/results/events.csv.
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
header="date,git_revision,cpu,cores,ranks,threads,scale,years,agents_start,agent_years,years_wall_s,agent_years_per_s,agent_years_per_s_per_core,s_per_year,rates_s,kernels_s,rebuild_s,exchange_s,accounting_s,checks_s,output_s,exchange_share,imbalance_share,bytes_exchanged_per_year,peak_rss_mb,peak_bytes_per_agent"
if [[ -f "$out_csv" && "$(head -n 1 "$out_csv")" != "$header" ]]; then
  mv "$out_csv" "${out_csv%.csv}-$(date -u +%Y%m%d%H%M%S)-old-columns.csv"
fi
[[ -f "$out_csv" ]] || echo "$header" >"$out_csv"

for config in "1 2" "2 1" "1 1"; do
  read -r ranks threads <<<"$config"
  sync
  rm -f "$work"/rss.*
  # Each rank's peak goes to a file of its own (interleaved output could drop one).
  OMP_NUM_THREADS=$threads mpirun -n "$ranks" --bind-to none -x OMP_NUM_THREADS \
    sh -c 'exec /usr/bin/time -f "peak_rss_kb %M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$work/rss" \
    "$popsim" run "$here/inputs/korea/baseline.toml" \
    --years "$years" --scale "$scale" --out "$work/run" --overwrite >"$work/log" 2>&1
  cat "$work"/rss.* >>"$work/log"
  row=$(/usr/bin/python3 - "$work/run/results.h5" "$work/log" "$threads" <<'PY'
import sys, re, h5py, numpy as np
f = h5py.File(sys.argv[1])
log = open(sys.argv[2]).read()
threads = int(sys.argv[3])
per_rank = f["performance/seconds"][1:, :, :]                # years x ranks x phases
ranks = per_rank.shape[1]
year_wall = per_rank.sum(axis=2).max(axis=1)                  # the slowest rank sets each year's time
slowest = per_rank[np.arange(per_rank.shape[0]), per_rank.sum(axis=2).argmax(axis=1), :]
work = per_rank[:, :, 1] + per_rank[:, :, 2]                  # kernels + rebuild per rank
imbalance = (work.max(axis=1) - work.mean(axis=1)).sum() / year_wall.sum()
exchange = slowest[:, 3].sum() / year_wall.sum()
agents = f["performance/agents"][:, :].sum(axis=1)
agent_years = int(agents[:-1].sum())
wall = float(year_wall.sum())
bytes_year = float(f["performance/bytes_exchanged"][1:, :].sum()) / per_rank.shape[0]
rss = sum(int(x) for x in re.findall(r"peak_rss_kb (\d+)", log))
cores = ranks * threads
row = [ranks, threads, float(f["meta"].attrs["scale"]), per_rank.shape[0], int(agents[0]), agent_years,
       round(wall, 2), round(agent_years / wall), round(agent_years / wall / cores), round(wall / per_rank.shape[0], 3)]
row += [round(x, 3) for x in slowest.mean(axis=0)]
row += [round(exchange, 4), round(imbalance, 4), round(bytes_year), round(rss / 1024), round(rss * 1024 / agents[0], 1)]
print(",".join(str(x) for x in row))
PY
)
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ),$rev,$cpu,$(nproc),$row"
  echo "$line" >>"$out_csv"
  echo "$line"
  # Where the kernel time goes: CPU seconds per simulated year by event (summed over threads
  # and ranks), from the run's last log line of that kind.
  events=$(grep -o 'kernel CPU seconds per year (all threads and ranks): .*' "$work/log" | tail -n 1 | cut -d: -f2-)
  if [[ -n "$events" ]]; then
    events_csv="$here/bench/results/events.csv"
    [[ -f "$events_csv" ]] || echo "date,git_revision,cpu,ranks,threads,scale,event,cpu_s_per_year" >"$events_csv"
    IFS=',' read -ra parts <<<"$events"
    for part in "${parts[@]}"; do
      part=${part# }
      echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$rev,$cpu,$ranks,$threads,$scale,${part% *},${part##* }" >>"$events_csv"
    done
  fi
done
