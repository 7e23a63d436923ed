// RUN: netc-opt %s --split-input-file --netc-plan-buffers | FileCheck %s

// Three batch-sized buffers of 16 bytes per sample (64 once aligned) and a
// fixed one of 64 bytes. %c is allocated after %a is freed and takes its
// place: the batch-sized part of the arena is 128 bytes per sample, the
// fixed part 64 bytes above it. Every free goes; the arena is freed at the
// end.
// CHECK-LABEL: func.func @lifetimes(
// CHECK-SAME:      %[[N:.*]]: index)
// CHECK-NEXT:    %[[PER:.*]] = arith.constant 128 : index
// CHECK-NEXT:    %[[BATCHED:.*]] = arith.muli %[[N]], %[[PER]]
// CHECK-NEXT:    %[[FIXED:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[SIZE:.*]] = arith.addi %[[BATCHED]], %[[FIXED]]
// CHECK-NEXT:    %[[ARENA:.*]] = memref.alloc(%[[SIZE]]) {alignment = 64 : i64, netc.bytes_per_sample = 128 : i64, netc.fixed_bytes = 64 : i64} : memref<?xi8>
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[ARENA]][%[[ZERO]]][%[[N]]] : memref<?xi8> to memref<?x4xf32>
// CHECK-NEXT:    %[[B_AT:.*]] = arith.constant 64 : index
// CHECK-NEXT:    %[[B_OFF:.*]] = arith.muli %[[N]], %[[B_AT]]
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[ARENA]][%[[B_OFF]]][%[[N]]]
// CHECK-NEXT:    call @use(%[[A]], %[[B]])
// CHECK-NEXT:    %[[PER2:.*]] = arith.constant 128 : index
// CHECK-NEXT:    %[[BATCHED2:.*]] = arith.muli %[[N]], %[[PER2]]
// CHECK-NEXT:    %[[D_AT:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[D_OFF:.*]] = arith.addi %[[BATCHED2]], %[[D_AT]]
// CHECK-NEXT:    %[[D:.*]] = memref.view %[[ARENA]][%[[D_OFF]]][] : memref<?xi8> to memref<4x4xf32>
// CHECK-NEXT:    %[[ZERO2:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[ARENA]][%[[ZERO2]]][%[[N]]]
// CHECK-NEXT:    call @use2(%[[C]], %[[D]])
// CHECK-NEXT:    memref.dealloc %[[ARENA]] : memref<?xi8>
// CHECK-NEXT:    return
func.func private @use(memref<?x4xf32>, memref<?x4xf32>)
func.func private @use2(memref<?x4xf32>, memref<4x4xf32>)
func.func @lifetimes(%n: index) {
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  func.call @use(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
  memref.dealloc %a : memref<?x4xf32>
  %d = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
  %c = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  func.call @use2(%c, %d) : (memref<?x4xf32>, memref<4x4xf32>) -> ()
  memref.dealloc %b : memref<?x4xf32>
  memref.dealloc %c : memref<?x4xf32>
  memref.dealloc %d : memref<4x4xf32>
  return
}

// -----

// Left as allocations: a buffer the function returns (its caller frees it)
// and one whose dynamic size is not the batch size the others share. Two
// buffers that remain are placed.
// CHECK-LABEL: func.func @kept(
// CHECK-SAME:      %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK:         %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64, netc.bytes_per_sample = 128 : i64, netc.fixed_bytes = 0 : i64} : memref<?xi8>
// CHECK:         memref.view %[[ARENA]]
// CHECK:         memref.view %[[ARENA]]
// CHECK:         %[[OTHER:.*]] = memref.alloc(%[[M]])
// CHECK:         %[[RESULT:.*]] = memref.alloc(%[[N]])
// CHECK:         memref.dealloc %[[OTHER]]
// CHECK:         memref.dealloc %[[ARENA]]
// CHECK-NEXT:    return %[[RESULT]]
func.func private @use(memref<?x4xf32>, memref<?x4xf32>)
func.func @kept(%n: index, %m: index) -> memref<?x4xf32> {
  %a = memref.alloc(%n) : memref<?x4xf32>
  %b = memref.alloc(%n) : memref<?x4xf32>
  func.call @use(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
  %other = memref.alloc(%m) : memref<?x4xf32>
  %result = memref.alloc(%n) : memref<?x4xf32>
  func.call @use(%other, %result) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
  memref.dealloc %other : memref<?x4xf32>
  memref.dealloc %a : memref<?x4xf32>
  memref.dealloc %b : memref<?x4xf32>
  return %result : memref<?x4xf32>
}

// -----

// A single buffer needs no arena.
// CHECK-LABEL: func.func @single(
// CHECK:         memref.alloc(
// CHECK-NOT:     memref.view
// CHECK:         memref.dealloc
func.func private @use(memref<?x4xf32>, memref<?x4xf32>)
func.func @single(%n: index, %x: memref<?x4xf32>) {
  %a = memref.alloc(%n) : memref<?x4xf32>
  func.call @use(%a, %x) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
  memref.dealloc %a : memref<?x4xf32>
  return
}

// -----

// An empty buffer (a model without parameters has empty gradients) stays an
// allocation; the others are placed.
// CHECK-LABEL: func.func @empty(
// CHECK:         %[[ARENA:.*]] = memref.alloc(%{{.*}}) {{.*}}netc.bytes_per_sample = 128 : i64, netc.fixed_bytes = 0 : i64} : memref<?xi8>
// CHECK:         %[[EMPTY:.*]] = memref.alloc() : memref<0xf32>
// CHECK:         memref.dealloc %[[EMPTY]]
// CHECK:         memref.dealloc %[[ARENA]]
func.func private @use(memref<?x4xf32>, memref<?x4xf32>)
func.func private @use_empty(memref<0xf32>)
func.func @empty(%n: index) {
  %a = memref.alloc(%n) : memref<?x4xf32>
  %b = memref.alloc(%n) : memref<?x4xf32>
  %e = memref.alloc() : memref<0xf32>
  func.call @use(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
  func.call @use_empty(%e) : (memref<0xf32>) -> ()
  memref.dealloc %e : memref<0xf32>
  memref.dealloc %a : memref<?x4xf32>
  memref.dealloc %b : memref<?x4xf32>
  return
}

// -----

// A dynamic size read back from a buffer (the batch size of a flattened
// activation) is the batch size it was allocated with: the second buffer
// joins the arena, sized by the batch itself.
// CHECK-LABEL: func.func @batch_read_back(
// CHECK-SAME:      %[[N:.*]]: index)
// CHECK:         %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64, netc.bytes_per_sample = 128 : i64, netc.fixed_bytes = 0 : i64} : memref<?xi8>
// CHECK:         %[[A:.*]] = memref.view %[[ARENA]][%{{.*}}][%[[N]]] : memref<?xi8> to memref<?x2x2xf32>
// CHECK:         %[[B:.*]] = memref.view %[[ARENA]][%{{.*}}][%[[N]]] : memref<?xi8> to memref<?x4xf32>
// CHECK:         call @use(%[[A]], %[[B]])
// CHECK-NOT:     memref.alloc
func.func private @use(memref<?x2x2xf32>, memref<?x4xf32>)
func.func @batch_read_back(%n: index) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x2x2xf32>
  %flat = memref.collapse_shape %a [[0], [1, 2]] : memref<?x2x2xf32> into memref<?x4xf32>
  %m = memref.dim %flat, %c0 : memref<?x4xf32>
  %b = memref.alloc(%m) {alignment = 64 : i64} : memref<?x4xf32>
  func.call @use(%a, %b) : (memref<?x2x2xf32>, memref<?x4xf32>) -> ()
  memref.dealloc %a : memref<?x2x2xf32>
  memref.dealloc %b : memref<?x4xf32>
  return
}

// -----

// The branch of a conditional gets an arena of its own, sized by the batch
// defined before it.
// CHECK-LABEL: func.func @branch(
// CHECK-SAME:      %[[N:.*]]: index, %[[WANT:.*]]: i1)
// CHECK:         scf.if %[[WANT]] {
// CHECK:           %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64, netc.bytes_per_sample = 128 : i64, netc.fixed_bytes = 0 : i64} : memref<?xi8>
// CHECK:           memref.view %[[ARENA]][%{{.*}}][%[[N]]]
// CHECK:           memref.view %[[ARENA]][%{{.*}}][%[[N]]]
// CHECK:           call @use(
// CHECK-NEXT:      memref.dealloc %[[ARENA]]
// CHECK-NEXT:    }
func.func private @use(memref<?x4xf32>, memref<?x4xf32>)
func.func @branch(%n: index, %want: i1) {
  scf.if %want {
    %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    %b = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
    func.call @use(%a, %b) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
    memref.dealloc %a : memref<?x4xf32>
    memref.dealloc %b : memref<?x4xf32>
  }
  return
}
