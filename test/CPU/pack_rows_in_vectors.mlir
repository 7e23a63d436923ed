// RUN: netc-opt %s --netc-pack-rows-in-vectors --canonicalize | FileCheck %s

// A block of two rows of 8 carried through a reduction loop: the loop
// carries one vector of 16 lanes, the FMA's multiply and add are on 16
// lanes, the broadcast weight is broadcast to 16 lanes; what is left of the
// blocks are the casts after the input block's read and before the write.
// CHECK-LABEL: func @block
// CHECK-SAME: (%[[IN:.*]]: tensor<4x2x8xf32>, %[[W:.*]]: tensor<4xf32>, %[[OUT:.*]]: tensor<2x8xf32>)
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[OUT]]{{.*}} : tensor<2x8xf32>, vector<2x8xf32>
// CHECK: %[[INIT16:.*]] = vector.shape_cast %[[INIT]] : vector<2x8xf32> to vector<16xf32>
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[INIT16]]) -> (vector<16xf32>)
// CHECK:   %[[ROWS:.*]] = vector.transfer_read %[[IN]]{{.*}} : tensor<4x2x8xf32>, vector<2x8xf32>
// CHECK:   %[[WEIGHT:.*]] = tensor.extract %[[W]]
// CHECK:   %[[ROWS16:.*]] = vector.shape_cast %[[ROWS]] : vector<2x8xf32> to vector<16xf32>
// CHECK:   %[[SPLAT:.*]] = vector.broadcast %[[WEIGHT]] : f32 to vector<16xf32>
// CHECK:   %[[PROD:.*]] = arith.mulf %[[ROWS16]], %[[SPLAT]] : vector<16xf32>
// CHECK:   %[[NEXT:.*]] = arith.addf %[[ACC]], %[[PROD]] : vector<16xf32>
// CHECK:   scf.yield %[[NEXT]] : vector<16xf32>
// CHECK: %[[RESULT:.*]] = vector.shape_cast %[[SUM]] : vector<16xf32> to vector<2x8xf32>
// CHECK: vector.transfer_write %[[RESULT]], %[[OUT]]
func.func @block(%in: tensor<4x2x8xf32>, %w: tensor<4xf32>, %out: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  %init = vector.transfer_read %out[%c0, %c0], %pad {in_bounds = [true, true]} : tensor<2x8xf32>, vector<2x8xf32>
  %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<2x8xf32>) {
    %rows = vector.transfer_read %in[%i, %c0, %c0], %pad {in_bounds = [true, true]} : tensor<4x2x8xf32>, vector<2x8xf32>
    %weight = tensor.extract %w[%i] : tensor<4xf32>
    %splat = vector.broadcast %weight : f32 to vector<2x8xf32>
    %prod = arith.mulf %rows, %splat : vector<2x8xf32>
    %next = arith.addf %acc, %prod : vector<2x8xf32>
    scf.yield %next : vector<2x8xf32>
  }
  %r = vector.transfer_write %sum, %out[%c0, %c0] {in_bounds = [true, true]} : vector<2x8xf32>, tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// Rows are left as they are.
// CHECK-LABEL: func @rows
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK-NOT: vector.shape_cast
func.func @rows(%a: vector<8xf32>, %b: vector<8xf32>) -> vector<8xf32> {
  %s = arith.addf %a, %b : vector<8xf32>
  return %s : vector<8xf32>
}
