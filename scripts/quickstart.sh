#!/usr/bin/env bash
# Quick start: install the toolchain, build netc, compile every model and run
# each on real images.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/run-models.sh
