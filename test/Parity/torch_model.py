"""Builds a torch.nn.Module from a netc model JSON file.

This is an independent reading of docs/model-format.md in terms of torch.nn:
every layer becomes the torch.nn layer (or torch.nn.functional call) the
format names, registered under the layer's id (or its index in its list), so
that `state_dict()` gives exactly the parameter names the format promises
(`conv1.weight`, `incep1.branch5x5_2.bias`, `0.weight`, ...). Shapes are
inferred by running torch itself on a dummy batch, never by netc's rules.

    model = build_model("models/lenet.json")   # an nn.Module, in eval() mode
"""
import json
import warnings

import torch
import torch.nn.functional as F
from torch import nn


# torch notes that "same" padding of an even kernel copies the input; expected.
warnings.filterwarnings("ignore", message="Using padding='same'")


class ModelError(Exception):
    """A model file that breaks the format."""


# Attributes every layer may carry besides its op's own.
COMMON_ATTRS = {"op", "id", "inputs"}
CONV_ATTRS = {"out_channels", "kernel_size", "in_channels", "stride", "padding",
              "dilation", "groups", "bias", "padding_mode", "padding_value"}
MAX_POOL_ATTRS = {"kernel_size", "stride", "padding", "dilation", "ceil_mode"}
AVG_POOL_ATTRS = {"kernel_size", "stride", "padding", "ceil_mode",
                  "count_include_pad"}
BATCH_NORM_ATTRS = {"eps", "momentum", "affine", "num_features"}
TORCH_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def per_dim(value, n, what):
    """An int-or-list attribute as a tuple with one entry per spatial dim."""
    if isinstance(value, int):
        return (value,) * n
    if isinstance(value, list) and len(value) == n:
        return tuple(value)
    raise ModelError("%s: expected an int or a list of %d, found %r"
                     % (what, n, value))


def substitute(value, env):
    """Replaces the module parameters ("$name") in an attribute value."""
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in env:
            raise ModelError("unknown module parameter %r" % value)
        return env[value[1:]]
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    return value


def spatial_rank(op):
    """The n of an op named like `conv2d` or `max_pool3d`."""
    return int(op[-2])


def check_rank(name, in_shape, n):
    """An n-d spatial op needs a (C, *n spatial dims) sample."""
    if len(in_shape) != n + 1:
        raise ModelError("layer '%s': expected a %d-d input (C + %d spatial "
                         "dims), found shape %s" % (name, n + 1, n,
                                                    list(in_shape)))


def check_given(name, attrs, key, inferred):
    """An inferred attribute given explicitly must agree with the input."""
    if key in attrs and attrs[key] != inferred:
        raise ModelError("layer '%s': %s %r, but the input has %d"
                         % (name, key, attrs[key], inferred))


def conv_padding_pairs(padding, kernel, dilation, n):
    """The (before, after) padding per spatial dim, as torch pads."""
    if padding == "valid":
        return [(0, 0)] * n
    if padding == "same":
        # torch: total = d * (k - 1), the odd element goes after.
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    # Per dim: an int (both sides) or a [before, after] pair; forms may mix.
    pairs = [p if isinstance(p, list) else [p, p]
             for p in per_dim(padding, n, "padding")]
    if any(len(p) != 2 for p in pairs):
        raise ModelError("padding: expected ints or [before, after] pairs, "
                         "found %r" % (padding,))
    return [tuple(p) for p in pairs]


def f_pad_arg(pairs):
    """(before, after) pairs in dim order -> F.pad's last-dim-first list."""
    return [p for pair in reversed(pairs) for p in pair]


