// RUN: netc-opt %s --netc-outline-kernels | FileCheck %s

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0) -> (d0)>

// A linear layer: the bias broadcast is the matmul's destination producer
// and joins its kernel; the weight is a view of the flat parameters, cloned
// into the kernel with its offset as an argument (a constant at the call);
// the empty destination stays with the caller.
// CHECK-LABEL: func.func @linear(
// CHECK-SAME:      %[[P:.*]]: tensor<40xf32>, %[[X:.*]]: tensor<?x4xf32>, %[[N:.*]]: index)
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK:         %[[Y:.*]] = call @linear_kernel0(%[[P]], %[[C32]], %[[E]], %[[X]], %[[C8]]) :
// CHECK-SAME:      (tensor<40xf32>, index, tensor<?x8xf32>, tensor<?x4xf32>, index) -> tensor<?x8xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @linear(%p: tensor<40xf32>, %x: tensor<?x4xf32>, %n: index) -> tensor<?x8xf32> {
  %b = tensor.extract_slice %p[32] [8] [1] : tensor<40xf32> to tensor<8xf32>
  %wflat = tensor.extract_slice %p[8] [32] [1] : tensor<40xf32> to tensor<32xf32>
  %w = tensor.expand_shape %wflat [[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %bias = linalg.broadcast ins(%b : tensor<8xf32>) outs(%e : tensor<?x8xf32>) dimensions = [0]
  %y = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x8xf32>) outs(%bias : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
// CHECK-LABEL: func.func private @linear_kernel0(
// CHECK-SAME:      %[[KP:.*]]: tensor<40xf32>, %[[BOFF:.*]]: index, %[[KE:.*]]: tensor<?x8xf32>, %[[KX:.*]]: tensor<?x4xf32>, %[[WOFF:.*]]: index) -> tensor<?x8xf32>
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, netc.kernel, passthrough = ["noinline"]}
// CHECK-NEXT:    %[[KB:.*]] = tensor.extract_slice %[[KP]][%[[BOFF]]] [8] [1]
// CHECK-NEXT:    %[[BIAS:.*]] = linalg.broadcast ins(%[[KB]] : tensor<8xf32>) outs(%[[KE]] : tensor<?x8xf32>)
// CHECK-NEXT:    %[[KWF:.*]] = tensor.extract_slice %[[KP]][%[[WOFF]]] [32] [1]
// CHECK-NEXT:    %[[KW:.*]] = tensor.expand_shape %[[KWF]]
// CHECK-NEXT:    %[[R:.*]] = linalg.matmul ins(%[[KX]], %[[KW]] : {{.*}}) outs(%[[BIAS]] : tensor<?x8xf32>)
// CHECK-NEXT:    return %[[R]]

// Two kernels in program order: the producer's result is an argument of
// its consumer. A scalar from the caller used in a body is an argument; a
// constant is cloned. The result placed into a larger tensor brings its
// insert_slice: the kernel returns the whole destination. The slice it
// writes through and the insert share their offset arguments (equal
// offsets, one argument), so bufferization sees one place.
// CHECK-LABEL: func.func @concat(
// CHECK-SAME:      %[[A:.*]]: tensor<?x4xf32>, %[[S:.*]]: f32, %[[N:.*]]: index)
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         %[[T:.*]] = call @concat_kernel0(%[[A]], %[[E]], %[[S]])
// CHECK:         %[[BIG:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK:         %[[R:.*]] = call @concat_kernel1(%[[T]], %[[BIG]], %[[N]], %{{.*}}, %{{.*}})
// CHECK-NEXT:    return %[[R]]
func.func @concat(%a: tensor<?x4xf32>, %s: f32, %n: index) -> tensor<?x8xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %t = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %s : f32
    %r = arith.addf %m, %one : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %big = tensor.empty(%n) : tensor<?x8xf32>
  %half = tensor.extract_slice %big[0, 4] [%n, 4] [1, 1] : tensor<?x8xf32> to tensor<?x4xf32>
  %c = linalg.copy ins(%t : tensor<?x4xf32>) outs(%half : tensor<?x4xf32>) -> tensor<?x4xf32>
  %r = tensor.insert_slice %c into %big[0, 4] [%n, 4] [1, 1] : tensor<?x4xf32> into tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
// CHECK-LABEL: func.func private @concat_kernel0(
// CHECK-SAME:      %[[KA:.*]]: tensor<?x4xf32>, %[[KE:.*]]: tensor<?x4xf32>, %[[KS:.*]]: f32) -> tensor<?x4xf32>
// CHECK:         %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[KA]] : tensor<?x4xf32>) outs(%[[KE]] : tensor<?x4xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[KS]]
// CHECK:           arith.addf %{{.*}}, %[[ONE]]
// CHECK-LABEL: func.func private @concat_kernel1(
// CHECK-SAME:      %[[KT:.*]]: tensor<?x4xf32>, %[[KBIG:.*]]: tensor<?x8xf32>, %[[KN:.*]]: index, %[[O0:.*]]: index, %[[O1:.*]]: index) -> tensor<?x8xf32>
// CHECK-NEXT:    %[[HALF:.*]] = tensor.extract_slice %[[KBIG]][%[[O0]], %[[O1]]] [%[[KN]], 4] [1, 1]
// CHECK-NEXT:    %[[C:.*]] = linalg.copy ins(%[[KT]] : tensor<?x4xf32>) outs(%[[HALF]] : tensor<?x4xf32>)
// CHECK-NEXT:    %[[PLACED:.*]] = tensor.insert_slice %[[C]] into %[[KBIG]][%[[O0]], %[[O1]]] [%[[KN]], 4] [1, 1]
// CHECK-NEXT:    return %[[PLACED]]

// One empty tensor as the destination of both results: an argument each,
// so that both are written in place.
// CHECK-LABEL: func.func @two_results(
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<8xf32>
// CHECK-NEXT:    %{{.*}}:2 = call @two_results_kernel0(%{{.*}}, %[[E]], %[[E]])
// CHECK-LABEL: func.func private @two_results_kernel0(
// CHECK-SAME:      %[[X:.*]]: tensor<8xf32>, %[[D0:.*]]: tensor<8xf32>, %[[D1:.*]]: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>)
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[X]] : tensor<8xf32>) outs(%[[D0]], %[[D1]] : tensor<8xf32>, tensor<8xf32>)
func.func @two_results(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %r:2 = linalg.generic {indexing_maps = [#row, #row, #row], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e, %e : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%in: f32, %o0: f32, %o1: f32):
    %neg = arith.negf %in : f32
    linalg.yield %in, %neg : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  return %r#0, %r#1 : tensor<8xf32>, tensor<8xf32>
}

// A grouped op writes a reshaped view of its destination: the kernel
// undoes the view and returns its whole destination argument (which
// bufferization then drops); the caller redoes the view on the result.
// CHECK-LABEL: func.func @regrouped(
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK:         %[[W:.*]] = call @regrouped_kernel0(%{{.*}}, %[[E]], %{{.*}}) : {{.*}} -> tensor<?x6xf32>
// CHECK-NEXT:    %[[V:.*]] = tensor.expand_shape %[[W]] {{\[}}[0], [1, 2]]
// CHECK-NEXT:    %[[B:.*]] = tensor.collapse_shape %[[V]]
// CHECK-NEXT:    return %[[B]]
// CHECK-LABEL: func.func private @regrouped_kernel0(
// CHECK-SAME:      %[[X:.*]]: tensor<?x2x3xf32>, %[[D:.*]]: tensor<?x6xf32>, %{{.*}}: index) -> tensor<?x6xf32>
// CHECK-NEXT:    %[[VIEW:.*]] = tensor.expand_shape %[[D]]
// CHECK-NEXT:    %[[Y:.*]] = linalg.generic {{.*}} outs(%[[VIEW]] : tensor<?x2x3xf32>)
// CHECK:         %[[BACK:.*]] = tensor.collapse_shape %[[Y]]
// CHECK-NEXT:    return %[[BACK]] : tensor<?x6xf32>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @regrouped(%x: tensor<?x2x3xf32>, %n: index) -> tensor<?x6xf32> {
  %e = tensor.empty(%n) : tensor<?x6xf32>
  %g = tensor.expand_shape %e [[0], [1, 2]] output_shape [%n, 2, 3] : tensor<?x6xf32> into tensor<?x2x3xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<?x2x3xf32>) outs(%g : tensor<?x2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.addf %in, %in : f32
    linalg.yield %d : f32
  } -> tensor<?x2x3xf32>
  %back = tensor.collapse_shape %y [[0], [1, 2]] : tensor<?x2x3xf32> into tensor<?x6xf32>
  return %back : tensor<?x6xf32>
}

