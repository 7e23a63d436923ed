#!/usr/bin/python3
"""PyTorch parity check for one netc model.

Builds the model as a torch.nn.Module from its JSON file (torch_model.py),
initialises it from a seed (torch's default initialisation, then random
batch-norm statistics and affine parameters so that they matter), writes the
weights as F32 safetensors under their state_dict names and random inputs as
.npy, runs `netc run` on batches of 1, 3 and 64 samples and compares netc's
output with the module's forward pass in eval() mode.

Criterion, elementwise: |netc - torch| <= tol * max(|torch|, 1), tol = 1e-5.
The reference is computed in float64 from the same float32 weights and
inputs, so the error measured is netc's own. Reported per batch: the max
absolute error and the max of |netc - torch| / max(|torch|, 1).

It also checks that `netc inspect` reports as `total parameters:` what
PyTorch counts: sum(p.numel() for p in model.parameters()), buffers excluded.

Exit status: 0 when every check passes, 1 otherwise.

    torch_reference.py --netc build/bin/netc --model models/lenet.json \\
        --workdir /tmp/lenet
"""
import argparse
import copy
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch
from torch.nn.modules.batchnorm import _BatchNorm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netc_testdata import read_npy, write_npy, write_safetensors  # noqa: E402
from torch_model import build_model  # noqa: E402

DEFAULT_BATCHES = (1, 3, 64)


def randomize_batch_norm(model, generator):
    """Gives every batch norm non-trivial statistics and affine parameters."""
    with torch.no_grad():
        for m in model.modules():
            if not isinstance(m, _BatchNorm):
                continue
            m.running_mean.uniform_(-0.5, 0.5, generator=generator)
            m.running_var.uniform_(0.5, 2.0, generator=generator)
            if m.affine:
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.uniform_(-0.5, 0.5, generator=generator)


def make_model(path, seed):
    """The model from its JSON file, with seeded weights, in eval() mode."""
    torch.manual_seed(seed)
    model = build_model(path)
    randomize_batch_norm(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()


def float_state(model):
    """The state_dict as numpy arrays, floating tensors only (so no
    batch norm `num_batches_tracked`, an int64 counter unused at inference)."""
    return {k: v.detach().numpy() for k, v in model.state_dict().items()
            if v.is_floating_point()}


def reference_output(model, x):
    """The module's output on x, computed in float64."""
    model64 = copy.deepcopy(model).double()
    with torch.no_grad():
        return model64(torch.from_numpy(x).double()).numpy()


def compare(got, want, tol):
    """(ok, max abs err, max rel err, message) for netc's vs torch's output."""
    if got.shape != want.shape:
        return False, None, None, "shape %s, expected %s" % (
            list(got.shape), list(want.shape))
    diff = np.abs(got.astype(np.float64) - want)
    rel = diff / np.maximum(np.abs(want), 1.0)
    finite = np.isfinite(got).all()
    ok = bool(finite and (rel <= tol).all())
    worst = np.unravel_index(np.argmax(rel), rel.shape) if rel.size else ()
    msg = "" if ok else "worst at %s: netc %r, torch %r" % (
        list(worst), float(got[worst]), float(want[worst]))
    return ok, float(diff.max()), float(rel.max()), msg


def run_netc(netc, args):
    """Runs `netc *args`; returns (exit status, stdout, stderr)."""
    proc = subprocess.run([netc] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    return proc.returncode, proc.stdout, proc.stderr


def report_failure(what, rc, out, err):
    """Prints a failed netc command's exit status and output tail."""
    print("%s: netc exited with %d" % (what, rc))
    lines = (out + err).strip().splitlines()
    for line in lines[-20:] or ["(no output)"]:
        print("  | " + line)


def check_parameters(netc, model_path, model):
    """Compares netc inspect's `total parameters:` with PyTorch's count."""
    expected = sum(p.numel() for p in model.parameters())
    if netc is None:
        print("total parameters: %d (torch)" % expected)
        return True
    rc, out, err = run_netc(netc, ["inspect", model_path])
    found = re.search(r"^total parameters:\s*(\d+)\s*$", out, re.M)
    if rc != 0 or not found:
        report_failure("netc inspect", rc, out, err)
        print("total parameters: %d (torch), none from netc inspect FAIL"
              % expected)
        return False
    if int(found.group(1)) != expected:
        print("total parameters: %d (torch), %s (netc inspect) FAIL"
              % (expected, found.group(1)))
        return False
    print("total parameters: %d OK" % expected)
    return True


def check_batch(netc, model_path, model, batch, workdir, weights, rng, tol):
    """Runs one batch through netc and torch; prints and returns the result."""
    x = rng.standard_normal((batch,) + model.input_shape).astype(np.float32)
    x_path = os.path.join(workdir, "x_b%d.npy" % batch)
    y_path = os.path.join(workdir, "y_b%d.npy" % batch)
    write_npy(x_path, x)
    want = reference_output(model, x)
    write_npy(os.path.join(workdir, "torch_b%d.npy" % batch), want)
    if netc is None:
        print("batch %d: reference written" % batch)
        return True
    if os.path.exists(y_path):
        os.remove(y_path)
    rc, out, err = run_netc(netc, ["run", model_path, "--weights", weights,
                                   "--input", x_path, "-o", y_path])
    if rc != 0 or not os.path.exists(y_path):
        report_failure("batch %d: netc run" % batch, rc, out, err)
        print("batch %d: no output FAIL" % batch)
        return False
    ok, abs_err, rel_err, msg = compare(read_npy(y_path), want, tol)
    if abs_err is None:
        print("batch %d: %s FAIL" % (batch, msg))
        return False
    print("batch %d: max abs err %.3g, max rel err %.3g %s%s"
          % (batch, abs_err, rel_err, "OK" if ok else "FAIL",
             "" if ok else " (" + msg + ")"))
    return ok


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Checks netc's output for a model against PyTorch.")
    parser.add_argument("--netc", default="netc",
                        help="the netc executable (a path or a name on PATH)")
    parser.add_argument("--model", required=True, help="the model JSON file")
    parser.add_argument("--workdir", required=True,
                        help="where weights, inputs and outputs are written")
    parser.add_argument("--batches", default=",".join(
        str(b) for b in DEFAULT_BATCHES), help="comma-separated batch sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--reference-only", action="store_true",
                        help="write weights, inputs and torch's outputs "
                        "(torch_b<N>.npy); do not run netc")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    netc = None
    if not args.reference_only:
        netc = shutil.which(args.netc)
        if netc is None:
            print("netc not found: %s" % args.netc)
            return 1
    os.makedirs(args.workdir, exist_ok=True)
    model = make_model(args.model, args.seed)
    weights = os.path.join(args.workdir, "weights.safetensors")
    write_safetensors(weights, float_state(model))
    print("model %s: output shape (N, %s)" % (
        model.model_name, ", ".join(str(d) for d in model.out_shape)))
    ok = check_parameters(netc, args.model, model)
    rng = np.random.default_rng(args.seed)
    for batch in (int(b) for b in args.batches.split(",")):
        ok &= check_batch(netc, args.model, model, batch, args.workdir,
                          weights, rng, args.tol)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
