// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// cross_entropy: the row maximum and the sum of exp(z - max) reduce along
// the classes, lse = max + log(sum) per row; one reduction over (n, c) into
// a 0-d sum adds -logp = lse - z where c is the clamped label; the sum is
// divided by the runtime batch. Without smoothing nothing else is summed.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG:   #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func @cross_entropy
// CHECK:       %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK:         arith.maximumf
// CHECK:       %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK:         math.exp
// CHECK:       %[[LSE:.*]] = linalg.generic
// CHECK-SAME:    ins(%[[MAX]], %[[SUM]] : tensor<?xf32>, tensor<?xf32>)
// CHECK:         %[[LOG:.*]] = math.log
// CHECK:         arith.addf %{{.*}}, %[[LOG]] : f32
// CHECK:       %[[NLL:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ALL]]], iterator_types = ["reduction", "reduction"]}
// CHECK-SAME:    ins(%arg0, %arg1, %[[LSE]] : tensor<?x10xf32>, tensor<?xi32>, tensor<?xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:       ^bb0(%[[Z:.*]]: f32, %[[LABEL:.*]]: i32, %[[L:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:         %[[LOGP:.*]] = arith.subf %[[Z]], %[[L]] : f32
// CHECK:         %[[LO:.*]] = arith.maxsi %[[LABEL]], %{{.*}} : i32
// CHECK:         %[[CLAMPED:.*]] = arith.minsi %[[LO]], %{{.*}} : i32
// CHECK:         %[[C:.*]] = linalg.index 1 : index
// CHECK:         %[[C32:.*]] = arith.index_cast %[[C]] : index to i32
// CHECK:         %[[IS:.*]] = arith.cmpi eq, %[[C32]], %[[CLAMPED]] : i32
// CHECK:         %[[PICK:.*]] = arith.select %[[IS]], %[[LOGP]], %{{.*}} : f32
// CHECK:         %[[NEW:.*]] = arith.subf %[[ACC]], %[[PICK]] : f32
// CHECK:         linalg.yield %[[NEW]] : f32
// CHECK:       %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x10xf32>
// CHECK:       %[[NI:.*]] = arith.index_castui %[[N]] : index to i64
// CHECK:       %[[NF:.*]] = arith.uitofp %[[NI]] : i64 to f32
// CHECK:       linalg.generic {{.*}} iterator_types = []} ins(%[[NLL]] : tensor<f32>)
// CHECK:         arith.divf %{{.*}}, %[[NF]] : f32
func.func @cross_entropy(%z: tensor<?x10xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %r = netc.cross_entropy %z, %l {label_smoothing = 0.0 : f32}
       : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// With label smoothing s the same reduction also sums -logp over every
// class; the loss is (1 - s) * nll / N + (s / C) * smooth / N.
// CHECK-LABEL: func @cross_entropy_smoothing
// CHECK:       %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]}
// CHECK:       ^bb0(%{{.*}}: f32, %{{.*}}: i32, %{{.*}}: f32, %[[NLL:.*]]: f32, %[[SMOOTH:.*]]: f32):
// CHECK:         %[[LOGP:.*]] = arith.subf
// CHECK:         %[[NEWNLL:.*]] = arith.subf %[[NLL]], %{{.*}} : f32
// CHECK:         %[[NEWSMOOTH:.*]] = arith.subf %[[SMOOTH]], %[[LOGP]] : f32
// CHECK:         linalg.yield %[[NEWNLL]], %[[NEWSMOOTH]] : f32, f32
// CHECK:       linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1 : tensor<f32>, tensor<f32>)
// CHECK:       ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[MEAN:.*]] = arith.divf %[[A]], %[[N:.*]] : f32
// CHECK:         %[[SMEAN:.*]] = arith.divf %[[B]], %[[N]] : f32
// CHECK:         %[[KEEP:.*]] = arith.constant 0.899999976 : f32
// CHECK:         %[[T1:.*]] = arith.mulf %[[KEEP]], %[[MEAN]] : f32
// CHECK:         %[[SPREAD:.*]] = arith.constant 0.00999999977 : f32
// CHECK:         %[[T2:.*]] = arith.mulf %[[SMEAN]], %[[SPREAD]] : f32
// CHECK:         arith.addf %[[T1]], %[[T2]] : f32
func.func @cross_entropy_smoothing(%z: tensor<?x10xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %r = netc.cross_entropy %z, %l {label_smoothing = 0.1 : f32}
       : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// cross_entropy_grad: (exp(z - lse) - target) * (loss_grad / N), the target
// (1 - s) + s / C on the clamped label and s / C elsewhere; the 0-d loss
// gradient is read through the empty map.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG:   #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func @cross_entropy_grad
// CHECK:       %[[NF:.*]] = arith.uitofp
// CHECK:       linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ALL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:    ins(%arg0, %arg1, %{{.*}}, %arg2 : tensor<?x10xf32>, tensor<?xi32>, tensor<?xf32>, tensor<f32>)
// CHECK:       ^bb0(%[[Z:.*]]: f32, %{{.*}}: i32, %[[LSE:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[SHIFTED:.*]] = arith.subf %[[Z]], %[[LSE]] : f32
// CHECK:         %[[P:.*]] = math.exp %[[SHIFTED]] : f32
// CHECK:         %[[ON:.*]] = arith.constant 9.100000e-01 : f32
// CHECK:         %[[OFF:.*]] = arith.constant 0.00999999977 : f32
// CHECK:         %[[IS:.*]] = arith.cmpi eq
// CHECK:         %[[T:.*]] = arith.select %[[IS]], %[[ON]], %[[OFF]] : f32
// CHECK:         %[[SCALE:.*]] = arith.divf %[[G]], %[[NF]] : f32
// CHECK:         %[[D:.*]] = arith.subf %[[P]], %[[T]] : f32
// CHECK:         arith.mulf %[[D]], %[[SCALE]] : f32
func.func @cross_entropy_grad(%z: tensor<?x10xf32>, %l: tensor<?xi32>, %g: tensor<f32>) -> tensor<?x10xf32> {
  %r = netc.cross_entropy_grad %z, %l, %g {label_smoothing = 0.1 : f32}
       : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// mse_loss: one reduction of (x - t)^2 over every dimension into a 0-d sum,
// divided by numel = 4 * N.
// CHECK-LABEL: func @mse_loss
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<?x4xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[T:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:         %[[D:.*]] = arith.subf %[[X]], %[[T]] : f32
// CHECK:         %[[SQ:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK:         arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK:       %[[N:.*]] = tensor.dim %arg0
// CHECK:       %[[C4:.*]] = arith.constant 4 : index
// CHECK:       %[[NUMEL:.*]] = arith.muli %[[C4]], %[[N]] : index
// CHECK:       %[[NI:.*]] = arith.index_castui %[[NUMEL]] : index to i64
// CHECK:       %[[NF:.*]] = arith.uitofp %[[NI]] : i64 to f32
// CHECK:       linalg.generic {{.*}} ins(%[[SUM]] : tensor<f32>)
// CHECK:         arith.divf %{{.*}}, %[[NF]] : f32
func.func @mse_loss(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> tensor<f32> {
  %r = netc.mse_loss %x, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// mse_loss_grad: (2 / numel) * (x - t) * loss_grad, the factor computed once.
// CHECK-LABEL: func @mse_loss_grad
// CHECK:       %[[NF:.*]] = arith.uitofp
// CHECK:       %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:       %[[NORM:.*]] = arith.divf %[[TWO]], %[[NF]] : f32
// CHECK:       linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<f32>)
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[T:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[D:.*]] = arith.subf %[[X]], %[[T]] : f32
// CHECK:         %[[ND:.*]] = arith.mulf %[[NORM]], %[[D]] : f32
// CHECK:         arith.mulf %[[ND]], %[[G]] : f32
func.func @mse_loss_grad(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>, %g: tensor<f32>) -> tensor<?x4xf32> {
  %r = netc.mse_loss_grad %x, %t, %g : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Reduction sum keeps the batch's sums: the loss is nll itself, read
// through a 0-d generic; the batch extent is never read.
// CHECK-LABEL: func @cross_entropy_sum
// CHECK:       %[[NLL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]}
// CHECK-NOT:   tensor.dim
// CHECK:       %[[LOSS:.*]] = linalg.generic {{.*}} iterator_types = []} ins(%[[NLL]] : tensor<f32>)
// CHECK-NEXT:  ^bb0(%[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    linalg.yield %[[S]] : f32
// CHECK:       return %[[LOSS]]
func.func @cross_entropy_sum(%z: tensor<?x10xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %r = netc.cross_entropy %z, %l {label_smoothing = 0.0 : f32, reduction = #netc<reduction sum>}
       : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// With smoothing and reduction sum: (1 - s) * nll + (s / C) * smooth.
// CHECK-LABEL: func @cross_entropy_smoothing_sum
// CHECK:       %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]}
// CHECK-NOT:   tensor.dim
// CHECK:       linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1 : tensor<f32>, tensor<f32>)
// CHECK:       ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[KEEP:.*]] = arith.constant 0.899999976 : f32
// CHECK-NEXT:    %[[T1:.*]] = arith.mulf %[[KEEP]], %[[A]] : f32
// CHECK-NEXT:    %[[SPREAD:.*]] = arith.constant 0.00999999977 : f32
// CHECK-NEXT:    %[[T2:.*]] = arith.mulf %[[B]], %[[SPREAD]] : f32
// CHECK-NEXT:    arith.addf %[[T1]], %[[T2]] : f32
func.func @cross_entropy_smoothing_sum(%z: tensor<?x10xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %r = netc.cross_entropy %z, %l {label_smoothing = 0.1 : f32, reduction = #netc<reduction sum>}
       : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// cross_entropy_grad with reduction sum scales by loss_grad alone.
// CHECK-LABEL: func @cross_entropy_grad_sum
// CHECK-NOT:   arith.uitofp
// CHECK:       ^bb0(%{{.*}}: f32, %{{.*}}: i32, %{{.*}}: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK:         %[[T:.*]] = arith.select
// CHECK-NEXT:    %[[D:.*]] = arith.subf %{{.*}}, %[[T]] : f32
// CHECK-NEXT:    arith.mulf %[[D]], %[[G]] : f32
func.func @cross_entropy_grad_sum(%z: tensor<?x10xf32>, %l: tensor<?xi32>, %g: tensor<f32>) -> tensor<?x10xf32> {
  %r = netc.cross_entropy_grad %z, %l, %g {label_smoothing = 0.0 : f32, reduction = #netc<reduction sum>}
       : (tensor<?x10xf32>, tensor<?xi32>, tensor<f32>) -> tensor<?x10xf32>
  return %r : tensor<?x10xf32>
}

// -----

// mse_loss with reduction sum: the 0-d sum of (x - t)^2 is the loss.
// CHECK-LABEL: func @mse_loss_sum
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%arg0, %arg1 : tensor<?x4xf32>, tensor<?x4xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK-NOT:   arith.divf
// CHECK:       return %[[SUM]] : tensor<f32>
func.func @mse_loss_sum(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>) -> tensor<f32> {
  %r = netc.mse_loss %x, %t {reduction = #netc<reduction sum>}
       : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// mse_loss_grad with reduction sum: 2 * (x - t) * loss_grad.
// CHECK-LABEL: func @mse_loss_grad_sum
// CHECK-NOT:   arith.uitofp
// CHECK:       %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:       ^bb0(%[[X:.*]]: f32, %[[T:.*]]: f32, %[[G:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    %[[D:.*]] = arith.subf %[[X]], %[[T]] : f32
// CHECK-NEXT:    %[[ND:.*]] = arith.mulf %[[TWO]], %[[D]] : f32
// CHECK-NEXT:    arith.mulf %[[ND]], %[[G]] : f32
func.func @mse_loss_grad_sum(%x: tensor<?x4xf32>, %t: tensor<?x4xf32>, %g: tensor<f32>) -> tensor<?x4xf32> {
  %r = netc.mse_loss_grad %x, %t, %g {reduction = #netc<reduction sum>}
       : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
