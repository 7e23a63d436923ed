// RUN: netc-opt %s --netc-autodiff --netc-export-entry-points | FileCheck %s

// The training function becomes @net_gradients, in destination-passing
// style on the packed parameters: each gradient is inserted into the
// packed gradients right after the op that computes it, the loss is
// written into its destination, and the ops that only the input gradient
// needs run under %want. The packed gradients are written into their
// destination too (a no-op unless one parameter fills the whole buffer and
// its insert_slice folds away). The three training entry points call it, not
// inlined; the steps ask for no input gradient (an empty batch).
// CHECK-LABEL: func.func private @net_gradients(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>, %[[T:.*]]: tensor<?xi32>, %[[SEED:.*]]: i64, %[[WANT:.*]]: i1,
// CHECK-SAME:      %[[P:.*]]: tensor<32xf32>, %[[G:.*]]: tensor<32xf32>, %[[L:.*]]: tensor<f32>, %[[DX:.*]]: tensor<?x4xf32>)
// CHECK-SAME:      -> (tensor<32xf32>, tensor<f32>, tensor<?x4xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK:         %[[W:.*]] = tensor.expand_shape
// CHECK:         %[[LOSS:.*]] = netc.cross_entropy
// CHECK:         %[[DZ:.*]] = netc.activation_grad
// CHECK-NEXT:    %[[DW:.*]] = netc.matmul %[[DZ]], %[[X]] {transpose_lhs = true
// CHECK-NEXT:    %[[DWF:.*]] = tensor.collapse_shape %[[DW]]
// CHECK-NEXT:    %[[G1:.*]] = tensor.insert_slice %[[DWF]] into %[[G]][0] [12] [1]
// CHECK-NEXT:    %[[DB:.*]] = netc.channel_sum %[[DZ]]
// CHECK-NEXT:    %[[G2:.*]] = tensor.insert_slice %[[DB]] into %[[G1]][16] [3] [1]
// CHECK-NEXT:    %[[LW:.*]] = bufferization.materialize_in_destination %[[LOSS]] in %[[L]]
// CHECK-NEXT:    %[[DXW:.*]] = scf.if %[[WANT]] -> (tensor<?x4xf32>) {
// CHECK-NEXT:      %[[IN:.*]] = netc.matmul %[[DZ]], %[[W]] {transpose_lhs = false
// CHECK-NEXT:      %[[INW:.*]] = bufferization.materialize_in_destination %[[IN]] in %[[DX]]
// CHECK-NEXT:      scf.yield %[[INW]]
// CHECK-NEXT:    } else {
// CHECK-NEXT:      scf.yield %[[DX]]
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[GW:.*]] = bufferization.materialize_in_destination %[[G2]] in %[[G]]
// CHECK-NEXT:    return %[[GW]], %[[LW]], %[[DXW]]

// CHECK-LABEL: func.func @net_backward(
// CHECK:         %[[WANTED:.*]] = arith.cmpi ne
// CHECK:         call @net_gradients(%{{.*}}, %{{.*}}, %{{.*}}, %[[WANTED]], {{.*}}) {no_inline}
// CHECK-LABEL: func.func @net_sgd_step(
// CHECK-DAG:     %[[NO:.*]] = arith.constant false
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[NONE:.*]] = tensor.empty(%[[ZERO]]) : tensor<?x4xf32>
// CHECK:         call @net_gradients(%{{.*}}, %{{.*}}, %{{.*}}, %[[NO]], %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]]) {no_inline}
// CHECK:         netc.sgd_update
// CHECK-LABEL: func.func @net_adam_step(
// CHECK:         call @net_gradients({{.*}}) {no_inline}
// CHECK:         netc.adam_update
// CHECK-NOT:     func.func private @net_train
func.func @net(%x: tensor<?x4xf32>,
               %w: tensor<3x4xf32> {netc.param = "fc.weight"},
               %b: tensor<3xf32> {netc.param = "fc.bias"}) -> tensor<?x3xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.linear %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = netc.relu %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
