"""Checks the netc-to-linalg lowerings of the training ops against PyTorch.

Each case is one netc op (losses, mean and sum, and their gradients,
batch_norm_train and its gradient, dropout_train, the SGD and Adam updates)
wrapped in a C entry
point `void <name>(operand pointers..., result pointers..., int64_t batch)`
whose tensors are views of caller memory. All cases go into one module,
compiled by `netc compile` into an object as models are (host CPU, O3),
linked into a shared library and called through ctypes. The results are
compared with torch (CPU, float32): the op's functional form, autograd for
the gradients, torch.optim.SGD/Adam/AdamW over three consecutive steps for
the updates. Dropout's mask cannot match torch's generator; it is checked
statistically and for determinism instead.
"""
import argparse
import ctypes
import sys

import numpy as np
import torch
import torch.nn.functional as F

from op_parity import compile_library

# ------------------------------------------------------------- wrappers ---
F32, I32, F32_SCALAR, I64_SCALAR = "f32", "i32", "f32 scalar", "i64 scalar"


class Operand:
    """A tensor (`shape` may start with "?", the batch) or a scalar."""

    def __init__(self, kind, shape=()):
        self.kind, self.shape = kind, list(shape)

    def element(self):
        return "i32" if self.kind == I32 else "f32"

    def tensor_type(self):
        return "tensor<" + "".join(
            str(d) + "x" for d in self.shape) + self.element() + ">"

    def memref_type(self):
        return "memref<" + "".join(
            str(d) + "x" for d in self.shape) + self.element() + ">"

    def is_scalar(self):
        return self.kind in (F32_SCALAR, I64_SCALAR)

    def scalar_type(self):
        return "f32" if self.kind == F32_SCALAR else "i64"

    def numpy_shape(self, batch):
        return [batch if d == "?" else d for d in self.shape]


def tensor(*shape):
    return Operand(F32, shape)


def labels():
    return Operand(I32, ["?"])


def f32():
    return Operand(F32_SCALAR)


def i64():
    return Operand(I64_SCALAR)


class Entry:
    """One op in a C-callable function. `op_text(names)` is the op given the
    SSA names of its operands, e.g. `netc.mse_loss %0, %1 : (...) -> ...`."""

    def __init__(self, name, operands, results, op_text):
        self.name, self.operands, self.results = name, operands, results
        self.op_text = op_text

    def view(self, lines, pointer, operand):
        """Views `pointer` (a rank-0 memref, i.e. a bare C pointer) as the
        row-major `operand` and returns the view's SSA name."""
        if not operand.shape:
            return pointer
        sizes, strides, stride = [], [], 1
        for d in reversed(operand.shape):
            strides.insert(0, str(stride))
            sizes.insert(0, "%n" if d == "?" else str(d))
            stride *= 1 if d == "?" else d
        name = pointer + "_view"
        lines.append(
            "  {0} = memref.reinterpret_cast {1} to offset: [0], sizes: [{2}], "
            "strides: [{3}] : memref<{4}> to {5}".format(
                name, pointer, ", ".join(sizes), ", ".join(strides),
                operand.element(), operand.memref_type()))
        return name

    def mlir(self):
        args, lines, names = [], [], []
        lines.append("  %n = arith.index_cast %batch : i64 to index")
        for i, operand in enumerate(self.operands):
            pointer = "%a{0}".format(i)
            if operand.is_scalar():
                args.append(pointer + ": " + operand.scalar_type())
                names.append(pointer)
                continue
            args.append("{0}: memref<{1}>".format(pointer, operand.element()))
            view = self.view(lines, pointer, operand)
            lines.append(
                "  %t{0} = bufferization.to_tensor {1} restrict : {2} to {3}"
                .format(i, view, operand.memref_type(),
                        operand.tensor_type()))
            names.append("%t{0}".format(i))
        results = "%r" if len(self.results) == 1 else "%r:{0}".format(
            len(self.results))
        lines.append("  {0} = {1}".format(results, self.op_text(names)))
        for i, result in enumerate(self.results):
            pointer = "%o{0}".format(i)
            args.append("{0}: memref<f32>".format(pointer))
            view = self.view(lines, pointer, result)
            value = "%r" if len(self.results) == 1 else "%r#{0}".format(i)
            lines.append(
                "  bufferization.materialize_in_destination {0} in restrict "
                "writable {1} : ({2}, {3}) -> ()".format(
                    value, view, result.tensor_type(), result.memref_type()))
        args.append("%batch: i64")
        # A C entry point: bare pointers, as netc-export-entry-points makes.
        return ("func.func @{0}({1}) attributes {{llvm.bareptr}} {{\n{2}\n"
                "  return\n}}\n").format(
            self.name, ", ".join(args), "\n".join(lines))

    def call(self, library, inputs, batch):
        """Runs the entry point on `inputs` (arrays and Python scalars) and
        returns its results as arrays."""
        keep, args = [], []
        for operand, value in zip(self.operands, inputs):
            if operand.kind == F32_SCALAR:
                args.append(ctypes.c_float(value))
            elif operand.kind == I64_SCALAR:
                args.append(ctypes.c_int64(value))
            else:
                dtype = np.int32 if operand.kind == I32 else np.float32
                array = np.array(value, dtype=dtype, order="C")
                assert list(array.shape) == operand.numpy_shape(batch), (
                    self.name, array.shape, operand.shape)
                keep.append(array)
                args.append(array.ctypes.data_as(ctypes.c_void_p))
        outputs = [np.full(r.numpy_shape(batch), np.nan, np.float32)
                   for r in self.results]
        args += [o.ctypes.data_as(ctypes.c_void_p) for o in outputs]
        args.append(ctypes.c_int64(batch))
        function = getattr(library, self.name)
        function.restype = None
        function(*args)
        return outputs


