"""Checks the netc-to-linalg lowering of the pooling, linear and activation
gradient ops numerically against PyTorch autograd.

Each case is one gradient op (netc.pool_grad, netc.adaptive_avg_pool_grad,
netc.matmul, netc.activation_grad, netc.softmax_grad, netc.mul) in a C entry
point written here: `void <name>(const float *operand..., float *result,
int64_t batch)`, which views each pointer as a row-major tensor whose `?`
dimensions are the batch. All cases go into one module, compiled with
op_parity.py's compile_library (`netc compile` into an object as for
models, linked into a shared library), and called through ctypes on random
inputs and result gradients. The reference is torch.autograd.grad of the
forward op in float64 (from the same float32 inputs); every element must
satisfy |netc - torch| <= atol + rtol |torch|.
"""
import ctypes
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from op_parity import compile_library, ints, parse_args, tensor_type


# ------------------------------------------------------------- samplers ---
def randn(gen, shape):
    return torch.randn(*shape, generator=gen)


def small_ints(gen, shape):
    """Integers in [-2, 2]: windows full of ties."""
    return torch.randint(-2, 3, shape, generator=gen).float()


def with_zeros(gen, shape):
    """Normal values with every third element exactly 0."""
    x = torch.randn(*shape, generator=gen).flatten()
    x[::3] = 0
    return x.reshape(shape)


def through(fn):
    """Samples fn(x) of a normal x: an activation's result as its input."""
    return lambda gen, shape: fn(torch.randn(*shape, generator=gen))


def grad_of(forward, wrt=0):
    """The reference of a gradient op: the gradient of `forward(*inputs)`
    with respect to input `wrt`, given the result gradient (the last
    operand)."""
    def reference(*operands):
        *inputs, result_grad = operands
        inputs = [t.clone().requires_grad_(i == wrt)
                  for i, t in enumerate(inputs)]
        result = forward(*inputs)
        grad, = torch.autograd.grad(result, inputs[wrt], result_grad)
        return grad
    return reference


class Case:
    """One op. `operands` are (shape, sampler) pairs, `?` marking the batch;
    `op(names, types, out_type)` prints the op; `reference(*operands)` (the
    operands in float64) gives its value."""

    def __init__(self, name, operands, op, reference):
        self.name = name
        self.shapes = [shape for shape, _ in operands]
        self.samplers = [sampler for _, sampler in operands]
        self.op = op
        self.reference = reference

    def sample(self, batch):
        gen = torch.Generator().manual_seed(zlib.crc32(self.name.encode()))
        return [sampler(gen, [batch if d == "?" else d for d in shape])
                for shape, sampler in zip(self.shapes, self.samplers)]

    def expected(self, operands):
        return self.reference(*[t.double() for t in operands]).detach()

    def result_shape(self):
        """The result shape, `?` where it follows the batch."""
        a = self.expected(self.sample(2)).shape
        b = self.expected(self.sample(3)).shape
        return ["?" if x != y else x for x, y in zip(a, b)]

    def mlir(self):
        result_shape = self.result_shape()
        shapes = self.shapes + [result_shape]
        args = ["%a{0}: memref<f32>".format(i) for i in range(len(shapes))]
        # A C entry point: bare pointers, as netc-export-entry-points makes.
        lines = ["func.func @{0}({1}, %batch: i64) attributes {{llvm.bareptr}}"
                 " {{".format(self.name, ", ".join(args)),
                 "  %n = arith.index_cast %batch : i64 to index"]
        names, types = [], []
        for i, shape in enumerate(shapes):
            view, memref_type = self.view(lines, "%a{0}".format(i), i, shape)
            if i == len(shapes) - 1:
                out_type = tensor_type(shape)
                lines.append("  %r = " + self.op(names, types, out_type))
                lines.append(
                    "  bufferization.materialize_in_destination %r in restrict "
                    "writable {0} : ({1}, {2}) -> ()".format(
                        view, out_type, memref_type))
                continue
            names.append("%t{0}".format(i))
            types.append(tensor_type(shape))
            lines.append(
                "  %t{0} = bufferization.to_tensor {1} restrict : {2} to {3}"
                .format(i, view, memref_type, types[-1]))
        lines += ["  return", "}", ""]
        return "\n".join(lines)

    @staticmethod
    def view(lines, pointer, index, shape):
        """Appends a row-major view of `pointer` as `shape`; returns its name
        and type. A stride over a batch dimension is computed at run time and
        makes the layout strided."""
        strides, constant, dynamic = [], 1, False
        for d in reversed(shape):
            if dynamic:
                name = "%s{0}_{1}".format(index, len(strides))
                lines.append("  %c{0} = arith.constant {1} : index".format(
                    name[2:], constant))
                lines.append("  {0} = arith.muli %n, %c{1} : index".format(
                    name, name[2:]))
                strides.append(name)
            else:
                strides.append(constant)
            if d == "?":
                dynamic = True
            else:
                constant *= d
        strides.reverse()
        layout = ""
        if any(isinstance(s, str) for s in strides):
            layout = ", strided<[{0}]>".format(", ".join(
                "?" if isinstance(s, str) else str(s) for s in strides))
        memref_type = "memref<{0}xf32{1}>".format(
            "x".join(str(d) for d in shape), layout)
        name = "%v{0}".format(index)
        lines.append(
            "  {0} = memref.reinterpret_cast {1} to offset: [0], sizes: [{2}], "
            "strides: [{3}] : memref<f32> to {4}".format(
                name, pointer,
                ", ".join("%n" if d == "?" else str(d) for d in shape),
                ", ".join(str(s) for s in strides), memref_type))
        return name, memref_type