// One fill (CSE merged two) is the destination of two ops: each kernel gets
// a fill of its own and takes the empty tensor, so that neither copies a
// filled buffer.
// CHECK-LABEL: func.func @shared_fill(
// CHECK:         %[[E:.*]] = tensor.empty
// CHECK-NEXT:    %[[A:.*]] = call @shared_fill_kernel0(%[[E]], %{{.*}}) :
// CHECK-NEXT:    %[[B:.*]] = call @shared_fill_kernel1(%[[E]], %{{.*}}) :
// CHECK-NEXT:    return %[[A]], %[[B]]
// CHECK-LABEL: func.func private @shared_fill_kernel0(
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.reduce
// CHECK-LABEL: func.func private @shared_fill_kernel1(
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.reduce
func.func @shared_fill(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a = linalg.reduce { arith.addf } ins(%x : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
  %b = linalg.reduce { arith.maximumf } ins(%y : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// Two paddings of the same shape copy their inputs into the interior of one
// fill (CSE merged theirs): each gets a fill and an interior slice of its
// own, so that bufferization copies neither the filled buffer nor an
// interior, and each is one kernel: it takes the empty tensor, fills it
// and copies into the interior, at the same offsets as it inserts.
// CHECK-LABEL: func.func @shared_padding(
// CHECK-SAME:      %[[X:.*]]: tensor<2x4x4xf32>, %[[Y:.*]]: tensor<2x4x4xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<2x6x6xf32>
// CHECK-DAG:     %[[PX:.*]] = call @shared_padding_kernel{{[01]}}(%[[E]], %{{.*}}, %{{.*}}, %[[X]])
// CHECK-DAG:     %[[PY:.*]] = call @shared_padding_kernel{{[01]}}(%[[E]], %{{.*}}, %{{.*}}, %[[Y]])
// CHECK:         return %[[PX]], %[[PY]]
// CHECK-LABEL: func.func private @shared_padding_kernel0(
// CHECK-SAME:      %[[EMPTY:.*]]: tensor<2x6x6xf32>, %[[AT0:.*]]: index, %[[AT1:.*]]: index, %[[IN:.*]]: tensor<2x4x4xf32>)
// CHECK:         %[[FILLED:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<2x6x6xf32>)
// CHECK-NEXT:    %[[INTERIOR:.*]] = tensor.extract_slice %[[FILLED]][%[[AT0]], %[[AT1]], %[[AT1]]] [2, 4, 4] [1, 1, 1]
// CHECK-NEXT:    %[[COPIED:.*]] = linalg.copy ins(%[[IN]] : tensor<2x4x4xf32>) outs(%[[INTERIOR]] : tensor<2x4x4xf32>)
// CHECK-NEXT:    %[[PADDED:.*]] = tensor.insert_slice %[[COPIED]] into %[[FILLED]][%[[AT0]], %[[AT1]], %[[AT1]]] [2, 4, 4] [1, 1, 1]
// CHECK-NEXT:    return %[[PADDED]]
func.func @shared_padding(%x: tensor<2x4x4xf32>, %y: tensor<2x4x4xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x6x6xf32>) -> tensor<2x6x6xf32>
  %interior = tensor.extract_slice %f[0, 1, 1] [2, 4, 4] [1, 1, 1] : tensor<2x6x6xf32> to tensor<2x4x4xf32>
  %cx = linalg.copy ins(%x : tensor<2x4x4xf32>) outs(%interior : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %px = tensor.insert_slice %cx into %f[0, 1, 1] [2, 4, 4] [1, 1, 1] : tensor<2x4x4xf32> into tensor<2x6x6xf32>
  %cy = linalg.copy ins(%y : tensor<2x4x4xf32>) outs(%interior : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %py = tensor.insert_slice %cy into %f[0, 1, 1] [2, 4, 4] [1, 1, 1] : tensor<2x4x4xf32> into tensor<2x6x6xf32>
  return %px, %py : tensor<2x6x6xf32>, tensor<2x6x6xf32>
}

// A gradient placed into the packed gradients through a reshape: the
// kernel takes the reshape and the insert_slice, and its root writes
// straight into the slice (the empty tensor it started from is no longer
// an argument), so that bufferization needs neither temporary nor copy.
// CHECK-LABEL: func.func @placed_gradient(
// CHECK-SAME:      %[[X:.*]]: tensor<4x8xf32>, %[[G:.*]]: tensor<64xf32>)
// CHECK:         %[[R:.*]] = call @placed_gradient_kernel0(%[[X]], %[[G]], %{{.*}}) : (tensor<4x8xf32>, tensor<64xf32>, index) -> tensor<64xf32>
// CHECK-NEXT:    return %[[R]]
// CHECK-LABEL: func.func private @placed_gradient_kernel0(
// CHECK-SAME:      %[[KX:.*]]: tensor<4x8xf32>, %[[KG:.*]]: tensor<64xf32>, %[[OFF:.*]]: index)
// CHECK:         %[[SLOT:.*]] = tensor.extract_slice %[[KG]][%[[OFF]]] [32] [1]
// CHECK-NEXT:    %[[VIEW:.*]] = tensor.expand_shape %[[SLOT]] {{\[\[}}0, 1]] output_shape [4, 8]
// CHECK-NEXT:    %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[VIEW]] : tensor<4x8xf32>)
// CHECK-NEXT:    %[[Y:.*]] = linalg.add ins(%[[KX]], %[[KX]] : {{.*}}) outs(%[[F]] : tensor<4x8xf32>)
// CHECK-NEXT:    %[[FLAT:.*]] = tensor.collapse_shape %[[Y]]
// CHECK-NEXT:    %[[PLACED:.*]] = tensor.insert_slice %[[FLAT]] into %[[KG]][%[[OFF]]] [32] [1]
// CHECK-NEXT:    return %[[PLACED]]
func.func @placed_gradient(%x: tensor<4x8xf32>, %g: tensor<64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.add ins(%x, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %flat = tensor.collapse_shape %y [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  %placed = tensor.insert_slice %flat into %g[32] [32] [1] : tensor<32xf32> into tensor<64xf32>
  return %placed : tensor<64xf32>
}
