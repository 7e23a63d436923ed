"""Test data for netc: .npy inputs, .safetensors weights, printed outputs.

Used as a library by torch_reference.py and as a small command-line tool by
the lit tests, which keep their values in JSON files next to the model:

  netc_testdata.py npy VALUES.json OUT.npy          nested list -> float32 .npy
  netc_testdata.py safetensors WEIGHTS.json OUT.safetensors
                                                     {"name": nested list, ...}
  netc_testdata.py print Y.npy                      the shape, then one line
                                                     per row of the last dim
  netc_testdata.py run NETC MODEL.json WEIGHTS.json INPUT.json
      converts WEIGHTS.json and INPUT.json (to .safetensors and .npy beside
      them), runs `NETC run`, writes INPUT.out.npy and prints it as `print`

Needs numpy only (no torch, no safetensors package).
"""
import argparse
import json
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts"))
from torch_to_safetensors import \
    write_safetensors as write_safetensors_entries  # noqa: E402


def write_npy(path, array):
    """Writes `array` as a float32 .npy file."""
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def read_npy(path):
    """Reads a .npy file as a float32 array."""
    return np.load(path).astype(np.float32)


def write_safetensors(path, tensors):
    """Writes {name: array} as an F32 safetensors file, names sorted (the
    format's writer is scripts/torch_to_safetensors.py's)."""
    write_safetensors_entries(path, {
        name: ("F32", np.shape(tensors[name]),
               np.ascontiguousarray(tensors[name], dtype="<f4").tobytes())
        for name in sorted(tensors)})


def read_safetensors(path):
    """Reads an F32 safetensors file back as {name: array}."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    header.pop("__metadata__", None)
    return {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]],
                                dtype="<f4").reshape(e["shape"])
            for name, e in header.items()}


def format_value(v):
    """Formats a number for FileCheck: rounded to 4 decimals, no '-0'."""
    v = round(float(v), 4)
    return "%g" % (v + 0.0 if v != 0 else 0.0)


def format_array(array):
    """The shape on one line, then each row of the last dimension."""
    lines = ["shape " + "x".join(str(d) for d in array.shape)]
    rows = array.reshape(-1, array.shape[-1]) if array.ndim else [[array]]
    lines += [" ".join(format_value(v) for v in row) for row in rows]
    return "\n".join(lines)


def json_array(path):
    """A JSON file holding a nested list of numbers, as an array."""
    with open(path) as f:
        return np.array(json.load(f), dtype=np.float32)


def json_weights(path):
    """A JSON file {"name": nested list, ...}, as {name: array}."""
    with open(path) as f:
        return {k: np.array(v, dtype=np.float32) for k, v in json.load(f).items()}


def run_model(netc, model, weights_json, input_json):
    """Runs `netc run` on JSON-given weights and input; prints the output.

    Returns netc's exit status (its messages go to stderr)."""
    weights = os.path.splitext(weights_json)[0] + ".safetensors"
    x = os.path.splitext(input_json)[0] + ".npy"
    y = os.path.splitext(input_json)[0] + ".out.npy"
    write_safetensors(weights, json_weights(weights_json))
    write_npy(x, json_array(input_json))
    status = subprocess.call([netc, "run", model, "--weights", weights,
                              "--input", x, "-o", y])
    if status == 0:
        print(format_array(read_npy(y)))
    return status


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    npy = sub.add_parser("npy", help="nested JSON list -> float32 .npy")
    npy.add_argument("values")
    npy.add_argument("out")
    st = sub.add_parser("safetensors", help="JSON {name: values} -> F32 file")
    st.add_argument("weights")
    st.add_argument("out")
    show = sub.add_parser("print", help="print a .npy file's values")
    show.add_argument("npy")
    run = sub.add_parser("run", help="netc run on JSON weights and input")
    for arg in ("netc", "model", "weights", "input"):
        run.add_argument(arg)
    args = parser.parse_args(argv)
    if args.cmd == "npy":
        write_npy(args.out, json_array(args.values))
    elif args.cmd == "safetensors":
        write_safetensors(args.out, json_weights(args.weights))
    elif args.cmd == "print":
        print(format_array(read_npy(args.npy)))
    else:
        return run_model(args.netc, args.model, args.weights, args.input)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