def functional(text, attrs=""):
    """`netc.<text> operands {attrs} : (types) -> out`."""
    def op(names, types, out_type):
        return "netc.{0} {1} {{{2}}} : ({3}) -> {4}".format(
            text, ", ".join(names), attrs, ", ".join(types), out_type)
    return op


def same_type(text, attrs=""):
    """`netc.<text> operands {attrs} : type`."""
    def op(names, types, out_type):
        return "netc.{0} {1} {{{2}}} : {3}".format(
            text, ", ".join(names), attrs, out_type)
    return op


# ----------------------------------------------------------------- pool ---
def pool_forward(kind, s, kernel, stride, padding, dilation, ceil_mode,
                 count_include_pad):
    if kind == "avg":
        fn = getattr(F, "avg_pool{0}d".format(s))
        return lambda x: fn(x, kernel, stride, padding, ceil_mode=ceil_mode,
                            count_include_pad=count_include_pad)
    fn = getattr(F, "max_pool{0}d".format(s))
    sign = 1 if kind == "max" else -1
    return lambda x: sign * fn(sign * x, kernel, stride, padding,
                               dilation=dilation, ceil_mode=ceil_mode)


def pool_case(name, kind, channels, size, kernel, stride=None, padding=None,
              dilation=None, ceil_mode=False, count_include_pad=True,
              sampler=randn):
    s = len(size)
    stride = stride or list(kernel)
    padding = padding or [0] * s
    dilation = dilation or [1] * s
    forward = pool_forward(kind, s, kernel, stride, padding, dilation,
                           ceil_mode, count_include_pad)
    out = list(forward(torch.zeros([1, channels] + size)).shape[2:])
    attrs = ("kind = #netc<pool_kind {0}>, kernel_size = {1}, stride = {2}, "
             "padding = {3}, dilation = {4}, ceil_mode = {5}, "
             "count_include_pad = {6}").format(
                 kind, ints(kernel), ints(stride), ints(padding),
                 ints(dilation), str(ceil_mode).lower(),
                 str(count_include_pad).lower())
    return Case(name, [(["?", channels] + size, sampler),
                       (["?", channels] + out, randn)],
                functional("pool_grad", attrs), grad_of(forward))


def adaptive_case(name, channels, size, output):
    fn = getattr(F, "adaptive_avg_pool{0}d".format(len(size)))

    def reference(result_grad):
        x = torch.zeros([result_grad.shape[0], channels] + size,
                        dtype=torch.float64, requires_grad=True)
        grad, = torch.autograd.grad(fn(x, output), x, result_grad)
        return grad
    return Case(name, [(["?", channels] + output, randn)],
                functional("adaptive_avg_pool_grad"), reference)


# ------------------------------------------------------------- the rest ---
def matmul_case(name, lhs, rhs, transpose_lhs, transpose_rhs, reference):
    attrs = "transpose_lhs = {0}, transpose_rhs = {1}".format(
        str(transpose_lhs).lower(), str(transpose_rhs).lower())
    return Case(name, [(lhs, randn), (rhs, randn)],
                functional("matmul", attrs), reference)


def plain_product(transpose_lhs, transpose_rhs):
    return lambda a, b: ((a.t() if transpose_lhs else a)
                         @ (b.t() if transpose_rhs else b))


