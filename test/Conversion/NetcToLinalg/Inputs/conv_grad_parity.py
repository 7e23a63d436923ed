"""Checks the lowering of the convolution gradient ops against PyTorch autograd.

Each case is one gradient op (netc.conv_input_grad, netc.conv_weight_grad or
netc.channel_sum) in a C entry point written here:
`void <name>(const float *operand..., float *result, int64_t batch)`, which
views each pointer as a row-major tensor whose leading `?` is the batch, as
netc-export-entry-points does for models. All cases go into one module,
compiled with op_parity.py's compile_library (`netc compile` into an object
as for models, linked into a shared library) and called through ctypes on a
random input, weight and result gradient. The reference is
torch.autograd.grad, in float64 from the same float32 values, of the
convolution as nn.ConvNd computes it (F.pad for the padding modes and for
asymmetric padding, then F.convNd); every element must satisfy
|netc - torch| <= atol + rtol |torch|.
"""
import ctypes
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from op_parity import compile_library, ints, parse_args, tensor_type

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def memref_type(shape):
    return "memref<" + "x".join(str(d) for d in shape) + "xf32>"


class Case:
    """One gradient op over `operands` (shapes, `?` first for the batch)
    giving a `result`-shaped tensor; `op(names)` prints it given the operands'
    SSA names, `reference(values)` computes it with torch from the operands'
    float64 values."""

    def __init__(self, name, operands, result, op, reference):
        self.name = name
        self.operands = operands
        self.result = result
        self.op = op
        self.reference = reference

    def mlir(self):
        lines = []
        args = ["%a{0}: memref<f32>".format(i)
                for i in range(len(self.operands))]
        args += ["%out: memref<f32>", "%batch: i64"]
        # A C entry point: bare pointers, as netc-export-entry-points makes.
        lines.append("func.func @{0}({1}) attributes {{llvm.bareptr}} {{"
                     .format(self.name, ", ".join(args)))
        lines.append("  %n = arith.index_cast %batch : i64 to index")

        def view(pointer, shape):
            sizes, strides, stride = [], [], 1
            for d in reversed(shape):
                strides.insert(0, str(stride))
                sizes.insert(0, "%n" if d == "?" else str(d))
                stride *= 1 if d == "?" else d
            lines.append(
                "  %m{0} = memref.reinterpret_cast %{0} to offset: [0], "
                "sizes: [{1}], strides: [{2}] : memref<f32> to {3}".format(
                    pointer, ", ".join(sizes), ", ".join(strides),
                    memref_type(shape)))
            return "%m" + pointer

        names = []
        for i, shape in enumerate(self.operands):
            memref = view("a{0}".format(i), shape)
            lines.append("  %t{0} = bufferization.to_tensor {1} restrict : "
                         "{2} to {3}".format(i, memref, memref_type(shape),
                                             tensor_type(shape)))
            names.append("%t{0}".format(i))
        lines.append("  %r = " + self.op(names))
        out = view("out", self.result)
        lines.append("  bufferization.materialize_in_destination %r in "
                     "restrict writable {0} : ({1}, {2}) -> ()".format(
                         out, tensor_type(self.result),
                         memref_type(self.result)))
        lines.append("  return\n}\n")
        return "\n".join(lines)

    def run(self, library, batch):
        """Calls the case on random operands; returns (netc, torch)."""
        gen = torch.Generator().manual_seed(zlib.crc32(self.name.encode()))
        values = [torch.randn(*[batch if d == "?" else d for d in shape],
                              generator=gen)
                  for shape in self.operands]
        expected = self.reference([v.double() for v in values]).numpy()
        output = np.full(expected.shape, np.nan, np.float32)
        arrays = [np.ascontiguousarray(v.numpy()) for v in values]
        entry = getattr(library, self.name)
        entry.restype = None
        entry(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays],
              output.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(batch))
        return output, expected


