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
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Netc_Tensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

def Netc_ConvOp : Netc_Op<"conv", [Pure]> {
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

def Netc_PoolOp : Netc_Op<"pool", [Pure]> {
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

def Netc_AdaptiveAvgPoolOp : Netc_Op<"adaptive_avg_pool", [Pure]> {
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

def Netc_LinearOp : Netc_Op<"linear", [Pure]> {
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
    : Netc_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
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

def Netc_LeakyReluOp : Netc_Op<"leaky_relu", [Pure, SameOperandsAndResultType]> {
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
    : Netc_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
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

def Netc_FlattenOp : Netc_Op<"flatten", [Pure]> {
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

def Netc_ReshapeOp : Netc_Op<"reshape", [Pure]> {
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

def Netc_ConcatOp : Netc_Op<"concat", [Pure]> {
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

def Netc_AddOp : Netc_Op<"add", [Pure, Commutative, SameOperandsAndResultType]> {
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

#endif // NETC_DIALECT_NETCOPS_TD
