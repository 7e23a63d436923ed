#!/usr/bin/python3
"""PyTorch parity of netc's training for one model.

1. Gradients: the model (built from its JSON file by torch_model.py, seeded
   weights, training mode) computes the loss the JSON names on a random batch;
   its gradients (torch.autograd, in float64 from the same float32 weights)
   are compared with `netc grad`'s: every parameter's gradient, the input's,
   and the batch-norm running statistics after the step.
2. Trajectories: `netc train` takes 20 SGD steps over fixed batches (momentum
   0.5, plus the variant given: nesterov, dampening, weight decay); torch.optim
   .SGD takes the same steps in float32; the step losses and final weights are
   compared. Where PyTorch's float32 run itself parts from its float64 run (a
   relu input or pooling tie within rounding of zero at some step), a weight
   tensor passes if netc is within twice that spread of the float64 run.

Dropout uses netc's documented mask (a splitmix64 hash of seed, layer and
element index; see compiler/Conversion/NetcToLinalg/Normalization.cpp), so
both sides drop the same elements.

Criterion, per tensor T of torch values and netc values N, elementwise:
|N - T| <= tol * (|T| + 0.1 * max|T|), tol = 1e-4.

    torch_training.py --netc build/bin/netc --model models/lenet.json \\
        --workdir /tmp/lenet [--sgd nesterov|dampening|weight_decay]
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netc_testdata import (read_npy, read_safetensors, write_npy,  # noqa: E402
                           write_safetensors)
from torch_reference import make_model  # noqa: E402

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(z):
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def seed_derive(seed, index):
    """netc_seed_derive: the trainer's dropout seed of step `index`."""
    return splitmix64(seed + index * GOLDEN)


def dropout_mask(seed, stream, shape, p):
    """netc's dropout mask: element i keeps iff the top 24 bits of
    splitmix64(key + i * golden), key = splitmix64(seed ^ splitmix64(stream)),
    read as a fraction, are >= p."""
    key = splitmix64(seed ^ splitmix64(stream))
    count = int(np.prod(shape))
    index = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(key) + index * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    uniform = (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    scale = np.float32(1.0 / (1.0 - p))
    return np.where(uniform >= np.float32(p), scale,
                    np.float32(0)).reshape(shape)


class NetcDropout(nn.Module):
    """Dropout with netc's mask; `seed` is set before each step."""

    def __init__(self, p, stream, state):
        super().__init__()
        self.p, self.stream, self.state = p, stream, state

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        mask = dropout_mask(self.state["seed"], self.stream, tuple(x.shape),
                            self.p)
        return x * torch.from_numpy(mask).to(x.dtype)


def use_netc_dropout(model):
    """Replaces every nn.Dropout (in netc's layer order) by NetcDropout;
    returns the shared state whose "seed" the masks are drawn from."""
    state = {"seed": 0}
    stream = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Dropout):
                setattr(parent, name, NetcDropout(child.p, stream, state))
                stream += 1
    return state


def loss_spec(path, out_shape):
    """(kind, options) of the model's loss, netc's defaults included; options
    are the torch loss's keyword arguments (reduction, label_smoothing)."""
    with open(path) as f:
        loss = json.load(f).get("loss")
    if loss is None:
        loss = {"op": "cross_entropy" if len(out_shape) == 1 else "mse"}
    options = {"reduction": loss.get("reduction", "mean")}
    if loss["op"] == "cross_entropy":
        options["label_smoothing"] = float(loss.get("label_smoothing", 0.0))
    return loss["op"], options


def loss_of(kind, options, y, target):
    if kind == "mse":
        return F.mse_loss(y, target, **options)
    return F.cross_entropy(y, target.long(), **options)


def random_batch(model, kind, batch, rng):
    x = rng.standard_normal((batch,) + model.input_shape).astype(np.float32)
    if kind == "mse":
        t = rng.standard_normal((batch,) + tuple(model.out_shape))
    else:
        t = rng.integers(0, model.out_shape[0], size=batch)
    return x, t.astype(np.float32)


