// RUN: netc-opt %s --netc-autodiff --split-input-file | FileCheck %s

// The training function of a classifier: the forward ops, the cross entropy
// of the output, then each op's gradient rule in reverse; results are the
// loss, one gradient per parameter and the input's gradient.
// CHECK-LABEL: func.func private @clf_train(
// CHECK-SAME:      %[[X:.*]]: tensor<?x1x4x4xf32>, %[[Y:.*]]: tensor<?xi32>, %[[SEED:.*]]: i64,
// CHECK-SAME:      %[[W:.*]]: tensor<2x1x3x3xf32> {netc.param = "conv.weight"},
// CHECK-SAME:      %[[FW:.*]]: tensor<3x8xf32> {netc.param = "fc.weight"})
// CHECK-SAME:      -> (tensor<f32>, tensor<2x1x3x3xf32>, tensor<3x8xf32>, tensor<?x1x4x4xf32>)
// CHECK-SAME:      attributes {netc.train_of = @clf}
// CHECK:   %[[C:.*]] = netc.conv %[[X]], %[[W]]
// CHECK:   %[[R:.*]] = netc.relu %[[C]]
// CHECK:   %[[F:.*]] = netc.flatten %[[R]]
// CHECK:   %[[Z:.*]] = netc.linear %[[F]], %[[FW]]
// CHECK:   %[[L:.*]] = netc.cross_entropy %[[Z]], %[[Y]]
// CHECK:   %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK:   %[[DZ:.*]] = netc.cross_entropy_grad %[[Z]], %[[Y]], %[[ONE]]
// CHECK:   %[[DF:.*]] = netc.matmul %[[DZ]], %[[FW]] {transpose_lhs = false, transpose_rhs = false}
// CHECK:   %[[DFW:.*]] = netc.matmul %[[DZ]], %[[F]] {transpose_lhs = true, transpose_rhs = false}
// CHECK:   %[[DR:.*]] = netc.reshape %[[DF]] : (tensor<?x8xf32>) -> tensor<?x2x2x2xf32>
// CHECK:   %[[DC:.*]] = netc.activation_grad %[[C]], %[[DR]] {kind = #netc<activation relu>
// CHECK:   %[[DX:.*]] = netc.conv_input_grad %[[DC]], %[[W]]
// CHECK:   %[[DW:.*]] = netc.conv_weight_grad %[[X]], %[[DC]]
// CHECK:   return %[[L]], %[[DW]], %[[DFW]], %[[DX]]
func.func @clf(%x: tensor<?x1x4x4xf32>,
               %w: tensor<2x1x3x3xf32> {netc.param = "conv.weight"},
               %fw: tensor<3x8xf32> {netc.param = "fc.weight"}) -> tensor<?x3xf32>
    attributes {netc.model, netc.loss = "cross_entropy"} {
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<?x2x2x2xf32>
  %1 = netc.relu %0 : tensor<?x2x2x2xf32>
  %2 = netc.flatten %1 {start_dim = 1 : i64, end_dim = -1 : i64}
       : (tensor<?x2x2x2xf32>) -> tensor<?x8xf32>
  %3 = netc.linear %2, %fw : (tensor<?x8xf32>, tensor<3x8xf32>) -> tensor<?x3xf32>
  return %3 : tensor<?x3xf32>
}

// -----

// Training forms: batch norm takes the batch's statistics and its running
// statistics come back updated in their parameter slots; dropout draws its
// mask from the seed. A value used twice (the add) sums its gradients, and a
// regression model trains with the squared error.
// CHECK-LABEL: func.func private @reg_train(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>, %[[T:.*]]: tensor<?x4xf32>, %[[SEED:.*]]: i64,
// CHECK:   %[[Y:.*]], %[[RM:.*]], %[[RV:.*]], %[[MEAN:.*]], %[[INV:.*]] = netc.batch_norm_train %[[X]]
// CHECK:   %[[D:.*]], %[[MASK:.*]] = netc.dropout_train %[[Y]], %[[SEED]] {p = 5.000000e-01 : f32, stream = 0 : i64}
// CHECK:   %[[S:.*]] = netc.add %[[D]], %[[D]]
// CHECK:   %[[L:.*]] = netc.mse_loss %[[S]], %[[T]]
// CHECK:   %[[DS:.*]] = netc.mse_loss_grad %[[S]], %[[T]]
// CHECK:   %[[DD:.*]] = netc.add %[[DS]], %[[DS]]
// CHECK:   %[[DY:.*]] = netc.mul %[[DD]], %[[MASK]]
// CHECK:   %[[DX:.*]], %{{.*}}, %{{.*}} = netc.batch_norm_grad %[[X]], %[[DY]], %[[MEAN]], %[[INV]]
// CHECK:   return %[[L]], %[[RM]], %[[RV]], %[[DX]]
func.func @reg(%x: tensor<?x4xf32>,
               %m: tensor<4xf32> {netc.param = "bn.running_mean"},
               %v: tensor<4xf32> {netc.param = "bn.running_var"}) -> tensor<?x4xf32>
    attributes {netc.model, netc.loss = "mse"} {
  %0 = netc.batch_norm %x, %m, %v {eps = 1.0e-05 : f32, momentum = 0.1 : f32}
       : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = netc.dropout %0 {p = 0.5 : f32} : tensor<?x4xf32>
  %2 = netc.add %1, %1 : tensor<?x4xf32>
  return %2 : tensor<?x4xf32>
}
