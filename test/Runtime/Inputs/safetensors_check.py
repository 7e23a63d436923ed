"""Cross-checks safetensors files between PyTorch and safetensors_tool.

  safetensors_check.py write OUT   a seeded Conv2d(1, 2, 3)'s state_dict, F32
  safetensors_check.py compare OUT TOOL_OUTPUT
                                   "match" if the tool printed the same values
  safetensors_check.py read FILE   loads FILE into the Sequential's
                                   state_dict and prints it
  safetensors_check.py torch-save OUT KIND
                                   torch.saves the Sequential as KIND:
                                   "state_dict" (a zip archive, with an I64
                                   and a BF16 extra), "module" (the whole
                                   module), "legacy" (the pre-1.6 pickle),
                                   "double" (F64) or "checkpoint" (a dict
                                   holding the state_dict and an epoch)
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


def torch_save(path, kind):
    net = model()
    state = net.state_dict()
    if kind == "state_dict":
        state["extra.count"] = torch.tensor(7)
        state["extra.half"] = torch.ones(3, dtype=torch.bfloat16)
        torch.save(state, path)
    elif kind == "module":
        torch.save(net, path)
    elif kind == "legacy":
        torch.save(state, path, _use_new_zipfile_serialization=False)
    elif kind == "double":
        torch.save({k: v.double() for k, v in state.items()}, path)
    else:
        torch.save({"model": state, "epoch": 3}, path)


def main(cmd, path, tool_output=None):
    if cmd == "torch-save":
        torch_save(path, tool_output)
    elif cmd == "write":
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
