// RUN: netc-opt %s --netc-autodiff --netc-export-entry-points | FileCheck %s

// The training function becomes @net_gradients, in destination-passing
// style on the packed parameters: each gradient is inserted into the
// packed gradients right after the op that computes it, the loss is
// written into its destination, and the ops that only the input gradient
// needs run under %want. The packed gradients are written into their
// destination too (a no-op unless one parameter fills the whole buffer and
// its insert_slice folds away).
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

// Each range of samples runs @net_gradients through a samples function that
// views the range of the caller's input and target (and of the input
// gradient, when it is asked for) and writes the range's gradients and loss
// into its slot of two arrays; the input gradient is weighted by the
// range's share of the batch.
// CHECK-LABEL: func.func private @net_gradients_samples(
// CHECK-SAME:      %[[SP:[a-z0-9]+]]: memref<f32>, %[[SX:[a-z0-9]+]]: memref<f32>, %[[ST:[a-z0-9]+]]: memref<i32>, %[[SSEED:[a-z0-9]+]]: i64,
// CHECK-SAME:      %[[PARTS:[a-z0-9]+]]: memref<f32>, %[[LOSSES:[a-z0-9]+]]: memref<f32>, %[[COUNT:[a-z0-9]+]]: i64, %[[FIRST:[a-z0-9]+]]: i64, %[[SLOT:[a-z0-9]+]]: i64)
// CHECK:         %[[SLOTI:.*]] = arith.index_cast %[[SLOT]]
// CHECK:         %[[GOFF:.*]] = arith.muli %[[SLOTI]], %c32
// CHECK:         memref.reinterpret_cast %[[PARTS]] to offset: [%[[GOFF]]], sizes: [32], strides: [1]
// CHECK:         memref.reinterpret_cast %[[LOSSES]] to offset: [%{{.*}}], sizes: [], strides: []
// CHECK:         %[[NONE:.*]] = tensor.empty(%c0) : tensor<?x4xf32>
// CHECK:         memref.reinterpret_cast %[[SX]] to offset: [%{{.*}}], sizes: [%{{.*}}, 4], strides: [4, 1]
// CHECK:         call @net_gradients(%{{.*}}, %{{.*}}, %[[SSEED]], %false, %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]]) {no_inline}
// CHECK-LABEL: func.func private @net_gradients_samples_with_input_grad(
// CHECK:         call @net_gradients(%{{.*}}, %{{.*}}, %{{.*}}, %true, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {no_inline}
// CHECK:         %[[WEIGHTED:.*]] = linalg.generic {{.*}} ins(%{{.*}}#2 : tensor<?x4xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[SWEIGHT:[a-z0-9]+]]
// CHECK:         bufferization.materialize_in_destination %[[WEIGHTED]]

// The batch is cut into ranges of at most 16 samples, computed by the
// threads (scf.forall) or, one range, on the calling thread; the input
// gradient's samples function where the caller passes a buffer for it.
// The ranges' gradients and losses are then summed in range order, each
// weighted by its share of the batch (the loss is a mean).
// CHECK-LABEL: func.func @net_backward(
// CHECK:         %[[WANTED:.*]] = arith.cmpi ne
// CHECK:         %[[BATCH:.*]] = arith.maxsi
// CHECK:         %[[UP:.*]] = arith.ceildivui %[[BATCH]], %c16
// CHECK:         %[[CAPPED:.*]] = arith.minui %[[UP]]
// CHECK:         %[[RANGES:.*]] = arith.maxui %c1, %[[CAPPED]]
// CHECK:         %[[PARTSA:.*]] = memref.alloc(%[[RANGES]]) {alignment = 64 : i64} : memref<?x32xf32>
// CHECK:         %[[LOSSESA:.*]] = memref.alloc(%[[RANGES]]) : memref<?xf32>
// CHECK:         scf.if
// CHECK:           scf.if %[[WANTED]]
// CHECK:             call @net_gradients_samples_with_input_grad
// CHECK:           } else {
// CHECK:             call @net_gradients_samples(
// CHECK:         } else {
// CHECK:           scf.forall (%[[R:.*]]) in (%[[RANGES]]) {
// CHECK:             scf.if %[[WANTED]]
// CHECK:               call @net_gradients_samples_with_input_grad
// CHECK:             } else {
// CHECK:               call @net_gradients_samples(
// CHECK:         %[[WEIGHTS:.*]] = linalg.generic
// CHECK:           arith.divf
// CHECK:         %[[PARTST:.*]] = bufferization.to_tensor %[[PARTSA]]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[PARTST]], %[[WEIGHTS]] : tensor<?x32xf32>, tensor<?xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         bufferization.materialize_in_destination %[[SUM]]
// The optimizers update the parameters and their padding as one flat
// tensor: fc.weight's 12 floats, 4 of padding, fc.bias's 3 and 13 more.
// CHECK-LABEL: func.func @net_sgd_step(
// CHECK-NOT:     with_input_grad
// CHECK:         scf.forall
// CHECK:           call @net_gradients_samples(
// CHECK:         %[[SP:.*]], %[[SM:.*]] = netc.sgd_update {{.*}} : tensor<32xf32>, f32
// CHECK-NEXT:    tensor.insert_slice %[[SP]] into %{{.*}}[0] [32] [1]
// CHECK-NEXT:    tensor.insert_slice %[[SM]] into %{{.*}}[0] [32] [1]
// CHECK-NOT:     netc.sgd_update
// CHECK-LABEL: func.func @net_adam_step(
// CHECK-NOT:     with_input_grad
// CHECK:         call @net_gradients_samples(
// CHECK:         netc.adam_update {{.*}} : tensor<32xf32>, f32
// CHECK-NOT:     netc.adam_update
// CHECK-NOT:     func.func private @net_train

