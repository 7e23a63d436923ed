"""netc's convolutions against oneDNN 2.6 and the FMA peak, one kernel at a
time, on the convolutions of the seed models.

The convolutions are found by running each model, built by the parity tests'
independent reader (test/Parity/torch_model.py), with a forward hook on every
torch Conv1d/2d/3d; identical ones are measured once. For each: the forward
pass, the input gradient and the weight gradient in GFLOP/s, for netc (a
one-layer model, bench/netc_kernel_bench.cpp) and for oneDNN
(bench/onednn_conv_bench.cpp, its preferred layouts), and netc's share of the
FMA peak measured in the same run (bench/fma_peak.cpp). netc and oneDNN run
in separate processes, interleaved, `--repeat` times; the median counts.

netc's gradients are differences of whole entry points: weight gradient =
backward without input gradient - forward (so it includes the loss and the
bias gradient: an upper bound on the kernel's time, a lower bound on its
GFLOP/s), input gradient = backward with it - backward without.

    /usr/bin/python3 bench/kernels.py [--models lenet,residual] [--threads 1,2]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "Parity"))
from torch_model import build_model  # noqa: E402

SEED_MODELS = ["lenet", "mnist_cnn", "homework_net", "inception", "residual"]
PASSES = ["fwd", "bwd_data", "bwd_weights"]
CXX = ["clang++-22", "-O2", "-std=c++17"]


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def padding_pairs(conv, n):
    """The conv's (before, after) zero padding per spatial dim."""
    if isinstance(conv.padding, str):  # "same" / "valid", as torch splits it
        if conv.padding == "valid":
            return [(0, 0)] * n
        totals = [d * (k - 1) for k, d in zip(conv.kernel_size, conv.dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    return [(p, p) for p in conv.padding]


def find_convolutions(models, batch):
    """The distinct convolutions of `models`, in order of first use: a list
    of dicts with the input shape (batch included), attributes, FLOPs and
    where each one is used."""
    convs = {}
    for model_name in models:
        torch.manual_seed(0)
        model = build_model(os.path.join(ROOT, "models", model_name + ".json"))

        def record(layer, module, inputs, output):
            n = module.weight.dim() - 2
            in_shape = list(inputs[0].shape)
            pads = padding_pairs(module, n)
            if module.padding_mode != "zeros":
                # oneDNN pads with zeros only: time the kernel on the input
                # padded beforehand, as by a pad op of its own.
                in_shape[2:] = [s + b + a for s, (b, a) in
                                zip(in_shape[2:], pads)]
                pads = [(0, 0)] * n
            conv = {"input": in_shape, "out_channels": module.out_channels,
                    "kernel": list(module.kernel_size),
                    "stride": list(module.stride), "padding": pads,
                    "dilation": list(module.dilation),
                    "groups": module.groups, "bias": module.bias is not None}
            key = json.dumps(conv)
            if key not in convs:
                out = output.shape
                conv["flops"] = (2 * out[0] * out[1] * math.prod(out[2:]) *
                                 (in_shape[1] // module.groups) *
                                 math.prod(module.kernel_size))
                conv["used_in"] = {}
                convs[key] = conv
            convs[key]["used_in"].setdefault(model_name, []).append(layer)

        for name, module in model.named_modules():
            if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                module.register_forward_hook(
                    lambda m, i, o, name=name: record(name, m, i, o))
        with torch.no_grad():
            model(torch.zeros((batch,) + model.input_shape))
    return list(convs.values())


def netc_model(conv, name):
    """A netc model of the one convolution `conv`."""
    n = len(conv["kernel"])
    padding = [b if b == a else [b, a] for b, a in conv["padding"]]
    return {"name": name, "input": {"shape": conv["input"][1:]},
            "layers": [{"op": f"conv{n}d",
                        "out_channels": conv["out_channels"],
                        "kernel_size": conv["kernel"],
                        "stride": conv["stride"], "padding": padding,
                        "dilation": conv["dilation"],
                        "groups": conv["groups"], "bias": conv["bias"]}]}


def build_netc_bench(netc, conv, name, workdir):
    """Compiles the one-layer model of `conv` and links the harness."""
    path = os.path.join(workdir, name + ".json")
    with open(path, "w") as f:
        json.dump(netc_model(conv, name), f)
    obj = os.path.join(workdir, name + ".o")
    run([netc, "compile", path, "--emit=obj", "-o", obj])
    run([netc, "compile", path, "--emit=header", "-o",
         os.path.join(workdir, name + ".h")])
    binary = os.path.join(workdir, name + "_bench")
    run([*CXX, *run([netc, "--cflags"]).split(), f"-I{workdir}",
         f"-DNETC_MODEL={name}", f'-DNETC_MODEL_HEADER="{name}.h"',
         os.path.join(ROOT, "bench", "netc_kernel_bench.cpp"), obj,
         *run([netc, "--libs"]).split(), "-o", binary])
    return binary


def onednn_args(conv, seconds):
    """onednn_conv_bench's command line for `conv`."""
    def dims(values):
        return ",".join(str(v) for v in values)
    return ["--batch", str(conv["input"][0]), "--in", str(conv["input"][1]),
            "--out", str(conv["out_channels"]),
            "--input", dims(conv["input"][2:]),
            "--kernel", dims(conv["kernel"]), "--stride", dims(conv["stride"]),
            "--pad-l", dims(b for b, _ in conv["padding"]),
            "--pad-r", dims(a for _, a in conv["padding"]),
            "--dilation", dims(conv["dilation"]),
            "--groups", str(conv["groups"]), "--bias", str(int(conv["bias"])),
            "--seconds", str(seconds)]


def netc_seconds(measured):
    """netc's seconds per pass, from its entry points' medians."""
    return {"fwd": measured["forward"],
            "bwd_data": measured["backward_input_grad"] - measured["backward"],
            "bwd_weights": measured["backward"] - measured["forward"]}


def describe(conv):
    """'64, 1->6, 28x28, k5, s1, p2, g1' (pairs as before/after)."""
    def size(values):
        return "x".join(str(v) for v in values) if len(set(values)) > 1 \
            else str(values[0])
    pads = [b if b == a else f"{b}/{a}" for b, a in conv["padding"]]
    text = (f"{conv['input'][0]}, {conv['input'][1]}->{conv['out_channels']},"
            f" {'x'.join(str(s) for s in conv['input'][2:])},"
            f" k{size(conv['kernel'])}, s{size(conv['stride'])},"
            f" p{size(pads)}, g{conv['groups']}")
    if any(d != 1 for d in conv["dilation"]):
        text += f", d{size(conv['dilation'])}"
    return text if conv["bias"] else text + ", no bias"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--models", default=",".join(SEED_MODELS))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.3,
                        help="minimum timed seconds per measurement")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    netc = os.path.join(args.build, "bin", "netc")
    threads = [int(t) for t in args.threads.split(",")]

    convs = find_convolutions(args.models.split(","), args.batch)
    workdir = tempfile.mkdtemp(prefix="netc-kernels-")
    fma_peak = os.path.join(workdir, "fma_peak")
    run([*CXX, "-pthread", os.path.join(ROOT, "bench", "fma_peak.cpp"),
         "-o", fma_peak])
    onednn = os.path.join(workdir, "onednn_conv_bench")
    run([*CXX, os.path.join(ROOT, "bench", "onednn_conv_bench.cpp"),
         "-ldnnl", "-o", onednn])
    binaries = [build_netc_bench(netc, conv, f"conv{i}", workdir)
                for i, conv in enumerate(convs)]

    peaks = {t: [] for t in threads}
    results = {}  # (side, conv index, threads) -> list of seconds dicts
    for r in range(args.repeat):
        print(f"run {r + 1} of {args.repeat}: {len(convs)} convolutions",
              file=sys.stderr)
        peak = json.loads(run([fma_peak, *map(str, threads)]))
        isa = peak["isa"]
        for t in threads:
            peaks[t].append(peak["gflops"][str(t)])
        for i, conv in enumerate(convs):
            for t in threads:
                env = dict(os.environ, NETC_NUM_THREADS=str(t),
                           OMP_NUM_THREADS=str(t))
                results.setdefault(("netc", i, t), []).append(netc_seconds(
                    json.loads(run([binaries[i], str(args.batch),
                                    str(args.seconds)], env))))
                results.setdefault(("onednn", i, t), []).append(json.loads(
                    run([onednn, *onednn_args(conv, args.seconds)], env)))

    def gflops(side, i, t, pass_):
        """GFLOP/s, or None where netc's difference of medians came out
        non-positive (noise larger than the pass)."""
        seconds = statistics.median(r[pass_] for r in results[(side, i, t)])
        return convs[i]["flops"] / seconds / 1e9 if seconds > 0 else None

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"batch {args.batch}; medians of {args.repeat} processes; GFLOP/s; "
          "ratio > 1: netc faster; % peak: netc's share of the FMA peak. "
          "netc's bwd-weights includes the loss and bias gradient and "
          "bwd-data is a difference of two backward passes (upper bounds on "
          f"their time). Load average at the end: {load}.")
    header = ["conv (N, C->K, input, kernel, stride, pad, groups)", "used in"]
    for pass_ in PASSES:
        header += [f"{pass_} netc", "oneDNN", "ratio", "% peak"]
    # Other work on the machine only lowers the peak: take the best run.
    peak_of = {t: max(peaks[t]) for t in threads}
    per_core = max(peak_of[t] / t for t in threads)
    for t in threads:
        peak = peak_of[t]
        print(f"\n{t} thread(s); FMA peak {peak:.1f} GFLOP/s ({isa})")
        if peak < 0.8 * t * per_core:
            # Fewer free cores than threads: a thread that loses its core
            # stalls the others at every barrier, for a scheduler tick.
            print(f"warning: the peak is {peak / per_core:.1f} cores' worth; "
                  "the machine was busy, so these numbers are not reliable")
        print()
        print("| " + " | ".join(header) + " |")
        print("|" + " --- |" * len(header))
        for i, conv in enumerate(convs):
            used = "; ".join(f"{m}: {', '.join(layers)}"
                             for m, layers in conv["used_in"].items())
            row = [describe(conv), used]
            for pass_ in PASSES:
                n, d = gflops("netc", i, t, pass_), gflops("onednn", i, t,
                                                           pass_)
                if n is None:
                    row += ["n/a", f"{d:.1f}", "n/a", "n/a"]
                else:
                    row += [f"{n:.1f}", f"{d:.1f}", f"{n / d:.2f}x",
                            f"{100 * n / peak:.0f}%"]
            print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