def types(operands):
    return ", ".join(o.tensor_type() if not o.is_scalar() else o.scalar_type()
                     for o in operands)


def functional(op, operands, results, attrs=""):
    """`netc.<op> operands {attrs} : (types) -> (types)`."""
    def text(names):
        return "netc.{0} {1} {{{2}}} : ({3}) -> ({4})".format(
            op, ", ".join(names), attrs, types(operands), types(results))
    return text


# ---------------------------------------------------------------- cases ---
class Checker:
    """Counts and prints checks: `close` compares arrays elementwise,
    |actual - expected| <= atol + rtol |expected|; `report` records any other
    condition."""

    def __init__(self, rtol, atol):
        self.rtol, self.atol = rtol, atol
        self.checks = self.failures = 0

    def report(self, ok, name, detail):
        self.checks += 1
        self.failures += not ok
        print("{0}: {1} {2}".format("PASS" if ok else "FAIL", name, detail))

    def close(self, name, actual, expected):
        expected = np.asarray(expected, np.float32)
        actual = np.asarray(actual, np.float32).reshape(expected.shape)
        error = np.abs(actual - expected)
        ok = bool(np.all(error <= self.atol + self.rtol * np.abs(expected)))
        self.report(ok, name, "{0} max abs error {1:.3g}".format(
            list(expected.shape), float(error.max()) if error.size else 0.0))


def numpy(t):
    """A torch tensor as a float32 array."""
    return t.detach().numpy().astype(np.float32)


CLASSES = 7
REDUCTIONS = ("mean", "sum")


def reduction_attr(reduction):
    """The op attribute for torch's `reduction=`; mean is the default."""
    return "reduction = #netc<reduction {0}>".format(reduction)


def cross_entropy_entries():
    for smoothing in (0.0, 0.1):
        for reduction in REDUCTIONS:
            attrs = "label_smoothing = {0:e} : f32, {1}".format(
                smoothing, reduction_attr(reduction))
            z, l = tensor("?", CLASSES), labels()
            tag = "s{0}_{1}".format(int(smoothing * 10), reduction)
            yield (smoothing, reduction), (
                Entry("ce_" + tag, [z, l], [tensor()],
                      functional("cross_entropy", [z, l], [tensor()], attrs)),
                Entry("ce_grad_" + tag, [z, l, tensor()], [z],
                      functional("cross_entropy_grad", [z, l, tensor()], [z],
                                 attrs)))


