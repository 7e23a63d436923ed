"""netc's compile time against model depth: the table in
docs/model-format.md ("Limits").

For each depth N, a chain of N relus on a (8, 16) input (the JSON written to
a temporary folder) is compiled three ways, each timed once: the object
without training steps, the object with them, and the header (which, with
training, measures the step's memory through bufferization).

    /usr/bin/python3 bench/compile_scale.py [--build build] [--layers 1000,3000,10000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def timed(cmd):
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--layers", default="1000,3000,10000")
    args = parser.parse_args()
    netc = os.path.join(args.build, "bin", "netc")
    workdir = tempfile.mkdtemp(prefix="netc-scale-")

    print("| layers | object, inference | object with training steps | "
          "header (training) |")
    print("| --- | --- | --- | --- |")
    for layers in (int(n) for n in args.layers.split(",")):
        model = os.path.join(workdir, f"relu{layers}.json")
        with open(model, "w") as f:
            json.dump({"name": "chain", "input": {"shape": [8, 16]},
                       "layers": [{"op": "relu"}] * layers}, f)
        out = os.path.join(workdir, "chain")
        inference = timed([netc, "compile", model, "--training=false",
                           "-o", out + ".o"])
        training = timed([netc, "compile", model, "-o", out + ".o"])
        header = timed([netc, "compile", model, "--emit=header",
                        "-o", out + ".h"])
        print(f"| {layers:,} | {inference:.1f} s | {training:.1f} s | "
              f"{header:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
