// RUN: netc-opt %s --netc-check-allocations | FileCheck %s

// Each malloc's result is tested: null calls the runtime's
// netc_out_of_memory with the size, which does not return.
// CHECK: llvm.func @netc_out_of_memory(i64) attributes {passthrough = ["noreturn", "cold"]}
// CHECK-LABEL: llvm.func @step(
// CHECK-SAME:      %[[N:.*]]: i64)
// CHECK:         %[[P:.*]] = llvm.call @malloc(%[[N]]) : (i64) -> !llvm.ptr
// CHECK-NEXT:    %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK-NEXT:    %[[FAILED:.*]] = llvm.icmp "eq" %[[P]], %[[NULL]] : !llvm.ptr
// CHECK-NEXT:    llvm.cond_br %[[FAILED]], ^[[FAIL:bb[0-9]+]], ^[[GO:bb[0-9]+]]
// CHECK-NEXT:  ^[[FAIL]]:
// CHECK-NEXT:    llvm.call @netc_out_of_memory(%[[N]]) : (i64) -> ()
// CHECK-NEXT:    llvm.unreachable
// CHECK-NEXT:  ^[[GO]]:
// CHECK:         llvm.store
// CHECK-NEXT:    llvm.call @free(%[[P]])
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @free(!llvm.ptr)
llvm.func @step(%n: i64) {
  %p = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
  %zero = llvm.mlir.constant(0.0 : f32) : f32
  llvm.store %zero, %p : f32, !llvm.ptr
  llvm.call @free(%p) : (!llvm.ptr) -> ()
  llvm.return
}