def close(netc_values, torch_values, tol, floor=0.0):
    """(ok, worst relative error) under the module's criterion; `floor` is
    an absolute scale below which values count as zero (a gradient that is
    zero in exact arithmetic, such as a bias followed by batch norm, is
    float rounding noise on both sides)."""
    n = np.asarray(netc_values, dtype=np.float64)
    t = np.asarray(torch_values, dtype=np.float64)
    if n.shape != t.shape:
        return False, float("inf")
    scale = (np.abs(t) + 0.1 * (np.abs(t).max() if t.size else 0.0) +
             floor + 1e-30)
    err = np.abs(n - t) / scale
    return bool(np.isfinite(n).all() and (err <= tol).all()), float(err.max())


def run_netc(netc, args):
    proc = subprocess.run([netc] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout + proc.stderr)
    return proc.returncode, proc.stdout


def float_state(model):
    return {k: v.detach().numpy().astype(np.float32)
            for k, v in model.state_dict().items() if v.is_floating_point()}


def check_gradients(netc, path, model, kind, smoothing, workdir, rng, tol,
                    batch):
    """Compares one batch's gradients; prints a line per tensor."""
    x, t = random_batch(model, kind, batch, rng)
    weights = os.path.join(workdir, "w.safetensors")
    write_safetensors(weights, float_state(model))
    xp, tp = os.path.join(workdir, "x.npy"), os.path.join(workdir, "t.npy")
    write_npy(xp, x)
    write_npy(tp, t)
    grads_path = os.path.join(workdir, "g.safetensors")
    gx_path = os.path.join(workdir, "gx.npy")
    seed = 7
    rc, out = run_netc(netc, ["grad", path, "--weights", weights, "--input",
                              xp, "--target", tp, "--seed", str(seed), "-o",
                              grads_path, "--input-grad", gx_path])
    if rc != 0:
        print("netc grad FAIL")
        return False
    netc_loss = float(out.split("loss:")[1].split()[0])
    netc_grads = read_safetensors(grads_path)

    reference = copy.deepcopy(model).double().train()
    state = use_netc_dropout(reference)
    state["seed"] = seed
    xt = torch.from_numpy(x).double().requires_grad_(True)
    loss = loss_of(kind, smoothing, reference(xt), torch.from_numpy(t).double())
    loss.backward()
    ok, err = close(netc_loss, loss.item(), tol)
    print("loss: netc %.7g torch %.7g %s" % (netc_loss, loss.item(),
                                             "OK" if ok else "FAIL"))
    params = dict(reference.named_parameters())
    floor = 1e-2 * max(float(p.grad.abs().max()) for p in params.values()
                       if p.grad is not None)
    for name, value in reference.state_dict().items():
        if not value.is_floating_point():
            continue
        # Parameters compare gradients; buffers their updated values.
        want = params[name].grad if name in params else value
        good, err = close(netc_grads[name], want.numpy(), tol,
                          floor if name in params else 0.0)
        ok &= good
        print("%s: %s max rel err %.3g %s" % (
            "grad" if name in params else "buffer", name, err,
            "OK" if good else "FAIL"))
    good, err = close(read_npy(gx_path), xt.grad.numpy(), tol)
    ok &= good
    print("grad: (input) max rel err %.3g %s" % (err, "OK" if good else "FAIL"))
    return ok


