"""netc against PyTorch 1.13 on the seed models, in one run.

For every model: compile time of `netc compile --emit=obj` (the training
steps included), then the train step at batch 64, batch-1 latency, batch-64
inference and peak RSS, for netc and for PyTorch at the same thread count
(netc with NETC_NUM_THREADS, PyTorch with torch.set_num_threads; PyTorch's
best of 1 and 2 threads is its score). Each side runs in its own processes,
interleaved, `--repeat` times; the median counts (of compile times too).
Prints a table of ratios (> 1: netc is faster).

    /usr/bin/python3 bench/run.py [--build build] [--models lenet,residual]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SEED_MODELS = ["lenet", "mnist_cnn", "homework_net", "inception", "residual"]
METRICS = ["train_img_s", "latency_ms", "infer_img_s", "peak_rss_mb"]


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def build_netc_bench(netc, build, model, workdir, repeat):
    """Compiles the model (`repeat` times, timed) and links the harness;
    returns (binary, median compile seconds)."""
    path = os.path.join(ROOT, "models", model + ".json")
    obj = os.path.join(workdir, model + ".o")
    header = os.path.join(workdir, model + ".h")
    compile_seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        run([netc, "compile", path, "--emit=obj", "-o", obj])
        compile_seconds.append(time.perf_counter() - start)
    run([netc, "compile", path, "--emit=header", "-o", header])
    binary = os.path.join(workdir, model + "_bench")
    cflags = run([netc, "--cflags"]).split()
    libs = run([netc, "--libs"]).split()
    run(["clang++-22", "-O2", "-std=c++17", *cflags, f"-I{workdir}",
         f"-DNETC_MODEL={model}", f'-DNETC_MODEL_HEADER="{model}.h"',
         os.path.join(ROOT, "bench", "netc_model_bench.cpp"), obj, *libs,
         "-o", binary])
    return binary, statistics.median(compile_seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--models", default=",".join(SEED_MODELS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="minimum timed seconds per measurement")
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    netc = os.path.join(args.build, "bin", "netc")
    threads = [int(t) for t in args.threads.split(",")]
    models = args.models.split(",")

    workdir = tempfile.mkdtemp(prefix="netc-bench-")
    binaries, compile_times = {}, {}
    for model in models:
        binaries[model], compile_times[model] = build_netc_bench(
            netc, args.build, model, workdir, args.repeat)

    results = {}  # (side, model, threads) -> list of measurement dicts
    for _ in range(args.repeat):
        for model in models:
            for t in threads:
                env = dict(os.environ, NETC_NUM_THREADS=str(t),
                           OMP_NUM_THREADS=str(t))
                results.setdefault(("netc", model, t), []).append(json.loads(
                    run([binaries[model], str(args.seconds)], env)))
                results.setdefault(("torch", model, t), []).append(json.loads(
                    run(["/usr/bin/python3",
                         os.path.join(ROOT, "bench", "torch_model_bench.py"),
                         os.path.join(ROOT, "models", model + ".json"),
                         "--threads", str(t), "--seconds", str(args.seconds)],
                        env)))

    def median(side, model, t, metric):
        return statistics.median(r[metric] for r in results[(side, model, t)])

    def best(side, model, metric):
        values = [median(side, model, t, metric) for t in threads]
        return min(values) if metric in ("latency_ms", "peak_rss_mb") \
            else max(values)

    print(f"threads {args.threads}; medians of {args.repeat} processes; "
          "ratio > 1: netc faster (smaller, for RSS)")
    header = ("model", "train img/s netc", "torch", "ratio",
              "batch-1 ms netc", "torch", "ratio", "infer img/s netc",
              "torch", "ratio", "RSS MB netc", "torch", "compile s")
    print(" | ".join(header))
    for model in models:
        row = [model]
        for metric in METRICS:
            n, p = best("netc", model, metric), best("torch", model, metric)
            ratio = p / n if metric in ("latency_ms", "peak_rss_mb") \
                else n / p
            row += [f"{n:.4g}", f"{p:.4g}"]
            if metric != "peak_rss_mb":
                row.append(f"{ratio:.2f}x")
        row.append(f"{compile_times[model]:.2f}")
        print(" | ".join(row))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
