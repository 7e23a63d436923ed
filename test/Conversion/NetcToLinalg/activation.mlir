// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// Each elementwise activation is one all-parallel generic over an init of
// the same dynamic batch.
// CHECK-LABEL: func @relu
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x10xf32>
// CHECK:       %[[EMPTY:.*]] = tensor.empty(%[[N]]) : tensor<?x10xf32>
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<?x10xf32>) outs(%[[EMPTY]] : tensor<?x10xf32>)
// CHECK:       ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[R:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK:         linalg.yield %[[R]] : f32
func.func @relu(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %y = netc.relu %x : tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// leaky_relu keeps x where x > 0, else scales it.
// CHECK-LABEL: func @leaky_relu
// CHECK:       ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %{{.*}} : f32
// CHECK:         %[[SLOPE:.*]] = arith.constant 2.000000e-01 : f32
// CHECK:         %[[SCALED:.*]] = arith.mulf %[[IN]], %[[SLOPE]] : f32
// CHECK:         arith.select %[[POS]], %[[IN]], %[[SCALED]] : f32
func.func @leaky_relu(%x: tensor<?x4x5xf32>) -> tensor<?x4x5xf32> {
  %y = netc.leaky_relu %x {negative_slope = 0.2 : f32} : tensor<?x4x5xf32>
  return %y : tensor<?x4x5xf32>
}

// sigmoid is 1 / (1 + exp(-x)).
// CHECK-LABEL: func @sigmoid
// CHECK:       ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK:         %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK:         %[[DEN:.*]] = arith.addf %[[ONE:.*]], %[[EXP]] : f32
// CHECK:         arith.divf %[[ONE]], %[[DEN]] : f32
func.func @sigmoid(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %y = netc.sigmoid %x : tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// CHECK-LABEL: func @tanh
// CHECK:         math.tanh
func.func @tanh(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %y = netc.tanh %x : tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// softmax along dim 2 of (N, 4, 6, 3): the maximum and the sum of
// exp(x - max) reduce d2 into (N, 4, 3) tensors, then exp(x - max) / sum.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[RED:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func @softmax
// CHECK-DAG:   %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:       %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x4x3xf32>)
// CHECK:       %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[RED]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg0 : {{.*}}) outs(%[[MAXINIT]] : tensor<?x4x3xf32>)
// CHECK:         arith.maximumf
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[RED]], #[[RED]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %[[MAX]] : {{.*}})
// CHECK:         arith.subf
// CHECK:         math.exp
// CHECK:         arith.addf
// CHECK:       linalg.generic {indexing_maps = [#[[ID]], #[[RED]], #[[RED]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %[[MAX]], %[[SUM]] : {{.*}})
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[SHIFTED:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[E:.*]] = math.exp %[[SHIFTED]] : f32
// CHECK:         arith.divf %[[E]], %[[S]] : f32
func.func @softmax(%x: tensor<?x4x6x3xf32>) -> tensor<?x4x6x3xf32> {
  %y = netc.softmax %x {dim = 2 : i64} : tensor<?x4x6x3xf32>
  return %y : tensor<?x4x6x3xf32>
}

// -----

// log_softmax ends with x - max - log(sum).
// CHECK-LABEL: func @log_softmax
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[SHIFTED:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[LOG:.*]] = math.log %[[S]] : f32
// CHECK:         arith.subf %[[SHIFTED]], %[[LOG]] : f32
func.func @log_softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %y = netc.log_softmax %x {dim = 1 : i64} : tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}