def conv_cases(name, channels, filters, size, kernel, stride=None, low=None,
               high=None, dilation=None, groups=1, mode="zeros", value=0.0,
               bias=False):
    """The input, weight and (with `bias`) bias gradients of one netc.conv."""
    s = len(size)
    stride = stride or [1] * s
    low = low if low is not None else [0] * s
    high = high if high is not None else list(low)
    dilation = dilation or [1] * s
    out = [(size[d] + low[d] + high[d] - dilation[d] * (kernel[d] - 1) - 1)
           // stride[d] + 1 for d in range(s)]
    x_shape = ["?", channels] + size
    w_shape = [filters, channels // groups] + kernel
    dy_shape = ["?", filters] + out
    geometry = ("dilation = {0}, groups = {1} : i64, padding_high = {2}, "
                "padding_low = {3}, padding_mode = #netc<padding_mode {4}>, "
                "stride = {5}").format(ints(dilation), groups, ints(high),
                                       ints(low), mode, ints(stride))

    def grads(x, w, dy, wrt):
        """torch's gradient of nn.ConvNd's result w.r.t. operand `wrt`."""
        x = x.requires_grad_()
        w = w.requires_grad_()
        b = torch.zeros(filters, dtype=x.dtype, requires_grad=True)
        pads = []
        for lo, hi in zip(reversed(low), reversed(high)):
            pads += [lo, hi]
        if mode in ("zeros", "constant"):
            padded = F.pad(x, pads, mode="constant", value=value)
        else:
            padded = F.pad(x, pads, mode=mode)
        y = CONV[s](padded, w, b, stride=stride, dilation=dilation,
                    groups=groups)
        return torch.autograd.grad(y, [x, w, b][wrt], dy)[0]

    def op(text, operands, result, attrs):
        def printer(names):
            return "netc.{0} {1} {{{2}}} : ({3}) -> {4}".format(
                text, ", ".join(names), attrs,
                ", ".join(tensor_type(o) for o in operands),
                tensor_type(result))
        return printer

    yield Case(name + "_input_grad", [dy_shape, w_shape], x_shape,
               op("conv_input_grad", [dy_shape, w_shape], x_shape, geometry),
               lambda v: grads(torch.zeros([v[0].shape[0]] + x_shape[1:],
                                           dtype=v[0].dtype),
                               v[1], v[0], 0))
    # The weight gradient reads the padded input: constant padding's value
    # matters here (and only here).
    yield Case(name + "_weight_grad", [x_shape, dy_shape], w_shape,
               op("conv_weight_grad", [x_shape, dy_shape], w_shape,
                  geometry + ", padding_value = {0:e} : f32".format(value)),
               lambda v: grads(v[0], torch.zeros(w_shape, dtype=v[0].dtype),
                               v[1], 1))
    if bias:
        yield channel_sum_case(name + "_bias_grad", dy_shape,
                               lambda v: grads(
                                   torch.zeros([v[0].shape[0]] + x_shape[1:],
                                               dtype=v[0].dtype),
                                   torch.zeros(w_shape, dtype=v[0].dtype),
                                   v[0], 2))


def channel_sum_case(name, shape, reference=None):
    dims = [0] + list(range(2, len(shape)))
    return Case(name, [shape], [shape[1]],
                lambda names: "netc.channel_sum {0} : ({1}) -> {2}".format(
                    names[0], tensor_type(shape), tensor_type([shape[1]])),
                reference or (lambda v: v[0].sum(dims)))


def cases():
    # Plain, every rank; stride 2 and 3 with sizes they do not divide,
    # dilation 2, asymmetric padding.
    yield from conv_cases("conv1d", 3, 4, [11], [3], low=[1], bias=True)
    # 16 input channels on rows that do not fill vectors: the input
    # gradient (a convolution whose filters are the channels) vectorized
    # along them, in 2-d and 3-d (1-d rows keep vectors along the row).
    yield from conv_cases("conv2d_channel_lanes", 16, 3, [9, 11], [3, 3],
                          stride=[2, 2], low=[1, 0], high=[0, 1],
                          dilation=[1, 2])
    yield from conv_cases("conv1d_channel_lanes", 32, 16, [13], [3], low=[2],
                          high=[1], bias=True)
    yield from conv_cases("conv3d_channel_lanes", 16, 2, [4, 5, 6], [2, 3, 2],
                          low=[1, 0, 1])
    yield from conv_cases("conv1d_stride3_dilation_asym", 3, 4, [14], [3],
                          stride=[3], low=[2], high=[0], dilation=[2])
    yield from conv_cases("conv2d_stride_dilation_asym", 2, 3, [9, 8], [3, 2],
                          stride=[2, 3], low=[2, 0], high=[1, 3],
                          dilation=[2, 1], bias=True)
    yield from conv_cases("conv2d_kernel1_stride2", 3, 2, [7, 6], [1, 1],
                          stride=[2, 2], low=[2, 0], high=[0, 1])
    # A row read at stride 4, 17 outputs long.
    yield from conv_cases("conv1d_stride4_long_row", 2, 3, [70], [4],
                          stride=[4], bias=True)
    # 1x1 at stride 1: the spatial dimensions merged into one.
    yield from conv_cases("conv2d_pointwise_padded", 3, 4, [5, 7], [1, 1],
                          low=[1, 0], high=[0, 2], dilation=[2, 1], bias=True)
    yield from conv_cases("conv3d_pointwise_depthwise", 4, 4, [3, 4, 5],
                          [1, 1, 1], groups=4)
    yield from conv_cases("conv2d_pointwise_reflect", 3, 2, [4, 6], [1, 1],
                          low=[1, 2], high=[2, 1], mode="reflect")
    yield from conv_cases("conv3d_stride_dilation_asym", 2, 3, [5, 6, 5],
                          [3, 2, 3], stride=[1, 2, 3], low=[1, 0, 1],
                          high=[0, 1, 2], dilation=[1, 1, 2], bias=True)
    # Groups: grouped, depthwise, depthwise with a channel multiplier.
    yield from conv_cases("conv1d_groups3", 6, 9, [12], [3], groups=3,
                          low=[1], high=[2], dilation=[2], stride=[2])
    yield from conv_cases("conv2d_groups2", 4, 6, [7, 7], [3, 3], groups=2,
                          low=[1, 1], stride=[2, 1])
    yield from conv_cases("conv3d_groups2", 4, 2, [4, 5, 6], [2, 3, 2],
                          groups=2, low=[1, 0, 1], stride=[1, 2, 2])
    yield from conv_cases("conv1d_depthwise", 4, 4, [10], [3], groups=4,
                          low=[1], stride=[2])
    yield from conv_cases("conv2d_depthwise", 5, 5, [8, 7], [3, 3], groups=5,
                          low=[1, 2], high=[1, 0], dilation=[1, 2])
    yield from conv_cases("conv3d_depthwise", 3, 3, [4, 5, 5], [3, 3, 3],
                          groups=3, low=[1, 1, 1], stride=[1, 2, 1])
    yield from conv_cases("conv1d_multiplier3", 2, 6, [9], [3], groups=2,
                          low=[1], stride=[3])
    yield from conv_cases("conv2d_multiplier2", 3, 6, [6, 6], [3, 3],
                          groups=3, low=[1, 1], stride=[2, 2])
    yield from conv_cases("conv3d_multiplier2", 2, 4, [4, 4, 5], [2, 2, 3],
                          groups=2, low=[0, 1, 1], high=[1, 0, 1])
    # Padding modes: constant with a value, and every gather mode in every
    # rank, asymmetric, strided, grouped, and at their limits (reflect
    # padding of size - 1, circular padding of the whole size).
    yield from conv_cases("conv2d_constant", 2, 3, [6, 7], [3, 3],
                          low=[1, 2], high=[2, 0], mode="constant", value=0.5,
                          bias=True)
    yield from conv_cases("conv1d_constant_stride3", 2, 2, [8], [2],
                          low=[3], high=[2], stride=[3], mode="constant",
                          value=-1.5)
    for mode in ("reflect", "replicate", "circular"):
        yield from conv_cases("conv1d_" + mode, 2, 3, [7], [3], low=[2],
                              high=[1], mode=mode)
        yield from conv_cases("conv2d_" + mode + "_stride_asym", 2, 3,
                              [6, 7], [3, 3], low=[2, 1], high=[1, 3],
                              stride=[3, 2], mode=mode)
        yield from conv_cases("conv3d_" + mode, 2, 2, [4, 5, 4], [3, 3, 3],
                              low=[1, 2, 1], high=[2, 1, 0], mode=mode,
                              dilation=[1, 2, 1])
        yield from conv_cases("conv2d_groups2_" + mode, 4, 4, [6, 6], [3, 3],
                              groups=2, low=[1, 1], mode=mode)
        yield from conv_cases("conv2d_depthwise_" + mode, 3, 6, [5, 5],
                              [3, 3], groups=3, low=[0, 2], high=[2, 1],
                              stride=[2, 1], mode=mode)
    wide = {"reflect": 3, "replicate": 5, "circular": 4}
    for mode, pad in wide.items():
        yield from conv_cases("conv1d_{0}_wide".format(mode), 2, 2, [4], [2],
                              low=[pad], high=[pad], mode=mode)
    # Bias gradients of the other ranks (linear: rank 2).
    yield channel_sum_case("channel_sum_rank2", ["?", 7])
    yield channel_sum_case("channel_sum_rank4", ["?", 5, 4, 3])
    yield channel_sum_case("channel_sum_rank5", ["?", 3, 2, 4, 3])


def main():
    args = parse_args(__doc__)
    all_cases = list(cases())
    library = compile_library(args, "\n".join(c.mlir() for c in all_cases))
    failures = 0
    for case in all_cases:
        output, expected = case.run(library, args.batch)
        error = np.abs(output - expected)
        bound = args.atol + args.rtol * np.abs(expected)
        ok = bool(np.all(error <= bound))
        failures += not ok
        print("{0}: {1} {2} max abs error {3:.3g}".format(
            "PASS" if ok else "FAIL", case.name, list(expected.shape),
            float(error.max())))
    print("{0} of {1} gradients match torch".format(len(all_cases) - failures,
                                                    len(all_cases)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