def make_conv(name, attrs, in_shape):
    """conv{1,2,3}d: torch's ConvNd, with F.pad in front where torch's own
    padding argument cannot say it (asymmetric pairs, "constant" mode)."""
    n = spatial_rank(attrs["op"])
    check_rank(name, in_shape, n)
    check_given(name, attrs, "in_channels", in_shape[0])
    kernel = per_dim(attrs["kernel_size"], n, "kernel_size")
    dilation = per_dim(attrs.get("dilation", 1), n, "dilation")
    padding = attrs.get("padding", 0)
    mode = attrs.get("padding_mode", "zeros")
    pairs = conv_padding_pairs(padding, kernel, dilation, n)
    symmetric = all(b == a for b, a in pairs)
    torch_pads = mode in TORCH_PADDING_MODES and (
        isinstance(padding, str) or symmetric)
    if not torch_pads and mode not in TORCH_PADDING_MODES | {"constant"}:
        raise ModelError("layer '%s': unknown padding_mode %r" % (name, mode))
    if torch_pads:  # "same"/"valid" or symmetric: torch's own argument
        conv_padding = (padding if isinstance(padding, str) else
                        tuple(b for b, _ in pairs))
        conv_mode = mode
    else:
        conv_padding, conv_mode = 0, "zeros"
    conv_class = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[n]
    conv = conv_class(
        in_shape[0], attrs["out_channels"], kernel,
        stride=per_dim(attrs.get("stride", 1), n, "stride"),
        padding=conv_padding, dilation=dilation,
        groups=attrs.get("groups", 1), bias=attrs.get("bias", True),
        padding_mode=conv_mode)
    if torch_pads:
        return conv, lambda m, xs: m(xs[0])
    pad_mode = "constant" if mode in ("zeros", "constant") else mode
    value = attrs.get("padding_value", 0.0) if mode == "constant" else 0.0
    pad = f_pad_arg(pairs)
    if pad_mode == "constant":
        return conv, lambda m, xs: m(F.pad(xs[0], pad, value=value))
    return conv, lambda m, xs: m(F.pad(xs[0], pad, mode=pad_mode))


def make_pool(name, attrs, in_shape):
    """max/avg/min_pool{1,2,3}d; min_pool is -max_pool(-x)."""
    op = attrs["op"]
    n = spatial_rank(op)
    check_rank(name, in_shape, n)
    common = dict(kernel_size=attrs["kernel_size"], stride=attrs.get("stride"),
                  padding=attrs.get("padding", 0),
                  ceil_mode=attrs.get("ceil_mode", False))
    if op.startswith("avg"):
        pool = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[n](
            count_include_pad=attrs.get("count_include_pad", True), **common)
        return pool, lambda m, xs: m(xs[0])
    pool = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}[n](
        dilation=attrs.get("dilation", 1), **common)
    if op.startswith("min"):
        return pool, lambda m, xs: -m(-xs[0])
    return pool, lambda m, xs: m(xs[0])


def make_adaptive_pool(name, attrs, in_shape):
    """adaptive_avg_pool{1,2,3}d and global_avg_pool (output size 1)."""
    if attrs["op"] == "global_avg_pool":
        n, size = len(in_shape) - 1, 1
    else:
        n, size = spatial_rank(attrs["op"]), attrs["output_size"]
    check_rank(name, in_shape, n)
    pool = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d,
            3: nn.AdaptiveAvgPool3d}[n](size)
    return pool, lambda m, xs: m(xs[0])


def make_linear(name, attrs, in_shape):
    """linear on an (N, in_features) input."""
    if len(in_shape) != 1:
        raise ModelError("layer '%s': linear needs an (N, features) input, "
                         "found a sample of shape %s" % (name, list(in_shape)))
    check_given(name, attrs, "in_features", in_shape[0])
    lin = nn.Linear(in_shape[0], attrs["out_features"],
                    bias=attrs.get("bias", True))
    return lin, lambda m, xs: m(xs[0])


def make_batch_norm(name, attrs, in_shape):
    """batch_norm{1,2,3}d; batch_norm1d takes (N, C) or (N, C, L)."""
    n = spatial_rank(attrs["op"])
    if not (n == 1 and len(in_shape) == 1):
        check_rank(name, in_shape, n)
    check_given(name, attrs, "num_features", in_shape[0])
    bn = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[n](
        in_shape[0], eps=attrs.get("eps", 1e-5),
        momentum=attrs.get("momentum", 0.1), affine=attrs.get("affine", True))
    return bn, lambda m, xs: m(xs[0])


