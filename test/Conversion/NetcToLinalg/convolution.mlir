// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// A plain 2-d convolution is linalg.conv_2d_nchw_fchw accumulating into the
// broadcast bias; zero padding copies the input into a zero-filled tensor.
// CHECK-LABEL: func @conv2d_zeros
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:   %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3x8x8xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x3x10x11xf32>
// CHECK:       %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]]
// CHECK:       %[[SLICE:.*]] = tensor.extract_slice %[[FILL]][0, 0, 1, 2] [%{{.*}}, 3, 8, 8] [1, 1, 1, 1]
// CHECK:       %[[COPY:.*]] = linalg.copy ins(%arg0 : tensor<?x3x8x8xf32>) outs(%[[SLICE]]
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %[[COPY]] into %[[FILL]][0, 0, 1, 2]
// CHECK:       %[[BIAS:.*]] = linalg.broadcast ins(%arg2 : tensor<4xf32>) outs(%{{.*}} : tensor<?x4x4x4xf32>) dimensions = [0, 2, 3]
// CHECK:       linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:    ins(%[[PADDED]], %arg1 : tensor<?x3x10x11xf32>, tensor<4x3x3x3xf32>) outs(%[[BIAS]] : tensor<?x4x4x4xf32>)
func.func @conv2d_zeros(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x4x4xf32> {
  %y = netc.conv %x, %w, %b {dilation = array<i64: 1, 2>, groups = 1 : i64,
         padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 2>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 2, 2>}
       : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x4x4xf32>
  return %y : tensor<?x4x4x4xf32>
}

// -----

// 1-d and 3-d convolutions use their NCW / NCDHW named ops; without a bias
// the init is zero-filled; constant padding fills with padding_value.
// CHECK-LABEL: func @conv1d_constant_nobias
// CHECK-DAG:   %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:       linalg.fill ins(%[[HALF]] : f32) outs(%{{.*}} : tensor<?x2x10xf32>)
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x8xf32>)
// CHECK:       linalg.conv_1d_ncw_fcw {{.*}} outs(%[[INIT]] : tensor<?x3x8xf32>)
func.func @conv1d_constant_nobias(%x: tensor<?x2x7xf32>, %w: tensor<3x2x3xf32>) -> tensor<?x3x8xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1>, groups = 1 : i64,
         padding_high = array<i64: 1>, padding_low = array<i64: 2>,
         padding_mode = #netc<padding_mode constant>, padding_value = 0.5 : f32,
         stride = array<i64: 1>}
       : (tensor<?x2x7xf32>, tensor<3x2x3xf32>) -> tensor<?x3x8xf32>
  return %y : tensor<?x3x8xf32>
}

// CHECK-LABEL: func @conv3d
// CHECK-NOT:   tensor.insert_slice
// CHECK:       linalg.conv_3d_ncdhw_fcdhw
func.func @conv3d(%x: tensor<?x2x4x5x6xf32>, %w: tensor<3x2x2x2x2xf32>) -> tensor<?x3x3x4x5xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1, 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0, 0>, padding_low = array<i64: 0, 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1, 1>}
       : (tensor<?x2x4x5x6xf32>, tensor<3x2x2x2x2xf32>) -> tensor<?x3x3x4x5xf32>
  return %y : tensor<?x3x3x4x5xf32>
}

// -----

// Reflect padding copies: the input into the interior of a 9x7 tensor,
// then, rows first, each border from the positions past the edge, read in
// reverse (torch's mirror does not repeat the edge): rows 0-1 from rows 3-4,
// row 8 from row 6; then the columns over every row, corners included.
// CHECK-DAG:   #[[REVERSE2:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, -d2 + 1, d3)>
// CHECK-DAG:   #[[REVERSE_COL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, -d3)>
// CHECK-DAG:   #[[EDGE:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// CHECK-LABEL: func @conv2d_reflect
// CHECK-NOT:   tensor.extract %
// CHECK:       %[[INTERIOR:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 2, 1] [%{{.*}}, 2, 6, 5] [1, 1, 1, 1] : tensor<?x2x6x5xf32> into tensor<?x2x9x7xf32>
// CHECK:       %[[PAST:.*]] = tensor.extract_slice %[[INTERIOR]][0, 0, 3, 0] [%{{.*}}, 2, 2, 7] [1, 1, 1, 1]
// CHECK:       %[[MIRRORED:.*]] = linalg.generic {indexing_maps = [#[[REVERSE2]], {{.*}}]{{.*}} ins(%[[PAST]] : tensor<?x2x2x7xf32>)
// CHECK:       %[[TOP:.*]] = tensor.insert_slice %{{.*}} into %[[INTERIOR]][0, 0, 0, 0] [%{{.*}}, 2, 2, 7] [1, 1, 1, 1]
// CHECK:       tensor.extract_slice %[[TOP]][0, 0, 6, 0] [%{{.*}}, 2, 1, 7] [1, 1, 1, 1]
// CHECK:       %[[BOTTOM:.*]] = tensor.insert_slice %{{.*}} into %[[TOP]][0, 0, 8, 0] [%{{.*}}, 2, 1, 7] [1, 1, 1, 1]
// CHECK:       tensor.extract_slice %[[BOTTOM]][0, 0, 0, 2] [%{{.*}}, 2, 9, 1] [1, 1, 1, 1]
// CHECK:       linalg.generic {indexing_maps = [#[[REVERSE_COL]], {{.*}}]
// CHECK:       %[[LEFT:.*]] = tensor.insert_slice %{{.*}} into %[[BOTTOM]][0, 0, 0, 0] [%{{.*}}, 2, 9, 1] [1, 1, 1, 1]
// CHECK:       tensor.extract_slice %[[LEFT]][0, 0, 0, 4] [%{{.*}}, 2, 9, 1] [1, 1, 1, 1]
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %[[LEFT]][0, 0, 0, 6] [%{{.*}}, 2, 9, 1] [1, 1, 1, 1]
// CHECK:       linalg.conv_2d_nchw_fchw {{.*}} ins(%[[PADDED]], %arg1 : tensor<?x2x9x7xf32>, tensor<3x2x3x3xf32>)
func.func @conv2d_reflect(%x: tensor<?x2x6x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<?x3x7x5xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 1, 1>, padding_low = array<i64: 2, 1>,
         padding_mode = #netc<padding_mode reflect>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x2x6x5xf32>, tensor<3x2x3x3xf32>) -> tensor<?x3x7x5xf32>
  return %y : tensor<?x3x7x5xf32>
}

