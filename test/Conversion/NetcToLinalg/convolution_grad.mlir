// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s
// RUN: netc-opt %s --convert-netc-to-linalg --netc-bufferize-pipeline --split-input-file | FileCheck %s --check-prefix=BUFFER

// Every gradient bufferizes without a memref.copy: spreading, padding and
// cropping are copy loops on views.
// BUFFER-NOT: memref.copy
// BUFFER:     func.func @channel_sum

// The input gradient is the transposed convolution: the result gradient is
// spread out by the stride after (kernel - 1) * dilation zeros (a strided
// slice of a zero tensor as large as the padded input plus that), the weight
// is flipped and transposed to (C, F, kh, kw), and the named convolution runs
// with stride 1. Zero padding copies no input element: the convolution
// computes only the unpadded input's positions, from the window of the
// spread gradient at the low padding that they read.
// CHECK-LABEL: func @input_grad_zeros
// CHECK:       %[[SPREAD0:.*]] = linalg.fill {{.*}} -> tensor<?x4x11x10xf32>
// CHECK:       %[[SLICE:.*]] = tensor.extract_slice %[[SPREAD0]][0, 0, 2, 2] [%{{.*}}, 4, 4, 3] [1, 1, 2, 2]
// CHECK:       %[[COPY:.*]] = linalg.copy ins(%arg0 : tensor<?x4x4x3xf32>) outs(%[[SLICE]]
// CHECK:       %[[SPREAD:.*]] = tensor.insert_slice %[[COPY]] into %[[SPREAD0]][0, 0, 2, 2] [%{{.*}}, 4, 4, 3] [1, 1, 2, 2]
// CHECK:       %[[FLIPPED:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<4x2x3x3xf32>) outs(%{{.*}} : tensor<2x4x3x3xf32>)
// CHECK:       %[[WINDOW:.*]] = tensor.extract_slice %[[SPREAD]][0, 0, 1, 0] [%{{.*}}, 4, 10, 9] [1, 1, 1, 1]
// CHECK:       %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x2x8x7xf32>
// CHECK:       %[[DX:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:    ins(%[[WINDOW]], %[[FLIPPED]] : tensor<?x4x10x9xf32>, tensor<2x4x3x3xf32>) outs(%[[ZEROS]] : tensor<?x2x8x7xf32>)
// CHECK:       return %[[DX]]
func.func @input_grad_zeros(%dy: tensor<?x4x4x3xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<?x2x8x7xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
          padding_high = array<i64: 0, 1>, padding_low = array<i64: 1, 0>,
          padding_mode = #netc<padding_mode zeros>, stride = array<i64: 2, 2>}
        : (tensor<?x4x4x3xf32>, tensor<4x2x3x3xf32>) -> tensor<?x2x8x7xf32>
  return %dx : tensor<?x2x8x7xf32>
}

// -----

// A depthwise convolution's transposed convolution is depthwise too; without
// padding its result is the input gradient.
// CHECK-LABEL: func @input_grad_depthwise
// CHECK:       %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<3x1x3xf32> into tensor<3x3xf32>
// CHECK:       %[[DX:.*]] = linalg.depthwise_conv_1d_ncw_cw {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x3x12xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<?x3x10xf32>)
// CHECK:       return %[[DX]]
func.func @input_grad_depthwise(%dy: tensor<?x3x8xf32>, %w: tensor<3x1x3xf32>) -> tensor<?x3x10xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1>, groups = 3 : i64,
          padding_high = array<i64: 0>, padding_low = array<i64: 0>,
          padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1>}
        : (tensor<?x3x8xf32>, tensor<3x1x3xf32>) -> tensor<?x3x10xf32>
  return %dx : tensor<?x3x10xf32>
}

// -----

