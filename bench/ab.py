"""Builds of one model against each other, side by side in one process.

The shared machines change speed by up to 1.5x within minutes, so two
binaries timed one after the other can differ by more than the change
being measured. This links each build's object (`netc compile model.json
-o a.o`, one per compiler build or option) into a shared library, loads
them all into bench/ab_bench.cpp, and lets them take turns, a few steps
each, for `--rounds` rounds. Prints each build's median time per call and
its speed relative to the first.

    /usr/bin/python3 bench/ab.py models/inception.json a.o b.o \\
        [--mode train|inference|latency] [--rounds 20] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="the model's JSON")
    parser.add_argument("objects", nargs="+", help="one object per build")
    parser.add_argument("--netc",
                        default=os.path.join(ROOT, "build", "bin", "netc"))
    parser.add_argument("--mode", default="train",
                        choices=["train", "inference", "latency"])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    with open(args.model) as f:
        name = json.load(f)["name"]
    cflags = run([args.netc, "--cflags"]).split()
    libs = run([args.netc, "--libs"]).split()
    with tempfile.TemporaryDirectory() as workdir:
        run([args.netc, "compile", args.model, "--emit=header", "-o",
             os.path.join(workdir, name + ".h")])
        harness = os.path.join(workdir, "ab_bench")
        run(["clang++-22", "-O2", "-std=c++17", *cflags, f"-I{workdir}",
             f"-DNETC_MODEL={name}", f'-DNETC_MODEL_HEADER="{name}.h"',
             os.path.join(ROOT, "bench", "ab_bench.cpp"), *libs, "-ldl",
             "-o", harness])
        libraries = []
        for i, obj in enumerate(args.objects):
            library = os.path.join(workdir, f"build{i}.so")
            run(["clang++-22", "-shared", obj, *libs, "-o", library])
            libraries.append(library)
        env = dict(os.environ, NETC_NUM_THREADS=str(args.threads))
        times = json.loads(run([harness, args.mode, str(args.rounds),
                                *libraries], env=env))
    first = times[libraries[0]]["median_s"]
    print(f"{name}, {args.mode}, {args.threads} thread(s), "
          f"{args.rounds} rounds; speed relative to the first build")
    for obj, library in zip(args.objects, libraries):
        t = times[library]
        print(f"{obj}: median {t['median_s'] * 1e3:.3f} ms, "
              f"best {t['best_s'] * 1e3:.3f} ms, {first / t['median_s']:.3f}x")


if __name__ == "__main__":
    main()
