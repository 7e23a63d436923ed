#!/usr/bin/env bash
# The main job until training lands: compile every model in models/ to a
# native object and C header (build/models/), then run each once on real
# MNIST test images (Fashion-MNIST for LeNet) with PyTorch's default
# initialisation.
set -euo pipefail
cd "$(dirname "$0")/.."
netc=build/bin/netc
out=build/models
mkdir -p "$out"
for model in models/*.json; do
  name=$(basename "$model" .json)
  images=data/mnist/t10k-images-idx3-ubyte.gz
  [ "$name" = lenet ] && images=data/fashion-mnist/t10k-images-idx3-ubyte.gz
  echo "== $name"
  "$netc" inspect "$model" | grep '^total'
  "$netc" compile "$model" --emit=obj -o "$out/$name.o"
  "$netc" compile "$model" --emit=header -o "$out/$name.h"
  echo "compiled $out/$name.o ($(stat -c %s "$out/$name.o") bytes) and $out/$name.h"
  "$netc" run "$model" --input "$images" --count 64 --seed 0
done
