#!/usr/bin/env bash
# Installs what netc needs to build and test on Debian 12 (as root or with
# sudo), then configures and builds it in ./build with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  liblld-22-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev cmake ninja-build ccache
  zlib1g-dev python3-torch python3-numpy libomp-22-dev
)
# NETC_BENCH=1 adds bench/kernels.py's peer, oneDNN (not needed to build
# or test).
if [ "${NETC_BENCH:-0}" = 1 ]; then
  packages+=(libdnnl-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -G Ninja -S . -B build \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DLLVM_USE_LINKER=lld
ninja -C build