def activation_case(name, kind, shape, sampler, forward, slope=0.0):
    attrs = "kind = #netc<activation {0}>, negative_slope = {1:e} : f32".format(
        kind, slope)
    if kind in ("sigmoid", "tanh"):
        # The op reads the activation's result y; the reference
        # differentiates the forward op at its input x = inverse(y).
        inverse = torch.logit if kind == "sigmoid" else torch.atanh
        return Case(name, [(shape, sampler), (shape, randn)],
                    same_type("activation_grad", attrs),
                    lambda y, g: grad_of(forward)(inverse(y), g))
    return Case(name, [(shape, sampler), (shape, randn)],
                same_type("activation_grad", attrs), grad_of(forward))


def softmax_case(name, shape, dim, log):
    forward = ((lambda x: F.log_softmax(x, dim)) if log
               else (lambda x: F.softmax(x, dim)))
    attrs = "dim = {0} : i64, log = {1}".format(dim, str(log).lower())

    # The op reads the result y; x = y (log_softmax) or log(y) (softmax)
    # has the same softmax, as softmax is shift-invariant.
    def reference(y, g):
        return grad_of(forward)(y if log else torch.log(y), g)
    return Case(name, [(shape, through(forward)), (shape, randn)],
                same_type("softmax_grad", attrs), reference)


