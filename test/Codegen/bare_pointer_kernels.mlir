// RUN: netc-opt %s --netc-bare-pointer-kernels | FileCheck %s
// RUN: netc-opt %s --netc-bare-pointer-kernels --finalize-memref-to-llvm --convert-func-to-llvm --convert-arith-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// The kernel takes a pointer per buffer and an index per dynamic size, and
// rebuilds each memref (row-major strides: a dynamic inner size makes the
// outer strides products).
// CHECK-LABEL: func.func private @kernel(
// CHECK-SAME:      %[[XP:.*]]: memref<f32>, %[[XN:.*]]: index, %[[WP:.*]]: memref<f32>, %[[I:.*]]: index, %[[YP:.*]]: memref<f32>, %[[YN:.*]]: index, %[[YM:.*]]: index)
// CHECK-SAME:      attributes {llvm.bareptr, netc.kernel}
// CHECK:         %[[X:.*]] = memref.reinterpret_cast %[[XP]] to offset: [0], sizes: [%[[XN]], 16], strides: [16, 1] : memref<f32> to memref<?x16xf32>
// CHECK:         %[[W:.*]] = memref.reinterpret_cast %[[WP]] to offset: [0], sizes: [16, 4], strides: [4, 1] : memref<f32> to memref<16x4xf32>
// CHECK:         %[[STRIDE:.*]] = arith.muli %[[YM]], %{{.*}} : index
// CHECK:         %[[Y:.*]] = memref.reinterpret_cast %[[YP]] to offset: [0], sizes: [%[[YN]], %[[YM]], 2], strides: [%[[STRIDE]], 2, 1] : memref<f32> to memref<?x?x2xf32>
// CHECK:         call @use(%[[X]], %[[W]], %[[Y]], %[[I]])
func.func private @use(memref<?x16xf32>, memref<16x4xf32>, memref<?x?x2xf32>, index)
func.func private @kernel(%x: memref<?x16xf32>, %w: memref<16x4xf32>, %i: index, %y: memref<?x?x2xf32>) attributes {netc.kernel} {
  func.call @use(%x, %w, %y, %i) : (memref<?x16xf32>, memref<16x4xf32>, memref<?x?x2xf32>, index) -> ()
  return
}

// A call passes a view of an arena as a rank-0 view at the same place, with
// the view's sizes (the view itself goes), and any other buffer as a
// rank-0 cast of it and its dynamic sizes.
// CHECK-LABEL: func.func @caller(
// CHECK-SAME:      %[[ARENA:.*]]: memref<?xi8>, %[[SHIFT:.*]]: index, %[[N:.*]]: index, %[[W:.*]]: memref<16x4xf32>, %[[Y:.*]]: memref<?x?x2xf32>)
// CHECK-NOT:     memref<?x16xf32>
// CHECK:         %[[XP:.*]] = memref.view %[[ARENA]][%[[SHIFT]]][] : memref<?xi8> to memref<f32>
// CHECK:         %[[WP:.*]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [], strides: [] : memref<16x4xf32> to memref<f32>
// CHECK:         %[[YP:.*]] = memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [], strides: [] : memref<?x?x2xf32> to memref<f32>
// CHECK:         %[[YN:.*]] = memref.dim %[[Y]], %{{.*}}
// CHECK:         %[[YM:.*]] = memref.dim %[[Y]], %{{.*}}
// CHECK:         call @kernel(%[[XP]], %[[N]], %[[WP]], %[[N]], %[[YP]], %[[YN]], %[[YM]])
// CHECK-NEXT:    return
func.func @caller(%arena: memref<?xi8>, %shift: index, %n: index, %w: memref<16x4xf32>, %y: memref<?x?x2xf32>) {
  %x = memref.view %arena[%shift][%n] : memref<?xi8> to memref<?x16xf32>
  func.call @kernel(%x, %w, %n, %y) : (memref<?x16xf32>, memref<16x4xf32>, index, memref<?x?x2xf32>) -> ()
  return
}

// A kernel that takes a strided view is left as it is.
// CHECK-LABEL: func.func private @strided(
// CHECK-SAME:      memref<4xf32, strided<[2]>>
// CHECK-NOT:     llvm.bareptr
func.func private @strided(%x: memref<4xf32, strided<[2]>>) attributes {netc.kernel} {
  return
}

// A kernel call is a call with plain pointers and sizes.
// LLVM: llvm.func @kernel(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM: llvm.call @kernel(%{{.*}}) : (!llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, i64, i64) -> ()
