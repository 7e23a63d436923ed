// RUN: netc-opt %s --netc-export-entry-points --split-input-file --verify-diagnostics | FileCheck %s

// The forward pass of a range of samples views caller memory: parameters
// packed at 64-byte (16-float) boundaries, input and output of the dynamic
// sample count, from the range's first sample on; the model becomes a
// private callee. The entry point splits the batch into ranges (at least
// one per thread, at most 16 samples each) and the threads share them out;
// a single range is called directly, and a batch of 0 or less has none.
// CHECK-LABEL: func.func private @omp_get_max_threads() -> i32
// CHECK-LABEL: func.func private @net(
// CHECK-LABEL: func.func private @net_forward_samples(
// CHECK-SAME:      %[[P:.*]]: memref<f32>, %[[X:.*]]: memref<f32>, %[[Y:.*]]: memref<f32>, %[[N:.*]]: i64, %[[F:.*]]: i64)
// CHECK:   %[[B:.*]] = arith.index_cast %[[N]] : i64 to index
// CHECK:   %[[FIRST:.*]] = arith.index_cast %[[F]] : i64 to index
// CHECK:   %[[XOFF:.*]] = arith.muli %[[FIRST]], %{{.*}} : index
// CHECK:   %[[XM:.*]] = memref.reinterpret_cast %[[X]] to offset: [%[[XOFF]]], sizes: [%[[B]], 1, 3, 3], strides: [9, 9, 3, 1]
// CHECK:   %[[XT:.*]] = bufferization.to_tensor %[[XM]] restrict
// CHECK:   %[[PM:.*]] = memref.reinterpret_cast %[[P]] to offset: [0], sizes: [48], strides: [1]
// CHECK:   %[[PT:.*]] = bufferization.to_tensor %[[PM]] restrict
// CHECK:   %[[W:.*]] = tensor.extract_slice %[[PT]][0] [4] [1]
// CHECK:   %[[WE:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1, 2, 3]] output_shape [1, 1, 2, 2]
// CHECK:   %[[FW:.*]] = tensor.extract_slice %[[PT]][16] [4] [1]
// CHECK:   %[[FB:.*]] = tensor.extract_slice %[[PT]][32] [1] [1]
// CHECK:   %[[R:.*]] = call @net(%[[XT]], %[[WE]], %{{.*}}, %[[FB]])
// CHECK:   %[[YOFF:.*]] = arith.muli %[[FIRST]], %{{.*}} : index
// CHECK:   %[[YM:.*]] = memref.reinterpret_cast %[[Y]] to offset: [%[[YOFF]]], sizes: [%[[B]], 1], strides: [1, 1]
// CHECK:   bufferization.materialize_in_destination %[[R]] in restrict writable %[[YM]]
// CHECK-LABEL: func.func @net_forward(
// CHECK-SAME:      %[[P2:.*]]: memref<f32>, %[[X2:.*]]: memref<f32>, %[[Y2:.*]]: memref<f32>, %[[N2:.*]]: i64)
// CHECK:   %[[N2I:.*]] = arith.index_cast %[[N2]] : i64 to index
// CHECK:   %[[BATCH:.*]] = arith.maxsi %[[N2I]], %{{.*}} : index
// CHECK:   %[[T:.*]] = call @omp_get_max_threads()
// CHECK:   %[[TI:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK:   %[[PER:.*]] = arith.minui %[[BATCH]], %[[TI]]
// CHECK:   %[[SMALL:.*]] = arith.ceildivui %[[BATCH]], %{{.*}}
// CHECK:   %[[RANGES:.*]] = arith.maxui %[[PER]], %[[SMALL]]
// CHECK:   %[[SINGLE:.*]] = arith.cmpi eq, %[[RANGES]], %{{.*}}
// CHECK:   scf.if %[[SINGLE]]
// CHECK:     call @net_forward_samples(%[[P2]], %[[X2]], %[[Y2]], %{{.*}}, %{{.*}}) {no_inline}
// CHECK:   else
// CHECK:     scf.forall (%[[I:.*]]) in (%[[RANGES]])
// CHECK:       call @net_forward_samples(%[[P2]], %[[X2]], %[[Y2]], %{{.*}}, %{{.*}}) {no_inline}
func.func @net(%x: tensor<?x1x3x3xf32>,
               %w: tensor<1x1x2x2xf32> {netc.param = "conv.weight"},
               %fw: tensor<1x4xf32> {netc.param = "fc.weight"},
               %fb: tensor<1xf32> {netc.param = "fc.bias"}) -> tensor<?x1xf32>
    attributes {netc.model} {
  %0 = netc.conv %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64,
         padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>,
         padding_mode = #netc<padding_mode zeros>, padding_value = 0.0 : f32,
         stride = array<i64: 1, 1>}
       : (tensor<?x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<?x1x2x2xf32>
  %1 = netc.flatten %0 {start_dim = 1 : i64, end_dim = -1 : i64}
       : (tensor<?x1x2x2xf32>) -> tensor<?x4xf32>
  %2 = netc.linear %1, %fw, %fb
       : (tensor<?x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<?x1xf32>
  return %2 : tensor<?x1xf32>
}

// -----

// A model parameter without a state_dict name is rejected.
// expected-error @+1 {{'func.func' op argument 1 must be a static f32 tensor with a 'netc.param' name}}
func.func @unnamed(%x: tensor<?x4xf32>, %w: tensor<2x4xf32>) -> tensor<?x4xf32>
    attributes {netc.model} {
  return %x : tensor<?x4xf32>
}
