#!/usr/bin/env bash
# Benchmark: full-scale synthesis of the initial population (51,090,859 agents) and its
# checkpoint write, on 1 rank x 2 threads and 2 ranks x 1 thread. Appends one CSV row per
# configuration to bench/results/synthesis.csv (wall time, phases, peak memory, bytes per agent).
# Usage: bench/synthesis.sh [BUILD_DIR] [SCALE]   (run scripts/setup.sh first)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-"$here/build"}
scale=${2:-1}
popsim="$build/src/popsim"
[[ -x "$popsim" ]] || { echo "bench: $popsim not found; run scripts/setup.sh first" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
out_csv="$here/bench/results/synthesis.csv"
work=$(mktemp -d "${TMPDIR:-/tmp}/popsim-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/,/ /g')
cores=$(nproc)
mem_gb=$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
rev=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
[[ -f "$out_csv" ]] || echo "date,git_revision,cpu,cores,mem_gb,ranks,threads,scale,persons,households,synthesis_s,write_s,wall_s,peak_rss_mb_sum,peak_rss_bytes_per_agent,state_bytes_per_agent,file_bytes,file_bytes_per_agent" >"$out_csv"

for config in "1 2" "2 1"; do
  read -r ranks threads <<<"$config"
  file="$work/population.h5"
  rm -f "$file"
  sync  # the previous run's file must not be written back while this one is timed
  start=$(date +%s.%N)
  OMP_NUM_THREADS=$threads mpirun -n "$ranks" --bind-to none -x OMP_NUM_THREADS \
    /usr/bin/time -f "peak_rss_kb %M" "$popsim" synthesize "$here/inputs/korea/baseline.toml" --scale "$scale" \
    --out "$file" >"$work/log" 2>&1
  end=$(date +%s.%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')
  persons=$(grep -m1 ' persons ' "$work/log" | awk '{gsub(",", "", $2); print $2}')
  households=$(grep -m1 ' households ' "$work/log" | awk '{gsub(",", "", $2); print $2}')
  synth_s=$(grep -m1 ' time ' "$work/log" | awk '{print $2}')
  write_s=$(grep -m1 ' time ' "$work/log" | awk '{print $6}')
  state=$(grep -m1 'state memory' "$work/log" | awk '{print $3}')
  rss_kb=$(grep peak_rss_kb "$work/log" | awk '{s += $2} END {print s}')
  file_bytes=$(stat -c %s "$file")
  row=$(printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.2f,%.0f,%.1f,%s,%s,%.1f' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$rev" "$cpu" "$cores" "$mem_gb" "$ranks" "$threads" "$scale" \
    "$persons" "$households" "$synth_s" "$write_s" "$wall" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$rss_kb" -v n="$persons" 'BEGIN {print k * 1024 / n}')" "$state" "$file_bytes" \
    "$(awk -v f="$file_bytes" -v n="$persons" 'BEGIN {print f / n}')")
  echo "$row" >>"$out_csv"
  echo "$row"
done
