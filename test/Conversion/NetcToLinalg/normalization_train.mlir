// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// batch_norm_train: n = 64 * N elements per channel; the channel sums reduce
// every loop but d1 and accumulate in f64, as torch's CPU kernel does;
// mean = sum / n rounded to f32; the squared deviations from the mean
// (f32) are summed in a second pass; one 1-d generic rounds that sum to f32
// and gives invstd = 1 / sqrt(sum / n + eps) in f64 and the running
// statistics m * batch + (1 - m) * running, the variance unbiased
// (sum / (n - 1)); then the inference recipe (scale = invstd * w, shift =
// b - mean * scale) applies the batch statistics. The results are y, the
// running statistics, mean and invstd.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG:   #[[C1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @batch_norm_train
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x16x8x8xf32>
// CHECK:       %[[C64:.*]] = arith.constant 64 : index
// CHECK:       %[[COUNT:.*]] = arith.muli %[[C64]], %[[N]] : index
// CHECK:       %[[COUNTI:.*]] = arith.index_castui %[[COUNT]] : index to i64
// CHECK:       %[[NF:.*]] = arith.uitofp %[[COUNTI]] : i64 to f32
// CHECK:       %[[ND:.*]] = arith.extf %[[NF]] : f32 to f64
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%arg0 : tensor<?x16x8x8xf32>) outs(%{{.*}} : tensor<16xf64>)
// CHECK:       ^bb0(%[[X0:.*]]: f32, %[[ACC0:.*]]: f64):
// CHECK:         %[[XD:.*]] = arith.extf %[[X0]] : f32 to f64
// CHECK:         arith.addf %[[ACC0]], %[[XD]] : f64
// CHECK:       %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<16xf64>) outs(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[MD:.*]] = arith.divf %{{.*}}, %[[ND]] : f64
// CHECK:         arith.truncf %[[MD]] : f64 to f32
// CHECK:       %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
// CHECK-SAME:    ins(%arg0, %[[MEAN]] : tensor<?x16x8x8xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f64):
// CHECK:         %[[D:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK:         %[[D2D:.*]] = arith.extf %[[D2]] : f32 to f64
// CHECK:         arith.addf %[[ACC]], %[[D2D]] : f64
// CHECK:       %[[STATS:.*]]:3 = linalg.generic {{.*}} ins(%[[MEAN]], %[[SQ]], %arg1, %arg2 : tensor<16xf32>, tensor<16xf64>, tensor<16xf32>, tensor<16xf32>)
// CHECK:       ^bb0(%[[BM:.*]]: f32, %[[BSD:.*]]: f64, %[[RM:.*]]: f32, %[[RV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[BS:.*]] = arith.truncf %[[BSD]] : f64 to f32
// CHECK:         %[[BSE:.*]] = arith.extf %[[BS]] : f32 to f64
// CHECK:         %[[VAR:.*]] = arith.divf %[[BSE]], %[[ND]] : f64
// CHECK:         %[[VE:.*]] = arith.addf %[[VAR]], %{{.*}} : f64
// CHECK:         %[[STD:.*]] = math.sqrt %[[VE]] : f64
// CHECK:         %[[INVD:.*]] = arith.divf %{{.*}}, %[[STD]] : f64
// CHECK:         %[[NM1:.*]] = arith.subf %[[NF]], %{{.*}} : f32
// CHECK:         %[[UNBIASED:.*]] = arith.divf %[[BS]], %[[NM1]] : f32
// CHECK:         %[[MOM:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:         %[[KEEP:.*]] = arith.constant 0.899999976 : f32
// CHECK:         %[[INV:.*]] = arith.truncf %[[INVD]] : f64 to f32
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
// CHECK:         %[[NEG:.*]] = arith.negf %[[FM]] : f32
// CHECK:         %[[SHIFT:.*]] = math.fma %[[NEG]], %[[SCALE]], %[[BIAS]] : f32
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
// CHECK:         %[[NEG:.*]] = arith.negf %[[M]] : f32
// CHECK:         %[[SHIFT:.*]] = arith.mulf %[[NEG]], %[[INV]] : f32
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
// per channel, accumulated in f64; a 1-d generic gives k = dotp * invstd *
// invstd / n in f32, mean(dy) = sum / n, dw = dotp * invstd and db = sum
// rounded from f64; then dx = ((dy - mean(dy) - (x - mean) * k) * invstd) * w.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @batch_norm_grad
// CHECK:       %[[NF:.*]] = arith.uitofp
// CHECK:       %[[ND:.*]] = arith.extf %[[NF]] : f32 to f64
// CHECK:       %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK-SAME:    ins(%arg0, %arg1, %arg2 : tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<4xf32>) outs({{.*}} : tensor<4xf64>, tensor<4xf64>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %[[M:.*]]: f32, %[[SUM:.*]]: f64, %[[DOT:.*]]: f64):
// CHECK:         %[[XC:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[PROD:.*]] = arith.mulf %[[XC]], %[[DY]] : f32
// CHECK:         %[[DYD:.*]] = arith.extf %[[DY]] : f32 to f64
// CHECK:         %[[NEWSUM:.*]] = arith.addf %[[SUM]], %[[DYD]] : f64
// CHECK:         %[[PRODD:.*]] = arith.extf %[[PROD]] : f32 to f64
// CHECK:         %[[NEWDOT:.*]] = arith.addf %[[DOT]], %[[PRODD]] : f64
// CHECK:         linalg.yield %[[NEWSUM]], %[[NEWDOT]] : f64, f64
// CHECK:       %[[TERMS:.*]]:4 = linalg.generic {{.*}} ins(%[[SUMS]]#1, %[[SUMS]]#0, %arg3 : tensor<4xf64>, tensor<4xf64>, tensor<4xf32>)
// CHECK:       ^bb0(%[[DOTP:.*]]: f64, %[[S:.*]]: f64, %[[INV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[DOTF:.*]] = arith.truncf %[[DOTP]] : f64 to f32
// CHECK:         %[[K1:.*]] = arith.mulf %[[DOTF]], %[[INV]] : f32
// CHECK:         %[[K2:.*]] = arith.mulf %[[K1]], %[[INV]] : f32
// CHECK:         %[[K:.*]] = arith.divf %[[K2]], %[[NF]] : f32
// CHECK:         %[[GMD:.*]] = arith.divf %[[S]], %[[ND]] : f64
// CHECK:         %[[GM:.*]] = arith.truncf %[[GMD]] : f64 to f32
// CHECK:         %[[INVD:.*]] = arith.extf %[[INV]] : f32 to f64
// CHECK:         %[[DWD:.*]] = arith.mulf %[[DOTP]], %[[INVD]] : f64
// CHECK:         %[[DW:.*]] = arith.truncf %[[DWD]] : f64 to f32
// CHECK:         %[[DB:.*]] = arith.truncf %[[S]] : f64 to f32
// CHECK:         linalg.yield %[[K]], %[[GM]], %[[DW]], %[[DB]] : f32, f32, f32, f32
// CHECK:       %[[DX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %arg1, %arg2, %[[TERMS]]#0, %[[TERMS]]#1, %arg3, %arg4 :
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[DY:.*]]: f32, %[[M:.*]]: f32, %[[KK:.*]]: f32, %[[G:.*]]: f32, %[[I:.*]]: f32, %[[W:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[XC:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK:         %[[PROJ:.*]] = arith.mulf %[[XC]], %[[KK]] : f32
// CHECK:         %[[D1:.*]] = arith.subf %[[DY]], %[[G]] : f32
// CHECK:         %[[D2:.*]] = arith.subf %[[D1]], %[[PROJ]] : f32
// CHECK:         %[[D3:.*]] = arith.mulf %[[D2]], %[[I]] : f32
// CHECK:         arith.mulf %[[D3]], %[[W]] : f32
// CHECK:       return %[[DX]], %[[TERMS]]#2, %[[TERMS]]#3
func.func @batch_norm_grad(%x: tensor<?x4x5xf32>, %dy: tensor<?x4x5xf32>, %mean: tensor<4xf32>,
                           %invstd: tensor<4xf32>, %w: tensor<4xf32>)
    -> (tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dw, %db = netc.batch_norm_grad %x, %dy, %mean, %invstd, %w
      : (tensor<?x4x5xf32>, tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dw, %db : tensor<?x4x5xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Without a weight dx stops at the multiplication by invstd.
// CHECK-LABEL: func @batch_norm_grad_not_affine
// CHECK:       linalg.generic {{.*}} ins(%arg0, %arg1, %arg2, %{{.*}}, %{{.*}}, %arg3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:       ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %[[INV:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[DX:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK-NEXT:    linalg.yield %[[DX]] : f32
func.func @batch_norm_grad_not_affine(%x: tensor<?x4xf32>, %dy: tensor<?x4xf32>, %mean: tensor<4xf32>,
                                      %invstd: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dw, %db = netc.batch_norm_grad %x, %dy, %mean, %invstd
      : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>)
        -> (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dw, %db : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
}
