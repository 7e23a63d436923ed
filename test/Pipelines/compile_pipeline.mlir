// RUN: netc-opt %s --netc-compile-pipeline | FileCheck %s
// RUN: netc-opt %s --netc-compile-pipeline | FileCheck %s --check-prefix=MATH
// RUN: netc-opt %s --netc-compile-pipeline | FileCheck %s --check-prefix=LIBM

// A model using every op family goes from netc to the LLVM dialect: each
// model becomes a bare-pointer `<name>_forward(params, input, output, batch)`
// and no function of MLIR's runner library (memrefCopy for strided copies,
// dealloc_helper for unknown ownership) is left to link. Vector exp, log
// and tanh (the softmax's, the log_softmax's) are polynomials, whose fused
// multiply-adds are instructions; scalar math (the tanh of rows of 3) is
// LLVM intrinsics, which code generation makes libm calls (tanhf) or
// instructions (fma), never an fmaf call.
// MATH-DAG:    llvm.intr.fma({{.*}}) : (vector<{{[0-9]+}}xf32>, vector<{{[0-9]+}}xf32>, vector<{{[0-9]+}}xf32>) -> vector<{{[0-9]+}}xf32>
// MATH-DAG:    llvm.intr.tanh({{.*}}) : (f32) -> f32
// LIBM-NOT:    llvm.func @{{[a-z]+}}f(
// CHECK-NOT:   memrefCopy
// CHECK-NOT:   dealloc_helper
// CHECK-LABEL: llvm.func @convnet_forward(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK-NOT:   linalg.
// CHECK-NOT:   tensor.
// CHECK-NOT:   memref.
// CHECK:       llvm.return
// CHECK-LABEL: llvm.func @dense_forward(
// CHECK-NOT:   memrefCopy
// CHECK-NOT:   dealloc_helper
func.func @convnet(%x: tensor<?x3x8x8xf32>,
                   %w: tensor<4x3x3x3xf32> {netc.param = "conv.weight"},
                   %b: tensor<4xf32> {netc.param = "conv.bias"},
                   %mean: tensor<4xf32> {netc.param = "bn.running_mean"},
                   %var: tensor<4xf32> {netc.param = "bn.running_var"},
                   %dw: tensor<4x1x3x3xf32> {netc.param = "dw.weight"},
                   %fc: tensor<5x72xf32> {netc.param = "fc.weight"})
    -> tensor<?x5xf32> attributes {netc.model} {
  %c = netc.conv %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
         padding_mode = #netc<padding_mode reflect>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %n = netc.batch_norm %c, %mean, %var {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %r = netc.relu %n : tensor<?x4x8x8xf32>
  %d = netc.conv %r, %dw {dilation = array<i64: 1, 1>, groups = 4 : i64,
         padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x8x8xf32>
  %s = netc.add %d, %r : tensor<?x4x8x8xf32>
  %p = netc.pool %s {kind = #netc<pool_kind avg>, kernel_size = array<i64: 3, 3>,
         stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 1>, ceil_mode = true, count_include_pad = false}
       : (tensor<?x4x8x8xf32>) -> tensor<?x4x5x5xf32>
  %m = netc.pool %p {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x4x5x5xf32>) -> tensor<?x4x4x4xf32>
  %a = netc.adaptive_avg_pool %m {output_size = array<i64: 3, 3>}
       : (tensor<?x4x4x4xf32>) -> tensor<?x4x3x3xf32>
  %t = netc.tanh %a : tensor<?x4x3x3xf32>
  %f = netc.flatten %t {start_dim = 1 : i64, end_dim = -1 : i64}
       : (tensor<?x4x3x3xf32>) -> tensor<?x36xf32>
  %k = netc.concat %f, %f {dim = 1 : i64} : (tensor<?x36xf32>, tensor<?x36xf32>) -> tensor<?x72xf32>
  %q = netc.reshape %k : (tensor<?x72xf32>) -> tensor<?x2x36xf32>
  %sm = netc.softmax %q {dim = 1 : i64} : tensor<?x2x36xf32>
  %z = netc.reshape %sm : (tensor<?x2x36xf32>) -> tensor<?x72xf32>
  %drop = netc.dropout %z {p = 0.5 : f32} : tensor<?x72xf32>
  %h = netc.linear %drop, %fc : (tensor<?x72xf32>, tensor<5x72xf32>) -> tensor<?x5xf32>
  return %h : tensor<?x5xf32>
}

func.func @dense(%x: tensor<?x10xf32>,
                 %w: tensor<6x10xf32> {netc.param = "fc.weight"},
                 %b: tensor<6xf32> {netc.param = "fc.bias"})
    -> tensor<?x6xf32> attributes {netc.model} {
  %y = netc.linear %x, %w, %b : (tensor<?x10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  %s = netc.sigmoid %y : tensor<?x6xf32>
  %l = netc.leaky_relu %s {negative_slope = 0.01 : f32} : tensor<?x6xf32>
  %o = netc.log_softmax %l {dim = 1 : i64} : tensor<?x6xf32>
  return %o : tensor<?x6xf32>
}
