#!/usr/bin/env bash
# Strong and weak scaling of the projection. Appends rows to bench/results/scaling.csv and
# writes the machine's details to bench/results/machine.json.
#   strong: a fixed population (SCALE, default 0.2 = 10.2 M agents), every ranks x threads layout
#           with ranks x threads <= MAX_CORES (default: all cores), plus ranks up to 2 x cores
#           oversubscribed (marked), YEARS (default 5) years each;
#   weak:   WEAK_SCALE (default 0.1) of the population per rank: scale = WEAK_SCALE x ranks, ranks
#           1, 2, 4 ... up to MAX_CORES (one thread each).
# Each row: kind, ranks, threads, scale, agents, years, wall seconds of the years (the slowest
# rank per year), agent-years per second, mean seconds per phase (slowest rank), exchange bytes per
# year, peak memory (MB, summed over ranks), oversubscribed flag. analysis/report.py --scaling
# draws them; bench/scaling_model.py projects them to 64-1,024 ranks.
# Usage: bench/scaling.sh [BUILD_DIR]   (run scripts/setup.sh first; nothing else should run)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$here/build"}
popsim="$build/src/popsim"
[[ -x "$popsim" ]] || { echo "bench: $popsim not found; run scripts/setup.sh first" >&2; exit 1; }
[[ $(id -u) -ne 0 ]] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc --all)
max_cores=${MAX_CORES:-$cores}
scale=${SCALE:-0.2}
weak=${WEAK_SCALE:-0.1}
years=${YEARS:-5}
out_csv="$here/bench/results/scaling.csv"
work=$(mktemp -d "${TMPDIR:-/tmp}/popsim-scaling-XXXXXX")
trap 'rm -rf "$work"' EXIT
rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
/usr/bin/python3 - "$here/bench/results/machine.json" <<'PY'
import json, os, platform, subprocess, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
mpi = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
json.dump({"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "kernel": platform.release(),
           "os": platform.freedesktop_os_release().get("PRETTY_NAME", ""), "mpi": mpi,
           "compiler": subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]},
          open(sys.argv[1], "w"), indent=2)
PY
header="date,git_revision,kind,ranks,threads,oversubscribed,scale,agents,years,wall_s,agent_years_per_s,rates_s,kernels_s,rebuild_s,exchange_s,accounting_s,checks_s,output_s,bytes_exchanged_per_year,peak_rss_mb"
[[ -f "$out_csv" ]] || echo "$header" >"$out_csv"

run() {  # run KIND RANKS THREADS SCALE
  local kind=$1 ranks=$2 threads=$3 s=$4 over=0
  [[ $((ranks * threads)) -le $cores ]] || over=1
  sync
  OMP_NUM_THREADS=$threads mpirun -n "$ranks" --oversubscribe --bind-to none -x OMP_NUM_THREADS \
    /usr/bin/time -f "peak_rss_kb %M" "$popsim" run "$here/inputs/korea/baseline.toml" --years "$years" --scale "$s" \
    --out "$work/run" --overwrite >"$work/log" 2>&1
  row=$(/usr/bin/python3 - "$work/run/results.h5" "$work/log" <<'PY'
import re, sys, h5py, numpy as np
f = h5py.File(sys.argv[1])
per = f["performance/seconds"][1:, :, :]
wall = per.sum(axis=2).max(axis=1)
slowest = per[np.arange(per.shape[0]), per.sum(axis=2).argmax(axis=1), :]
agents = f["performance/agents"][:, :].sum(axis=1)
rss = sum(int(x) for x in re.findall(r"peak_rss_kb (\d+)", open(sys.argv[2]).read()))
row = [int(agents[0]), per.shape[0], round(float(wall.sum()), 3), round(float(agents[:-1].sum() / wall.sum()))]
row += [round(float(x), 4) for x in slowest.mean(axis=0)]
row += [round(float(f["performance/bytes_exchanged"][1:, :].sum()) / per.shape[0]), round(rss / 1024)]
print(",".join(str(x) for x in row))
PY
)
  IFS=, read -r agents y wall rate rest <<<"$row"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ),$rev,$kind,$ranks,$threads,$over,$s,$agents,$y,$wall,$rate,$rest" | tee -a "$out_csv"
}

for ((c = 1; c <= max_cores; c *= 2)); do
  for ((t = 1; t <= c; t *= 2)); do run strong $((c / t)) "$t" "$scale"; done
done
run strong $((2 * cores)) 1 "$scale"  # oversubscribed: the decomposition's overhead with more ranks than cores
for ((r = 1; r <= max_cores; r *= 2)); do
  run weak "$r" 1 "$(/usr/bin/python3 -c "print(min(1.0, $weak * $r))")"
done