// Groups: the weight is transposed within each group,
// wt[c, f, k] = w[(c floordiv C/G) * F/G + f, c mod C/G, kernel - 1 - k], and
// a grouped 2-d convolution runs as linalg.conv_2d_ngchw_gfchw (one per
// kernel row, see @input_grad_row_bands).
// CHECK-DAG:   #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3) -> ((d0 floordiv 2) * 3 + d1, d0 mod 2, -d2 + 2, -d3 + 2)>
// CHECK-LABEL: func @input_grad_grouped2d
// CHECK:       linalg.generic {indexing_maps = [#[[FLIP]], {{.*}}]{{.*}} ins(%arg1 : tensor<6x2x3x3xf32>) outs(%{{.*}} : tensor<4x3x3x3xf32>)
// CHECK-COUNT-3: linalg.conv_2d_ngchw_gfchw {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x2x3x5x9xf32>, tensor<2x2x3x1x3xf32>) outs(%{{.*}} : tensor<?x2x2x5x7xf32>)
// CHECK-NOT:   linalg.conv_2d_ngchw_gfchw
func.func @input_grad_grouped2d(%dy: tensor<?x6x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<?x4x7x7xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 2 : i64,
          padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
          padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1, 1>}
        : (tensor<?x6x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<?x4x7x7xf32>
  return %dx : tensor<?x4x7x7xf32>
}

// -----

// A valid convolution's input gradient is that of the result gradient
// padded by kernel - 1 zeros on each side: for a 5x5 kernel on 8 rows, a
// third of the rows each kernel row meets would be zeros. Each kernel row
// runs as a convolution of its own (kernel 1x5), on the 8 rows of the
// result gradient, accumulated into the 8 output rows they reach: kernel
// row k (of the flipped weight) into rows 4 - k to 12 - k.
// CHECK-LABEL: func @input_grad_row_bands
// CHECK:       %[[SPREAD0:.*]] = linalg.fill {{.*}} -> tensor<?x3x16x16xf32>
// CHECK:       %[[SPREAD:.*]] = tensor.insert_slice %{{.*}} into %[[SPREAD0]][0, 0, 4, 4]
// CHECK:       %[[FLIPPED:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x5x5xf32>)
// CHECK:       %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<?x2x12x12xf32>
// CHECK:       %[[ROWS:.*]] = tensor.extract_slice %{{.*}}[0, 0, 4, 0] [%{{.*}}, 3, 8, 16] [1, 1, 1, 1]
// CHECK:       %[[K0:.*]] = tensor.extract_slice %[[FLIPPED]][0, 0, 0, 0] [2, 3, 1, 5] [1, 1, 1, 1]
// CHECK:       %[[OUT0:.*]] = tensor.extract_slice %[[ZEROS]][0, 0, 4, 0] [%{{.*}}, 2, 8, 12] [1, 1, 1, 1]
// CHECK:       %[[SUM0:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[ROWS]], %[[K0]] : tensor<?x3x8x16xf32>, tensor<2x3x1x5xf32>) outs(%[[OUT0]] : tensor<?x2x8x12xf32>)
// CHECK:       %[[ACC0:.*]] = tensor.insert_slice %[[SUM0]] into %[[ZEROS]][0, 0, 4, 0] [%{{.*}}, 2, 8, 12] [1, 1, 1, 1]
// CHECK:       tensor.extract_slice %[[FLIPPED]][0, 0, 1, 0] [2, 3, 1, 5]
// CHECK:       %[[OUT1:.*]] = tensor.extract_slice %[[ACC0]][0, 0, 3, 0] [%{{.*}}, 2, 8, 12]
// CHECK:       linalg.conv_2d_nchw_fchw {{.*}} outs(%[[OUT1]] : tensor<?x2x8x12xf32>)
// CHECK-COUNT-3: linalg.conv_2d_nchw_fchw {{.*}} : tensor<?x3x8x16xf32>, tensor<2x3x1x5xf32>) outs(%{{.*}} : tensor<?x2x8x12xf32>)
// CHECK:       %[[DX:.*]] = tensor.insert_slice %{{.*}}[0, 0, 0, 0] [%{{.*}}, 2, 8, 12] [1, 1, 1, 1]
// CHECK:       return %[[DX]]
func.func @input_grad_row_bands(%dy: tensor<?x3x8x8xf32>, %w: tensor<3x2x5x5xf32>) -> tensor<?x2x12x12xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
          padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
          padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1, 1>}
        : (tensor<?x3x8x8xf32>, tensor<3x2x5x5xf32>) -> tensor<?x2x12x12xf32>
  return %dx : tensor<?x2x12x12xf32>
}