def unary(module_factory):
    """An op that is one parameterless torch.nn module on one input."""
    def make(name, attrs, in_shape):
        module = module_factory(attrs)
        return module, lambda m, xs: m(xs[0])
    return make


def make_reshape(name, attrs, in_shape):
    """reshape: x.view(N, *shape)."""
    shape = attrs["shape"]
    return None, lambda m, xs: xs[0].reshape(xs[0].shape[0], *shape)


def make_concat(name, attrs, in_shape):
    """concat: torch.cat(inputs, dim)."""
    dim = attrs.get("dim", 1)
    return None, lambda m, xs: torch.cat(xs, dim)


def make_add(name, attrs, in_shape):
    """add: the elementwise sum of two same-shape inputs."""
    return None, lambda m, xs: xs[0] + xs[1]


def _ops():
    """op name -> (its attributes, factory(name, attrs, sample shape))."""
    table = {}
    for n in (1, 2, 3):
        table["conv%dd" % n] = (CONV_ATTRS, make_conv)
        table["max_pool%dd" % n] = (MAX_POOL_ATTRS, make_pool)
        table["min_pool%dd" % n] = (MAX_POOL_ATTRS, make_pool)
        table["avg_pool%dd" % n] = (AVG_POOL_ATTRS, make_pool)
        table["adaptive_avg_pool%dd" % n] = ({"output_size"},
                                             make_adaptive_pool)
        table["batch_norm%dd" % n] = (BATCH_NORM_ATTRS, make_batch_norm)
    table.update({
        "global_avg_pool": (set(), make_adaptive_pool),
        "linear": ({"out_features", "in_features", "bias"}, make_linear),
        "relu": (set(), unary(lambda a: nn.ReLU())),
        "sigmoid": (set(), unary(lambda a: nn.Sigmoid())),
        "tanh": (set(), unary(lambda a: nn.Tanh())),
        "leaky_relu": ({"negative_slope"}, unary(
            lambda a: nn.LeakyReLU(a.get("negative_slope", 0.01)))),
        "softmax": ({"dim"}, unary(lambda a: nn.Softmax(a.get("dim", 1)))),
        "log_softmax": ({"dim"}, unary(
            lambda a: nn.LogSoftmax(a.get("dim", 1)))),
        "dropout": ({"p"}, unary(lambda a: nn.Dropout(a.get("p", 0.5)))),
        "flatten": ({"start_dim", "end_dim"}, unary(
            lambda a: nn.Flatten(a.get("start_dim", 1), a.get("end_dim", -1)))),
        "reshape": ({"shape"}, make_reshape),
        "concat": ({"dim"}, make_concat),
        "add": (set(), make_add),
    })
    return table


OPS = _ops()


class Node:
    """One layer of a graph: its name, the names it reads, and its function
    call(module, input tensors), given the layer's registered module (looked
    up at run time, so that copies and .double() of the graph work)."""

    def __init__(self, name, inputs, call):
        self.name, self.inputs, self.call = name, inputs, call


