// RUN: netc-opt %s --split-input-file --netc-free-temporaries --verify-diagnostics | FileCheck %s

// Each buffer is freed right after the last use of it or of a view of it,
// found at the level of its block (a use inside scf.if counts as the if).
// CHECK-LABEL: func.func @views_and_regions(
// CHECK:         %[[A:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         %[[B:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         linalg.copy ins(%{{.*}} : memref<?x4xf32>) outs(%[[A]]
// CHECK:         %[[V:.*]] = memref.collapse_shape %[[A]]
// CHECK:         linalg.copy ins(%[[V]] : memref<?xf32>) outs(%{{.*}} : memref<?xf32>)
// CHECK-NEXT:    memref.dealloc %[[A]] : memref<?x4xf32>
// CHECK:         linalg.copy ins(%{{.*}} : memref<?x4xf32>) outs(%[[B]]
// CHECK:         scf.if
// CHECK:           memref.subview %[[B]]
// CHECK:         }
// CHECK-NEXT:    memref.dealloc %[[B]] : memref<?x4xf32>
// CHECK-NEXT:    return
func.func @views_and_regions(%x: memref<?x4xf32>, %flat: memref<?xf32>, %n: index, %c: i1) {
  %a = memref.alloc(%n) : memref<?x4xf32>
  %b = memref.alloc(%n) : memref<?x4xf32>
  linalg.copy ins(%x : memref<?x4xf32>) outs(%a : memref<?x4xf32>)
  %v = memref.collapse_shape %a [[0, 1]] : memref<?x4xf32> into memref<?xf32>
  linalg.copy ins(%v : memref<?xf32>) outs(%flat : memref<?xf32>)
  linalg.copy ins(%x : memref<?x4xf32>) outs(%b : memref<?x4xf32>)
  scf.if %c {
    %s = memref.subview %b[0, 0] [1, 4] [1, 1] : memref<?x4xf32> to memref<1x4xf32, strided<[4, 1]>>
    %t = memref.subview %x[0, 0] [1, 4] [1, 1] : memref<?x4xf32> to memref<1x4xf32, strided<[4, 1]>>
    linalg.copy ins(%s : memref<1x4xf32, strided<[4, 1]>>) outs(%t : memref<1x4xf32, strided<[4, 1]>>)
  }
  return
}

// -----

// A buffer allocated inside a region is freed in that region.
// CHECK-LABEL: func.func @in_region(
// CHECK:         scf.if
// CHECK-NEXT:      %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT:      linalg.copy ins(%{{.*}} : memref<4xf32>) outs(%[[A]]
// CHECK-NEXT:      memref.dealloc %[[A]] : memref<4xf32>
func.func @in_region(%x: memref<4xf32>, %c: i1) {
  scf.if %c {
    %a = memref.alloc() : memref<4xf32>
    linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  }
  return
}

// -----

// A returned buffer (or view of one) belongs to the caller.
// CHECK-LABEL: func.func @returned(
// CHECK-NOT:     memref.dealloc
// CHECK:         return
func.func @returned(%n: index) -> memref<?xf32> {
  %a = memref.alloc(%n) : memref<?xf32>
  %c = memref.cast %a : memref<?xf32> to memref<?xf32>
  return %c : memref<?xf32>
}

// -----

// A buffer yielded out of a region cannot be freed where it is allocated.
func.func @yielded(%n: index, %c: i1) -> memref<?xf32> {
  %r = scf.if %c -> memref<?xf32> {
    // expected-error @+1 {{cannot be freed by netc-free-temporaries: it leaves its block}}
    %a = memref.alloc(%n) : memref<?xf32>
    // expected-note @+1 {{through this use}}
    scf.yield %a : memref<?xf32>
  } else {
    %b = memref.alloc(%n) : memref<?xf32>
    scf.yield %b : memref<?xf32>
  }
  return %r : memref<?xf32>
}

// -----

// A call that returns a buffer may return one of its operands: which
// buffers stay alive after it is unknown (kernels return nothing once
// bufferized, so this is a pipeline error, not a model's).
func.func private @kernel(memref<?xf32>) -> memref<?xf32>
func.func @call_returns_buffer(%n: index) {
  %a = memref.alloc(%n) : memref<?xf32>
  // expected-error @+1 {{returns a buffer, which netc-free-temporaries cannot track}}
  %b = call @kernel(%a) : (memref<?xf32>) -> memref<?xf32>
  return
}
