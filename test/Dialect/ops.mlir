// RUN: netc-opt %s | netc-opt | FileCheck %s

// Every op prints and parses back.
// CHECK-LABEL: func.func @all_ops
func.func @all_ops(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                   %b: tensor<4xf32>, %c: tensor<4xf32>,
                   %fw: tensor<10x128xf32>) -> tensor<?x10xf32> {
  // CHECK: netc.conv %{{.*}}, %{{.*}}, %{{.*}} {{.*}}padding_mode = #netc<padding_mode reflect>
  %0 = netc.conv %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
         padding_mode = #netc<padding_mode reflect>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  // CHECK: netc.batch_norm
  %1 = netc.batch_norm %0, %b, %c, %b, %c {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  // CHECK: netc.relu
  %2 = netc.relu %1 : tensor<?x4x8x8xf32>
  // CHECK: netc.pool {{.*}}kind = #netc<pool_kind max>
  %3 = netc.pool %2 {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  // CHECK: netc.adaptive_avg_pool
  %4 = netc.adaptive_avg_pool %3 {output_size = array<i64: 4, 4>}
       : (tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32>
  // CHECK: netc.concat
  %5 = netc.concat %3, %4 {dim = 1 : i64}
       : (tensor<?x4x4x4xf32>, tensor<?x4x4x4xf32>) -> tensor<?x8x4x4xf32>
  // CHECK: netc.add
  %6 = netc.add %5, %5 : tensor<?x8x4x4xf32>
  // CHECK: netc.flatten
  %7 = netc.flatten %6 {start_dim = 1 : i64, end_dim = -1 : i64}
       : (tensor<?x8x4x4xf32>) -> tensor<?x128xf32>
  // CHECK: netc.reshape
  %8 = netc.reshape %7 : (tensor<?x128xf32>) -> tensor<?x2x64xf32>
  %9 = netc.flatten %8 {start_dim = 1 : i64, end_dim = 1 : i64}
       : (tensor<?x2x64xf32>) -> tensor<?x2x64xf32>
  %10 = netc.sigmoid %9 : tensor<?x2x64xf32>
  %11 = netc.tanh %10 : tensor<?x2x64xf32>
  // CHECK: netc.leaky_relu {{.*}}negative_slope
  %12 = netc.leaky_relu %11 {negative_slope = 0.01 : f32} : tensor<?x2x64xf32>
  %13 = netc.dropout %12 {p = 0.5 : f32} : tensor<?x2x64xf32>
  %14 = netc.softmax %13 {dim = 2 : i64} : tensor<?x2x64xf32>
  %15 = netc.log_softmax %14 {dim = 1 : i64} : tensor<?x2x64xf32>
  %16 = netc.reshape %15 : (tensor<?x2x64xf32>) -> tensor<?x128xf32>
  // CHECK: netc.linear
  %17 = netc.linear %16, %fw : (tensor<?x128xf32>, tensor<10x128xf32>) -> tensor<?x10xf32>
  return %17 : tensor<?x10xf32>
}
