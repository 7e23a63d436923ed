// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// Max pooling's gradient finds each window's winner first: a window
// reduction over the padded input (the padding value is moot, padding is
// rejected by position) into the running maximum (-inf) and the winner's flat
// kernel position (-1 for none yet). An element wins if it is real and the
// first, greater, or NaN. Then the input positions split into 2 x 2 phases
// by their remainders modulo the strides. Rows: even positions are element
// k = 1 of window q, odd ones k = 0 of window q + 1. Columns (kernel 3):
// even positions are k = 1 of window q, odd ones k = 2 of window q and k = 0
// of window q + 1. Each phase sums the gradients of its windows whose
// winner is its tap (flat k = 3 k0 + k1, taps in decreasing k), and is
// placed at its positions, every other row and column. No gathers.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG:   #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
// CHECK-LABEL: func @max_pool2d_grad
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 8, 9] [1, 1, 1, 1] : tensor<?x3x8x9xf32> into tensor<?x3x10x11xf32>
// CHECK:       %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:       %[[BEST:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x3x5x5xf32>)
// CHECK:       %[[NONE:.*]] = arith.constant -1 : i32
// CHECK:       %[[WINNER:.*]] = linalg.fill ins(%[[NONE]] : i32) outs(%{{.*}} : tensor<?x3x5x5xi32>)
// CHECK:       %[[WINNERS:.*]]:2 = linalg.generic {indexing_maps = [#[[IN]], #[[WIN]], #[[OUT]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%[[PADDED]], %{{.*}} : tensor<?x3x10x11xf32>, tensor<2x3xf32>) outs(%[[BEST]], %[[WINNER]] : tensor<?x3x5x5xf32>, tensor<?x3x5x5xi32>)
// CHECK:         %[[GREATER:.*]] = arith.cmpf ogt, %[[ELEMENT:.*]], %[[SOFAR:.*]] : f32
// CHECK:         %[[NAN:.*]] = arith.cmpf uno, %[[ELEMENT]], %[[ELEMENT]] : f32
// CHECK:         %[[FIRST:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:         %[[BETTER:.*]] = arith.ori %[[GREATER]], %[[NAN]] : i1
// CHECK:         %[[ANY:.*]] = arith.ori %[[FIRST]], %[[BETTER]] : i1
// CHECK:         %[[TAKE:.*]] = arith.andi %{{.*}}, %[[ANY]] : i1
// CHECK:         arith.select %[[TAKE]], %[[ELEMENT]], %[[SOFAR]] : f32
// CHECK:         arith.select %[[TAKE]], %{{.*}}, %{{.*}} : i32
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x8x9xf32>)
// CHECK:       %[[G00:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [%{{.*}}, 3, 4, 5] [1, 1, 1, 1]
// CHECK:       %[[W00:.*]] = tensor.extract_slice %[[WINNERS]]#1[0, 0, 0, 0] [%{{.*}}, 3, 4, 5] [1, 1, 1, 1]
// CHECK:       %[[P00:.*]] = linalg.generic {indexing_maps = [#[[TAPS]], #[[TAPS]], #[[WIN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%[[G00]], %[[W00]], %{{.*}} : tensor<?x3x4x5xf32>, tensor<?x3x4x5xi32>, tensor<1x1xf32>) outs(%{{.*}} : tensor<?x3x4x5xf32>)
// CHECK-NEXT:  ^bb0(%[[G:.*]]: f32, %[[W:.*]]: i32, %{{.*}}: f32, %[[SUM:.*]]: f32):
// CHECK:         %[[K4:.*]] = arith.constant 4 : index
// CHECK:         %[[K:.*]] = arith.subi %[[K4]], %{{.*}} : index
// CHECK:         %[[KI:.*]] = arith.index_cast %[[K]] : index to i32
// CHECK:         %[[WINS:.*]] = arith.cmpi eq, %[[W]], %[[KI]] : i32
// CHECK:         %[[C:.*]] = arith.select %[[WINS]], %[[G]], %{{.*}} : f32
// CHECK:         arith.addf %[[SUM]], %[[C]] : f32
// CHECK:       %[[DX00:.*]] = tensor.insert_slice %{{.*}} into %[[ZEROS]][0, 0, 0, 0] [%{{.*}}, 3, 4, 5] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK-SAME:    tensor<1x2xf32>) outs(%{{.*}} : tensor<?x3x4x4xf32>)
// CHECK:         arith.constant 5 : index
// CHECK:       %[[DX01:.*]] = tensor.insert_slice %{{.*}} into %[[DX00]][0, 0, 0, 1] [%{{.*}}, 3, 4, 4] [1, 1, 2, 2]
// CHECK:       tensor.extract_slice %arg1[0, 0, 1, 0] [%{{.*}}, 3, 4, 5] [1, 1, 1, 1]
// CHECK:       linalg.generic
// CHECK-SAME:    tensor<1x1xf32>) outs(%{{.*}} : tensor<?x3x4x5xf32>)
// CHECK:         arith.constant 1 : index
// CHECK:       %[[DX10:.*]] = tensor.insert_slice %{{.*}} into %[[DX01]][0, 0, 1, 0] [%{{.*}}, 3, 4, 5] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK-SAME:    tensor<1x2xf32>) outs(%{{.*}} : tensor<?x3x4x4xf32>)
// CHECK:         arith.constant 2 : index
// CHECK:       %[[DX11:.*]] = tensor.insert_slice %{{.*}} into %[[DX10]][0, 0, 1, 1] [%{{.*}}, 3, 4, 4] [1, 1, 2, 2]
// CHECK:       return %[[DX11]]
// CHECK-NOT:   tensor.extract %
func.func @max_pool2d_grad(%x: tensor<?x3x8x9xf32>, %dy: tensor<?x3x5x5xf32>) -> tensor<?x3x8x9xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 3>,
          stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
          dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
        : (tensor<?x3x8x9xf32>, tensor<?x3x5x5xf32>) -> tensor<?x3x8x9xf32>
  return %dx : tensor<?x3x8x9xf32>
}