// -----

// A channel multiplier (groups = C < F) in 1-d or 3-d has no named op: the
// transposed convolution is the forward pass's grouped generic.
// CHECK-DAG:   #[[SPREAD:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 * 2 + d3, d2 + d4)>
// CHECK-LABEL: func @input_grad_multiplier1d
// CHECK:       linalg.generic {indexing_maps = [#[[SPREAD]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%{{.*}}, %{{.*}} : tensor<?x6x11xf32>, tensor<3x2x3xf32>) outs(%{{.*}} : tensor<?x3x9xf32>)
func.func @input_grad_multiplier1d(%dy: tensor<?x6x7xf32>, %w: tensor<6x1x3xf32>) -> tensor<?x3x9xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1>, groups = 3 : i64,
          padding_high = array<i64: 0>, padding_low = array<i64: 0>,
          padding_mode = #netc<padding_mode zeros>, stride = array<i64: 1>}
        : (tensor<?x6x7xf32>, tensor<6x1x3xf32>) -> tensor<?x3x9xf32>
  return %dx : tensor<?x3x9xf32>
}

// -----

// Reflect (and replicate, circular) padding is undone per spatial dimension:
// the interior is copied out, then each border is reduced onto it, a border
// element adding its gradient where the input position the forward pass
// copied it from equals the input position (here last - |last - |t - low||).
// CHECK-LABEL: func @input_grad_reflect
// CHECK:       %[[PADDED:.*]] = linalg.conv_1d_ncw_fcw {{.*}} -> tensor<?x2x10xf32>
// CHECK:       %[[INTERIOR:.*]] = tensor.extract_slice %[[PADDED]][0, 0, 2] [%{{.*}}, 2, 7] [1, 1, 1]
// CHECK:       %[[COPY:.*]] = linalg.copy ins(%[[INTERIOR]] : tensor<?x2x7xf32>)
// CHECK:       %[[LOW:.*]] = tensor.extract_slice %[[PADDED]][0, 0, 0] [%{{.*}}, 2, 2] [1, 1, 1]
// CHECK:       %[[LOWSUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[LOW]], %{{.*}} : tensor<?x2x2xf32>, tensor<2xf32>) outs(%[[COPY]] : tensor<?x2x7xf32>)
// CHECK:         %[[T:.*]] = linalg.index 3 : index
// CHECK:         %[[J:.*]] = arith.addi %[[T]], %c-2{{.*}} : index
// CHECK:         arith.subi %c6{{.*}}, %{{.*}} : index
// CHECK:         %[[SOURCE:.*]] = arith.subi %c6{{.*}}, %{{.*}} : index
// CHECK:         %[[I:.*]] = linalg.index 2 : index
// CHECK:         %[[HIT:.*]] = arith.cmpi eq, %[[SOURCE]], %[[I]] : index
// CHECK:         %[[SUM:.*]] = arith.addf %[[ACC:.*]], %[[ELEM:.*]] : f32
// CHECK:         arith.select %[[HIT]], %[[SUM]], %[[ACC]] : f32
// CHECK:       %[[HIGH:.*]] = tensor.extract_slice %[[PADDED]][0, 0, 9] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       %[[DX:.*]] = linalg.generic {{.*}} ins(%[[HIGH]], %{{.*}} : tensor<?x2x1xf32>, tensor<1xf32>) outs(%[[LOWSUM]] : tensor<?x2x7xf32>)
// CHECK:         arith.addi %{{.*}}, %c7{{.*}} : index
// CHECK:       return %[[DX]]
func.func @input_grad_reflect(%dy: tensor<?x2x8xf32>, %w: tensor<2x2x3xf32>) -> tensor<?x2x7xf32> {
  %dx = netc.conv_input_grad %dy, %w {dilation = array<i64: 1>, groups = 1 : i64,
          padding_high = array<i64: 1>, padding_low = array<i64: 2>,
          padding_mode = #netc<padding_mode reflect>, stride = array<i64: 1>}
        : (tensor<?x2x8xf32>, tensor<2x2x3xf32>) -> tensor<?x2x7xf32>
  return %dx : tensor<?x2x7xf32>
}

// -----

// The weight gradient pads the input exactly as the forward convolution does
// (constant: copied into a tensor filled with padding_value) and contracts
// it with the result gradient over the batch and output positions, in two
// steps: per output column r, loops (f, c, kh, kw, r, n, oh),
// partial[f, c, k, r] += dy[n, f, o] * in[n, (f floordiv F/G) * C/G + c,
// o * stride + k], then a linalg.reduce over the columns.
// CHECK-DAG:   #[[DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d0, d6, d4)>
// CHECK-DAG:   #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d0 floordiv 2 + d1, d6 * 2 + d2, d4 * 2 + d3)>
// CHECK-DAG:   #[[DW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func @weight_grad_constant
// CHECK-DAG:   %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:       %[[FILL:.*]] = linalg.fill ins(%[[HALF]] : f32) outs(%{{.*}} : tensor<?x2x9x10xf32>)
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %[[FILL]][0, 0, 1, 1]
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x1x3x3x4xf32>)
// CHECK:       %[[PARTIAL:.*]] = linalg.generic {indexing_maps = [#[[DY]], #[[X]], #[[DW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%arg1, %[[PADDED]] : tensor<?x4x4x4xf32>, tensor<?x2x9x10xf32>) outs(%[[ZEROS]] : tensor<4x1x3x3x4xf32>)
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:       linalg.reduce ins(%[[PARTIAL]] : tensor<4x1x3x3x4xf32>) outs(%{{.*}} : tensor<4x1x3x3xf32>) dimensions = [4]
func.func @weight_grad_constant(%x: tensor<?x2x7x8xf32>, %dy: tensor<?x4x4x4xf32>) -> tensor<4x1x3x3xf32> {
  %dw = netc.conv_weight_grad %x, %dy {dilation = array<i64: 1, 1>, groups = 2 : i64,
          padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
          padding_mode = #netc<padding_mode constant>, padding_value = 0.5 : f32,
          stride = array<i64: 2, 2>}
        : (tensor<?x2x7x8xf32>, tensor<?x4x4x4xf32>) -> tensor<4x1x3x3xf32>
  return %dw : tensor<4x1x3x3xf32>
}

