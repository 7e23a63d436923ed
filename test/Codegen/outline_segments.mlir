// RUN: netc-opt %s --netc-outline-segments=ops-per-segment=2 | FileCheck %s
// RUN: netc-opt %s --netc-outline-segments=ops-per-segment=2 --convert-linalg-to-loops --convert-scf-to-cf --finalize-memref-to-llvm --convert-func-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// Four counted ops (constants and what segments recompute are not counted)
// in segments of two: the entry point calls two private noinline functions
// in order. Values made in a segment and used later are its results (the
// allocation here, whose size the segment computes by a call); values from
// before are its arguments; constants are cloned where they are used.
// CHECK-LABEL: func.func @entry(
// CHECK-SAME:      %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?x4xf32>)
// CHECK-NEXT:    %[[T:.*]] = call @entry_segment0(%[[X]]) : (memref<?x4xf32>) -> memref<?x4xf32>
// CHECK-NEXT:    call @entry_segment1(%[[T]], %[[Y]]) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
// CHECK-NEXT:    return
// CHECK:       func.func private @entry_segment1(%[[TA:.*]]: memref<?x4xf32>, %[[OUT:.*]]: memref<?x4xf32>) attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[TA]] : memref<?x4xf32>) outs(%[[OUT]] : memref<?x4xf32>)
// CHECK:           arith.maximumf %{{.*}}, %[[ZERO]]
// CHECK:         memref.dealloc %[[TA]]
// CHECK-NEXT:    return
// CHECK:       func.func private @entry_segment0(%[[IN:.*]]: memref<?x4xf32>) -> memref<?x4xf32> attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-NEXT:    %[[N:.*]] = call @rows(%[[IN]])
// CHECK-NEXT:    %[[TMP:.*]] = memref.alloc(%[[N]])
// CHECK-NEXT:    return %[[TMP]]

// An allocation that outlives its segment and is sized before it moves
// before it, and the segment takes the buffer rather than returning it:
// between calls the entry point holds a pointer per buffer, not a
// descriptor. A later segment frees the buffer it borrows.
// CHECK-LABEL: func.func @sized_before(
// CHECK-SAME:      %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?x4xf32>, %[[N:.*]]: index)
// CHECK-NEXT:    %[[T:.*]] = memref.alloc(%[[N]])
// CHECK-NEXT:    call @sized_before_segment0(%[[X]], %[[T]]) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
// CHECK-NEXT:    call @sized_before_segment1(%[[T]], %[[Y]]) : (memref<?x4xf32>, memref<?x4xf32>) -> ()
// CHECK-NEXT:    return
// CHECK:       func.func private @sized_before_segment1(%[[B:.*]]: memref<?x4xf32>, %{{.*}}: memref<?x4xf32>)
// CHECK:         memref.dealloc %[[B]]

// Views of an arena (netc-plan-buffers) and the index arithmetic of their
// offsets are recomputed in each segment that reads them: the entry point
// passes the arena and the batch size, and no view crosses a call.
// CHECK-LABEL: func.func @arena(
// CHECK-SAME:      %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?x4xf32>, %[[N:.*]]: index)
// CHECK-NEXT:    %[[C32:.*]] = arith.constant 32 : index
// CHECK-NEXT:    %[[BYTES:.*]] = arith.muli %[[N]], %[[C32]]
// CHECK-NEXT:    %[[ARENA:.*]] = memref.alloc(%[[BYTES]]) : memref<?xi8>
// CHECK-NEXT:    call @arena_segment0(%[[X]], %[[ARENA]], %[[N]])
// CHECK-NEXT:    call @arena_segment1(%[[ARENA]], %[[N]], %[[Y]])
// CHECK-NEXT:    call @arena_segment2(%[[ARENA]])
// CHECK-NEXT:    return
// CHECK:       func.func private @arena_segment2(%[[A2:.*]]: memref<?xi8>)
// CHECK-NEXT:    memref.dealloc %[[A2]]
// CHECK:       func.func private @arena_segment1(%[[A1:.*]]: memref<?xi8>, %[[N1:.*]]: index, %[[Y1:.*]]: memref<?x4xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[FIRST:.*]] = memref.view %[[A1]][%[[C0]]][%[[N1]]]
// CHECK-DAG:     %[[SHIFT:.*]] = arith.muli %[[N1]], %[[C16]]
// CHECK-DAG:     %[[SECOND:.*]] = memref.view %[[A1]][%[[SHIFT]]][%[[N1]]]
// CHECK:         linalg.copy ins(%[[FIRST]] : memref<?x4xf32>) outs(%[[SECOND]] : memref<?x4xf32>)
// CHECK-NEXT:    linalg.copy ins(%[[SECOND]] : memref<?x4xf32>) outs(%[[Y1]] : memref<?x4xf32>)
// CHECK-NEXT:    return
// CHECK:       func.func private @arena_segment0(
// CHECK:         memref.view
// CHECK-NEXT:    linalg.copy