// Replicate padding broadcasts each edge over its border (the EDGE map).
// CHECK-LABEL: func @conv1d_replicate
// CHECK-NOT:   tensor.extract %
// CHECK:       %[[INTERIOR:.*]] = tensor.insert_slice %{{.*}}[0, 0, 1] [%{{.*}}, 2, 7] [1, 1, 1] : tensor<?x2x7xf32> into tensor<?x2x9xf32>
// CHECK:       %[[FIRST:.*]] = tensor.extract_slice %[[INTERIOR]][0, 0, 1] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       linalg.generic {indexing_maps = [#[[EDGE]], {{.*}}]{{.*}} ins(%[[FIRST]] : tensor<?x2x1xf32>)
// CHECK:       %[[LOW:.*]] = tensor.insert_slice %{{.*}} into %[[INTERIOR]][0, 0, 0] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       %[[LAST:.*]] = tensor.extract_slice %[[LOW]][0, 0, 7] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       linalg.generic {indexing_maps = [#[[EDGE]], {{.*}}]{{.*}} ins(%[[LAST]] : tensor<?x2x1xf32>)
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %[[LOW]][0, 0, 8] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       linalg.conv_1d_ncw_fcw {{.*}} ins(%[[PADDED]], %arg1
func.func @conv1d_replicate(%x: tensor<?x2x7xf32>, %w: tensor<3x2x3xf32>) -> tensor<?x3x7xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1>, groups = 1 : i64,
         padding_high = array<i64: 1>, padding_low = array<i64: 1>,
         padding_mode = #netc<padding_mode replicate>, padding_value = 0.0 : f32,
         stride = array<i64: 1>}
       : (tensor<?x2x7xf32>, tensor<3x2x3xf32>) -> tensor<?x3x7xf32>
  return %y : tensor<?x3x7xf32>
}

// Circular padding copies the other end: the low border (2) from the
// input's last two positions, the high border (1) from its first.
// CHECK-LABEL: func @conv1d_circular
// CHECK-NOT:   tensor.extract %
// CHECK-NOT:   linalg.generic
// CHECK:       %[[INTERIOR:.*]] = tensor.insert_slice %{{.*}}[0, 0, 2] [%{{.*}}, 2, 7] [1, 1, 1] : tensor<?x2x7xf32> into tensor<?x2x10xf32>
// CHECK:       %[[END:.*]] = tensor.extract_slice %[[INTERIOR]][0, 0, 7] [%{{.*}}, 2, 2] [1, 1, 1]
// CHECK:       linalg.copy ins(%[[END]] : tensor<?x2x2xf32>)
// CHECK:       %[[LOW:.*]] = tensor.insert_slice %{{.*}} into %[[INTERIOR]][0, 0, 0] [%{{.*}}, 2, 2] [1, 1, 1]
// CHECK:       %[[START:.*]] = tensor.extract_slice %[[LOW]][0, 0, 2] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       linalg.copy ins(%[[START]] : tensor<?x2x1xf32>)
// CHECK:       %[[PADDED:.*]] = tensor.insert_slice %{{.*}} into %[[LOW]][0, 0, 9] [%{{.*}}, 2, 1] [1, 1, 1]
// CHECK:       linalg.conv_1d_ncw_fcw {{.*}} ins(%[[PADDED]], %arg1
func.func @conv1d_circular(%x: tensor<?x2x7xf32>, %w: tensor<3x2x3xf32>) -> tensor<?x3x8xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1>, groups = 1 : i64,
         padding_high = array<i64: 1>, padding_low = array<i64: 2>,
         padding_mode = #netc<padding_mode circular>, padding_value = 0.0 : f32,
         stride = array<i64: 1>}
       : (tensor<?x2x7xf32>, tensor<3x2x3xf32>) -> tensor<?x3x8xf32>
  return %y : tensor<?x3x8xf32>
}

