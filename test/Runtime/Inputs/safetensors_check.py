"""Cross-checks safetensors files between PyTorch and safetensors_tool.

  safetensors_check.py write OUT   a seeded Conv2d(1, 2, 3)'s state_dict, F32
  safetensors_check.py compare OUT TOOL_OUTPUT
                                   "match" if the tool printed the same values
  safetensors_check.py read FILE   loads FILE into the Sequential's
                                   state_dict and prints it
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "Parity"))
from netc_testdata import read_safetensors, write_safetensors  # noqa: E402


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3))


def main(cmd, path, tool_output=None):
    if cmd == "write":
        write_safetensors(path, {k: v.numpy()
                                 for k, v in model().state_dict().items()})
    elif cmd == "compare":
        with open(tool_output) as f:
            printed = {line.split()[0]: np.array(line.split()[1:], np.float32)
                       for line in f}
        expected = {k: v.numpy().ravel()
                    for k, v in model().state_dict().items()}
        same = printed.keys() == expected.keys() and all(
            np.array_equal(printed[k], expected[k]) for k in expected)
        print("match" if same else "MISMATCH %s %s" % (printed, expected))
    else:
        net = model()
        net.load_state_dict({k: torch.from_numpy(v.copy())
                             for k, v in read_safetensors(path).items()})
        for k, v in net.state_dict().items():
            print(k, list(v.shape), *v.ravel().tolist())


if __name__ == "__main__":
    main(*sys.argv[1:])
