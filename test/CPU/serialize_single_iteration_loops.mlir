// RUN: netc-opt %s --convert-scf-to-openmp --netc-serialize-single-iteration-loops | FileCheck %s

// A thread loop over the batch: the region runs threaded only when the
// loop has two iterations or more (ub - lb > step); at batch 1 libomp runs
// it on the calling thread.
// CHECK-LABEL: func.func @batch(
// CHECK-SAME:      %[[N:.*]]: index
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[SPAN:.*]] = arith.subi %[[N]], %[[C0]] : index
// CHECK-NEXT:    %[[MORE:.*]] = arith.cmpi sgt, %[[SPAN]], %[[C1]] : index
// CHECK-NEXT:    omp.parallel if(%[[MORE]])
// CHECK:           omp.loop_nest (%{{.*}}) : index = (%[[C0]]) to (%[[N]]) step (%[[C1]])
func.func @batch(%n: index, %buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %buf[%i] : memref<?xf32>
  }
  return
}

// Two loops: threaded when either runs two iterations or more.
// CHECK-LABEL: func.func @two_loops(
// CHECK-SAME:      %[[N:.*]]: index, %[[M:.*]]: index
// CHECK:         %[[A:.*]] = arith.cmpi sgt
// CHECK:         %[[B:.*]] = arith.cmpi sgt
// CHECK-NEXT:    %[[EITHER:.*]] = arith.ori %[[A]], %[[B]] : i1
// CHECK-NEXT:    omp.parallel if(%[[EITHER]])
func.func @two_loops(%n: index, %m: index, %buf: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %m) step (%c1, %c1) {
    memref.store %one, %buf[%i, %j] : memref<?x?xf32>
  }
  return
}
