// RUN: netc-opt %s --netc-split-carried-tiles --canonicalize --split-input-file | FileCheck %s
// RUN: netc-opt %s --netc-split-carried-tiles --split-input-file | FileCheck %s --check-prefix=KEEP

// A 2x8 tile carried through two nested loops becomes two rows in each, read
// from the initial tile before the outer loop and joined after it.
// CHECK-LABEL: func @nested
// CHECK-SAME: (%[[INIT:.*]]: vector<2x8xf32>
// CHECK-DAG: %[[A0:.*]] = vector.extract %[[INIT]][0] : vector<8xf32> from vector<2x8xf32>
// CHECK-DAG: %[[B0:.*]] = vector.extract %[[INIT]][1] : vector<8xf32> from vector<2x8xf32>
// CHECK: %[[OUT:.*]]:2 = scf.for {{.*}} iter_args(%[[A1:.*]] = %[[A0]], %[[B1:.*]] = %[[B0]]) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[IN:.*]]:2 = scf.for {{.*}} iter_args(%[[A:.*]] = %[[A1]], %[[B:.*]] = %[[B1]]) -> (vector<8xf32>, vector<8xf32>)
// CHECK-DAG: %[[X:.*]] = arith.addf %[[A]], %[[A]]
// CHECK-DAG: %[[Y:.*]] = arith.mulf %[[B]], %[[B]]
// CHECK: scf.yield %[[X]], %[[Y]]
// CHECK: scf.yield %[[IN]]#0, %[[IN]]#1
// CHECK: %[[R:.*]] = vector.from_elements
// CHECK: return %[[R]]
func.func @nested(%init: vector<2x8xf32>, %n: index) -> vector<2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %poison = ub.poison : vector<2x8xf32>
  %outer = scf.for %i = %c0 to %n step %c1 iter_args(%t = %init) -> (vector<2x8xf32>) {
    %inner = scf.for %j = %c0 to %n step %c1 iter_args(%u = %t) -> (vector<2x8xf32>) {
      %b = vector.extract %u[1] : vector<8xf32> from vector<2x8xf32>
      %a = vector.extract %u[0] : vector<8xf32> from vector<2x8xf32>
      %x = arith.addf %a, %a : vector<8xf32>
      %y = arith.mulf %b, %b : vector<8xf32>
      %r1 = vector.insert %y, %poison [1] : vector<8xf32> into vector<2x8xf32>
      %r0 = vector.insert %x, %r1 [0] : vector<8xf32> into vector<2x8xf32>
      scf.yield %r0 : vector<2x8xf32>
    }
    scf.yield %inner : vector<2x8xf32>
  }
  return %outer : vector<2x8xf32>
}

// -----

// A row written twice yields the later value; the loop's other iter_args
// stay as they are.
// CHECK-LABEL: func @rewritten_row
// CHECK: scf.for {{.*}} -> (f32, vector<4xf32>, vector<4xf32>)
// CHECK: %[[Z:.*]] = arith.addf {{.*}} : vector<4xf32>
// CHECK: scf.yield %{{.*}}, %[[Z]], %{{.*}} : f32, vector<4xf32>, vector<4xf32>
func.func @rewritten_row(%init: vector<2x4xf32>, %s: f32, %n: index) -> (f32, vector<2x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %poison = ub.poison : vector<2x4xf32>
  %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%f = %s, %t = %init) -> (f32, vector<2x4xf32>) {
    %a = vector.extract %t[0] : vector<4xf32> from vector<2x4xf32>
    %b = vector.extract %t[1] : vector<4xf32> from vector<2x4xf32>
    %g = arith.addf %f, %f : f32
    %z = arith.addf %a, %b : vector<4xf32>
    %w0 = vector.insert %b, %poison [0] : vector<4xf32> into vector<2x4xf32>
    %w1 = vector.insert %a, %w0 [1] : vector<4xf32> into vector<2x4xf32>
    %w2 = vector.insert %z, %w1 [0] : vector<4xf32> into vector<2x4xf32>
    scf.yield %g, %w2 : f32, vector<2x4xf32>
  }
  return %r#0, %r#1 : f32, vector<2x4xf32>
}

// -----

// A tile of blocks of rows (2 filters by 2 rows of 8, whose rows
// netc-pack-rows-in-vectors packs in pairs) is carried as its blocks.
// CHECK-LABEL: func @blocks
// CHECK: scf.for {{.*}} -> (vector<2x8xf32>, vector<2x8xf32>)
// CHECK: arith.addf {{.*}} : vector<2x8xf32>
func.func @blocks(%init: vector<2x2x8xf32>, %n: index) -> vector<2x2x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %poison = ub.poison : vector<2x2x8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%t = %init) -> (vector<2x2x8xf32>) {
    %a = vector.extract %t[0] : vector<2x8xf32> from vector<2x2x8xf32>
    %b = vector.extract %t[1] : vector<2x8xf32> from vector<2x2x8xf32>
    %x = arith.addf %a, %b : vector<2x8xf32>
    %y = arith.mulf %b, %b : vector<2x8xf32>
    %w0 = vector.insert %x, %poison [0] : vector<2x8xf32> into vector<2x2x8xf32>
    %w1 = vector.insert %y, %w0 [1] : vector<2x8xf32> into vector<2x2x8xf32>
    scf.yield %w1 : vector<2x2x8xf32>
  }
  return %r : vector<2x2x8xf32>
}

