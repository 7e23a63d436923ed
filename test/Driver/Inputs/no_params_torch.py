"""Checks netc's results on test/E2E/Inputs/no_params.json against PyTorch."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

work = sys.argv[1]
x = torch.from_numpy(np.load(f"{work}/x.npy")).requires_grad_()
t = torch.from_numpy(np.load(f"{work}/t.npy"))
y = F.log_softmax(torch.flatten(F.relu(F.max_pool2d(x, 2)), 1), dim=1)
F.cross_entropy(y, t).backward()


def close(name, netc, torch_value):
    if not np.allclose(netc, torch_value.detach().numpy(), rtol=1e-5, atol=1e-6):
        sys.exit(f"{name} differ: max |diff| "
                 f"{np.abs(netc - torch_value.detach().numpy()).max()}")
    print(f"{name}: match")


def tensor_count(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    return len([k for k in header if k != "__metadata__"])


close("outputs", np.load(f"{work}/y.npy"), y)
print("weights file holds", tensor_count(f"{work}/w.safetensors"), "tensors")
print("gradients file holds", tensor_count(f"{work}/g.safetensors"), "tensors")
close("input gradient", np.load(f"{work}/dx.npy"), x.grad)