// -----

// With a copying padding mode the weight gradient reads the input padded
// as the forward pass pads it (circular: the last position copied before
// the first, the first after the last); dilation scales k. With one group
// the channel is read as is.
// CHECK-DAG:   #[[XC:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d4, d1, d3 + d2 * 2)>
// CHECK-LABEL: func @weight_grad_circular
// CHECK-NOT:   tensor.extract %
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 1] [%{{.*}}, 2, 6] [1, 1, 1] : tensor<?x2x6xf32> into tensor<?x2x8xf32>
// CHECK:       tensor.insert_slice %{{.*}}[0, 0, 0] [%{{.*}}, 2, 1] [1, 1, 1] : tensor<?x2x1xf32> into tensor<?x2x8xf32>
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}}[0, 0, 7] [%{{.*}}, 2, 1] [1, 1, 1] : tensor<?x2x1xf32> into tensor<?x2x8xf32>
// CHECK:       linalg.generic {indexing_maps = [{{.*}}, #[[XC]], {{.*}}]{{.*}} ins(%arg1, %[[PADDED]] : tensor<?x3x4xf32>, tensor<?x2x8xf32>) outs(%{{.*}} : tensor<3x2x3x4xf32>)
// CHECK:       linalg.reduce
func.func @weight_grad_circular(%x: tensor<?x2x6xf32>, %dy: tensor<?x3x4xf32>) -> tensor<3x2x3xf32> {
  %dw = netc.conv_weight_grad %x, %dy {dilation = array<i64: 2>, groups = 1 : i64,
          padding_high = array<i64: 1>, padding_low = array<i64: 1>,
          padding_mode = #netc<padding_mode circular>, padding_value = 0.0 : f32,
          stride = array<i64: 1>}
        : (tensor<?x2x6xf32>, tensor<?x3x4xf32>) -> tensor<3x2x3xf32>
  return %dw : tensor<3x2x3xf32>
}

