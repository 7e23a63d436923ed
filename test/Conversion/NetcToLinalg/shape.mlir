// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// flatten merges its dimension range with tensor.collapse_shape.
// CHECK-LABEL: func @flatten
// CHECK:       tensor.collapse_shape %arg0 {{\[\[}}0], [1, 2, 3]] : tensor<?x20x4x4xf32> into tensor<?x320xf32>
func.func @flatten(%x: tensor<?x20x4x4xf32>) -> tensor<?x320xf32> {
  %y = netc.flatten %x {start_dim = 1 : i64, end_dim = -1 : i64} : (tensor<?x20x4x4xf32>) -> tensor<?x320xf32>
  return %y : tensor<?x320xf32>
}

// CHECK-LABEL: func @flatten_middle
// CHECK:       tensor.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3], [4]] : tensor<?x3x4x5x2xf32> into tensor<?x3x20x2xf32>
func.func @flatten_middle(%x: tensor<?x3x4x5x2xf32>) -> tensor<?x3x20x2xf32> {
  %y = netc.flatten %x {start_dim = 2 : i64, end_dim = -2 : i64} : (tensor<?x3x4x5x2xf32>) -> tensor<?x3x20x2xf32>
  return %y : tensor<?x3x20x2xf32>
}

// -----

// reshape goes through (N, elements per sample): collapse, then expand.
// CHECK-LABEL: func @reshape
// CHECK:       %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0], [1, 2]] : tensor<?x4x6xf32> into tensor<?x24xf32>
// CHECK:       tensor.expand_shape %[[FLAT]] {{\[\[}}0], [1, 2, 3]] output_shape [%{{.*}}, 2, 3, 4] : tensor<?x24xf32> into tensor<?x2x3x4xf32>
func.func @reshape(%x: tensor<?x4x6xf32>) -> tensor<?x2x3x4xf32> {
  %y = netc.reshape %x : (tensor<?x4x6xf32>) -> tensor<?x2x3x4xf32>
  return %y : tensor<?x2x3x4xf32>
}

// A rank-2 side skips its step.
// CHECK-LABEL: func @reshape_from_flat
// CHECK-NOT:   tensor.collapse_shape
// CHECK:       tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 20, 16] : tensor<?x320xf32> into tensor<?x20x16xf32>
func.func @reshape_from_flat(%x: tensor<?x320xf32>) -> tensor<?x20x16xf32> {
  %y = netc.reshape %x : (tensor<?x320xf32>) -> tensor<?x20x16xf32>
  return %y : tensor<?x20x16xf32>
}

// -----

// concat copies each input into its slice of the result, at running offsets
// along dim.
// CHECK-LABEL: func @concat
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x40x12x12xf32>
// CHECK:       %[[S0:.*]] = tensor.extract_slice %[[EMPTY]][0, 0, 0, 0] [%{{.*}}, 16, 12, 12] [1, 1, 1, 1]
// CHECK:       %[[C0:.*]] = linalg.copy ins(%arg0 : tensor<?x16x12x12xf32>) outs(%[[S0]] : tensor<?x16x12x12xf32>)
// CHECK:       %[[R0:.*]] = tensor.insert_slice %[[C0]] into %[[EMPTY]][0, 0, 0, 0] [%{{.*}}, 16, 12, 12] [1, 1, 1, 1]
// CHECK:       %[[S1:.*]] = tensor.extract_slice %[[R0]][0, 16, 0, 0] [%{{.*}}, 24, 12, 12] [1, 1, 1, 1]
// CHECK:       %[[C1:.*]] = linalg.copy ins(%arg1 : tensor<?x24x12x12xf32>) outs(%[[S1]] : tensor<?x24x12x12xf32>)
// CHECK:       %[[R1:.*]] = tensor.insert_slice %[[C1]] into %[[R0]][0, 16, 0, 0] [%{{.*}}, 24, 12, 12] [1, 1, 1, 1]
// CHECK:       return %[[R1]]
func.func @concat(%a: tensor<?x16x12x12xf32>, %b: tensor<?x24x12x12xf32>) -> tensor<?x40x12x12xf32> {
  %y = netc.concat %a, %b {dim = 1 : i64} : (tensor<?x16x12x12xf32>, tensor<?x24x12x12xf32>) -> tensor<?x40x12x12xf32>
  return %y : tensor<?x40x12x12xf32>
}

// -----

// The residual add is linalg.add.
// CHECK-LABEL: func @add
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x16x12x12xf32>
// CHECK:       linalg.add ins(%arg0, %arg1 : tensor<?x16x12x12xf32>, tensor<?x16x12x12xf32>) outs(%[[EMPTY]] : tensor<?x16x12x12xf32>)
func.func @add(%x: tensor<?x16x12x12xf32>, %r: tensor<?x16x12x12xf32>) -> tensor<?x16x12x12xf32> {
  %y = netc.add %x, %r : tensor<?x16x12x12xf32>
  return %y : tensor<?x16x12x12xf32>
}

// -----

// The elementwise product (dropout's gradient) is linalg.mul.
// CHECK-LABEL: func @mul
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x120xf32>
// CHECK:       linalg.mul ins(%arg0, %arg1 : tensor<?x120xf32>, tensor<?x120xf32>) outs(%[[EMPTY]] : tensor<?x120xf32>)
func.func @mul(%dy: tensor<?x120xf32>, %mask: tensor<?x120xf32>) -> tensor<?x120xf32> {
  %y = netc.mul %dy, %mask : tensor<?x120xf32>
  return %y : tensor<?x120xf32>
}