def cases():
    for kind in ("max", "min", "avg"):
        yield pool_case("pool1d_{0}_pad".format(kind), kind, 3, [11], [3],
                        stride=[2], padding=[1])
        yield pool_case("pool2d_{0}_pad".format(kind), kind, 3, [8, 9], [2, 3],
                        stride=[2, 2], padding=[1, 1])
        yield pool_case("pool3d_{0}_pad".format(kind), kind, 2, [5, 6, 7],
                        [2, 3, 2], stride=[2, 2, 1], padding=[1, 1, 0])
        yield pool_case("pool2d_{0}_overlap".format(kind), kind, 2, [9, 10],
                        [3, 3], stride=[2, 2])
        yield pool_case("pool2d_{0}_stride4_long_row".format(kind), kind, 2,
                        [8, 70], [4, 4], stride=[4, 4])
        for s, size in ((1, [10]), (2, [10, 9]), (3, [6, 7, 5])):
            yield pool_case("pool{0}d_{1}_ceil".format(s, kind), kind, 2,
                            size, [3] * s, stride=[2] * s, padding=[1] * s,
                            ceil_mode=True)
    # Strides of more than 64 phases gather instead (3 x 3 x 9 = 81).
    for kind in ("max", "avg"):
        yield pool_case("pool3d_{0}_many_phases".format(kind), kind, 2,
                        [5, 6, 11], [4, 4, 10], stride=[3, 3, 9],
                        padding=[2, 2, 5])
    for s, size in ((1, [10]), (2, [9, 10]), (3, [5, 7, 6])):
        yield pool_case("pool{0}d_avg_exclude_pad".format(s), "avg", 2, size,
                        [3] * s, stride=[2] * s, padding=[1] * s,
                        count_include_pad=False)
        yield pool_case("pool{0}d_avg_ceil_exclude_pad".format(s), "avg", 2,
                        size, [3] * s, stride=[2] * s, padding=[1] * s,
                        ceil_mode=True, count_include_pad=False)
        yield pool_case("pool{0}d_avg_ceil_nopad".format(s), "avg", 2, size,
                        [2] * s, stride=[3] * s, ceil_mode=True)
        # Unit strides reduce a flipped window over the padded gradient.
        for include in (True, False):
            yield pool_case("pool{0}d_avg_unit_stride_{1}".format(
                s, "include_pad" if include else "exclude_pad"), "avg", 2,
                size, [3] * s, stride=[1] * s, padding=[1] * s,
                count_include_pad=include)
        yield pool_case("pool{0}d_max_unit_stride_ties".format(s), "max", 3,
                        size, [3] * s, stride=[1] * s, padding=[1] * s,
                        sampler=small_ints)
        yield pool_case("pool{0}d_min_unit_stride_asymmetric".format(s),
                        "min", 2, size, [2] * s, stride=[1] * s)
        for kind in ("max", "min"):
            yield pool_case("pool{0}d_{1}_dilation".format(s, kind), kind, 2,
                            size, [2] * s, stride=[2] * s, padding=[1] * s,
                            dilation=[2] * s, ceil_mode=True)
            yield pool_case("pool{0}d_{1}_dilation_overlap".format(s, kind),
                            kind, 2, size, [3] * s, stride=[1] * s,
                            padding=[1] * s, dilation=[2] * s)
            # Ties: the first extremum in window order takes the gradient.
            yield pool_case("pool{0}d_{1}_ties".format(s, kind), kind, 3, size,
                            [3] * s, stride=[2] * s, padding=[1] * s,
                            ceil_mode=True, sampler=small_ints)
            yield pool_case("pool{0}d_{1}_ties_dilation".format(s, kind), kind,
                            2, size, [2] * s, stride=[1] * s, padding=[1] * s,
                            dilation=[2] * s, sampler=small_ints)
    yield pool_case("pool2d_max_lenet", "max", 4, [24, 24], [2, 2])
    yield pool_case("pool2d_max_ties_lenet", "max", 4, [12, 12], [2, 2],
                    sampler=small_ints)

    yield adaptive_case("adaptive1d", 3, [10], [4])
    yield adaptive_case("adaptive1d_upsample", 2, [3], [7])
    yield adaptive_case("adaptive2d", 3, [7, 9], [3, 4])
    yield adaptive_case("adaptive2d_global", 3, [7, 7], [1, 1])
    yield adaptive_case("adaptive2d_upsample", 2, [3, 5], [5, 7])
    yield adaptive_case("adaptive2d_mixed", 2, [4, 9], [6, 4])
    yield adaptive_case("adaptive3d", 2, [5, 7, 6], [2, 3, 4])
    yield adaptive_case("adaptive3d_upsample", 2, [2, 3, 4], [3, 5, 4])

    # Linear's gradients, then every transpose on plain products; `?` is the
    # batch, contracted when the lhs is transposed.
    yield matmul_case("matmul_linear_input_grad", ["?", 7], [7, 5],
                      False, False,
                      lambda dy, w: grad_of(lambda x, w: F.linear(x, w))(
                          torch.zeros(dy.shape[0], 5, dtype=dy.dtype), w, dy))
    yield matmul_case("matmul_linear_weight_grad", ["?", 7], ["?", 5],
                      True, False,
                      lambda dy, x: grad_of(lambda x, w: F.linear(x, w), 1)(
                          x, torch.zeros(7, 5, dtype=dy.dtype), dy))
    yield matmul_case("matmul_nn", ["?", 6], [6, 4], False, False,
                      plain_product(False, False))
    yield matmul_case("matmul_tn", ["?", 6], ["?", 4], True, False,
                      plain_product(True, False))
    yield matmul_case("matmul_nt", ["?", 6], [4, 6], False, True,
                      plain_product(False, True))
    yield matmul_case("matmul_nt_batch_columns", [4, 6], ["?", 6], False,
                      True, plain_product(False, True))
    yield matmul_case("matmul_tt", ["?", 6], [4, "?"], True, True,
                      plain_product(True, True))

    for name, kind, sampler, forward, slope in (
            ("relu", "relu", with_zeros, F.relu, 0.0),
            ("leaky_relu", "leaky_relu", with_zeros,
             lambda x: F.leaky_relu(x, 0.2), 0.2),
            ("sigmoid", "sigmoid", through(torch.sigmoid), torch.sigmoid, 0.0),
            ("tanh", "tanh", through(torch.tanh), torch.tanh, 0.0)):
        yield activation_case("act_" + name, kind, ["?", 4, 5], sampler,
                              forward, slope)
    yield activation_case("act_relu_4d", "relu", ["?", 2, 3, 4], with_zeros,
                          F.relu)

    for dim in (1, 2):
        for log in (False, True):
            yield softmax_case("{0}_dim{1}".format(
                "log_softmax" if log else "softmax", dim), ["?", 4, 6], dim,
                log)
    yield softmax_case("softmax_2d", ["?", 10], 1, False)

    yield Case("mul", [(["?", 3, 4], randn), (["?", 3, 4], randn)],
               same_type("mul"), lambda a, b: a * b)


def main():
    args = parse_args(__doc__)
    all_cases = list(cases())
    library = compile_library(args,
                              "\n".join(case.mlir() for case in all_cases))

    failures = 0
    for case in all_cases:
        operands = case.sample(args.batch)
        expected = case.expected(operands).numpy()
        output = np.full(expected.shape, np.nan, np.float32)
        buffers = [np.ascontiguousarray(t.numpy(), np.float32)
                   for t in operands]
        entry = getattr(library, case.name)
        entry.restype = None
        entry(*[b.ctypes.data_as(ctypes.c_void_p) for b in buffers],
              output.ctypes.data_as(ctypes.c_void_p),
              ctypes.c_int64(args.batch))
        error = np.abs(output.astype(np.float64) - expected)
        bound = args.atol + args.rtol * np.abs(expected)
        ok = bool(np.all(error <= bound))
        failures += not ok
        print("{0}: {1} {2} max abs error {3:.3g}".format(
            "PASS" if ok else "FAIL", case.name, list(expected.shape),
            float(np.nan_to_num(error, nan=np.inf).max())))
    print("{0} of {1} gradients match torch".format(
        len(all_cases) - failures, len(all_cases)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
