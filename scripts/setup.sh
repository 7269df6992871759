#!/usr/bin/env bash
# Installs the Debian packages popsim needs (only those missing), then configures and builds.
# Idempotent and quiet when everything is present.
# Usage: scripts/setup.sh [BUILD_DIR [CMAKE_OPTIONS...]] (options such as -DPOPSIM_ENABLE_SANITIZERS=ON)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-"$here/build"}
(($# == 0)) || shift

packages=(
  g++ cmake make pkg-config git time procps
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libboost-serialization-dev libgtest-dev libgmock-dev librandom123-dev
  libcli11-dev libtomlplusplus-dev libfmt-dev libspdlog-dev libmetis-dev
  python3-numpy python3-pandas python3-scipy python3-h5py python3-matplotlib
  slurm-wlm munge libpmix2 libpmix-dev
  btrfs-progs
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$build_dir"
build_type=()
[[ -f "$build_dir/CMakeCache.txt" ]] || build_type=(-DCMAKE_BUILD_TYPE=Release)
cmake -S "$here" -B "$build_dir" "${build_type[@]}" "$@" >"$build_dir/setup-configure.log" 2>&1 \
  || { cat "$build_dir/setup-configure.log"; exit 1; }
cmake --build "$build_dir" -j "$jobs" >"$build_dir/setup-build.log" 2>&1 \
  || { tail -n 60 "$build_dir/setup-build.log"; exit 1; }
