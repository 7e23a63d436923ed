// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// batch_norm_train: n = 64 * N elements per channel; the channel sums reduce
// every loop but d1; mean = sum / n; the squared deviations from the mean
// are summed in a second pass; one 1-d generic gives invstd =
// 1 / sqrt(sum / n + eps) and the running statistics m * batch +
// (1 - m) * running, the variance unbiased (sum / (n - 1)); then the
// inference recipe (scale = invstd * w, shift = b - mean * scale) applies
// the batch statistics. The results are y, the running statistics, mean and
// invstd.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG:   #[[C1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @batch_norm_train
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x16x8x8xf32>
// CHECK:       %[[C64:.*]] = arith.constant 64 : index
// CHECK:       %[[COUNT:.*]] = arith.muli %[[C64]], %[[N]] : index
// CHECK:       %[[COUNTI:.*]] = arith.index_castui %[[COUNT]] : index to i64
// CHECK:       %[[NF:.*]] = arith.uitofp %[[COUNTI]] : i64 to f32
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%arg0 : tensor<?x16x8x8xf32>) outs(%{{.*}} : tensor<16xf32>)
// CHECK:         arith.addf
// CHECK:       %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<16xf32>)
// CHECK:         arith.divf %{{.*}}, %[[NF]] : f32
// CHECK:       %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%arg0, %[[MEAN]] : tensor<?x16x8x8xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:         %[[D:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK:         arith.addf %[[ACC]], %[[D2]] : f32
// CHECK:       %[[STATS:.*]]:3 = linalg.generic {{.*}} ins(%[[MEAN]], %[[SQ]], %arg1, %arg2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[BM:.*]]: f32, %[[BS:.*]]: f32, %[[RM:.*]]: f32, %[[RV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[VAR:.*]] = arith.divf %[[BS]], %[[NF]] : f32
// CHECK:         %[[VE:.*]] = arith.addf %[[VAR]], %{{.*}} : f32
// CHECK:         %[[STD:.*]] = math.sqrt %[[VE]] : f32
// CHECK:         %[[INV:.*]] = arith.divf %{{.*}}, %[[STD]] : f32
// CHECK:         %[[NM1:.*]] = arith.subf %[[NF]], %{{.*}} : f32
// CHECK:         %[[UNBIASED:.*]] = arith.divf %[[BS]], %[[NM1]] : f32
// CHECK:         %[[MOM:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:         %[[KEEP:.*]] = arith.constant 0.899999976 : f32
// CHECK:         %[[A:.*]] = arith.mulf %[[MOM]], %[[BM]] : f32
// CHECK:         %[[B:.*]] = arith.mulf %[[KEEP]], %[[RM]] : f32
// CHECK:         %[[NEWM:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK:         %[[C:.*]] = arith.mulf %[[MOM]], %[[UNBIASED]] : f32
// CHECK:         %[[E:.*]] = arith.mulf %[[KEEP]], %[[RV]] : f32
// CHECK:         %[[NEWV:.*]] = arith.addf %[[C]], %[[E]] : f32
// CHECK:         linalg.yield %[[INV]], %[[NEWM]], %[[NEWV]] : f32, f32, f32
// CHECK:       %[[FOLDED:.*]]:2 = linalg.generic {indexing_maps = [#[[C1]], #[[C1]], #[[C1]], #[[C1]], #[[C1]], #[[C1]]], iterator_types = ["parallel"]}
// CHECK-SAME:    ins(%[[MEAN]], %[[STATS]]#0, %arg3, %arg4 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[FM:.*]]: f32, %[[FI:.*]]: f32, %[[W:.*]]: f32, %[[BIAS:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[SCALE:.*]] = arith.mulf %[[FI]], %[[W]] : f32
// CHECK:         %[[MS:.*]] = arith.mulf %[[FM]], %[[SCALE]] : f32
// CHECK:         %[[SHIFT:.*]] = arith.subf %[[BIAS]], %[[MS]] : f32
// CHECK:         linalg.yield %[[SCALE]], %[[SHIFT]] : f32, f32
// CHECK:       %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %[[FOLDED]]#0, %[[FOLDED]]#1 : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       return %[[Y]], %[[STATS]]#1, %[[STATS]]#2, %[[MEAN]], %[[STATS]]#0
func.func @batch_norm_train(%x: tensor<?x16x8x8xf32>, %rm: tensor<16xf32>, %rv: tensor<16xf32>,
                            %w: tensor<16xf32>, %b: tensor<16xf32>)
    -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %y, %m, %v, %mean, %invstd = netc.batch_norm_train %x, %rm, %rv, %w, %b
      {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
      : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
        -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
  return %y, %m, %v, %mean, %invstd
      : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// Without affine parameters (and on an (N, C) input, n = N) scale is invstd
// and shift -mean * invstd.
// CHECK-LABEL: func @batch_norm_train_not_affine
// CHECK:       %[[NF:.*]] = arith.uitofp
// CHECK:       %[[STATS:.*]]:3 = linalg.generic
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %[[STATS]]#0 : tensor<6xf32>, tensor<6xf32>)
// CHECK:       ^bb0(%[[M:.*]]: f32, %[[INV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[MS:.*]] = arith.mulf %[[M]], %[[INV]] : f32
// CHECK:         %[[SHIFT:.*]] = arith.negf %[[MS]] : f32
// CHECK:         linalg.yield %[[INV]], %[[SHIFT]] : f32, f32
func.func @batch_norm_train_not_affine(%x: tensor<?x6xf32>, %rm: tensor<6xf32>, %rv: tensor<6xf32>)
    -> (tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %y, %m, %v, %mean, %invstd = netc.batch_norm_train %x, %rm, %rv
      {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
      : (tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>)
        -> (tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  return %y, %m, %v, %mean, %invstd
      : tensor<?x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

// batch_norm_grad: one reduction gives sum(dy) and dotp = sum((x - mean) dy)
// per channel; a 1-d generic gives k = dotp * invstd * invstd / n,
// mean(dy) = sum / n, scale = invstd * w and dw = dotp * invstd; then
// dx = (dy - mean(dy) - (x - mean) * k) * scale, and db is sum(dy).
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @batch_norm_grad
// CHECK:       %[[NF:.*]] = arith.uitofp
// CHECK:       %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK-SAME:    ins(%arg0, %arg1, %arg2 : tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %[[M:.*]]: f32, %[[SUM:.*]]: f32, %[[DOT:.*]]: f32):
// CHECK:         %[[XC:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[NEWSUM:.*]] = arith.addf %[[SUM]], %[[DY]] : f32
// CHECK:         %[[PROD:.*]] = arith.mulf %[[XC]], %[[DY]] : f32
// CHECK:         %[[NEWDOT:.*]] = arith.addf %[[DOT]], %[[PROD]] : f32
// CHECK:         linalg.yield %[[NEWSUM]], %[[NEWDOT]] : f32, f32
// CHECK:       %[[TERMS:.*]]:4 = linalg.generic {{.*}} ins(%[[SUMS]]#1, %[[SUMS]]#0, %arg3, %arg4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%[[DOTP:.*]]: f32, %[[S:.*]]: f32, %[[INV:.*]]: f32, %[[W:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[K1:.*]] = arith.mulf %[[DOTP]], %[[INV]] : f32
// CHECK:         %[[K2:.*]] = arith.mulf %[[K1]], %[[INV]] : f32
// CHECK:         %[[K:.*]] = arith.divf %[[K2]], %[[NF]] : f32
// CHECK:         %[[GM:.*]] = arith.divf %[[S]], %[[NF]] : f32
// CHECK:         %[[SCALE:.*]] = arith.mulf %[[INV]], %[[W]] : f32
// CHECK:         %[[DW:.*]] = arith.mulf %[[DOTP]], %[[INV]] : f32
// CHECK:         linalg.yield %[[K]], %[[GM]], %[[SCALE]], %[[DW]] : f32, f32, f32, f32
// CHECK:       %[[DX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %arg1, %arg2, %[[TERMS]]#0, %[[TERMS]]#1, %[[TERMS]]#2 :
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %[[M:.*]]: f32, %[[KK:.*]]: f32, %[[G:.*]]: f32, %[[SC:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[XC:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[PROJ:.*]] = arith.mulf %[[XC]], %[[KK]] : f32
// CHECK:         %[[D1:.*]] = arith.subf %[[DY]], %[[G]] : f32
// CHECK:         %[[D2:.*]] = arith.subf %[[D1]], %[[PROJ]] : f32
// CHECK:         arith.mulf %[[D2]], %[[SC]] : f32
// CHECK:       return %[[DX]], %[[TERMS]]#3, %[[SUMS]]#0
func.func @batch_norm_grad(%x: tensor<?x4x5xf32>, %dy: tensor<?x4x5xf32>, %mean: tensor<4xf32>,
                           %invstd: tensor<4xf32>, %w: tensor<4xf32>)
    -> (tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dw, %db = netc.batch_norm_grad %x, %dy, %mean, %invstd, %w
      : (tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dw, %db : tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Without a weight the scale is invstd itself.
// CHECK-LABEL: func @batch_norm_grad_not_affine
// CHECK:       %[[TERMS:.*]]:4 = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %arg3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%{{.*}}: f32, %{{.*}}: f32, %[[INV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         linalg.yield %{{.*}}, %{{.*}}, %[[INV]], %{{.*}} : f32, f32, f32, f32
func.func @batch_norm_grad_not_affine(%x: tensor<?x4xf32>, %dy: tensor<?x4xf32>, %mean: tensor<4xf32>,
                                      %invstd: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dw, %db = netc.batch_norm_grad %x, %dy, %mean, %invstd
      : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dw, %db : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
}