// -----

// Tiles the body reads other than by rows, or yields without writing every
// row, or yields through a chain that something else reads, stay whole.
// KEEP-LABEL: func @not_split
// KEEP: scf.for {{.*}} -> (vector<2x4xf32>, vector<2x4xf32>, vector<2x4xf32>, f32) {
// KEEP-NOT: scf.for
func.func @not_split(%init: vector<2x4xf32>, %v: vector<4xf32>, %n: index)
    -> (vector<2x4xf32>, vector<2x4xf32>, vector<2x4xf32>, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %poison = ub.poison : vector<2x4xf32>
  %r:4 = scf.for %i = %c0 to %n step %c1 iter_args(%lane = %init, %part = %init, %used = %init, %sum = %zero)
      -> (vector<2x4xf32>, vector<2x4xf32>, vector<2x4xf32>, f32) {
    %e = vector.extract %lane[0, 2] : f32 from vector<2x4xf32>
    %a = vector.extract %part[0] : vector<4xf32> from vector<2x4xf32>
    %p = vector.insert %a, %part [1] : vector<4xf32> into vector<2x4xf32>
    %u0 = vector.insert %v, %poison [0] : vector<4xf32> into vector<2x4xf32>
    %u1 = vector.insert %v, %u0 [1] : vector<4xf32> into vector<2x4xf32>
    %f = vector.extract %u0[1, 0] : f32 from vector<2x4xf32>
    %s = arith.addf %e, %f : f32
    scf.yield %lane, %p, %u1, %s : vector<2x4xf32>, vector<2x4xf32>, vector<2x4xf32>, f32
  }
  return %r#0, %r#1, %r#2, %r#3 : vector<2x4xf32>, vector<2x4xf32>, vector<2x4xf32>, f32
}

// -----

// A lane tile (netc-join-tile-transfers) is read transposed, reshaped to
// positions x pieces x lanes, carried through the loop in that shape and
// reshaped back for its transposed write. The reshapes move out of the
// loop, which then carries each piece as a register; the transposed read
// and write become, per block of 8 rows, a read of the rows and a transpose
// (and the reverse).
// CHECK-LABEL: func @lane_tile
// KEEP-LABEL: func @lane_tile
// CHECK-DAG: %[[R0:.*]] = vector.transfer_read %[[T:.*]][%c0, %c0], {{.*}} : tensor<16x2xf32>, vector<8x2xf32>
// CHECK-DAG: %[[R1:.*]] = vector.transfer_read %[[T]][%c8, %c0], {{.*}} : tensor<16x2xf32>, vector<8x2xf32>
// CHECK-DAG: vector.transpose %[[R0]], [1, 0] : vector<8x2xf32> to vector<2x8xf32>
// CHECK-DAG: vector.transpose %[[R1]], [1, 0] : vector<8x2xf32> to vector<2x8xf32>
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4: arith.mulf {{.*}} : vector<8xf32>
// CHECK: scf.yield
// CHECK: %[[W0:.*]] = vector.transfer_write {{.*}}, %[[T]][%c0, %c0] {in_bounds = [true, true]} : vector<8x2xf32>, tensor<16x2xf32>
// CHECK: %[[W1:.*]] = vector.transfer_write {{.*}}, %[[W0]][%c8, %c0] {in_bounds = [true, true]} : vector<8x2xf32>, tensor<16x2xf32>
// CHECK: return %[[W1]]
func.func @lane_tile(%t: tensor<16x2xf32>, %n: index) -> tensor<16x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %pad = ub.poison : f32
  %poison = ub.poison : vector<2x2x8xf32>
  %read = vector.transfer_read %t[%c0, %c0], %pad {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>} : tensor<16x2xf32>, vector<2x16xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %read) -> (vector<2x16xf32>) {
    %pieces = vector.shape_cast %acc : vector<2x16xf32> to vector<2x2x8xf32>
    %a = vector.extract %pieces[0, 0] : vector<8xf32> from vector<2x2x8xf32>
    %b = vector.extract %pieces[0, 1] : vector<8xf32> from vector<2x2x8xf32>
    %c = vector.extract %pieces[1, 0] : vector<8xf32> from vector<2x2x8xf32>
    %d = vector.extract %pieces[1, 1] : vector<8xf32> from vector<2x2x8xf32>
    %x = arith.mulf %a, %a : vector<8xf32>
    %y = arith.mulf %b, %b : vector<8xf32>
    %z = arith.mulf %c, %c : vector<8xf32>
    %w = arith.mulf %d, %d : vector<8xf32>
    %i0 = vector.insert %x, %poison [0, 0] : vector<8xf32> into vector<2x2x8xf32>
    %i1 = vector.insert %y, %i0 [0, 1] : vector<8xf32> into vector<2x2x8xf32>
    %i2 = vector.insert %z, %i1 [1, 0] : vector<8xf32> into vector<2x2x8xf32>
    %i3 = vector.insert %w, %i2 [1, 1] : vector<8xf32> into vector<2x2x8xf32>
    %back = vector.shape_cast %i3 : vector<2x2x8xf32> to vector<2x16xf32>
    scf.yield %back : vector<2x16xf32>
  }
  %out = vector.transfer_write %r, %t[%c0, %c0] {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>} : vector<2x16xf32>, tensor<16x2xf32>
  return %out : tensor<16x2xf32>
}
