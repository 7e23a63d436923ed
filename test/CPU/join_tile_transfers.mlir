// RUN: netc-opt %s --netc-join-tile-transfers --split-input-file | FileCheck %s

// Row writes that cover a 2x8 tile, chained, become one write of the rows
// inserted in place; the tile's row reads become one read and extracts.
// CHECK-LABEL: func @tile
// CHECK: %[[TILE:.*]] = vector.transfer_read %[[T:.*]][%[[Z:.*]], %[[Z]]], %{{.*}} {in_bounds = [true, true]} : tensor<2x8xf32>, vector<2x8xf32>
// CHECK-DAG: %[[A:.*]] = vector.extract %[[TILE]][0] : vector<8xf32> from vector<2x8xf32>
// CHECK-DAG: %[[B:.*]] = vector.extract %[[TILE]][1] : vector<8xf32> from vector<2x8xf32>
// CHECK-NOT: vector.transfer_read
// CHECK: %[[X:.*]] = arith.addf %[[A]], %[[A]]
// CHECK: %[[Y:.*]] = arith.mulf %[[B]], %[[B]]
// CHECK: %[[P:.*]] = ub.poison : vector<2x8xf32>
// CHECK: %[[R1:.*]] = vector.insert %[[Y]], %[[P]] [1]
// CHECK: %[[R0:.*]] = vector.insert %[[X]], %[[R1]] [0]
// CHECK: %[[W:.*]] = vector.transfer_write %[[R0]], %[[T]][%[[Z2:.*]], %[[Z2]]] {in_bounds = [true, true]} : vector<2x8xf32>, tensor<2x8xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: return %[[W]]
func.func @tile(%t: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %pad = ub.poison : f32
  %b = vector.transfer_read %t[%c1, %c0], %pad {in_bounds = [true]} : tensor<2x8xf32>, vector<8xf32>
  %a = vector.transfer_read %t[%c0, %c0], %pad {in_bounds = [true]} : tensor<2x8xf32>, vector<8xf32>
  %x = arith.addf %a, %a : vector<8xf32>
  %y = arith.mulf %b, %b : vector<8xf32>
  %w1 = vector.transfer_write %y, %t[%c1, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %w0 = vector.transfer_write %x, %w1[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  return %w0 : tensor<2x8xf32>
}

// -----

// Blocks of two rows (netc::packsRows) join like rows: a 2x2x8 tile of two
// 2x8 blocks is read and written once.
// CHECK-LABEL: func @blocks
// CHECK: %[[TILE:.*]] = vector.transfer_read {{.*}} : tensor<2x2x8xf32>, vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[TILE]][0] : vector<2x8xf32> from vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[TILE]][1] : vector<2x8xf32> from vector<2x2x8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<2x2x8xf32>, tensor<2x2x8xf32>
// CHECK-NOT: vector.transfer_write
func.func @blocks(%t: tensor<2x2x8xf32>) -> tensor<2x2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %pad = ub.poison : f32
  %a = vector.transfer_read %t[%c0, %c0, %c0], %pad {in_bounds = [true, true]} : tensor<2x2x8xf32>, vector<2x8xf32>
  %b = vector.transfer_read %t[%c1, %c0, %c0], %pad {in_bounds = [true, true]} : tensor<2x2x8xf32>, vector<2x8xf32>
  %x = arith.addf %a, %b : vector<2x8xf32>
  %w0 = vector.transfer_write %x, %t[%c0, %c0, %c0] {in_bounds = [true, true]} : vector<2x8xf32>, tensor<2x2x8xf32>
  %w1 = vector.transfer_write %b, %w0[%c1, %c0, %c0] {in_bounds = [true, true]} : vector<2x8xf32>, tensor<2x2x8xf32>
  return %w1 : tensor<2x2x8xf32>
}

// -----

// Writes that miss a row stay rows (the missing row keeps its value), and
// so do the reads.
// CHECK-LABEL: func @partial
// CHECK-COUNT-2: vector.transfer_read {{.*}} vector<8xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<8xf32>, tensor<3x8xf32>
func.func @partial(%t: tensor<3x8xf32>, %x: vector<8xf32>) -> tensor<3x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %pad = ub.poison : f32
  %a = vector.transfer_read %t[%c0, %c0], %pad {in_bounds = [true]} : tensor<3x8xf32>, vector<8xf32>
  %b = vector.transfer_read %t[%c1, %c0], %pad {in_bounds = [true]} : tensor<3x8xf32>, vector<8xf32>
  %s = arith.addf %a, %b : vector<8xf32>
  %w0 = vector.transfer_write %s, %t[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<3x8xf32>
  %w1 = vector.transfer_write %x, %w0[%c1, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<3x8xf32>
  return %w1 : tensor<3x8xf32>
}

// -----

// A row written twice, a row not the whole width, an intermediate tile
// read by something else, and indices not constant: all stay rows.
// CHECK-LABEL: func @not_tiles
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<8xf32>, tensor<2x8xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<4xf32>, tensor<2x8xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<8xf32>, tensor<2x8xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}} : vector<8xf32>, tensor<2x8xf32>
func.func @not_tiles(%t: tensor<2x8xf32>, %x: vector<8xf32>, %h: vector<4xf32>, %i: index)
    -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %twice0 = vector.transfer_write %x, %t[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %twice1 = vector.transfer_write %x, %twice0[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %half0 = vector.transfer_write %h, %t[%c0, %c0] {in_bounds = [true]} : vector<4xf32>, tensor<2x8xf32>
  %half1 = vector.transfer_write %h, %half0[%c1, %c0] {in_bounds = [true]} : vector<4xf32>, tensor<2x8xf32>
  %used0 = vector.transfer_write %x, %t[%c0, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %used1 = vector.transfer_write %x, %used0[%c1, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %dyn0 = vector.transfer_write %x, %t[%i, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  %dyn1 = vector.transfer_write %x, %dyn0[%c1, %c0] {in_bounds = [true]} : vector<8xf32>, tensor<2x8xf32>
  return %twice1, %half1, %used0, %used1, %dyn1 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A tile vectorized along its filters (16 filters x 2 positions, lanes of
// 8) reads and writes each position's accumulator as column pieces
// (vector<8x1> at [0 or 8, position]). They join into one transposed read,
// reshaped to positions x pieces x lanes, and one transposed write.
// CHECK-LABEL: func @lane_tile
// CHECK: %[[T:.*]] = vector.transfer_read %{{.*}}[%[[Z:.*]], %[[Z]]], %{{.*}} {in_bounds = [true, true], permutation_map = #[[$TRANSPOSE:.*]]} : tensor<16x2xf32>, vector<2x16xf32>
// CHECK: %[[C:.*]] = vector.shape_cast %[[T]] : vector<2x16xf32> to vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[C]][0, 0] : vector<8xf32> from vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[C]][0, 1] : vector<8xf32> from vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[C]][1, 0] : vector<8xf32> from vector<2x2x8xf32>
// CHECK-DAG: vector.extract %[[C]][1, 1] : vector<8xf32> from vector<2x2x8xf32>
// CHECK-NOT: vector.transfer_read
// CHECK-COUNT-4: vector.insert {{.*}} : vector<8xf32> into vector<2x2x8xf32>
// CHECK: %[[W:.*]] = vector.shape_cast {{.*}} : vector<2x2x8xf32> to vector<2x16xf32>
// CHECK: vector.transfer_write %[[W]], {{.*}} {in_bounds = [true, true], permutation_map = #[[$TRANSPOSE]]} : vector<2x16xf32>, tensor<16x2xf32>
// CHECK-NOT: vector.transfer_write
func.func @lane_tile(%t: tensor<16x2xf32>) -> tensor<16x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %pad = ub.poison : f32
  %a = vector.transfer_read %t[%c0, %c0], %pad {in_bounds = [true, true]} : tensor<16x2xf32>, vector<8x1xf32>
  %b = vector.transfer_read %t[%c8, %c0], %pad {in_bounds = [true, true]} : tensor<16x2xf32>, vector<8x1xf32>
  %c = vector.transfer_read %t[%c0, %c1], %pad {in_bounds = [true, true]} : tensor<16x2xf32>, vector<8x1xf32>
  %d = vector.transfer_read %t[%c8, %c1], %pad {in_bounds = [true, true]} : tensor<16x2xf32>, vector<8x1xf32>
  %x = arith.addf %a, %b : vector<8x1xf32>
  %y = arith.addf %c, %d : vector<8x1xf32>
  %w0 = vector.transfer_write %x, %t[%c0, %c0] {in_bounds = [true, true]} : vector<8x1xf32>, tensor<16x2xf32>
  %w1 = vector.transfer_write %y, %w0[%c8, %c0] {in_bounds = [true, true]} : vector<8x1xf32>, tensor<16x2xf32>
  %w2 = vector.transfer_write %x, %w1[%c0, %c1] {in_bounds = [true, true]} : vector<8x1xf32>, tensor<16x2xf32>
  %w3 = vector.transfer_write %y, %w2[%c8, %c1] {in_bounds = [true, true]} : vector<8x1xf32>, tensor<16x2xf32>
  return %w3 : tensor<16x2xf32>
}