def check_cross_entropy(check, library, entries):
    gen = torch.Generator().manual_seed(1)
    for (smoothing, reduction), (loss_entry, grad_entry) in entries:
        for batch in (1, 5):
            z = torch.randn(batch, CLASSES, generator=gen) * 3
            target = torch.randint(0, CLASSES, (batch,), generator=gen)
            loss_grad = 0.7
            tag = "{0} batch {1}".format(loss_entry.name, batch)
            (loss,) = loss_entry.call(library, [z.numpy(), target.numpy()],
                                      batch)
            z_ref = z.clone().requires_grad_()
            expected = F.cross_entropy(z_ref, target,
                                       label_smoothing=smoothing,
                                       reduction=reduction)
            check.close(tag, loss, numpy(expected))
            expected.backward(torch.tensor(loss_grad))
            (grad,) = grad_entry.call(
                library, [z.numpy(), target.numpy(),
                          np.float32(loss_grad)], batch)
            check.close(grad_entry.name + " batch {0}".format(batch), grad,
                        numpy(z_ref.grad))
        # Out-of-range labels (torch raises) are clamped into [0, C).
        batch = 4
        z = torch.randn(batch, CLASSES, generator=gen)
        target = torch.tensor([-3, CLASSES, 2, 100], dtype=torch.int32)
        clamped = target.long().clamp(0, CLASSES - 1)
        (loss,) = loss_entry.call(library, [z.numpy(), target.numpy()], batch)
        check.close(loss_entry.name + " clamped labels", loss,
                    numpy(F.cross_entropy(z, clamped,
                                          label_smoothing=smoothing,
                                          reduction=reduction)))


MSE_SHAPE = ["?", 3, 4]


def mse_entries():
    x = tensor(*MSE_SHAPE)
    for reduction in REDUCTIONS:
        attrs = reduction_attr(reduction)
        yield reduction, (
            Entry("mse_" + reduction, [x, x], [tensor()],
                  functional("mse_loss", [x, x], [tensor()], attrs)),
            Entry("mse_grad_" + reduction, [x, x, tensor()], [x],
                  functional("mse_loss_grad", [x, x, tensor()], [x], attrs)))


def check_mse(check, library, entries):
    gen = torch.Generator().manual_seed(2)
    for reduction, (loss_entry, grad_entry) in entries:
        for batch in (1, 5):
            x = torch.randn(batch, *MSE_SHAPE[1:], generator=gen)
            t = torch.randn(batch, *MSE_SHAPE[1:], generator=gen)
            (loss,) = loss_entry.call(library, [x.numpy(), t.numpy()], batch)
            x_ref = x.clone().requires_grad_()
            expected = F.mse_loss(x_ref, t, reduction=reduction)
            check.close("{0} batch {1}".format(loss_entry.name, batch), loss,
                        numpy(expected))
            expected.backward(torch.tensor(1.3))
            (grad,) = grad_entry.call(
                library, [x.numpy(), t.numpy(), np.float32(1.3)], batch)
            check.close("{0} batch {1}".format(grad_entry.name, batch), grad,
                        numpy(x_ref.grad))


BATCH_NORMS = [  # name, per-sample shape, module
    ("bn1d", [5], torch.nn.BatchNorm1d),
    ("bn1d_seq", [4, 6], torch.nn.BatchNorm1d),
    ("bn2d", [3, 5, 4], torch.nn.BatchNorm2d),
    ("bn3d", [2, 3, 4, 3], torch.nn.BatchNorm3d),
]


def batch_norm_entries():
    for name, shape, module in BATCH_NORMS:
        for affine in (True, False):
            x, c = tensor("?", *shape), tensor(shape[0])
            operands = [x, c, c] + ([c, c] if affine else [])
            results = [x, c, c, c, c]
            grad_operands = [x, x, c, c] + ([c] if affine else [])
            suffix = "" if affine else "_noaffine"
            yield (name, shape, module, affine), (
                Entry(name + suffix, operands, results,
                      functional("batch_norm_train", operands, results,
                                 "eps = 1.0e-05 : f32, momentum = 0.1 : f32")),
                Entry(name + suffix + "_grad", grad_operands, [x, c, c],
                      functional("batch_norm_grad", grad_operands,
                                 [x, c, c])))


