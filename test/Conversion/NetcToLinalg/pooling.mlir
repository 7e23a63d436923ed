// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// 2-d max pooling pads with -inf and uses linalg.pooling_nchw_max into a
// -inf-filled init; the window operand carries the kernel shape.
// CHECK-LABEL: func @max_pool2d
// CHECK-DAG:   %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 8, 9] [1, 1, 1, 1] : tensor<?x3x8x9xf32> into tensor<?x3x10x11xf32>
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x3x5x5xf32>)
// CHECK:       %[[WINDOW:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK:       linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:    ins(%[[PADDED]], %[[WINDOW]] : tensor<?x3x10x11xf32>, tensor<2x3xf32>) outs(%[[INIT]] : tensor<?x3x5x5xf32>)
func.func @max_pool2d(%x: tensor<?x3x8x9xf32>) -> tensor<?x3x5x5xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 3>,
         stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x3x8x9xf32>) -> tensor<?x3x5x5xf32>
  return %y : tensor<?x3x5x5xf32>
}

// Without padding the input is used as is.
// CHECK-LABEL: func @max_pool1d
// CHECK-NOT:   tensor.insert_slice
// CHECK:       linalg.pooling_ncw_max {dilations = dense<2> : tensor<1xi64>, strides = dense<2> : tensor<1xi64>} ins(%arg0, %{{.*}} : tensor<?x2x10xf32>, tensor<2xf32>)
func.func @max_pool1d(%x: tensor<?x2x10xf32>) -> tensor<?x2x4xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2>,
         stride = array<i64: 2>, padding = array<i64: 0>,
         dilation = array<i64: 2>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x2x10xf32>) -> tensor<?x2x4xf32>
  return %y : tensor<?x2x4xf32>
}

// -----

// ceil_mode keeps a last partial window: 10 with padding 1, kernel 3 and
// stride 2 gives a sixth window starting at 10 (inside the input and its
// padding, 11 wide), which reaches 13: one more -inf element is padded on the
// high side (low 1, high 1 + 1).
// CHECK-LABEL: func @max_pool1d_ceil
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 1] [%{{.*}}, 2, 10] [1, 1, 1] : tensor<?x2x10xf32> into tensor<?x2x13xf32>
// CHECK:       linalg.pooling_ncw_max {{.*}} -> tensor<?x2x6xf32>
func.func @max_pool1d_ceil(%x: tensor<?x2x10xf32>) -> tensor<?x2x6xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 3>,
         stride = array<i64: 2>, padding = array<i64: 1>,
         dilation = array<i64: 1>, ceil_mode = true, count_include_pad = true}
       : (tensor<?x2x10xf32>) -> tensor<?x2x6xf32>
  return %y : tensor<?x2x6xf32>
}

// -----

// Min pooling has no NCHW named op: the shared window generic over
// (n, c, o..., k...) with +inf padding and minimumf.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5 * 2)>
// CHECK-DAG:   #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @min_pool2d
// CHECK-DAG:   %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:       linalg.fill ins(%[[INF]] : f32) outs(%{{.*}} : tensor<?x2x10x10xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK:         arith.minimumf
func.func @min_pool2d(%x: tensor<?x2x8x8xf32>) -> tensor<?x2x5x4xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind min>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 2>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x2x8x8xf32>) -> tensor<?x2x5x4xf32>
  return %y : tensor<?x2x5x4xf32>
}

// 3-d pooling uses the same generic.
// CHECK-LABEL: func @max_pool3d
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK:         arith.maximumf
func.func @max_pool3d(%x: tensor<?x2x4x4x4xf32>) -> tensor<?x2x2x2x2xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2, 2>,
         stride = array<i64: 2, 2, 2>, padding = array<i64: 0, 0, 0>,
         dilation = array<i64: 1, 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x2x4x4x4xf32>) -> tensor<?x2x2x2x2xf32>
  return %y : tensor<?x2x2x2x2xf32>
}

// -----

// Average pooling sums (zero padding, linalg.pooling_nchw_sum) and divides.
// Without padding effects every window holds k_h * k_w = 4 elements.
// CHECK-LABEL: func @avg_pool2d_uniform
// CHECK:       %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK:       linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x3x4x4xf32>)
// CHECK:         %[[FOUR:.*]] = arith.constant 4.000000e+00 : f32
// CHECK:         arith.divf %{{.*}}, %[[FOUR]] : f32
func.func @avg_pool2d_uniform(%x: tensor<?x3x8x8xf32>) -> tensor<?x3x4x4xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind avg>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x3x8x8xf32>) -> tensor<?x3x4x4xf32>
  return %y : tensor<?x3x4x4xf32>
}

// -----

