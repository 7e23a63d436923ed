// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// dX = dY W: a plain linalg.matmul (its default maps are not printed) into
// zeros whose dynamic batch is the lhs's rows.
// CHECK-LABEL: func @matmul_input_grad
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x10xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x320xf32>
// CHECK:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<?x320xf32>)
// CHECK:       linalg.matmul ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<10x320xf32>) outs(%[[INIT]] : tensor<?x320xf32>)
func.func @matmul_input_grad(%dy: tensor<?x10xf32>, %w: tensor<10x320xf32>) -> tensor<?x320xf32> {
  %dx = netc.matmul %dy, %w {transpose_lhs = false, transpose_rhs = false}
        : (tensor<?x10xf32>, tensor<10x320xf32>) -> tensor<?x320xf32>
  return %dx : tensor<?x320xf32>
}

// -----

// dW = dY^T X contracts the dynamic batch: the lhs is read transposed
// through its map and the result is static.
// CHECK-DAG:   #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG:   #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul_weight_grad
// CHECK:       %[[EMPTY:.*]] = tensor.empty() : tensor<10x320xf32>
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<10x320xf32>)
// CHECK:       linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]]
// CHECK-SAME:    ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<?x320xf32>) outs(%[[INIT]] : tensor<10x320xf32>)
func.func @matmul_weight_grad(%dy: tensor<?x10xf32>, %x: tensor<?x320xf32>) -> tensor<10x320xf32> {
  %dw = netc.matmul %dy, %x {transpose_lhs = true, transpose_rhs = false}
        : (tensor<?x10xf32>, tensor<?x320xf32>) -> tensor<10x320xf32>
  return %dw : tensor<10x320xf32>
}

// -----

// A transposed rhs with the batch in its rows gives the result dynamic
// columns, read from the rhs.
// CHECK-DAG:   #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG:   #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul_transpose_rhs
// CHECK:       %[[N:.*]] = tensor.dim %arg1, %{{.*}} : tensor<?x6xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<4x?xf32>
// CHECK:       linalg.matmul indexing_maps = [#[[MK]], #[[NK]], #[[MN]]]
func.func @matmul_transpose_rhs(%a: tensor<4x6xf32>, %b: tensor<?x6xf32>) -> tensor<4x?xf32> {
  %c = netc.matmul %a, %b {transpose_lhs = false, transpose_rhs = true}
       : (tensor<4x6xf32>, tensor<?x6xf32>) -> tensor<4x?xf32>
  return %c : tensor<4x?xf32>
}

// -----

// Both transposed: the contracted dimension is the lhs's rows and the rhs's
// columns, here the batch.
// CHECK-DAG:   #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG:   #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @matmul_transpose_both
// CHECK:       tensor.empty() : tensor<6x4xf32>
// CHECK:       linalg.matmul indexing_maps = [#[[KM]], #[[NK]], #{{.*}}]
// CHECK-SAME:    ins(%arg0, %arg1 : tensor<?x6xf32>, tensor<4x?xf32>)
func.func @matmul_transpose_both(%a: tensor<?x6xf32>, %b: tensor<4x?xf32>) -> tensor<6x4xf32> {
  %c = netc.matmul %a, %b {transpose_lhs = true, transpose_rhs = true}
       : (tensor<?x6xf32>, tensor<4x?xf32>) -> tensor<6x4xf32>
  return %c : tensor<6x4xf32>
}