def check_batch_norm(check, library, entries):
    gen = torch.Generator().manual_seed(3)
    batch = 4
    for (name, shape, module, affine), (entry, grad_entry) in entries:
        tag = entry.name
        c = shape[0]
        bn = module(c, affine=affine).train()
        with torch.no_grad():
            bn.running_mean.copy_(torch.randn(c, generator=gen))
            bn.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            if affine:
                bn.weight.copy_(torch.randn(c, generator=gen))
                bn.bias.copy_(torch.randn(c, generator=gen))
        x = torch.randn(batch, *shape, generator=gen) * 2 + 1
        inputs = [x.numpy(), bn.running_mean.numpy().copy(),
                  bn.running_var.numpy().copy()]
        if affine:
            inputs += [numpy(bn.weight), numpy(bn.bias)]
        y, rm, rv, mean, invstd = entry.call(library, inputs, batch)

        # The batch statistics as torch saves them for its backward.
        _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(
            x, None, None, None, None, True, 0.1, 1e-5)
        x_ref = x.clone().requires_grad_()
        expected = bn(x_ref)
        check.close(tag + " result", y, numpy(expected))
        check.close(tag + " running_mean", rm, numpy(bn.running_mean))
        check.close(tag + " running_var", rv, numpy(bn.running_var))
        check.close(tag + " batch_mean", mean, numpy(save_mean))
        check.close(tag + " batch_invstd", invstd, numpy(save_invstd))

        dy = torch.randn(batch, *shape, generator=gen)
        expected.backward(dy)
        grad_inputs = [x.numpy(), dy.numpy(), mean, invstd]
        if affine:
            grad_inputs.append(numpy(bn.weight))
        dx, dw, db = grad_entry.call(library, grad_inputs, batch)
        check.close(grad_entry.name + " input_grad", dx, numpy(x_ref.grad))
        if affine:
            check.close(grad_entry.name + " weight_grad", dw,
                        numpy(bn.weight.grad))
            check.close(grad_entry.name + " bias_grad", db,
                        numpy(bn.bias.grad))


DROPOUT_SHAPE = ["?", 100, 10]


def dropout_entries():
    x = tensor(*DROPOUT_SHAPE)
    for p, stream in ((0.5, 0), (0.5, 1), (0.2, 0), (0.0, 0)):
        yield (p, stream), Entry(
            "dropout_p{0}_stream{1}".format(int(p * 10), stream), [x, i64()],
            [x, x], functional("dropout_train", [x, i64()], [x, x],
                               "p = {0:e} : f32, stream = {1} : i64".format(
                                   p, stream)))


def check_dropout(check, library, entries):
    entries = dict(entries)
    gen = torch.Generator().manual_seed(4)
    batch = 100  # 1e5 elements
    x = torch.randn(batch, *DROPOUT_SHAPE[1:], generator=gen).numpy()
    seed = 0x5EED
    for (p, stream), entry in entries.items():
        y, mask = entry.call(library, [x, seed], batch)
        scale = np.float32(1.0 / (1.0 - p))
        kept = mask != 0
        check.report(bool(np.all((mask == 0) | (mask == scale))),
                     entry.name + " mask values",
                     "in {{0, {0!r}}}".format(float(scale)))
        check.report(bool(np.array_equal(y, x * mask)),
                     entry.name + " result", "is input * mask exactly")
        fraction = float(kept.mean())
        check.report(abs(fraction - (1 - p)) <= 0.01,
                     entry.name + " fraction kept",
                     "{0:.4f}, expected {1:.2f}".format(fraction, 1 - p))
        if p == 0:
            continue
        again = entry.call(library, [x, seed], batch)[1]
        check.report(bool(np.array_equal(mask, again)),
                     entry.name + " deterministic", "same seed, same mask")
        other = entry.call(library, [x, seed + 1], batch)[1]
        check.report(float((mask != other).mean()) > 0.1,
                     entry.name + " seeds", "another seed, another mask")
        prefix = entry.call(library, [x[:7], seed], 7)[1]
        check.report(bool(np.array_equal(mask[:7], prefix)),
                     entry.name + " batch-independent",
                     "a smaller batch draws the first rows' mask")
    streams = [entries[(0.5, s)].call(library, [x, seed], batch)[1]
               for s in (0, 1)]
    check.report(float((streams[0] != streams[1]).mean()) > 0.1,
                 "dropout streams", "another stream, another mask")


PARAM = [6, 5]
STEPS = 3


def sgd_entry():
    p = tensor(*PARAM)
    operands = [p, p, p] + [f32()] * 6
    return Entry("sgd", operands, [p, p], lambda names: (
        "netc.sgd_update {0} : {1}, f32".format(", ".join(names),
                                                p.tensor_type())))


SGD_SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=1e-2),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.1),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, momentum=0.9, weight_decay=1e-2),
    dict(lr=0.1, momentum=0.9, weight_decay=1e-2, nesterov=True),
]