// count_include_pad with ceil_mode: the window is clipped to the padded
// input, min(start + k, in + pad) - start. Along H (9, k 3, s 2, p 1) the
// windows start at -1, 1, 3, 5, 7 and the last is clipped at 10: counts
// 3, 3, 3, 3, 3; along W (8) they start at -1 .. 7 and the last is clipped
// at 9: 3, 3, 3, 3, 2. H is uniform (a constant), W a table.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func @avg_pool2d_ceil_include_pad
// CHECK:       %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK:       %[[TABLE:.*]] = arith.constant dense<[3.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<5xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[ID]], #[[W]], #[[ID]]], {{.*}} ins(%[[SUM]], %[[TABLE]] : tensor<?x2x5x5xf32>, tensor<5xf32>)
// CHECK:       ^bb0(%[[S:.*]]: f32, %[[COUNT:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[THREE:.*]] = arith.constant 3.000000e+00 : f32
// CHECK:         %[[DIVISOR:.*]] = arith.mulf %[[THREE]], %[[COUNT]] : f32
// CHECK:         arith.divf %[[S]], %[[DIVISOR]] : f32
func.func @avg_pool2d_ceil_include_pad(%x: tensor<?x2x9x8xf32>) -> tensor<?x2x5x5xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind avg>, kernel_size = array<i64: 3, 3>,
         stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 1>, ceil_mode = true, count_include_pad = true}
       : (tensor<?x2x9x8xf32>) -> tensor<?x2x5x5xf32>
  return %y : tensor<?x2x5x5xf32>
}

// Without count_include_pad the window is clipped to the input itself:
// along 8 with windows at -1, 1, 3, 5, 7: 2, 3, 3, 3, 1.
// CHECK-LABEL: func @avg_pool1d_ceil_exclude_pad
// CHECK:       linalg.pooling_ncw_sum
// CHECK:       arith.constant dense<[2.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00, 1.000000e+00]> : tensor<5xf32>
// CHECK:       linalg.generic
// CHECK:         arith.divf
func.func @avg_pool1d_ceil_exclude_pad(%x: tensor<?x2x8xf32>) -> tensor<?x2x5xf32> {
  %y = netc.pool %x {kind = #netc<pool_kind avg>, kernel_size = array<i64: 3>,
         stride = array<i64: 2>, padding = array<i64: 1>,
         dilation = array<i64: 1>, ceil_mode = true, count_include_pad = false}
       : (tensor<?x2x8xf32>) -> tensor<?x2x5xf32>
  return %y : tensor<?x2x5xf32>
}

// -----

// Adaptive pooling, 7 into 3 bins: [0, 3), [2, 5), [4, 7), all of size 3,
// read as a window of 3 starting at o * 7 floordiv 3; no mask, no padding.
// 5 into 2 bins: [0, 3), [2, 5): also uniform.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, (d2 * 7) floordiv 3 + d4, (d3 * 5) floordiv 2 + d5)>
// CHECK-LABEL: func @adaptive2d_uniform_bins
// CHECK-NOT:   tensor.insert_slice
// CHECK:       %[[WINDOW:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[IN]], {{.*}} ins(%arg0, %[[WINDOW]]
// CHECK-NOT:     arith.select
// CHECK:         arith.addf
// CHECK:       linalg.generic
// CHECK:         arith.divf
// CHECK:         arith.divf
func.func @adaptive2d_uniform_bins(%x: tensor<?x2x7x5xf32>) -> tensor<?x2x3x2xf32> {
  %y = netc.adaptive_avg_pool %x {output_size = array<i64: 3, 2>}
       : (tensor<?x2x7x5xf32>) -> tensor<?x2x3x2xf32>
  return %y : tensor<?x2x3x2xf32>
}

// 10 into 6 bins: [0, 2), [1, 4), [3, 5), [5, 7), [6, 9), [8, 10), sizes
// 2, 3, 2, 2, 3, 2. The window is the widest bin (3); elements past a bin's
// end are masked, and each bin divides by its own size (a table).
// CHECK-LABEL: func @adaptive1d_uneven_bins
// CHECK:       linalg.generic
// CHECK:         %[[O:.*]] = linalg.index 2 : index
// CHECK:         %[[K:.*]] = linalg.index 3 : index
// CHECK:         %[[SCALED:.*]] = arith.muli %[[O]], %c10{{.*}} : index
// CHECK:         %[[START:.*]] = arith.divui %[[SCALED]], %c6{{.*}} : index
// CHECK:         %[[END:.*]] = arith.divui %{{.*}}, %c6{{.*}} : index
// CHECK:         %[[POS:.*]] = arith.addi %[[START]], %[[K]] : index
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[POS]], %[[END]] : index
// CHECK:         arith.select %[[IN]]
// CHECK:       arith.constant dense<[2.000000e+00, 3.000000e+00, 2.000000e+00, 2.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<6xf32>
func.func @adaptive1d_uneven_bins(%x: tensor<?x2x10xf32>) -> tensor<?x2x6xf32> {
  %y = netc.adaptive_avg_pool %x {output_size = array<i64: 6>}
       : (tensor<?x2x10xf32>) -> tensor<?x2x6xf32>
  return %y : tensor<?x2x6xf32>
}