// -----

// A bias gradient sums over every dimension but the channel, in two steps:
// per column (the last dimension) over the batch and the rows, then over
// the columns.
// CHECK-LABEL: func @channel_sum
// CHECK:       %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<5x3xf32>)
// CHECK:       %[[PARTIAL:.*]] = linalg.reduce ins(%arg0 : tensor<?x5x4x3xf32>) outs(%[[ZEROS]] : tensor<5x3xf32>) dimensions = [0, 2]
// CHECK:         arith.addf
// CHECK:       %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<5xf32>)
// CHECK:       linalg.reduce ins(%[[PARTIAL]] : tensor<5x3xf32>) outs(%[[ZERO]] : tensor<5xf32>) dimensions = [1]
func.func @channel_sum(%dy: tensor<?x5x4x3xf32>) -> tensor<5xf32> {
  %db = netc.channel_sum %dy : (tensor<?x5x4x3xf32>) -> tensor<5xf32>
  return %db : tensor<5xf32>
}

// -----

// Without spatial dimensions, one sum over the batch.
// CHECK-LABEL: func @channel_sum_flat
// CHECK:       linalg.reduce ins(%arg0 : tensor<?x5xf32>) outs(%{{.*}} : tensor<5xf32>) dimensions = [0]
// CHECK-NOT:   linalg.reduce
func.func @channel_sum_flat(%dy: tensor<?x5xf32>) -> tensor<5xf32> {
  %db = netc.channel_sum %dy : (tensor<?x5xf32>) -> tensor<5xf32>
  return %db : tensor<5xf32>
}

// -----

// A 1x1 weight gradient at stride 1 runs on the spatial dimensions merged
// into one: its partial sums keep a column per position of the 16.
// CHECK-LABEL: func @weight_grad_pointwise
// CHECK:       %[[PARTIAL:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x6x16xf32>, tensor<?x8x16xf32>) outs(%{{.*}} : tensor<6x8x1x16xf32>)
// CHECK:       %[[DW:.*]] = linalg.reduce ins(%[[PARTIAL]] : tensor<6x8x1x16xf32>) outs(%{{.*}} : tensor<6x8x1xf32>) dimensions = [3]
// CHECK:       tensor.expand_shape %[[DW]] {{\[}}[0], [1], [2, 3]] {{.*}} : tensor<6x8x1xf32> into tensor<6x8x1x1xf32>
func.func @weight_grad_pointwise(%x: tensor<?x8x4x4xf32>, %dy: tensor<?x6x4x4xf32>) -> tensor<6x8x1x1xf32> {
  %dw = netc.conv_weight_grad %x, %dy {dilation = array<i64: 1, 1>, groups = 1 : i64,
          padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
          padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
          stride = array<i64: 1, 1>}
        : (tensor<?x8x4x4xf32>, tensor<?x6x4x4xf32>) -> tensor<6x8x1x1xf32>
  return %dw : tensor<6x8x1x1xf32>
}
