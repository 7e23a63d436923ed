#!/usr/bin/env bash
# Quick start: install the toolchain, build netc, then train the seeds' MNIST
# CNN on the shipped MNIST (3 epochs, SGD lr 0.01 momentum 0.5, batch 64, as
# the seed does) with a progress bar, checkpoints and a loss/accuracy plot.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
mkdir -p build/runs
build/bin/netc train models/mnist_cnn.json --data data/mnist --epochs 3 \
  --batch-size 64 --lr 0.01 --momentum 0.5 --seed 1 \
  --checkpoint build/runs/mnist_cnn.ckpt.safetensors \
  --plot build/runs/mnist_cnn.png -o build/runs/mnist_cnn.safetensors
echo "weights: build/runs/mnist_cnn.safetensors, plot: build/runs/mnist_cnn.png"
