// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// linear is one linalg.matmul that reads the (out, in) weight transposed
// through its indexing maps, accumulating into the broadcast bias.
// CHECK-DAG:   #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG:   #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @linear
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x320xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:       %[[BIAS:.*]] = linalg.broadcast ins(%arg2 : tensor<10xf32>) outs(%[[EMPTY]] : tensor<?x10xf32>) dimensions = [0]
// CHECK:       linalg.matmul indexing_maps = [#[[X]], #[[W]], #[[Y]]]
// CHECK-SAME:    ins(%arg0, %arg1 : tensor<?x320xf32>, tensor<10x320xf32>) outs(%[[BIAS]] : tensor<?x10xf32>)
func.func @linear(%x: tensor<?x320xf32>, %w: tensor<10x320xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %y = netc.linear %x, %w, %b : (tensor<?x320xf32>, tensor<10x320xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// Without a bias the matmul accumulates into zeros.
// CHECK-LABEL: func @linear_nobias
// CHECK:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<?x5xf32>)
// CHECK:       linalg.matmul {{.*}} outs(%[[INIT]] : tensor<?x5xf32>)
func.func @linear_nobias(%x: tensor<?x13xf32>, %w: tensor<5x13xf32>) -> tensor<?x5xf32> {
  %y = netc.linear %x, %w : (tensor<?x13xf32>, tensor<5x13xf32>) -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