// Dropout's masks are drawn per element of the whole batch: its batch runs
// as one range, with no weighting.
// CHECK-LABEL: func.func @dropout_net_sgd_step(
// CHECK-NOT:     scf.forall
// CHECK:         %[[GRADS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
// CHECK-NOT:     scf.forall
// CHECK:         call @dropout_net_gradients_samples(
// CHECK-NOT:     linalg.generic
// CHECK:         bufferization.to_tensor %[[GRADS]]
// CHECK:         netc.sgd_update

// A model whose gradients take more than 32 MiB (two ranges' would not fit
// in 64 MiB) runs its batch as one range too.
// CHECK-LABEL: func.func @big_net_sgd_step(
// CHECK-NOT:     scf.forall
// CHECK:         memref.alloc() {alignment = 64 : i64} : memref<8390656xf32>
// CHECK-NOT:     scf.forall
// CHECK:         call @big_net_gradients_samples(
// CHECK:         netc.sgd_update

// Buffers (batch norm's running statistics) take their new values from the
// gradients function; the trained parameters on either side of them are
// updated as two runs.
// CHECK-LABEL: func.func @bn_net_sgd_step(
// CHECK:         %[[MEAN:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[32] [3] [1]
// CHECK-NEXT:    %[[VAR:.*]] = tensor.insert_slice %{{.*}} into %[[MEAN]][48] [3] [1]
// CHECK:         %[[P1:.*]], %{{.*}} = netc.sgd_update {{.*}} : tensor<32xf32>, f32
// CHECK-NEXT:    %[[FC1:.*]] = tensor.insert_slice %[[P1]] into %[[VAR]][0] [32] [1]
// CHECK:         %[[P2:.*]], %{{.*}} = netc.sgd_update {{.*}} : tensor<32xf32>, f32
// CHECK-NEXT:    tensor.insert_slice %[[P2]] into %[[FC1]][64] [32] [1]
// CHECK-NOT:     netc.sgd_update

func.func @net(%x: tensor<?x4xf32>,
               %w: tensor<3x4xf32> {netc.param = "fc.weight"},
               %b: tensor<3xf32> {netc.param = "fc.bias"}) -> tensor<?x3xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.linear %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = netc.relu %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

func.func @dropout_net(%x: tensor<?x4xf32>,
                       %w: tensor<3x4xf32> {netc.param = "fc.weight"},
                       %b: tensor<3xf32> {netc.param = "fc.bias"}) -> tensor<?x3xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.linear %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = netc.dropout %0 {p = 0.5 : f32} : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

func.func @big_net(%x: tensor<?x4096xf32>,
                   %w: tensor<2048x4096xf32> {netc.param = "fc.weight"},
                   %b: tensor<2048xf32> {netc.param = "fc.bias"}) -> tensor<?x2048xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.linear %x, %w, %b : (tensor<?x4096xf32>, tensor<2048x4096xf32>, tensor<2048xf32>) -> tensor<?x2048xf32>
  return %0 : tensor<?x2048xf32>
}

func.func @bn_net(%x: tensor<?x4xf32>,
                  %w1: tensor<3x4xf32> {netc.param = "fc1.weight"},
                  %b1: tensor<3xf32> {netc.param = "fc1.bias"},
                  %m: tensor<3xf32> {netc.param = "bn.running_mean"},
                  %v: tensor<3xf32> {netc.param = "bn.running_var"},
                  %w2: tensor<2x3xf32> {netc.param = "fc2.weight"},
                  %b2: tensor<2xf32> {netc.param = "fc2.bias"}) -> tensor<?x2xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.linear %x, %w1, %b1 : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = netc.batch_norm %0, %m, %v {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %2 = netc.linear %1, %w2, %b2 : (tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %2 : tensor<?x2xf32>
}