// -----

// Min pooling with ceil_mode: the input is padded like the forward pass's
// (low 1, high 1 + 1 for the last partial window), the running minimum starts
// at +inf and improves with olt. Even input positions 2q are element 1 of
// window q; odd ones 2q + 1 are element 2 of window q and 0 of window q + 1:
// two phases, each a window reduction over the gradient, which needs no
// padding here, placed every other position.
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + d3)>
// CHECK-LABEL: func @min_pool1d_grad
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 1] [%{{.*}}, 2, 10] [1, 1, 1] : tensor<?x2x10xf32> into tensor<?x2x13xf32>
// CHECK:       %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:       linalg.fill ins(%[[INF]] : f32) outs(%{{.*}} : tensor<?x2x6xf32>)
// CHECK:       %[[SEARCH:.*]]:2 = linalg.generic
// CHECK:         arith.cmpf olt
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x2x10xf32>)
// CHECK:       %[[G0:.*]] = tensor.extract_slice %arg1[0, 0, 0] [%{{.*}}, 2, 5] [1, 1, 1]
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], #[[TAPS]], {{.*}}]
// CHECK-SAME:    ins(%[[G0]], %{{.*}}, %{{.*}} : tensor<?x2x5xf32>, tensor<?x2x5xi32>, tensor<1xf32>) outs(%{{.*}} : tensor<?x2x5xf32>)
// CHECK:         arith.constant 1 : index
// CHECK:         arith.cmpi eq
// CHECK:       %[[EVEN:.*]] = tensor.insert_slice %{{.*}} into %[[ZEROS]][0, 0, 0] [%{{.*}}, 2, 5] [1, 1, 2]
// CHECK:       %[[G1:.*]] = tensor.extract_slice %arg1[0, 0, 0] [%{{.*}}, 2, 6] [1, 1, 1]
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], #[[TAPS]], {{.*}}]
// CHECK-SAME:    ins(%[[G1]], %{{.*}}, %{{.*}} : tensor<?x2x6xf32>, tensor<?x2x6xi32>, tensor<2xf32>) outs(%{{.*}} : tensor<?x2x5xf32>)
// CHECK:         arith.constant 2 : index
// CHECK:       tensor.insert_slice %{{.*}} into %[[EVEN]][0, 0, 1] [%{{.*}}, 2, 5] [1, 1, 2]
// CHECK-NOT:   tensor.extract %
func.func @min_pool1d_grad(%x: tensor<?x2x10xf32>, %dy: tensor<?x2x6xf32>) -> tensor<?x2x10xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind min>, kernel_size = array<i64: 3>,
          stride = array<i64: 2>, padding = array<i64: 1>,
          dilation = array<i64: 1>, ceil_mode = true, count_include_pad = true}
        : (tensor<?x2x10xf32>, tensor<?x2x6xf32>) -> tensor<?x2x10xf32>
  return %dx : tensor<?x2x10xf32>
}

