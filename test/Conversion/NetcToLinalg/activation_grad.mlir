// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// Each activation's gradient is one all-parallel generic over the value and
// the result gradient. relu is torch's threshold_backward, x <= 0 ? 0 : g:
// 0 at x == 0, and a NaN input passes the gradient.
// CHECK-LABEL: func @relu_grad
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x10xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<?x10xf32>) outs(%[[EMPTY]] : tensor<?x10xf32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[CUT:.*]] = arith.cmpf ole, %[[X]], %[[ZERO]] : f32
// CHECK:         %[[R:.*]] = arith.select %[[CUT]], %[[ZERO]], %[[G]] : f32
// CHECK:         linalg.yield %[[R]] : f32
func.func @relu_grad(%x: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %dx = netc.activation_grad %x, %dy {kind = #netc<activation relu>,
          negative_slope = 0.0 : f32} : tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}

// leaky_relu: x > 0 ? g : g * negative_slope (the slope at x == 0).
// CHECK-LABEL: func @leaky_relu_grad
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK:         %[[SLOPE:.*]] = arith.constant 2.000000e-01 : f32
// CHECK:         %[[SCALED:.*]] = arith.mulf %[[G]], %[[SLOPE]] : f32
// CHECK:         arith.select %[[POS]], %[[G]], %[[SCALED]] : f32
func.func @leaky_relu_grad(%x: tensor<?x4x5xf32>, %dy: tensor<?x4x5xf32>) -> tensor<?x4x5xf32> {
  %dx = netc.activation_grad %x, %dy {kind = #netc<activation leaky_relu>,
          negative_slope = 0.2 : f32} : tensor<?x4x5xf32>
  return %dx : tensor<?x4x5xf32>
}

// sigmoid from its result y, in torch's order: g * (1 - y) * y.
// CHECK-LABEL: func @sigmoid_grad
// CHECK:       ^bb0(%[[Y:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[C:.*]] = arith.subf %[[ONE]], %[[Y]] : f32
// CHECK:         %[[GC:.*]] = arith.mulf %[[G]], %[[C]] : f32
// CHECK:         %[[R:.*]] = arith.mulf %[[GC]], %[[Y]] : f32
// CHECK:         linalg.yield %[[R]] : f32
func.func @sigmoid_grad(%y: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %dx = netc.activation_grad %y, %dy {kind = #netc<activation sigmoid>,
          negative_slope = 0.0 : f32} : tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}

// tanh from its result y: g * (1 - y * y).
// CHECK-LABEL: func @tanh_grad
// CHECK:       ^bb0(%[[Y:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[SQ:.*]] = arith.mulf %[[Y]], %[[Y]] : f32
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[C:.*]] = arith.subf %[[ONE]], %[[SQ]] : f32
// CHECK:         %[[R:.*]] = arith.mulf %[[G]], %[[C]] : f32
// CHECK:         linalg.yield %[[R]] : f32
func.func @tanh_grad(%y: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %dx = netc.activation_grad %y, %dy {kind = #netc<activation tanh>,
          negative_slope = 0.0 : f32} : tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}

// -----

// softmax's gradient from its result y: sum(g * y) along dim 1 in one
// reduction, then y * (g - sum) elementwise.
// CHECK-DAG:   #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @softmax_grad
// CHECK:       %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:    ins(%arg1, %arg0 : tensor<?x10xf32>, tensor<?x10xf32>) outs(%[[INIT]] : tensor<?xf32>)
// CHECK:         %[[P:.*]] = arith.mulf
// CHECK:         arith.addf %{{.*}}, %[[P]] : f32
// CHECK:       linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[ROW]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %arg1, %[[SUM]] : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32>)
// CHECK:       ^bb0(%[[Y:.*]]: f32, %[[G:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[D:.*]] = arith.subf %[[G]], %[[S]] : f32
// CHECK:         arith.mulf %[[Y]], %[[D]] : f32
func.func @softmax_grad(%y: tensor<?x10xf32>, %dy: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %dx = netc.softmax_grad %y, %dy {dim = 1 : i64, log = false} : tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}

// -----

// log_softmax's gradient along dim 2: sum(g) alone, then g - exp(y) * sum.
// CHECK-DAG:   #[[FULL:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @log_softmax_grad
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:    ins(%arg1 : tensor<?x4x6xf32>) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK:       linalg.generic {{.*}} ins(%arg0, %arg1, %[[SUM]] : tensor<?x4x6xf32>, tensor<?x4x6xf32>, tensor<?x4xf32>)
// CHECK:       ^bb0(%[[Y:.*]]: f32, %[[G:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[E:.*]] = math.exp %[[Y]] : f32
// CHECK:         %[[ES:.*]] = arith.mulf %[[E]], %[[S]] : f32
// CHECK:         arith.subf %[[G]], %[[ES]] : f32
func.func @log_softmax_grad(%y: tensor<?x4x6xf32>, %dy: tensor<?x4x6xf32>) -> tensor<?x4x6xf32> {
  %dx = netc.softmax_grad %y, %dy {dim = 2 : i64, log = true} : tensor<?x4x6xf32>
  return %dx : tensor<?x4x6xf32>
}
