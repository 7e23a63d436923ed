// RUN: netc-opt %s --netc-guard-entry-points | FileCheck %s

// Each entry point becomes `<name>.body`, private, and the exported
// function of its name checks the arguments by EntryPointABI: the batch
// first (not negative, and not so large that the bytes of a buffer, here
// at most 4096 a sample, overflow 64 bits), then each pointer in order. A
// pointer to samples may be NULL when the batch is 0; the body is called
// once every check passes.
// CHECK-DAG: llvm.mlir.global internal constant @netc_message_net_forward_0("net_forward: batch is negative\00")
// CHECK-DAG: llvm.mlir.global internal constant @netc_message_net_forward_1("net_forward: batch is over 2251799813685247, the most samples whose buffers' sizes fit in 64 bits\00")
// CHECK-DAG: llvm.mlir.global internal constant @netc_message_net_forward_2("net_forward: params is NULL\00")
// CHECK-DAG: llvm.mlir.global internal constant @netc_message_net_forward_4("net_forward: output is NULL\00")
// CHECK-DAG: llvm.mlir.global internal constant @netc_message_net_backward_0("net_backward: batch is less than 1\00")
// CHECK-DAG: func.func private @netc_entry_point_error(i32, !llvm.ptr) -> i32
// CHECK-LABEL: func.func private @net_forward.body(
// CHECK-SAME:      attributes {llvm.bareptr}
// CHECK-LABEL: func.func @net_forward(
// CHECK-SAME:      %[[P:[a-z0-9]+]]: memref<f32>, %[[X:[a-z0-9]+]]: memref<f32>, %[[Y:[a-z0-9]+]]: memref<f32>, %[[N:[a-z0-9]+]]: i64) -> i32
// CHECK-SAME:      attributes {llvm.bareptr}
// CHECK:         %[[NEG:.*]] = arith.cmpi slt, %[[N]], %[[ZERO:.*]] : i64
// CHECK-NEXT:    cf.cond_br %[[NEG]], ^[[REFUSE:.*]], ^[[NEXT:bb[0-9]+]]
// CHECK:       ^[[REFUSE]]:
// CHECK-NEXT:    %[[MSG:.*]] = llvm.mlir.addressof @netc_message_net_forward_0
// CHECK:         %[[S:.*]] = call @netc_entry_point_error(%c5_i32, %{{.*}})
// CHECK-NEXT:    return %[[S]] : i32
// CHECK:       ^[[NEXT]]:
// CHECK-NEXT:    %[[MOST:.*]] = arith.constant 2251799813685247 : i64
// CHECK-NEXT:    %[[OVER:.*]] = arith.cmpi sgt, %[[N]], %[[MOST]] : i64
// CHECK-NEXT:    cf.cond_br %[[OVER]], ^{{.*}}, ^[[CHECKED:bb[0-9]+]]
// CHECK:       ^[[CHECKED]]:
// CHECK-NEXT:    %[[SAMPLES:.*]] = arith.cmpi sgt, %[[N]], %[[ZERO]] : i64
// CHECK:         %[[PA:.*]] = memref.extract_aligned_pointer_as_index %[[P]]
// CHECK-NEXT:    %[[PNULL:.*]] = arith.cmpi eq, %[[PA]]
// CHECK-NEXT:    cf.cond_br %[[PNULL]]
// CHECK:         %[[XA:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK-NEXT:    %[[XNULL:.*]] = arith.cmpi eq, %[[XA]]
// CHECK-NEXT:    %[[XBAD:.*]] = arith.andi %[[XNULL]], %[[SAMPLES]]
// CHECK-NEXT:    cf.cond_br %[[XBAD]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK:         call @net_forward.body(%[[P]], %[[X]], %[[Y]], %[[N]])
// CHECK-NEXT:    %[[OK:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    return %[[OK]] : i32
func.func @net_forward(%params: memref<f32>, %input: memref<f32>, %output: memref<f32>, %batch: i64)
    attributes {llvm.bareptr, netc.entry_point = "forward", netc.param_floats = 32 : i64,
                netc.sample_bytes = 4096 : i64} {
  return
}

// Without parameters, the parameter buffer may be NULL.
// CHECK-LABEL: func.func @free_forward(
// CHECK-SAME:      %[[FP:[a-z0-9]+]]: memref<f32>, %[[FX:[a-z0-9]+]]: memref<f32>
// CHECK-NOT:     memref.extract_aligned_pointer_as_index %[[FP]]
// CHECK:         memref.extract_aligned_pointer_as_index %[[FX]]
// CHECK:         call @free_forward.body
func.func @free_forward(%params: memref<f32>, %input: memref<f32>, %output: memref<f32>, %batch: i64)
    attributes {llvm.bareptr, netc.entry_point = "forward", netc.param_floats = 0 : i64} {
  return
}

// A training entry point takes at least one sample (its loss is a mean;
// the message is among the globals above), and the input gradient's buffer
// is optional: the body skips it when NULL.
// CHECK-LABEL: func.func @net_backward(
// CHECK-SAME:      %[[DX:[a-z0-9]+]]: memref<f32>) -> i32
// CHECK-NOT:     memref.extract_aligned_pointer_as_index %[[DX]]
// CHECK:         call @net_backward.body
func.func @net_backward(%params: memref<f32>, %input: memref<f32>, %target: memref<i32>, %batch: i64,
                        %seed: i64, %grads: memref<f32>, %loss: memref<f32>, %input_grad: memref<f32>)
    attributes {llvm.bareptr, netc.entry_point = "backward", netc.param_floats = 32 : i64} {
  return
}