// -----

// Dilation scales the kernel position in the window map. With stride and
// dilation 2 and padding 1, even input positions are in no window (their
// gradient stays 0); odd ones 2q + 1 are element 1 of window q and 0 of
// window q + 1.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 * 2 + d3 * 2)>
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + d3)>
// CHECK-LABEL: func @max_pool1d_dilation_grad
// CHECK:       linalg.generic {indexing_maps = [#[[IN]],
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x2x10xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], #[[TAPS]], {{.*}}]
// CHECK-SAME:    tensor<2xf32>) outs(%{{.*}} : tensor<?x2x5xf32>)
// CHECK:         arith.constant 1 : index
// CHECK:       %[[ODD:.*]] = tensor.insert_slice %{{.*}} into %[[ZEROS]][0, 0, 1] [%{{.*}}, 2, 5] [1, 1, 2]
// CHECK-NEXT:  return %[[ODD]]
func.func @max_pool1d_dilation_grad(%x: tensor<?x2x10xf32>, %dy: tensor<?x2x6xf32>) -> tensor<?x2x10xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 2>,
          stride = array<i64: 2>, padding = array<i64: 1>,
          dilation = array<i64: 2>, ceil_mode = true, count_include_pad = true}
        : (tensor<?x2x10xf32>, tensor<?x2x6xf32>) -> tensor<?x2x10xf32>
  return %dx : tensor<?x2x10xf32>
}

// -----

// Average pooling's gradient divides the result gradient by the forward
// pass's divisors (here without the padding: 2 at the edges, 3 inside, per
// dimension, divided once by the product), then sums, in each of the 2 x 2
// phases of the input positions, the windows that hold them (1 or 2 per
// dimension), from the gradient padded by one column for the last odd
// column's second window; no winners are computed.
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
// CHECK-LABEL: func @avg_pool2d_grad
// CHECK-DAG:   %[[ROWS:.*]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<5xf32>
// CHECK-DAG:   %[[COLUMNS:.*]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00, 3.000000e+00]> : tensor<5xf32>
// CHECK:       %[[SCALED:.*]] = linalg.generic {{.*}} ins(%arg1, %[[ROWS]], %[[COLUMNS]] : tensor<?x2x5x5xf32>, tensor<5xf32>, tensor<5xf32>)
// CHECK:         %[[DIVISOR:.*]] = arith.mulf
// CHECK:         arith.divf %{{.*}}, %[[DIVISOR]] : f32
// CHECK-NOT:   xi32>
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, 5, 5] [1, 1, 1, 1] : tensor<?x2x5x5xf32> into tensor<?x2x5x6xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], {{.*}}]
// CHECK-SAME:    tensor<1x1xf32>) outs(%{{.*}} : tensor<?x2x5x5xf32>)
// CHECK-NEXT:  ^bb0(%[[G:.*]]: f32, %{{.*}}: f32, %[[SUM:.*]]: f32):
// CHECK-NEXT:    %[[NEW:.*]] = arith.addf %[[SUM]], %[[G]] : f32
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, 5, 5] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<?x2x5x6xf32>, tensor<1x2xf32>) outs(%{{.*}} : tensor<?x2x5x5xf32>)
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 0, 1] [%{{.*}}, 2, 5, 5] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<?x2x5x5xf32>, tensor<2x1xf32>) outs(%{{.*}} : tensor<?x2x4x5xf32>)
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 1, 0] [%{{.*}}, 2, 4, 5] [1, 1, 2, 2]
// CHECK:       linalg.generic
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<?x2x5x6xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<?x2x4x5xf32>)
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 2, 4, 5] [1, 1, 2, 2]
// CHECK-NOT:   tensor.extract %
func.func @avg_pool2d_grad(%x: tensor<?x2x9x10xf32>, %dy: tensor<?x2x5x5xf32>) -> tensor<?x2x9x10xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind avg>, kernel_size = array<i64: 3, 3>,
          stride = array<i64: 2, 2>, padding = array<i64: 1, 1>,
          dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false}
        : (tensor<?x2x9x10xf32>, tensor<?x2x5x5xf32>) -> tensor<?x2x9x10xf32>
  return %dx : tensor<?x2x9x10xf32>
}

