"""Checks every netc-to-linalg lowering numerically against PyTorch.

Each case is one netc op wrapped in a model function. All cases go into one
module, which `netc compile` turns into an object (the shipped path: host
CPU features, O3) and the C compiler links into a shared library; each
model's `<name>_forward` entry point is then called through ctypes on a
random batch and compared with the same op evaluated by torch (CPU,
float32).
"""
import argparse
import ctypes
import os
import subprocess
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

PARAM_ALIGNMENT = 16  # floats; see ModelSignature.h


def ints(values):
    return "array<i64: " + ", ".join(str(v) for v in values) + ">"


def tensor_type(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


class Case:
    """One op: `op(x, params)` gives its netc text given the SSA names,
    `reference(x, params)` its torch value."""

    def __init__(self, name, sample_shape, params, op, reference):
        self.name = name
        self.sample_shape = list(sample_shape)
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        self.params = [(pname, torch.randn(*shape, generator=gen))
                       for pname, shape in params]
        self.op = op
        self.reference = reference

    def out_shape(self):
        x = torch.zeros([2] + self.sample_shape)
        return list(self.reference(x, [p for _, p in self.params]).shape[1:])

    def mlir(self):
        in_type = tensor_type(["?"] + self.sample_shape)
        out_type = tensor_type(["?"] + self.out_shape())
        args = ["%x: " + in_type]
        names = []
        for i, (pname, value) in enumerate(self.params):
            args.append('%p{0}: {1} {{netc.param = "{2}"}}'.format(
                i, tensor_type(list(value.shape)), pname))
            names.append("%p{0}".format(i))
        types = [in_type] + [tensor_type(list(v.shape)) for _, v in self.params]
        body = self.op(names, types, out_type)
        return ("func.func @{0}({1}) -> {2} attributes {{netc.model}} {{\n"
                "  %y = {3}\n  return %y : {2}\n}}\n").format(
                    self.name, ", ".join(args), out_type, body)


def functional(text, attrs=""):
    """An op printed as `netc.<text> %x, params {attrs} : (types) -> out`."""
    def op(names, types, out_type):
        operands = ", ".join(["%x"] + names)
        return "netc.{0} {1} {{{2}}} : ({3}) -> {4}".format(
            text, operands, attrs, ", ".join(types), out_type)
    return op


def same_type(text, attrs=""):
    """An op printed as `netc.<text> %x {attrs} : type`."""
    def op(names, types, out_type):
        return "netc.{0} %x {{{1}}} : {2}".format(text, attrs, types[0])
    return op


# ----------------------------------------------------------------- conv ---
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv_case(name, channels, filters, size, kernel, stride=None, low=None,
              high=None, dilation=None, groups=1, mode="zeros", value=0.0,
              bias=True):
    s = len(size)
    stride = stride or [1] * s
    low = low if low is not None else [0] * s
    high = high if high is not None else list(low)
    dilation = dilation or [1] * s
    params = [("conv.weight", [filters, channels // groups] + kernel)]
    if bias:
        params.append(("conv.bias", [filters]))
    attrs = ("dilation = {0}, groups = {1} : i64, padding_high = {2}, "
             "padding_low = {3}, padding_mode = #netc<padding_mode {4}>, "
             "padding_value = {5:e} : f32, stride = {6}").format(
                 ints(dilation), groups, ints(high), ints(low), mode, value,
                 ints(stride))

    def reference(x, p):
        # torch pads (last dimension first) with F.pad, as nn.ConvNd does for
        # its non-zeros padding modes.
        pads = []
        for lo, hi in zip(reversed(low), reversed(high)):
            pads += [lo, hi]
        if mode in ("zeros", "constant"):
            x = F.pad(x, pads, mode="constant", value=value)
        elif any(pads):
            x = F.pad(x, pads, mode=mode)
        return CONV[s](x, p[0], p[1] if bias else None, stride=stride,
                       dilation=dilation, groups=groups)
    return Case(name, [channels] + size, params, functional("conv", attrs),
                reference)


def conv_module_case(name, channels, filters, size, kernel, padding, mode):
    """Cross-checks the padding modes against nn.ConvNd itself."""
    s = len(size)
    module = getattr(torch.nn, "Conv{0}d".format(s))(
        channels, filters, kernel, padding=padding, padding_mode=mode)
    case = conv_case(name, channels, filters, size, [kernel] * s,
                     low=[padding] * s, mode=mode)
    case.params = [("conv.weight", module.weight.detach()),
                   ("conv.bias", module.bias.detach())]
    case.reference = lambda x, p: module(x).detach()
    return case


# ----------------------------------------------------------------- pool ---
def pool_case(name, kind, channels, size, kernel, stride=None, padding=None,
              dilation=None, ceil_mode=False, count_include_pad=True):
    s = len(size)
    stride = stride or list(kernel)
    padding = padding or [0] * s
    dilation = dilation or [1] * s
    attrs = ("kind = #netc<pool_kind {0}>, kernel_size = {1}, stride = {2}, "
             "padding = {3}, dilation = {4}, ceil_mode = {5}, "
             "count_include_pad = {6}").format(
                 kind, ints(kernel), ints(stride), ints(padding),
                 ints(dilation), str(ceil_mode).lower(),
                 str(count_include_pad).lower())

    def reference(x, p):
        if kind == "avg":
            fn = getattr(F, "avg_pool{0}d".format(s))
            return fn(x, kernel, stride, padding, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad)
        fn = getattr(F, "max_pool{0}d".format(s))
        sign = 1 if kind == "max" else -1
        return sign * fn(sign * x, kernel, stride, padding, dilation=dilation,
                         ceil_mode=ceil_mode)
    return Case(name, [channels] + size, [], functional("pool", attrs),
                reference)


def adaptive_case(name, channels, size, output):
    fn = getattr(F, "adaptive_avg_pool{0}d".format(len(size)))
    return Case(name, [channels] + size, [],
                functional("adaptive_avg_pool",
                           "output_size = " + ints(output)),
                lambda x, p: fn(x, output))


# ----------------------------------------------------------- the others ---
def linear_case(name, features, out, bias=True):
    params = [("fc.weight", [out, features])]
    if bias:
        params.append(("fc.bias", [out]))
    return Case(name, [features], params, functional("linear"),
                lambda x, p: F.linear(x, p[0], p[1] if bias else None))


def batch_norm_case(name, shape, affine=True):
    c = shape[0]
    params = [("bn.running_mean", [c]), ("bn.running_var", [c])]
    if affine:
        params += [("bn.weight", [c]), ("bn.bias", [c])]
    case = Case(name, shape, params,
                functional("batch_norm", "eps = 1.0e-05 : f32, "
                           "momentum = 1.0e-01 : f32"),
                lambda x, p: F.batch_norm(
                    x, p[0], p[1], p[2] if affine else None,
                    p[3] if affine else None, training=False, eps=1e-5))
    # Variances are positive.
    case.params[1] = (case.params[1][0], case.params[1][1].abs() + 0.1)
    return case


def cases():
    yield conv_case("conv1d", 3, 4, [11], [3])
    # Filters that fill vectors on rows that do not: tiles vectorized along
    # the filters on strided, dilated, padded and grouped 2-d and 3-d
    # convolutions (1-d ones keep vectors along the row).
    yield conv_case("conv2d_filter_lanes", 3, 16, [9, 14], [3, 3],
                    stride=[2, 1], low=[1, 0], high=[0, 2], dilation=[1, 2])
    yield conv_case("conv1d_filter_lanes", 5, 32, [15], [3], low=[1])
    yield conv_case("conv3d_filter_lanes", 2, 16, [4, 5, 7], [2, 2, 3])
    yield conv_case("conv2d_filter_lanes_grouped", 4, 32, [7, 7], [3, 3],
                    groups=2, low=[1, 1])
    yield conv_case("conv1d_stride_dilation_asym", 3, 4, [13], [3],
                    stride=[2], low=[2], high=[1], dilation=[2])
    yield conv_case("conv2d", 3, 5, [9, 8], [3, 3], low=[1, 1])
    yield conv_case("conv2d_stride_dilation_asym_nobias", 2, 3, [10, 9],
                    [3, 2], stride=[2, 3], low=[2, 0], high=[1, 3],
                    dilation=[2, 1], bias=False)
    yield conv_case("conv3d", 2, 3, [5, 6, 5], [3, 2, 3], stride=[1, 2, 1],
                    low=[1, 0, 1], high=[0, 1, 2], dilation=[1, 1, 2])
    # 1x1 at stride 1 runs on the spatial dimensions merged into one.
    yield conv_case("conv2d_pointwise_padded", 3, 5, [5, 7], [1, 1],
                    low=[1, 0], high=[0, 2], dilation=[2, 1])
    yield conv_case("conv3d_pointwise_grouped", 4, 6, [3, 4, 5], [1, 1, 1],
                    groups=2, bias=False)
    yield conv_case("conv2d_grouped", 4, 6, [7, 7], [3, 3], groups=2,
                    low=[1, 1], stride=[2, 1])
    yield conv_case("conv1d_grouped", 6, 9, [12], [3], groups=3, low=[1],
                    high=[2], dilation=[2])
    yield conv_case("conv3d_grouped_nobias", 4, 2, [4, 5, 6], [2, 3, 2],
                    groups=2, low=[1, 0, 1], stride=[1, 2, 2], bias=False)
    yield conv_case("conv1d_depthwise", 4, 4, [10], [3], groups=4, low=[1],
                    stride=[2])
    yield conv_case("conv2d_depthwise", 5, 5, [8, 7], [3, 3], groups=5,
                    low=[1, 2], high=[1, 0], dilation=[1, 2])
    yield conv_case("conv3d_depthwise", 3, 3, [4, 5, 5], [3, 3, 3], groups=3,
                    low=[1, 1, 1])
    yield conv_case("conv2d_depthwise_multiplier", 3, 6, [6, 6], [3, 3],
                    groups=3, low=[1, 1])
    yield conv_case("conv2d_constant", 2, 3, [6, 7], [3, 3], low=[1, 2],
                    high=[2, 0], mode="constant", value=0.5)
    for mode in ("reflect", "replicate", "circular"):
        yield conv_case("conv1d_" + mode, 2, 3, [7], [3], low=[2], high=[1],
                        mode=mode)
        yield conv_case("conv2d_" + mode + "_asym", 2, 3, [6, 7], [3, 3],
                        low=[2, 1], high=[1, 3], mode=mode, stride=[1, 2])
        yield conv_case("conv3d_" + mode, 2, 2, [4, 5, 4], [3, 3, 3],
                        low=[1, 2, 1], high=[2, 1, 1], mode=mode)
        yield conv_module_case("conv2d_module_" + mode, 2, 3, [6, 6], 3, 1,
                               mode)
        yield conv_case("conv2d_grouped_" + mode, 4, 4, [6, 6], [3, 3],
                        groups=2, low=[1, 1], mode=mode)

    for kind in ("max", "min", "avg"):
        yield pool_case("pool1d_" + kind, kind, 3, [11], [3], stride=[2],
                        padding=[1])
        yield pool_case("pool2d_" + kind, kind, 3, [8, 9], [2, 3],
                        stride=[2, 2], padding=[1, 1])
        yield pool_case("pool3d_" + kind, kind, 2, [5, 6, 7], [2, 3, 2],
                        stride=[2, 2, 1], padding=[1, 1, 0])
        for s, size in ((1, [10]), (2, [10, 9]), (3, [6, 7, 5])):
            yield pool_case("pool{0}d_{1}_ceil".format(s, kind), kind, 2,
                            size, [3] * s, stride=[2] * s, padding=[1] * s,
                            ceil_mode=True)
    for s, size in ((1, [10]), (2, [9, 10]), (3, [5, 7, 6])):
        yield pool_case("pool{0}d_avg_ceil_exclude_pad".format(s), "avg", 2,
                        size, [3] * s, stride=[2] * s, padding=[1] * s,
                        ceil_mode=True, count_include_pad=False)
        yield pool_case("pool{0}d_avg_exclude_pad".format(s), "avg", 2, size,
                        [3] * s, stride=[2] * s, padding=[1] * s,
                        count_include_pad=False)
        yield pool_case("pool{0}d_avg_ceil_nopad".format(s), "avg", 2, size,
                        [2] * s, stride=[3] * s, ceil_mode=True)
        for kind in ("max", "min"):
            yield pool_case("pool{0}d_{1}_dilation".format(s, kind), kind, 2,
                            size, [2] * s, stride=[2] * s, padding=[1] * s,
                            dilation=[2] * s, ceil_mode=True)
    yield pool_case("pool2d_max_lenet", "max", 4, [24, 24], [2, 2])
    # Rows read at stride 4 (the longest stride read as a span and a
    # shuffle; 17 outputs: a span of 65) and at stride 5 (read lane by lane).
    yield pool_case("pool2d_max_stride4_long_row", "max", 2, [8, 70], [4, 4],
                    stride=[4, 4])
    yield pool_case("pool1d_avg_stride5", "avg", 2, [27], [5], stride=[5])
    yield conv_case("conv1d_stride4_long_row", 2, 3, [70], [4], stride=[4])

    yield adaptive_case("adaptive1d", 3, [10], [4])
    yield adaptive_case("adaptive2d", 3, [7, 9], [3, 4])
    yield adaptive_case("adaptive2d_global", 3, [7, 7], [1, 1])
    yield adaptive_case("adaptive2d_upsample", 2, [3, 5], [5, 7])
    yield adaptive_case("adaptive3d", 2, [5, 7, 6], [2, 3, 4])

    yield linear_case("linear", 20, 7)
    yield linear_case("linear_nobias", 13, 5, bias=False)

    yield Case("relu", [3, 5], [], same_type("relu"), lambda x, p: F.relu(x))
    yield Case("leaky_relu", [3, 5], [],
               same_type("leaky_relu", "negative_slope = 0.2 : f32"),
               lambda x, p: F.leaky_relu(x, 0.2))
    yield Case("sigmoid", [4, 5], [], same_type("sigmoid"),
               lambda x, p: torch.sigmoid(x))
    yield Case("tanh", [4, 5], [], same_type("tanh"),
               lambda x, p: torch.tanh(x))
    for dim in (1, 2):
        yield Case("softmax_dim{0}".format(dim), [4, 6, 3], [],
                   same_type("softmax", "dim = {0} : i64".format(dim)),
                   lambda x, p, dim=dim: F.softmax(x, dim))
        yield Case("log_softmax_dim{0}".format(dim), [4, 6, 3], [],
                   same_type("log_softmax", "dim = {0} : i64".format(dim)),
                   lambda x, p, dim=dim: F.log_softmax(x, dim))
    yield Case("softmax_2d", [10], [], same_type("softmax", "dim = 1 : i64"),
               lambda x, p: F.softmax(x, 1))

    yield batch_norm_case("batch_norm2d", [4, 5, 6])
    yield batch_norm_case("batch_norm1d_noaffine", [6], affine=False)
    yield batch_norm_case("batch_norm3d", [3, 2, 3, 4])
    yield Case("dropout", [3, 4], [], same_type("dropout", "p = 5.0e-01 : f32"),
               lambda x, p: x)

    yield Case("flatten", [3, 4, 5], [],
               functional("flatten", "start_dim = 1 : i64, end_dim = -1 : i64"),
               lambda x, p: torch.flatten(x, 1))
    yield Case("flatten_middle", [3, 4, 5, 2], [],
               functional("flatten", "start_dim = 2 : i64, end_dim = 3 : i64"),
               lambda x, p: torch.flatten(x, 2, 3))

    def reshape(shape):
        def op(names, types, out_type):
            return "netc.reshape %x : ({0}) -> {1}".format(types[0], out_type)
        return op
    yield Case("reshape", [4, 6], [], reshape([3, 8]),
               lambda x, p: x.reshape(x.shape[0], 3, 8))
    yield Case("reshape_to_flat", [4, 6, 2], [], reshape([48]),
               lambda x, p: x.reshape(x.shape[0], 48))

    def self_concat(names, types, out_type):
        return ("netc.concat %x, %x, %x {{dim = 2 : i64}} : ({0}, {0}, {0}) "
                "-> {1}").format(types[0], out_type)
    yield Case("concat", [2, 3, 4], [], self_concat,
               lambda x, p: torch.cat([x, x, x], 2))

    def self_add(names, types, out_type):
        return "netc.add %x, %x : {0}".format(types[0])
    yield Case("add", [2, 3, 4], [], self_add, lambda x, p: x + x)


def pack(params):
    """Packs parameters as ModelSignature.cpp lays them out."""
    offset, chunks = 0, []
    for value in params:
        flat = value.detach().numpy().astype(np.float32).ravel()
        padded = -offset % PARAM_ALIGNMENT
        chunks.append(np.zeros(padded, np.float32))
        offset += padded
        chunks.append(flat)
        offset += flat.size
    chunks.append(np.zeros(1, np.float32))
    return np.ascontiguousarray(np.concatenate(chunks))


def parse_args(description):
    """The options every parity harness takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--netc", required=True, help="the netc compiler")
    parser.add_argument("--cc", required=True, help="C compiler (links)")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--vector-width", type=int, default=0,
                        help="netc compile --vector-width (0: the host's)")
    return parser.parse_args()


def compile_library(args, text, name="ops"):
    """Compiles the module `text` as users' models are compiled, into the
    object `netc compile` emits (host CPU, O3; the strategies of
    args.vector_width lanes where given), links that into a shared library
    in args.work and loads it."""
    os.makedirs(args.work, exist_ok=True)
    source = os.path.join(args.work, name + ".mlir")
    with open(source, "w") as f:
        f.write(text)
    obj = os.path.join(args.work, name + ".o")
    lib = os.path.join(args.work, name + ".so")
    subprocess.check_call([args.netc, "compile", source, "--training=false",
                           "--vector-width={0}".format(args.vector_width),
                           "-o", obj])
    # `netc --libs`: the runtime and libomp, which the parallel loops call.
    libs = subprocess.check_output([args.netc, "--libs"], text=True).split()
    subprocess.check_call([args.cc, "-shared", obj, "-o", lib, *libs])
    return ctypes.CDLL(lib)


def main():
    args = parse_args(__doc__)
    all_cases = list(cases())
    library = compile_library(args,
                              "\n".join(case.mlir() for case in all_cases))

    failures = 0
    for case in all_cases:
        gen = torch.Generator().manual_seed(len(case.name))
        x = torch.randn([args.batch] + case.sample_shape, generator=gen)
        expected = case.reference(x, [p for _, p in case.params])
        expected = expected.detach().numpy().astype(np.float32)
        output = np.full(expected.shape, np.nan, np.float32)
        params = pack([p for _, p in case.params])
        inputs = np.ascontiguousarray(x.numpy())
        forward = getattr(library, case.name + "_forward")
        forward.restype = None
        forward(params.ctypes.data_as(ctypes.c_void_p),
                inputs.ctypes.data_as(ctypes.c_void_p),
                output.ctypes.data_as(ctypes.c_void_p),
                ctypes.c_int64(args.batch))
        error = np.abs(output - expected)
        bound = args.atol + args.rtol * np.abs(expected)
        ok = bool(np.all(error <= bound))
        failures += not ok
        print("{0}: {1} {2} max abs error {3:.3g}".format(
            "PASS" if ok else "FAIL", case.name, list(expected.shape),
            float(error.max())))
    print("{0} of {1} ops match torch".format(len(all_cases) - failures,
                                              len(all_cases)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
