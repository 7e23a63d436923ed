// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// batch_norm folds the statistics into a per-channel scale = w / sqrt(var +
// eps) and shift = b - mean * scale (one 1-d generic with two results), then
// applies x * scale + shift with the channel read through d1; both
// multiply-adds are fused, as in torch's CPU kernel.
// CHECK-DAG:   #[[C1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @batch_norm
// CHECK:       %[[FOLDED:.*]]:2 = linalg.generic {indexing_maps = [#[[C1]], #[[C1]], #[[C1]], #[[C1]], #[[C1]], #[[C1]]], iterator_types = ["parallel"]}
// CHECK-SAME:    ins(%arg1, %arg2, %arg3, %arg4 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[MEAN:.*]]: f32, %[[VAR:.*]]: f32, %[[W:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK:         %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK:         %[[STD:.*]] = math.sqrt %[[VE]] : f32
// CHECK:         %[[INV:.*]] = arith.divf %{{.*}}, %[[STD]] : f32
// CHECK:         %[[SCALE:.*]] = arith.mulf %[[INV]], %[[W]] : f32
// CHECK:         %[[NEG:.*]] = arith.negf %[[MEAN]] : f32
// CHECK:         %[[SHIFT:.*]] = math.fma %[[NEG]], %[[SCALE]], %[[B]] : f32
// CHECK:         linalg.yield %[[SCALE]], %[[SHIFT]] : f32, f32
// CHECK:       linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %[[FOLDED]]#0, %[[FOLDED]]#1 : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[S:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32):
// CHECK:         math.fma %[[X]], %[[S]], %[[T]] : f32
func.func @batch_norm(%x: tensor<?x16x8x8xf32>, %mean: tensor<16xf32>, %var: tensor<16xf32>,
                      %gamma: tensor<16xf32>, %beta: tensor<16xf32>) -> tensor<?x16x8x8xf32> {
  %y = netc.batch_norm %x, %mean, %var, %gamma, %beta {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x8x8xf32>
  return %y : tensor<?x16x8x8xf32>
}

// -----

// Without affine parameters scale = 1 / sqrt(var + eps), shift = -mean * scale.
// CHECK-LABEL: func @batch_norm_not_affine
// CHECK:       linalg.generic {{.*}} ins(%arg1, %arg2 : tensor<6xf32>, tensor<6xf32>)
// CHECK:       ^bb0(%[[MEAN:.*]]: f32, %[[VAR:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[INV:.*]] = arith.divf
// CHECK:         %[[NEG:.*]] = arith.negf %[[MEAN]] : f32
// CHECK:         %[[SHIFT:.*]] = arith.mulf %[[NEG]], %[[INV]] : f32
// CHECK:         linalg.yield %[[INV]], %[[SHIFT]] : f32, f32
func.func @batch_norm_not_affine(%x: tensor<?x6xf32>, %mean: tensor<6xf32>, %var: tensor<6xf32>) -> tensor<?x6xf32> {
  %y = netc.batch_norm %x, %mean, %var {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// dropout is the identity at inference.
// CHECK-LABEL: func @dropout
// CHECK-NEXT:  return %arg0 : tensor<?x120xf32>
func.func @dropout(%x: tensor<?x120xf32>) -> tensor<?x120xf32> {
  %y = netc.dropout %x {p = 0.5 : f32} : tensor<?x120xf32>
  return %y : tensor<?x120xf32>
}