// -----

// Adaptive pooling upsampling 3 inputs to 5 bins ([0,1) [0,2) [1,2) [1,3)
// [2,3)): the gradient is divided by the bin sizes, zero-padded by one bin,
// and input i sums the 3 bins from floor(i * 5 / 3), masked to those that
// start at or before i.
// CHECK-DAG:   #[[BINS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, (d2 * 5) floordiv 3 + d3)>
// CHECK-LABEL: func @adaptive_avg_pool1d_grad_upsample
// CHECK:       %[[SIZES:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 1.000000e+00, 2.000000e+00, 1.000000e+00]> : tensor<5xf32>
// CHECK:       %[[SCALED:.*]] = linalg.generic {{.*}} ins(%arg0, %[[SIZES]] : tensor<?x2x5xf32>, tensor<5xf32>)
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}}[0, 0, 0] [%{{.*}}, 2, 5] [1, 1, 1] : tensor<?x2x5xf32> into tensor<?x2x6xf32>
// CHECK:       linalg.generic {indexing_maps = [#[[BINS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:    ins(%[[PADDED]], %{{.*}} : tensor<?x2x6xf32>, tensor<3xf32>) outs(%{{.*}} : tensor<?x2x3xf32>)
// CHECK:         %[[I:.*]] = linalg.index 2 : index
// CHECK:         %[[FIRST:.*]] = arith.divui
// CHECK:         arith.addi %[[FIRST]], %{{.*}} : index
// CHECK:         %[[START:.*]] = arith.divui
// CHECK:         %[[IN_BIN:.*]] = arith.cmpi ule, %[[START]], %[[I]] : index
// CHECK:         arith.select %[[IN_BIN]]
func.func @adaptive_avg_pool1d_grad_upsample(%dy: tensor<?x2x5xf32>) -> tensor<?x2x3xf32> {
  %dx = netc.adaptive_avg_pool_grad %dy : (tensor<?x2x5xf32>) -> tensor<?x2x3xf32>
  return %dx : tensor<?x2x3xf32>
}

// -----

// Global average pooling's gradient: every input element lies in the one
// bin, so the gradient is divided by 7 twice (torch's order) and read
// through a 1x1 window without padding or masks.
// CHECK-DAG:   #[[BINS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 floordiv 7 + d4, d3 floordiv 7 + d5)>
// CHECK-LABEL: func @adaptive_avg_pool2d_grad_global
// CHECK:       %[[SCALED:.*]] = linalg.generic
// CHECK:         %[[SEVEN:.*]] = arith.constant 7.000000e+00 : f32
// CHECK:         arith.divf %{{.*}}, %[[SEVEN]] : f32
// CHECK-NOT:   tensor.insert_slice
// CHECK:       linalg.generic {indexing_maps = [#[[BINS]], {{.*}}]
// CHECK-SAME:    ins(%[[SCALED]], %{{.*}} : tensor<?x3x1x1xf32>, tensor<1x1xf32>) outs(%{{.*}} : tensor<?x3x7x7xf32>)
// CHECK-NOT:     arith.cmpi
// CHECK:         arith.addf
func.func @adaptive_avg_pool2d_grad_global(%dy: tensor<?x3x1x1xf32>) -> tensor<?x3x7x7xf32> {
  %dx = netc.adaptive_avg_pool_grad %dy : (tensor<?x3x1x1xf32>) -> tensor<?x3x7x7xf32>
  return %dx : tensor<?x3x7x7xf32>
}