def check_trajectory(netc, path, model, kind, smoothing, variant, workdir,
                     rng, tol, steps=20, batch=8):
    """20 SGD steps (momentum 0.5 and the variant) in netc and torch."""
    options = {"lr": 0.01, "momentum": 0.5, "dampening": 0.0,
               "weight_decay": 0.0, "nesterov": False}
    if variant == "nesterov":
        options["nesterov"] = True
    elif variant == "dampening":
        options["dampening"] = 0.3
    elif variant == "weight_decay":
        options["weight_decay"] = 0.01
    x, t = random_batch(model, kind, 4 * batch, rng)
    weights = os.path.join(workdir, "w0.safetensors")
    write_safetensors(weights, float_state(model))
    xp, tp = os.path.join(workdir, "xs.npy"), os.path.join(workdir, "ts.npy")
    write_npy(xp, x)
    write_npy(tp, t)
    out_path = os.path.join(workdir, "w20.safetensors")
    seed = 11
    args = ["train", path, "--input", xp, "--target", tp, "--weights",
            weights, "--steps", str(steps), "--batch-size", str(batch),
            "--seed", str(seed), "-o", out_path, "--lr", str(options["lr"]),
            "--momentum", str(options["momentum"]), "--dampening",
            str(options["dampening"]), "--weight-decay",
            str(options["weight_decay"])]
    if options["nesterov"]:
        args.append("--nesterov")
    rc, out = run_netc(netc, args)
    if rc != 0:
        print("netc train FAIL")
        return False
    netc_losses = [float(line.split("loss")[1]) for line in out.splitlines()
                   if line.startswith("step ")]

    def torch_run(dtype):
        reference = copy.deepcopy(model).to(dtype).train()
        state = use_netc_dropout(reference)
        optimizer = torch.optim.SGD(reference.parameters(), **options)
        losses = []
        for step in range(steps):
            first = (step % (len(x) // batch)) * batch
            state["seed"] = seed_derive(seed, step + 1)
            optimizer.zero_grad()
            loss = loss_of(kind, smoothing,
                           reference(torch.from_numpy(
                               x[first:first + batch]).to(dtype)),
                           torch.from_numpy(t[first:first + batch]).to(dtype))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, {k: v.detach().numpy() for k, v in
                        reference.state_dict().items()
                        if v.is_floating_point()}

    losses, weights32 = torch_run(torch.float32)
    ok, err = close(netc_losses, losses, tol)
    print("trajectory %s: %d step losses max rel err %.3g %s" % (
        variant, steps, err, "OK" if ok else "FAIL"))
    final = read_safetensors(out_path)
    exact = None
    for name, value in weights32.items():
        good, err = close(final[name], value, tol)
        if not good:
            # Where a step puts a relu input or a pooling window's winner
            # within float rounding of a tie, float32 runs part ways and
            # never meet again (PyTorch's own float32 run then leaves its
            # float64 run by as much). netc must then be as close to the
            # float64 trajectory as PyTorch's float32 run is.
            if exact is None:
                exact = torch_run(torch.float64)[1]
            spread = np.abs(value.astype(np.float64) - exact[name]).max()
            deviation = np.abs(final[name].astype(np.float64) -
                               exact[name]).max()
            scale = np.abs(exact[name]).max()
            good = deviation <= 2 * spread + tol * scale
            print("trajectory %s: %s differs from torch float32 by %.3g "
                  "(relative); from float64 netc %.3g, torch float32 %.3g %s"
                  % (variant, name, err, deviation, spread,
                     "OK" if good else "FAIL"))
        ok &= good
    print("trajectory %s: final weights %s" % (variant,
                                               "OK" if ok else "FAIL"))
    return ok


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--netc", default="netc")
    parser.add_argument("--model", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tol", type=float, default=1e-4)
    # Batches of more than 16 samples are computed in ranges whose
    # gradients are summed (docs/pipeline.md, section 3).
    parser.add_argument("--batch", type=int, default=5,
                        help="samples of the gradient check's batch")
    parser.add_argument("--step-batch", type=int, default=8,
                        help="samples of each SGD step's batch")
    parser.add_argument("--sgd", default="plain",
                        choices=["plain", "nesterov", "dampening",
                                 "weight_decay"])
    args = parser.parse_args(argv)
    netc = shutil.which(args.netc)
    os.makedirs(args.workdir, exist_ok=True)
    model = make_model(args.model, args.seed)
    kind, smoothing = loss_spec(args.model, model.out_shape)
    rng = np.random.default_rng(args.seed)
    ok = check_gradients(netc, args.model, model, kind, smoothing,
                         args.workdir, rng, args.tol, args.batch)
    ok &= check_trajectory(netc, args.model, model, kind, smoothing, args.sgd,
                           args.workdir, rng, args.tol, batch=args.step_batch)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
