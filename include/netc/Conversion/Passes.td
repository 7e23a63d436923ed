//===- Passes.td - netc conversion passes ------------------*- tablegen -*-===//
#ifndef NETC_CONVERSION_PASSES_TD
#define NETC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNetcToLinalg : Pass<"convert-netc-to-linalg", "func::FuncOp"> {
  let summary = "Lower netc layer ops to linalg on tensors";
  let description = [{
    Rewrites every netc op into linalg on tensors: the named linalg
    convolution, pooling and matmul ops where MLIR has one for the case
    (`linalg.conv_2d_nchw_fchw`, `linalg.pooling_nchw_max`, `linalg.matmul`,
    ...), `linalg.generic` otherwise (grouped 1-d/3-d convolutions, min and
    3-d pooling, adaptive pooling, activations, softmax). Padding is
    materialised with `tensor.pad` (zeros, constant, the pooling identities)
    or a gather `linalg.generic` (reflect, replicate, circular).

    The pass expects verified netc IR: all non-batch dimensions static. Every
    netc op is illegal afterwards; an op no pattern handles is reported and
    the pass fails.

    ```mlir
    %y = netc.relu %x : tensor<?x10xf32>
    // becomes
    %y = linalg.generic {...} ins(%x : tensor<?x10xf32>) outs(%e : tensor<?x10xf32>) {
      ^bb0(%in: f32, %out: f32):
        %0 = arith.maximumf %in, %cst : f32
        linalg.yield %0 : f32
    } -> tensor<?x10xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // NETC_CONVERSION_PASSES_TD
