#!/usr/bin/env bash
# Runs every netc test: lit (compiler, end to end, PyTorch parity) and the
# runtime's GoogleTest suite, through ctest. Builds first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || ./scripts/setup-debian.sh
ninja -C build
ctest --test-dir build --output-on-failure