class Graph(nn.Module):
    """A layer list (the model's or a module's) as an nn.Module.

    Layers with parameters are registered as children under their names, so
    `state_dict()` names them as the format says.
    """

    def __init__(self, layers, in_shape, modules, env=None, output=None):
        super().__init__()
        self.nodes = []
        shapes = {"input": tuple(in_shape)}
        for index, layer in enumerate(layers):
            node, shape = self._build_layer(index, layer, shapes, modules,
                                            env or {})
            self.nodes.append(node)
            shapes[node.name] = shape
        self.shapes = shapes  # per-sample shapes by layer name
        self.output = output or self.nodes[-1].name
        if self.output not in shapes or self.output == "input":
            raise ModelError("output %r is not a layer" % self.output)
        self.out_shape = shapes[self.output]

    def _build_layer(self, index, layer, shapes, modules, env):
        """Builds one layer; returns its Node and its per-sample shape."""
        name = str(layer.get("id", index))
        if name in shapes:
            raise ModelError("layer '%s': duplicate id" % name)
        inputs = self._input_names(index, layer, shapes)
        attrs = {k: (v if k in COMMON_ATTRS else substitute(v, env))
                 for k, v in layer.items()}
        in_shape = shapes[inputs[0]]
        op = attrs["op"]
        if op in modules:
            module, call = self._instantiate(name, attrs, in_shape, modules)
        elif op in OPS:
            allowed, factory = OPS[op]
            unknown = set(attrs) - allowed - COMMON_ATTRS
            if unknown:
                raise ModelError("layer '%s': unknown attribute(s) %s for %s"
                                 % (name, sorted(unknown), op))
            self._check_arity(name, op, inputs, shapes)
            module, call = factory(name, attrs, in_shape)
        else:
            raise ModelError("layer '%s': unknown op %r" % (name, op))
        if module is not None:
            self._modules[name] = module  # bypasses attribute-name clashes
        return Node(name, inputs, call), self._infer_shape(
            module, call, [shapes[i] for i in inputs])

    @staticmethod
    def _input_names(index, layer, shapes):
        """The `inputs` field as a list; default: the previous layer."""
        inputs = layer.get("inputs")
        if inputs is None:
            inputs = [list(shapes)[-1]]
        elif isinstance(inputs, str):
            inputs = [inputs]
        for i in inputs:
            if i not in shapes:
                raise ModelError("layer %d: input %r is not an earlier layer"
                                 % (index, i))
        return inputs

    @staticmethod
    def _check_arity(name, op, inputs, shapes):
        """concat takes 2+ inputs, add exactly 2 of one shape, others 1."""
        if op == "concat" and len(inputs) < 2:
            raise ModelError("layer '%s': concat needs 2+ inputs" % name)
        if op == "add" and (len(inputs) != 2 or
                            shapes[inputs[0]] != shapes[inputs[1]]):
            raise ModelError("layer '%s': add needs 2 inputs of one shape"
                             % name)
        if op not in ("concat", "add") and len(inputs) != 1:
            raise ModelError("layer '%s': %s takes one input" % (name, op))

    @staticmethod
    def _instantiate(name, attrs, in_shape, modules):
        """A layer whose op is a module: a nested Graph, params bound."""
        definition = modules[attrs["op"]]
        params = definition.get("params", [])
        given = {k: v for k, v in attrs.items() if k not in COMMON_ATTRS}
        if set(given) != set(params):
            raise ModelError("layer '%s': module %s takes params %s, given %s"
                             % (name, attrs["op"], params, sorted(given)))
        graph = Graph(definition["layers"], in_shape, modules, given,
                      definition.get("output"))
        return graph, lambda m, xs: m(xs[0])

    @staticmethod
    def _infer_shape(module, call, in_shapes):
        """Runs the layer on a zero batch of 2; returns the sample shape."""
        if module is not None:
            module.eval()
        with torch.no_grad():
            out = call(module, [torch.zeros((2,) + s) for s in in_shapes])
        return tuple(out.shape[1:])

    def forward(self, x):
        values = {"input": x}
        for node in self.nodes:
            values[node.name] = node.call(self._modules.get(node.name),
                                          [values[i] for i in node.inputs])
        return values[self.output]


def build_model(path):
    """Reads a model JSON file; returns its Graph in eval() mode.

    The Graph also carries `model_name`, `input_shape` and `out_shape`.
    Parameters get torch's default initialisation from the global RNG, so
    seed it (torch.manual_seed) first for reproducible weights.
    """
    with open(path) as f:
        spec = json.load(f)
    model = Graph(spec["layers"], spec["input"]["shape"],
                  spec.get("modules", {}), output=spec.get("output"))
    model.model_name = spec["name"]
    model.input_shape = tuple(spec["input"]["shape"])
    return model.eval()