def check_sgd(check, library, entry):
    gen = torch.Generator().manual_seed(5)
    for setting in SGD_SETTINGS:
        tag = "sgd " + ",".join("{0}={1}".format(k, v)
                                for k, v in setting.items())
        param = torch.nn.Parameter(torch.randn(*PARAM, generator=gen))
        optimizer = torch.optim.SGD([param], foreach=False, **setting)
        p = numpy(param).copy()
        buf = np.zeros(PARAM, np.float32)
        for step in range(STEPS):
            grad = torch.randn(*PARAM, generator=gen)
            param.grad = grad.clone()
            optimizer.step()
            old_buf = buf
            p, buf = entry.call(library, [
                p, grad.numpy(), buf, setting["lr"],
                setting.get("momentum", 0.0), setting.get("dampening", 0.0),
                setting.get("weight_decay", 0.0),
                float(setting.get("nesterov", False)), float(step == 0)], 1)
            check.close("{0} step {1} param".format(tag, step + 1), p,
                        numpy(param))
            if setting.get("momentum", 0.0):
                check.close("{0} step {1} buffer".format(tag, step + 1), buf,
                            numpy(optimizer.state[param]["momentum_buffer"]))
            else:
                check.report(bool(np.array_equal(buf, old_buf)),
                             "{0} step {1} buffer".format(tag, step + 1),
                             "passed through")


def adam_entry():
    p = tensor(*PARAM)
    operands = [p, p, p, p] + [f32()] * 8
    return Entry("adam", operands, [p, p, p], lambda names: (
        "netc.adam_update {0} : {1}, f32".format(", ".join(names),
                                                 p.tensor_type())))


ADAM_SETTINGS = [
    (torch.optim.Adam, dict(lr=1e-2)),
    (torch.optim.Adam, dict(lr=1e-2, weight_decay=1e-2)),
    (torch.optim.Adam, dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6)),
    (torch.optim.AdamW, dict(lr=1e-2, weight_decay=1e-2)),
    (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.0)),
]


def check_adam(check, library, entry):
    gen = torch.Generator().manual_seed(6)
    for optimizer_class, setting in ADAM_SETTINGS:
        tag = optimizer_class.__name__ + " " + ",".join(
            "{0}={1}".format(k, v) for k, v in setting.items())
        param = torch.nn.Parameter(torch.randn(*PARAM, generator=gen))
        optimizer = optimizer_class([param], foreach=False, **setting)
        group = optimizer.param_groups[0]
        beta1, beta2 = group["betas"]
        p = numpy(param).copy()
        m = np.zeros(PARAM, np.float32)
        v = np.zeros(PARAM, np.float32)
        for step in range(1, STEPS + 1):
            grad = torch.randn(*PARAM, generator=gen)
            param.grad = grad.clone()
            optimizer.step()
            p, m, v = entry.call(library, [
                p, grad.numpy(), m, v, group["lr"], beta1, beta2,
                group["eps"], group["weight_decay"],
                float(optimizer_class is torch.optim.AdamW),
                1 - beta1 ** step, 1 - beta2 ** step], 1)
            state = optimizer.state[param]
            for what, actual, expected in (("param", p, param),
                                           ("exp_avg", m, state["exp_avg"]),
                                           ("exp_avg_sq", v,
                                            state["exp_avg_sq"])):
                check.close("{0} step {1} {2}".format(tag, step, what),
                            actual, numpy(expected))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--netc", required=True, help="the netc compiler")
    parser.add_argument("--cc", required=True, help="C compiler (links)")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-6)
    parser.add_argument("--vector-width", type=int, default=0,
                        help="netc compile --vector-width (0: the host's)")
    args = parser.parse_args()

    ce = list(cross_entropy_entries())
    mse = list(mse_entries())
    bn = list(batch_norm_entries())
    dropout = list(dropout_entries())
    sgd, adam = sgd_entry(), adam_entry()
    entries = [e for _, pair in ce + mse for e in pair] + [
        e for _, pair in bn for e in pair] + [e for _, e in dropout] + [
            sgd, adam]
    library = compile_library(
        args, "\n".join(entry.mlir() for entry in entries), "train_ops")

    check = Checker(args.rtol, args.atol)
    check_cross_entropy(check, library, ce)
    check_mse(check, library, mse)
    check_batch_norm(check, library, bn)
    check_dropout(check, library, dropout)
    check_sgd(check, library, sgd)
    check_adam(check, library, adam)
    print("{0} of {1} checks match torch".format(
        check.checks - check.failures, check.checks))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
