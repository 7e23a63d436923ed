"""Writes a small random IDX dataset (train- and t10k- images and labels) of
`count` 4x4 images with labels 0..2 into a folder: netc train --data input
small enough for a test to run whole epochs."""
import struct
import sys

import numpy as np

folder, count = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
for prefix in ("train", "t10k"):
    images = rng.integers(0, 256, (count, 4, 4), dtype=np.uint8)
    labels = (np.arange(count) % 3).astype(np.uint8)
    with open(f"{folder}/{prefix}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 4, 4) + images.tobytes())
    with open(f"{folder}/{prefix}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + labels.tobytes())