// -----

// A max pooling whose gradient the function takes too searches each window
// once: the winner search's first result is the pooling's value, its
// second the gradient's winners. Disjoint windows (stride = kernel) make
// the gradient a scatter over the input viewed as (window, offset) pairs,
// with plain maps: no gather.
// CHECK-DAG:   #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d4)>
// CHECK-DAG:   #[[VIEW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-LABEL: func @max_pool2d_with_grad
// CHECK-NOT:   linalg.pooling_nchw_max
// CHECK:       %[[SEARCH:.*]]:2 = linalg.generic
// CHECK:       } -> (tensor<?x3x4x3xf32>, tensor<?x3x4x3xi32>)
// CHECK:       %[[DX:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3], [4, 5]] output_shape [%{{.*}}, 3, 4, 2, 3, 2] : tensor<?x3x8x6xf32> into tensor<?x3x4x2x3x2xf32>
// CHECK:       %[[SCATTER:.*]] = linalg.generic {indexing_maps = [#[[WINDOW]], #[[WINDOW]], #[[VIEW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:    ins(%{{.*}}, %[[SEARCH]]#1 : tensor<?x3x4x3xf32>, tensor<?x3x4x3xi32>) outs(%[[DX]] : tensor<?x3x4x2x3x2xf32>)
// CHECK-NOT:     tensor.extract {{.*}}
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %[[SCATTER]]
// CHECK:       %[[FULL:.*]] = tensor.insert_slice %[[FLAT]] into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 3, 8, 6] [1, 1, 1, 1] : tensor<?x3x8x6xf32> into tensor<?x3x9x7xf32>
// CHECK:       return %[[SEARCH]]#0, %[[FULL]]
func.func @max_pool2d_with_grad(%x: tensor<?x3x9x7xf32>, %dy: tensor<?x3x4x3xf32>) -> (tensor<?x3x4x3xf32>, tensor<?x3x9x7xf32>) {
  %y = netc.pool %x {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
         stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
         dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
       : (tensor<?x3x9x7xf32>) -> tensor<?x3x4x3xf32>
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 2, 2>,
          stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
          dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
        : (tensor<?x3x9x7xf32>, tensor<?x3x4x3xf32>) -> tensor<?x3x9x7xf32>
  return %y, %dx : tensor<?x3x4x3xf32>, tensor<?x3x9x7xf32>
}

// -----

// With unit strides there is one phase, the whole input: position i sums
// the gradients of windows o = i + 1 - 2k, a window reduction over the
// gradient padded by (3 - 1) * 2 - 1 = 3 on both sides (winners too, with
// -1), the taps in decreasing k; a window's gradient counts where its winner
// is the tap's k = 2 - j.
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2 + d3 * 2)>
// CHECK-LABEL: func @max_pool1d_unit_stride_grad
// CHECK:       %[[WINNERS:.*]]:2 = linalg.generic
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 3] [%{{.*}}, 2, 8] [1, 1, 1] : tensor<?x2x8xf32> into tensor<?x2x14xf32>
// CHECK:       %[[NONE:.*]] = arith.constant -1 : i32
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 3] [%{{.*}}, 2, 8] [1, 1, 1] : tensor<?x2x8xi32> into tensor<?x2x14xi32>
// CHECK:       %[[G:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0] [%{{.*}}, 2, 14] [1, 1, 1] : tensor<?x2x14xf32> to tensor<?x2x14xf32>
// CHECK:       %[[W:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0] [%{{.*}}, 2, 14] [1, 1, 1] : tensor<?x2x14xi32> to tensor<?x2x14xi32>
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], #[[TAPS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:    ins(%[[G]], %[[W]], %{{.*}} : tensor<?x2x14xf32>, tensor<?x2x14xi32>, tensor<3xf32>) outs(%{{.*}} : tensor<?x2x10xf32>)
// CHECK-NEXT:  ^bb0(%[[GRAD:.*]]: f32, %[[WINNER:.*]]: i32, %{{.*}}: f32, %[[SUM:.*]]: f32):
// CHECK:         %[[J:.*]] = linalg.index 3 : index
// CHECK:         %[[LAST:.*]] = arith.constant 2 : index
// CHECK:         %[[K:.*]] = arith.subi %[[LAST]], %{{.*}} : index
// CHECK:         %[[KI:.*]] = arith.index_cast %[[K]] : index to i32
// CHECK:         %[[WINS:.*]] = arith.cmpi eq, %[[WINNER]], %[[KI]] : i32
// CHECK:         %[[C:.*]] = arith.select %[[WINS]], %[[GRAD]], %{{.*}} : f32
// CHECK:         arith.addf %[[SUM]], %[[C]] : f32
// CHECK-NOT:   tensor.insert_slice
// CHECK-NOT:   tensor.extract %
func.func @max_pool1d_unit_stride_grad(%x: tensor<?x2x10xf32>, %dy: tensor<?x2x8xf32>) -> tensor<?x2x10xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind max>, kernel_size = array<i64: 3>,
          stride = array<i64: 1>, padding = array<i64: 1>,
          dilation = array<i64: 2>, ceil_mode = false, count_include_pad = true}
        : (tensor<?x2x10xf32>, tensor<?x2x8xf32>) -> tensor<?x2x10xf32>
  return %dx : tensor<?x2x10xf32>
}