// -----

// Depthwise (groups == C == F): the (C, 1, kh, kw) weight collapses to the
// named op's (C, kh, kw).
// CHECK-LABEL: func @conv2d_depthwise
// CHECK:       %[[W:.*]] = tensor.collapse_shape %arg1 {{\[\[}}0, 1], [2], [3]] : tensor<4x1x3x3xf32> into tensor<4x3x3xf32>
// CHECK:       linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%{{.*}}, %[[W]] : tensor<?x4x8x8xf32>, tensor<4x3x3xf32>)
func.func @conv2d_depthwise(%x: tensor<?x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 4 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %y : tensor<?x4x6x6xf32>
}

// CHECK-LABEL: func @conv1d_depthwise
// CHECK:       linalg.depthwise_conv_1d_ncw_cw
func.func @conv1d_depthwise(%x: tensor<?x4x8xf32>, %w: tensor<4x1x3xf32>) -> tensor<?x4x6xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 1>, groups = 4 : i64,
         padding_high = array<i64: 0>, padding_low = array<i64: 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1>}
       : (tensor<?x4x8xf32>, tensor<4x1x3xf32>) -> tensor<?x4x6xf32>
  return %y : tensor<?x4x6xf32>
}

// -----

// A grouped 2-d convolution splits channels and filters into groups for
// linalg.conv_2d_ngchw_gfchw and merges them back afterwards.
// CHECK-LABEL: func @conv2d_grouped
// CHECK:       %[[X:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2], [3], [4]] {{.*}} : tensor<?x4x7x7xf32> into tensor<?x2x2x7x7xf32>
// CHECK:       %[[W:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4]] {{.*}} : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK:       %[[INIT:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] {{.*}} : tensor<?x6x5x5xf32> into tensor<?x2x3x5x5xf32>
// CHECK:       %[[Y:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<?x2x3x5x5xf32>)
// CHECK:       tensor.collapse_shape %[[Y]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<?x2x3x5x5xf32> into tensor<?x6x5x5xf32>
func.func @conv2d_grouped(%x: tensor<?x4x7x7xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<?x6x5x5xf32> {
  %y = netc.conv %x, %w, %b {dilation = array<i64: 1, 1>, groups = 2 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x4x7x7xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<?x6x5x5xf32>
  return %y : tensor<?x6x5x5xf32>
}

// -----

// Grouped convolutions without a named op (here 1-d) are one generic over
// (n, f, o, c, k): input channel = (f floordiv F/G) * C/G + c, input position
// = o * stride + k * dilation.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, (d1 floordiv 3) * 2 + d3, d2 * 2 + d4 * 3)>
// CHECK-DAG:   #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-LABEL: func @conv1d_grouped
// CHECK:       linalg.generic {indexing_maps = [#[[IN]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK:         arith.mulf
// CHECK:         arith.addf
func.func @conv1d_grouped(%x: tensor<?x6x12xf32>, %w: tensor<9x2x3xf32>) -> tensor<?x9x3xf32> {
  %y = netc.conv %x, %w {dilation = array<i64: 3>, groups = 3 : i64,
         padding_high = array<i64: 0>, padding_low = array<i64: 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 2>}
       : (tensor<?x6x12xf32>, tensor<9x2x3xf32>) -> tensor<?x9x3xf32>
  return %y : tensor<?x9x3xf32>
}

// -----

// A 1x1 convolution at stride 1 reads each output position's own input: it
// runs as a 1-d convolution over the spatial dimensions merged into one (a
// row of 16 instead of four rows of 4).
// CHECK-LABEL: func @conv2d_pointwise
// CHECK-DAG:   %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<?x8x4x4xf32> into tensor<?x8x16xf32>
// CHECK-DAG:   %[[W:.*]] = tensor.collapse_shape %arg1 {{\[}}[0], [1], [2, 3]] : tensor<6x8x1x1xf32> into tensor<6x8x1xf32>
// CHECK-DAG:   %[[INIT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<?x6x4x4xf32> into tensor<?x6x16xf32>
// CHECK:       %[[Y:.*]] = linalg.conv_1d_ncw_fcw {{.*}} ins(%[[X]], %[[W]] : tensor<?x8x16xf32>, tensor<6x8x1xf32>) outs(%[[INIT]] : tensor<?x6x16xf32>)
// CHECK:       tensor.expand_shape %[[Y]] {{\[}}[0], [1], [2, 3]] {{.*}} : tensor<?x6x16xf32> into tensor<?x6x4x4xf32>
func.func @conv2d_pointwise(%x: tensor<?x8x4x4xf32>, %w: tensor<6x8x1x1xf32>, %b: tensor<6xf32>) -> tensor<?x6x4x4xf32> {
  %y = netc.conv %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x8x4x4xf32>, tensor<6x8x1x1xf32>, tensor<6xf32>) -> tensor<?x6x4x4xf32>
  return %y : tensor<?x6x4x4xf32>
}
