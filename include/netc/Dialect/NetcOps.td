//===- NetcOps.td - netc layer ops -------------------------*- tablegen -*-===//
//
// One op per layer kind. Each op's shape rule lives in ShapeRules.cpp, shared
// by its verifier and by the frontend's error reporting; its lowering lives in
// compiler/Conversion/NetcToLinalg under the family named in its banner here.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_DIALECT_NETCOPS_TD
#define NETC_DIALECT_NETCOPS_TD

include "netc/Dialect/NetcDialect.td"
include "netc/Dialect/NetcInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Netc_Tensor : RankedTensorOf<[F32]>;
def Netc_Scalar : 0DTensorOf<[F32]>;
def Netc_Labels : RankedTensorOf<[I32]>;

/// Ops with a gradient rule (NetcGradients.cpp).
def Netc_Differentiable
    : DeclareOpInterfaceMethods<Netc_DifferentiableOpInterface>;

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

def Netc_ConvOp : Netc_Op<"conv", [Pure, Netc_Differentiable]> {
  let summary = "N-d cross-correlation (torch.nn.Conv1d/2d/3d)";
  let description = [{
    Cross-correlates an `(N, C, *spatial)` input with an
    `(F, C / groups, *kernel)` weight and adds the optional `(F)` bias, exactly
    as `torch.nn.ConvNd`. The number of spatial dimensions (1 to 3) is the
    input rank minus two; every array attribute has one entry per spatial
    dimension. Padding may be asymmetric (`padding_low` before, `padding_high`
    after) and is filled according to `padding_mode`; `constant` fills with
    `padding_value`, `zeros` with 0.

    ```mlir
    %y = netc.conv %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
           padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
           padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
           stride = array<i64: 1, 1>}
         : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>)
           -> tensor<?x4x8x8xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$weight,
                       Optional<Netc_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding_low,
                       DenseI64ArrayAttr:$padding_high,
                       DenseI64ArrayAttr:$dilation,
                       I64Attr:$groups,
                       Netc_PaddingModeAttr:$padding_mode,
                       F32Attr:$padding_value);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def Netc_PoolOp : Netc_Op<"pool", [Pure, Netc_Differentiable]> {
  let summary = "N-d max, min or average pooling (torch.nn.MaxPoolNd/AvgPoolNd)";
  let description = [{
    Slides a `kernel_size` window over each channel of an `(N, C, *spatial)`
    input with torch's semantics: symmetric `padding` (implicit -inf for max,
    +inf for min, 0 for avg), `dilation` (max and min only), `ceil_mode`
    (a last partial window is kept when it starts inside the input or its
    left padding) and, for avg, `count_include_pad`.

    ```mlir
    %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
           stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
           dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
         : (tensor<?x10x24x24xf32>) -> tensor<?x10x12x12xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input,
                       Netc_PoolKindAttr:$kind,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation,
                       BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_AdaptiveAvgPoolOp : Netc_Op<"adaptive_avg_pool", [Pure, Netc_Differentiable]> {
  let summary = "N-d adaptive average pooling (torch.nn.AdaptiveAvgPoolNd)";
  let description = [{
    Averages each channel into `output_size` bins per spatial dimension; bin
    `i` of an input extent `L` into `O` bins covers
    `[floor(i * L / O), ceil((i + 1) * L / O))`, as torch does. Global average
    pooling is `output_size = 1` in every dimension.

    ```mlir
    %y = netc.adaptive_avg_pool %x {output_size = array<i64: 1, 1>}
         : (tensor<?x32x7x7xf32>) -> tensor<?x32x1x1xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, DenseI64ArrayAttr:$output_size);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

def Netc_LinearOp : Netc_Op<"linear", [Pure, Netc_Differentiable]> {
  let summary = "affine map y = x W^T + b (torch.nn.Linear)";
  let description = [{
    Multiplies an `(N, in_features)` input by the transpose of an
    `(out_features, in_features)` weight and adds the optional bias.

    ```mlir
    %y = netc.linear %x, %w, %b
         : (tensor<?x320xf32>, tensor<10x320xf32>, tensor<10xf32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$weight,
                       Optional<Netc_Tensor>:$bias);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activation
//===----------------------------------------------------------------------===//

class Netc_ElementwiseOp<string mnemonic, string torchName>
    : Netc_Op<mnemonic, [Pure, SameOperandsAndResultType, Netc_Differentiable]> {
  let summary = "elementwise " # mnemonic # " (" # torchName # ")";
  let description = "Applies `" # torchName # "` to every element.\n\n"
    "```mlir\n%y = netc." # mnemonic # " %x : tensor<?x10xf32>\n```";
  let arguments = (ins Netc_Tensor:$input);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Netc_ReluOp : Netc_ElementwiseOp<"relu", "torch.nn.ReLU">;
def Netc_SigmoidOp : Netc_ElementwiseOp<"sigmoid", "torch.nn.Sigmoid">;
def Netc_TanhOp : Netc_ElementwiseOp<"tanh", "torch.nn.Tanh">;

def Netc_LeakyReluOp : Netc_Op<"leaky_relu",
    [Pure, SameOperandsAndResultType, Netc_Differentiable]> {
  let summary = "elementwise leaky ReLU (torch.nn.LeakyReLU)";
  let description = [{
    `x` where `x >= 0`, `negative_slope * x` elsewhere.

    ```mlir
    %y = netc.leaky_relu %x {negative_slope = 0.01 : f32} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, F32Attr:$negative_slope);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Netc_SoftmaxLikeOp<string mnemonic, string torchName>
    : Netc_Op<mnemonic, [Pure, SameOperandsAndResultType, Netc_Differentiable]> {
  let summary = mnemonic # " along one dimension (" # torchName # ")";
  let description = "Applies `" # torchName # "` along `dim` (never the "
    "batch dimension), computed stably by subtracting the maximum first.\n\n"
    "```mlir\n%y = netc." # mnemonic # " %x {dim = 1 : i64} : tensor<?x10xf32>\n```";
  let arguments = (ins Netc_Tensor:$input, I64Attr:$dim);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Netc_SoftmaxOp : Netc_SoftmaxLikeOp<"softmax", "torch.nn.Softmax">;
def Netc_LogSoftmaxOp : Netc_SoftmaxLikeOp<"log_softmax", "torch.nn.LogSoftmax">;

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

def Netc_BatchNormOp : Netc_Op<"batch_norm",
                               [Pure, AttrSizedOperandSegments]> {
  let summary = "batch normalization, inference form (torch.nn.BatchNormNd.eval())";
  let description = [{
    Normalizes each channel of an `(N, C, *spatial)` input with the running
    statistics: `(x - running_mean) / sqrt(running_var + eps) * weight + bias`;
    `weight` and `bias` are absent when the layer is not affine. `momentum` is
    kept for the training form.

    ```mlir
    %y = netc.batch_norm %x, %mean, %var, %gamma, %beta
           {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
         : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<16xf32>) -> tensor<?x16x8x8xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$running_mean,
                       Netc_Tensor:$running_var,
                       Optional<Netc_Tensor>:$weight,
                       Optional<Netc_Tensor>:$bias,
                       F32Attr:$eps, F32Attr:$momentum);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $running_mean `,` $running_var (`,` $weight^)? (`,` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Netc_DropoutOp : Netc_Op<"dropout", [Pure, SameOperandsAndResultType]> {
  let summary = "dropout (torch.nn.Dropout); the identity at inference";
  let description = [{
    Zeroes elements with probability `p` and scales the rest by `1 / (1 - p)`
    in training; at inference it passes its input through.

    ```mlir
    %y = netc.dropout %x {p = 0.5 : f32} : tensor<?x120xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, F32Attr:$p);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

def Netc_FlattenOp : Netc_Op<"flatten", [Pure, Netc_Differentiable]> {
  let summary = "merges a range of dimensions (torch.nn.Flatten)";
  let description = [{
    Merges dimensions `start_dim` to `end_dim` (inclusive, negative counts from
    the end) into one. `start_dim` is at least 1: the batch stays apart.

    ```mlir
    %y = netc.flatten %x {start_dim = 1 : i64, end_dim = -1 : i64}
         : (tensor<?x20x4x4xf32>) -> tensor<?x320xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, I64Attr:$start_dim, I64Attr:$end_dim);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_ReshapeOp : Netc_Op<"reshape", [Pure, Netc_Differentiable]> {
  let summary = "reshapes each sample (x.view(N, *shape))";
  let description = [{
    Gives each sample of the batch the result's per-sample shape; the number
    of elements per sample is unchanged and the batch dimension stays first.

    ```mlir
    %y = netc.reshape %x : (tensor<?x320xf32>) -> tensor<?x20x16xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_ConcatOp : Netc_Op<"concat", [Pure, Netc_Differentiable]> {
  let summary = "concatenates tensors along a dimension (torch.cat)";
  let description = [{
    Joins its inputs along `dim` (at least 1); all other dimensions agree.

    ```mlir
    %y = netc.concat %a, %b {dim = 1 : i64}
         : (tensor<?x16x12x12xf32>, tensor<?x24x12x12xf32>) -> tensor<?x40x12x12xf32>
    ```
  }];
  let arguments = (ins Variadic<Netc_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_AddOp : Netc_Op<"add",
    [Pure, Commutative, SameOperandsAndResultType, Netc_Differentiable]> {
  let summary = "elementwise sum of two same-shaped tensors (residual add)";
  let description = [{
    ```mlir
    %y = netc.add %x, %r : tensor<?x16x12x12xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$lhs, Netc_Tensor:$rhs);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Training: losses
//===----------------------------------------------------------------------===//

def Netc_LossReduction : I32EnumAttr<"LossReduction",
    "how a loss combines its terms, as torch's `reduction=`", [
      I32EnumAttrCase<"mean", 0>,
      I32EnumAttrCase<"sum", 1>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::netc";
}
def Netc_LossReductionAttr : EnumAttr<Netc_Dialect, Netc_LossReduction,
                                      "reduction">;
// Elided when mean, torch's default.
def Netc_LossReductionDefault
    : DefaultValuedAttr<Netc_LossReductionAttr,
                        "::mlir::netc::LossReduction::mean">;

def Netc_CrossEntropyOp : Netc_Op<"cross_entropy", [Pure, Netc_Differentiable]> {
  let summary = "cross-entropy of logits and class labels (torch.nn.CrossEntropyLoss)";
  let description = [{
    `log_softmax` of `(N, C)` logits followed by the negative log-likelihood
    of the `(N)` int32 labels, averaged over the batch (`reduction` mean, the
    default) or summed (`#netc<reduction sum>`). With `label_smoothing` s the
    target is `(1 - s)` on the label plus `s / C` on every class, as torch
    computes it.

    ```mlir
    %l = netc.cross_entropy %logits, %labels {label_smoothing = 0.0 : f32}
         : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$logits, Netc_Labels:$labels,
                       F32Attr:$label_smoothing,
                       Netc_LossReductionDefault:$reduction);
  let results = (outs Netc_Scalar:$loss);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_MseLossOp : Netc_Op<"mse_loss", [Pure, Netc_Differentiable]> {
  let summary = "squared error (torch.nn.MSELoss)";
  let description = [{
    The mean (`reduction` mean, the default) or the sum
    (`#netc<reduction sum>`) over every element of `(input - target)^2`.

    ```mlir
    %l = netc.mse_loss %y, %t {reduction = #netc<reduction sum>}
         : (tensor<?x1x6x7xf32>, tensor<?x1x6x7xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$target,
                       Netc_LossReductionDefault:$reduction);
  let results = (outs Netc_Scalar:$loss);
  let assemblyFormat = "$input `,` $target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training: training forms of layers
//===----------------------------------------------------------------------===//

def Netc_BatchNormTrainOp : Netc_Op<"batch_norm_train",
    [Pure, AttrSizedOperandSegments, Netc_Differentiable]> {
  let summary = "batch normalization, training form (torch.nn.BatchNormNd.train())";
  let description = [{
    Normalizes with the statistics of the batch (mean and biased variance over
    every dimension but 1) and returns, besides the result, the running
    statistics updated as torch does
    (`(1 - momentum) * running + momentum * batch`, the variance unbiased) and
    the batch mean and `1 / sqrt(var + eps)` the gradient needs.

    ```mlir
    %y, %rm, %rv, %mean, %invstd = netc.batch_norm_train %x, %m, %v, %w, %b
        {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
        : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$running_mean,
                       Netc_Tensor:$running_var,
                       Optional<Netc_Tensor>:$weight,
                       Optional<Netc_Tensor>:$bias,
                       F32Attr:$eps, F32Attr:$momentum);
  let results = (outs Netc_Tensor:$result, Netc_Tensor:$new_running_mean,
                      Netc_Tensor:$new_running_var, Netc_Tensor:$batch_mean,
                      Netc_Tensor:$batch_invstd);
  let assemblyFormat = [{
    $input `,` $running_mean `,` $running_var (`,` $weight^)? (`,` $bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Netc_DropoutTrainOp : Netc_Op<"dropout_train", [Pure, Netc_Differentiable]> {
  let summary = "dropout, training form, with a seeded mask";
  let description = [{
    Keeps each element with probability `1 - p` and scales it by
    `1 / (1 - p)`. The mask is a pure function of (`seed`, `stream`, element
    index) — a counter-based hash — so a step is reproducible bit for bit;
    `stream` tells the dropout layers of a model apart. The second result is
    the mask itself (`0` or `1 / (1 - p)`), which the gradient multiplies by.

    ```mlir
    %y, %mask = netc.dropout_train %x, %seed {p = 0.5 : f32, stream = 0 : i64}
        : (tensor<?x120xf32>, i64) -> (tensor<?x120xf32>, tensor<?x120xf32>)
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, I64:$seed, F32Attr:$p,
                       I64Attr:$stream);
  let results = (outs Netc_Tensor:$result, Netc_Tensor:$mask);
  let assemblyFormat = "$input `,` $seed attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training: gradients
//===----------------------------------------------------------------------===//

def Netc_ConvInputGradOp : Netc_Op<"conv_input_grad", [Pure]> {
  let summary = "gradient of a convolution with respect to its input";
  let description = [{
    Given the gradient of a `netc.conv` result and its weight, the gradient
    with respect to its (unpadded) input, whose type is the result type. The
    attributes are the convolution's. Padding is undone according to
    `padding_mode`: the border of the padded gradient is dropped for
    zeros/constant, and added back onto the input elements it was copied from
    for reflect, replicate and circular.

    ```mlir
    %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
            padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
            padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1, 1>}
          : (tensor<?x10x24x24xf32>, tensor<10x1x5x5xf32>) -> tensor<?x1x28x28xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$result_grad, Netc_Tensor:$weight,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding_low,
                       DenseI64ArrayAttr:$padding_high,
                       DenseI64ArrayAttr:$dilation,
                       I64Attr:$groups,
                       Netc_PaddingModeAttr:$padding_mode);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = "$result_grad `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_ConvWeightGradOp : Netc_Op<"conv_weight_grad", [Pure]> {
  let summary = "gradient of a convolution with respect to its weight";
  let description = [{
    Given a `netc.conv`'s input and the gradient of its result, the gradient
    with respect to its weight (the result type): the input padded as the
    forward pass padded it, correlated with the result gradient and summed
    over the batch.

    ```mlir
    %dw = netc.conv_weight_grad %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64,
            padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
            padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
            stride = array<i64: 1, 1>}
          : (tensor<?x1x28x28xf32>, tensor<?x10x24x24xf32>) -> tensor<10x1x5x5xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$result_grad,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding_low,
                       DenseI64ArrayAttr:$padding_high,
                       DenseI64ArrayAttr:$dilation,
                       I64Attr:$groups,
                       Netc_PaddingModeAttr:$padding_mode,
                       F32Attr:$padding_value);
  let results = (outs Netc_Tensor:$weight_grad);
  let assemblyFormat = "$input `,` $result_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_ChannelSumOp : Netc_Op<"channel_sum", [Pure]> {
  let summary = "sum over every dimension but 1 (bias gradients)";
  let description = [{
    Reduces an `(N, C, *spatial)` tensor to `(C)`: the gradient of a
    per-channel bias from the gradient of the result it was added to.

    ```mlir
    %db = netc.channel_sum %dy : (tensor<?x10x24x24xf32>) -> tensor<10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_PoolGradOp : Netc_Op<"pool_grad", [Pure]> {
  let summary = "gradient of a pooling op with respect to its input";
  let description = [{
    Given a `netc.pool`'s input and the gradient of its result, the gradient
    with respect to the input (same type). Max and min route each window's
    gradient to the first element attaining the extremum, as torch does; avg
    spreads it over the window divided by the forward pass's divisor. The
    attributes are the pooling op's.

    ```mlir
    %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
            stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
            dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
          : (tensor<?x10x24x24xf32>, tensor<?x10x12x12xf32>) -> tensor<?x10x24x24xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$result_grad,
                       Netc_PoolKindAttr:$kind,
                       DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation,
                       BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = "$input `,` $result_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_AdaptiveAvgPoolGradOp : Netc_Op<"adaptive_avg_pool_grad", [Pure]> {
  let summary = "gradient of adaptive average pooling with respect to its input";
  let description = [{
    Spreads each bin's gradient evenly over the input elements of the bin
    (bins as in `netc.adaptive_avg_pool`; the input shape is the result
    type's, the output size the gradient's).

    ```mlir
    %dx = netc.adaptive_avg_pool_grad %dy
          : (tensor<?x32x1x1xf32>) -> tensor<?x32x7x7xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$result_grad);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = "$result_grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_MatmulOp : Netc_Op<"matmul", [Pure]> {
  let summary = "2-d matrix product with optional transposes (linear gradients)";
  let description = [{
    `op(lhs) * op(rhs)` where `op` transposes when the flag is set. The batch
    dimension may be dynamic on either side; with `transpose_lhs` it is the
    contracted one (`dW = dY^T X`).

    ```mlir
    %dw = netc.matmul %dy, %x {transpose_lhs = true, transpose_rhs = false}
          : (tensor<?x10xf32>, tensor<?x320xf32>) -> tensor<10x320xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$lhs, Netc_Tensor:$rhs,
                       BoolAttr:$transpose_lhs, BoolAttr:$transpose_rhs);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Netc_ActivationKind : I32EnumAttr<"ActivationKind",
    "an elementwise activation whose gradient netc.activation_grad computes", [
      I32EnumAttrCase<"relu", 0>,
      I32EnumAttrCase<"leaky_relu", 1>,
      I32EnumAttrCase<"sigmoid", 2>,
      I32EnumAttrCase<"tanh", 3>]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::netc";
}
def Netc_ActivationKindAttr : EnumAttr<Netc_Dialect, Netc_ActivationKind,
                                       "activation">;

def Netc_ActivationGradOp : Netc_Op<"activation_grad",
                                    [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of an elementwise activation";
  let description = [{
    `result_grad * f'`: for relu and leaky_relu `value` is the activation's
    input (`x > 0` selects the slope 1, else 0 or `negative_slope`, torch's
    convention at 0); for sigmoid and tanh it is the activation's result `y`
    (`y (1 - y)`, `1 - y^2`).

    ```mlir
    %dx = netc.activation_grad %x, %dy {kind = #netc<activation relu>,
            negative_slope = 0.0 : f32} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$value, Netc_Tensor:$result_grad,
                       Netc_ActivationKindAttr:$kind, F32Attr:$negative_slope);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = "$value `,` $result_grad attr-dict `:` type($value)";
}

def Netc_SoftmaxGradOp : Netc_Op<"softmax_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of softmax or log_softmax along a dimension";
  let description = [{
    From the op's result `y` and its gradient `g` along `dim`: softmax gives
    `y * (g - sum(g * y))`, log_softmax (`log` set) `g - exp(y) * sum(g)`.

    ```mlir
    %dx = netc.softmax_grad %y, %dy {dim = 1 : i64, log = true} : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$result, Netc_Tensor:$result_grad,
                       I64Attr:$dim, BoolAttr:$log);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = "$result `,` $result_grad attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Netc_CrossEntropyGradOp : Netc_Op<"cross_entropy_grad", [Pure]> {
  let summary = "gradient of netc.cross_entropy with respect to the logits";
  let description = [{
    `loss_grad * (softmax(logits) - target)`, divided by N for `reduction`
    mean, the target smoothed as in the forward op.

    ```mlir
    %dz = netc.cross_entropy_grad %logits, %labels, %dl {label_smoothing = 0.0 : f32}
          : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$logits, Netc_Labels:$labels,
                       Netc_Scalar:$loss_grad, F32Attr:$label_smoothing,
                       Netc_LossReductionDefault:$reduction);
  let results = (outs Netc_Tensor:$logits_grad);
  let assemblyFormat = [{
    $logits `,` $labels `,` $loss_grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Netc_MseLossGradOp : Netc_Op<"mse_loss_grad", [Pure]> {
  let summary = "gradient of netc.mse_loss with respect to its input";
  let description = [{
    `loss_grad * 2 (input - target)`, divided by numel for `reduction` mean.

    ```mlir
    %dy = netc.mse_loss_grad %y, %t, %dl
          : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$target,
                       Netc_Scalar:$loss_grad,
                       Netc_LossReductionDefault:$reduction);
  let results = (outs Netc_Tensor:$input_grad);
  let assemblyFormat = [{
    $input `,` $target `,` $loss_grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Netc_BatchNormGradOp : Netc_Op<"batch_norm_grad", [Pure]> {
  let summary = "gradient of netc.batch_norm_train";
  let description = [{
    From the layer's input, the gradient of its result and the batch
    statistics the forward pass returned, the gradients with respect to the
    input, the weight and the bias (the last two also when the layer is not
    affine; they are then unused). `weight` is absent for a non-affine layer.

    ```mlir
    %dx, %dw, %db = netc.batch_norm_grad %x, %dy, %mean, %invstd, %w
        : (tensor<?x16x8x8xf32>, tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins Netc_Tensor:$input, Netc_Tensor:$result_grad,
                       Netc_Tensor:$batch_mean, Netc_Tensor:$batch_invstd,
                       Optional<Netc_Tensor>:$weight);
  let results = (outs Netc_Tensor:$input_grad, Netc_Tensor:$weight_grad,
                      Netc_Tensor:$bias_grad);
  let assemblyFormat = [{
    $input `,` $result_grad `,` $batch_mean `,` $batch_invstd (`,` $weight^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Netc_MulOp : Netc_Op<"mul", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "elementwise product of two same-shaped tensors";
  let description = [{
    ```mlir
    %y = netc.mul %dy, %mask : tensor<?x120xf32>
    ```
  }];
  let arguments = (ins Netc_Tensor:$lhs, Netc_Tensor:$rhs);
  let results = (outs Netc_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Training: optimizer updates
//===----------------------------------------------------------------------===//

def Netc_SgdUpdateOp : Netc_Op<"sgd_update", [Pure, AllTypesMatch<["param",
    "grad", "momentum_buffer", "new_param", "new_momentum_buffer"]>]> {
  let summary = "one step of torch.optim.SGD on a parameter";
  let description = [{
    PyTorch's SGD, in its order of operations: `g = grad + weight_decay * p`;
    with momentum, `buf = g` on the first step (`first_step` = 1) and
    `momentum * buf + (1 - dampening) * g` after, then `g = g + momentum *
    buf` (nesterov = 1) or `g = buf`; finally `p = p - lr * g`. The
    hyper-parameters are runtime f32 scalars, settable between steps.

    ```mlir
    %p2, %b2 = netc.sgd_update %p, %g, %b, %lr, %mom, %damp, %wd, %nesterov, %first
        : tensor<10x320xf32>, f32
    ```
  }];
  let arguments = (ins Netc_Tensor:$param, Netc_Tensor:$grad,
                       Netc_Tensor:$momentum_buffer,
                       F32:$lr, F32:$momentum, F32:$dampening,
                       F32:$weight_decay, F32:$nesterov, F32:$first_step);
  let results = (outs Netc_Tensor:$new_param, Netc_Tensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $lr `,` $momentum `,` $dampening
    `,` $weight_decay `,` $nesterov `,` $first_step attr-dict `:` type($param)
    `,` type($lr)
  }];
}

def Netc_AdamUpdateOp : Netc_Op<"adam_update", [Pure, AllTypesMatch<["param",
    "grad", "exp_avg", "exp_avg_sq", "new_param", "new_exp_avg",
    "new_exp_avg_sq"]>]> {
  let summary = "one step of torch.optim.Adam / AdamW on a parameter";
  let description = [{
    PyTorch's Adam (`decoupled` = 0: `g = grad + weight_decay * p`) or AdamW
    (`decoupled` = 1: `p = p * (1 - lr * weight_decay)`), then
    `m = beta1 m + (1 - beta1) g`, `v = beta2 v + (1 - beta2) g^2`,
    `p = p - (lr / bias_correction1) * m / (sqrt(v) / sqrt(bias_correction2) + eps)`.
    The bias corrections `1 - beta^t` come from the runtime, which counts
    steps.

    ```mlir
    %p2, %m2, %v2 = netc.adam_update %p, %g, %m, %v, %lr, %b1, %b2, %eps, %wd,
        %decoupled, %bc1, %bc2 : tensor<10x320xf32>, f32
    ```
  }];
  let arguments = (ins Netc_Tensor:$param, Netc_Tensor:$grad,
                       Netc_Tensor:$exp_avg, Netc_Tensor:$exp_avg_sq,
                       F32:$lr, F32:$beta1, F32:$beta2, F32:$eps,
                       F32:$weight_decay, F32:$decoupled,
                       F32:$bias_correction1, F32:$bias_correction2);
  let results = (outs Netc_Tensor:$new_param, Netc_Tensor:$new_exp_avg,
                      Netc_Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $beta1 `,` $beta2
    `,` $eps `,` $weight_decay `,` $decoupled `,` $bias_correction1 `,`
    $bias_correction2 attr-dict `:` type($param) `,` type($lr)
  }];
}

#endif // NETC_DIALECT_NETCOPS_TD