// Segments pass memref descriptors; the entry point keeps the bare-pointer
// convention that its llvm.bareptr asks for.
// LLVM: llvm.func @entry(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64
// LLVM: llvm.func internal @entry_segment1({{.*}}) attributes {passthrough = ["noinline"]
// LLVM: llvm.func @bare(%{{.*}}: !llvm.ptr, %{{.*}}: i64)
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func private @rows(memref<?x4xf32>) -> index

func.func @entry(%x: memref<?x4xf32>, %y: memref<?x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = func.call @rows(%x) : (memref<?x4xf32>) -> index
  %t = memref.alloc(%n) : memref<?x4xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%t : memref<?x4xf32>) outs(%y : memref<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %t : memref<?x4xf32>
  return
}

func.func @bare(%p: memref<f32>, %n: i64) attributes {llvm.bareptr} {
  return
}

func.func @sized_before(%x: memref<?x4xf32>, %y: memref<?x4xf32>, %n: index) {
  %t = memref.alloc(%n) : memref<?x4xf32>
  linalg.copy ins(%x : memref<?x4xf32>) outs(%t : memref<?x4xf32>)
  linalg.copy ins(%t : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  memref.dealloc %t : memref<?x4xf32>
  return
}

func.func @arena(%x: memref<?x4xf32>, %y: memref<?x4xf32>, %n: index) {
  %c32 = arith.constant 32 : index
  %bytes = arith.muli %n, %c32 : index
  %arena = memref.alloc(%bytes) : memref<?xi8>
  %c0 = arith.constant 0 : index
  %a = memref.view %arena[%c0][%n] : memref<?xi8> to memref<?x4xf32>
  %c16 = arith.constant 16 : index
  %shift = arith.muli %n, %c16 : index
  %b = memref.view %arena[%shift][%n] : memref<?xi8> to memref<?x4xf32>
  linalg.copy ins(%x : memref<?x4xf32>) outs(%a : memref<?x4xf32>)
  linalg.copy ins(%a : memref<?x4xf32>) outs(%b : memref<?x4xf32>)
  linalg.copy ins(%b : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  memref.dealloc %arena : memref<?xi8>
  return
}

// A branch of a conditional (the input gradient computed on request) is cut
// into segments too; a view from before the conditional is recomputed in
// the segment that reads it.
// CHECK-LABEL: func.func @branch(
// CHECK-SAME:      %[[X:.*]]: memref<?x4xf32>, %[[Y:.*]]: memref<?x4xf32>, %[[ARENA:.*]]: memref<?xi8>, %[[N:.*]]: index, %[[WANT:.*]]: i1)
// CHECK-NEXT:    scf.if %[[WANT]] {
// CHECK-NEXT:      call @branch_segment0(%[[X]], %[[ARENA]], %[[N]])
// CHECK-NEXT:      call @branch_segment1(%[[ARENA]], %[[N]], %[[Y]])
// CHECK-NEXT:    }
// CHECK-NEXT:    return
// CHECK:       func.func private @branch_segment1(%[[BA:.*]]: memref<?xi8>, %[[BN:.*]]: index, %{{.*}}: memref<?x4xf32>)
// CHECK:         memref.view %[[BA]][%{{.*}}][%[[BN]]]
func.func @branch(%x: memref<?x4xf32>, %y: memref<?x4xf32>, %arena: memref<?xi8>, %n: index, %want: i1) {
  %c0 = arith.constant 0 : index
  %a = memref.view %arena[%c0][%n] : memref<?xi8> to memref<?x4xf32>
  scf.if %want {
    linalg.copy ins(%x : memref<?x4xf32>) outs(%a : memref<?x4xf32>)
    linalg.copy ins(%x : memref<?x4xf32>) outs(%a : memref<?x4xf32>)
    linalg.copy ins(%a : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
    linalg.copy ins(%a : memref<?x4xf32>) outs(%y : memref<?x4xf32>)
  }
  return
}