// -----

// Average pooling with unit strides (inception's 3x3, padding 1): the
// divided gradient padded by 1 on each side, summed over a 3x3 window into
// the result, with no phases to place.
// CHECK-DAG:   #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>
// CHECK-LABEL: func @avg_pool2d_unit_stride_grad
// CHECK:       %[[SCALED:.*]] = linalg.generic
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 1, 1] [%{{.*}}, 2, 12, 12] [1, 1, 1, 1] : tensor<?x2x14x14xf32> to tensor<?x2x12x12xf32>
// CHECK-NEXT:  linalg.copy ins(%[[SCALED]] : tensor<?x2x12x12xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[TAPS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<?x2x14x14xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<?x2x12x12xf32>)
// CHECK-NEXT:  ^bb0(%[[GRAD:.*]]: f32, %{{.*}}: f32, %[[SUM:.*]]: f32):
// CHECK-NEXT:    %[[NEW:.*]] = arith.addf %[[SUM]], %[[GRAD]] : f32
// CHECK-NEXT:    linalg.yield %[[NEW]] : f32
// CHECK-NOT:   tensor.insert_slice
func.func @avg_pool2d_unit_stride_grad(%x: tensor<?x2x12x12xf32>, %dy: tensor<?x2x12x12xf32>) -> tensor<?x2x12x12xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind avg>, kernel_size = array<i64: 3, 3>,
          stride = array<i64: 1, 1>, padding = array<i64: 1, 1>,
          dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false}
        : (tensor<?x2x12x12xf32>, tensor<?x2x12x12xf32>) -> tensor<?x2x12x12xf32>
  return %dx : tensor<?x2x12x12xf32>
}

// -----

// Strides of more phases than 64 (9 x 9 here) would make as many window
// reductions: the gradient gathers instead, one generic over the input
// positions and the kernel that reads each window holding a position.
// CHECK-LABEL: func @avg_pool2d_many_phases_grad
// CHECK-NOT:   tensor.insert_slice {{.*}} [1, 1, 9, 9]
// CHECK:       linalg.generic {{.*}} ins(%{{.*}} : tensor<10x10xf32>) outs(%{{.*}} : tensor<?x2x11x11xf32>)
// CHECK:         arith.remsi
// CHECK:         tensor.extract %{{.*}} : tensor<?x2x2x2xf32>
func.func @avg_pool2d_many_phases_grad(%x: tensor<?x2x11x11xf32>, %dy: tensor<?x2x2x2xf32>) -> tensor<?x2x11x11xf32> {
  %dx = netc.pool_grad %x, %dy {kind = #netc<pool_kind avg>, kernel_size = array<i64: 10, 10>,
          stride = array<i64: 9, 9>, padding = array<i64: 4, 4>,
          dilation = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true}
        : (tensor<?x2x11x11xf32>, tensor<?x2x2x2xf32>) -> tensor<?x2x11x11xf32>
  return %dx : tensor<?x2x11x11xf32>
}
