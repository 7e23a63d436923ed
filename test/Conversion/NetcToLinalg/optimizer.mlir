// RUN: netc-opt %s --convert-netc-to-linalg --split-input-file | FileCheck %s

// sgd_update: the flags become i1 conditions outside the loop (weight_decay,
// momentum, nesterov, first_step != 0) and 1 - dampening is computed once;
// one elementwise generic yields the new parameter and buffer in torch's
// order: d_p = grad + wd * p; buf = first ? d_p : buf * momentum +
// (1 - dampening) * d_p; d_p = nesterov ? d_p + momentum * buf : buf (the
// buffer passed through and d_p kept without momentum); p - lr * d_p. It
// runs on the tensors flattened to one row, and its results get their shape
// back.
// CHECK-LABEL: func @sgd_update
// CHECK-SAME:    (%[[P:.*]]: tensor<10x20xf32>, %[[G:.*]]: tensor<10x20xf32>, %[[B:.*]]: tensor<10x20xf32>, %[[LR:.*]]: f32, %[[MOM:.*]]: f32, %[[DAMP:.*]]: f32, %[[WD:.*]]: f32, %[[NEST:.*]]: f32, %[[FIRST:.*]]: f32)
// CHECK:       %[[HASWD:.*]] = arith.cmpf une, %[[WD]], %{{.*}} : f32
// CHECK:       %[[HASMOM:.*]] = arith.cmpf une, %[[MOM]], %{{.*}} : f32
// CHECK:       %[[ISNEST:.*]] = arith.cmpf une, %[[NEST]], %{{.*}} : f32
// CHECK:       %[[ISFIRST:.*]] = arith.cmpf une, %[[FIRST]], %{{.*}} : f32
// CHECK:       %[[UNDAMPED:.*]] = arith.subf %{{.*}}, %[[DAMP]] : f32
// CHECK:       %[[FP:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0, 1]] : tensor<10x20xf32> into tensor<200xf32>
// CHECK:       %[[FG:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0, 1]]
// CHECK:       %[[FB:.*]] = tensor.collapse_shape %[[B]] {{\[}}[0, 1]]
// CHECK:       %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[FP]], %[[FG]], %[[FB]] : tensor<200xf32>, tensor<200xf32>, tensor<200xf32>)
// CHECK:       ^bb0(%[[PE:.*]]: f32, %[[GE:.*]]: f32, %[[BE:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[WDP:.*]] = arith.mulf %[[WD]], %[[PE]] : f32
// CHECK:         %[[GWD:.*]] = arith.addf %[[GE]], %[[WDP]] : f32
// CHECK:         %[[DP:.*]] = arith.select %[[HASWD]], %[[GWD]], %[[GE]] : f32
// CHECK:         %[[BM:.*]] = arith.mulf %[[BE]], %[[MOM]] : f32
// CHECK:         %[[DD:.*]] = arith.mulf %[[UNDAMPED]], %[[DP]] : f32
// CHECK:         %[[DECAYED:.*]] = arith.addf %[[BM]], %[[DD]] : f32
// CHECK:         %[[FB:.*]] = arith.select %[[ISFIRST]], %[[DP]], %[[DECAYED]] : f32
// CHECK:         %[[NEWB:.*]] = arith.select %[[HASMOM]], %[[FB]], %[[BE]] : f32
// CHECK:         %[[MB:.*]] = arith.mulf %[[MOM]], %[[NEWB]] : f32
// CHECK:         %[[NESTED:.*]] = arith.addf %[[DP]], %[[MB]] : f32
// CHECK:         %[[STEP:.*]] = arith.select %[[ISNEST]], %[[NESTED]], %[[NEWB]] : f32
// CHECK:         %[[D:.*]] = arith.select %[[HASMOM]], %[[STEP]], %[[DP]] : f32
// CHECK:         %[[LRD:.*]] = arith.mulf %[[LR]], %[[D]] : f32
// CHECK:         %[[NEWP:.*]] = arith.subf %[[PE]], %[[LRD]] : f32
// CHECK:         linalg.yield %[[NEWP]], %[[NEWB]] : f32, f32
// CHECK:       %[[NP:.*]] = tensor.expand_shape %[[R]]#0 {{\[}}[0, 1]] output_shape [10, 20] : tensor<200xf32> into tensor<10x20xf32>
// CHECK:       %[[NB:.*]] = tensor.expand_shape %[[R]]#1 {{\[}}[0, 1]] output_shape [10, 20]
// CHECK:       return %[[NP]], %[[NB]]
func.func @sgd_update(%p: tensor<10x20xf32>, %g: tensor<10x20xf32>, %b: tensor<10x20xf32>,
                      %lr: f32, %momentum: f32, %dampening: f32, %wd: f32, %nesterov: f32,
                      %first: f32) -> (tensor<10x20xf32>, tensor<10x20xf32>) {
  %p2, %b2 = netc.sgd_update %p, %g, %b, %lr, %momentum, %dampening, %wd, %nesterov, %first
      : tensor<10x20xf32>, f32
  return %p2, %b2 : tensor<10x20xf32>, tensor<10x20xf32>
}

// -----

// adam_update: 1 - lr * wd, 1 - beta1, 1 - beta2, sqrt(bias_correction2) and
// lr / bias_correction1 are computed once; per element, Adam adds wd * p to
// the gradient (wd != 0, not decoupled) and AdamW scales p by 1 - lr * wd
// instead; m = m * beta1 + (1 - beta1) * g; v = v * beta2 + (1 - beta2) * g
// * g; p - (step * m) / (sqrt(v) / sqrt(bc2) + eps).
// CHECK-LABEL: func @adam_update
// CHECK-SAME:    (%[[P:.*]]: tensor<10xf32>, %[[G:.*]]: tensor<10xf32>, %[[M:.*]]: tensor<10xf32>, %[[V:.*]]: tensor<10xf32>, %[[LR:.*]]: f32, %[[B1:.*]]: f32, %[[B2:.*]]: f32, %[[EPS:.*]]: f32, %[[WD:.*]]: f32, %[[DEC:.*]]: f32, %[[BC1:.*]]: f32, %[[BC2:.*]]: f32)
// CHECK:       %[[ISDEC:.*]] = arith.cmpf une, %[[DEC]], %{{.*}} : f32
// CHECK:       %[[HASWD:.*]] = arith.cmpf une, %[[WD]], %{{.*}} : f32
// CHECK:       %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]] : f32
// CHECK:       %[[SHRINK:.*]] = arith.subf %{{.*}}, %[[LRWD]] : f32
// CHECK:       %[[W1:.*]] = arith.subf %{{.*}}, %[[B1]] : f32
// CHECK:       %[[W2:.*]] = arith.subf %{{.*}}, %[[B2]] : f32
// CHECK:       %[[SQBC2:.*]] = math.sqrt %[[BC2]] : f32
// CHECK:       %[[STEPSIZE:.*]] = arith.divf %[[LR]], %[[BC1]] : f32
// CHECK:       %[[R:.*]]:3 = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[P]], %[[G]], %[[M]], %[[V]] : tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>)
// CHECK:       ^bb0(%[[PE:.*]]: f32, %[[GE:.*]]: f32, %[[ME:.*]]: f32, %[[VE:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:         %[[WDP:.*]] = arith.mulf %[[WD]], %[[PE]] : f32
// CHECK:         %[[GWD:.*]] = arith.addf %[[GE]], %[[WDP]] : f32
// CHECK:         %[[GD:.*]] = arith.select %[[HASWD]], %[[GWD]], %[[GE]] : f32
// CHECK:         %[[GRAD:.*]] = arith.select %[[ISDEC]], %[[GE]], %[[GD]] : f32
// CHECK:         %[[PS:.*]] = arith.mulf %[[PE]], %[[SHRINK]] : f32
// CHECK:         %[[PD:.*]] = arith.select %[[ISDEC]], %[[PS]], %[[PE]] : f32
// CHECK:         %[[MB:.*]] = arith.mulf %[[ME]], %[[B1]] : f32
// CHECK:         %[[MG:.*]] = arith.mulf %[[W1]], %[[GRAD]] : f32
// CHECK:         %[[NEWM:.*]] = arith.addf %[[MB]], %[[MG]] : f32
// CHECK:         %[[VB:.*]] = arith.mulf %[[VE]], %[[B2]] : f32
// CHECK:         %[[VG:.*]] = arith.mulf %[[W2]], %[[GRAD]] : f32
// CHECK:         %[[VGG:.*]] = arith.mulf %[[VG]], %[[GRAD]] : f32
// CHECK:         %[[NEWV:.*]] = arith.addf %[[VB]], %[[VGG]] : f32
// CHECK:         %[[SQ:.*]] = math.sqrt %[[NEWV]] : f32
// CHECK:         %[[SCALED:.*]] = arith.divf %[[SQ]], %[[SQBC2]] : f32
// CHECK:         %[[DENOM:.*]] = arith.addf %[[SCALED]], %[[EPS]] : f32
// CHECK:         %[[NUM:.*]] = arith.mulf %[[STEPSIZE]], %[[NEWM]] : f32
// CHECK:         %[[UPD:.*]] = arith.divf %[[NUM]], %[[DENOM]] : f32
// CHECK:         %[[NEWP:.*]] = arith.subf %[[PD]], %[[UPD]] : f32
// CHECK:         linalg.yield %[[NEWP]], %[[NEWM]], %[[NEWV]] : f32, f32, f32
// CHECK:       return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_update(%p: tensor<10xf32>, %g: tensor<10xf32>, %m: tensor<10xf32>, %v: tensor<10xf32>,
                       %lr: f32, %beta1: f32, %beta2: f32, %eps: f32, %wd: f32, %decoupled: f32,
                       %bc1: f32, %bc2: f32) -> (tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) {
  %p2, %m2, %v2 = netc.adam_update %p, %g, %m, %v, %lr, %beta1, %beta2, %eps, %wd, %decoupled,
      %bc1, %bc2 : tensor<10xf32>, f32
  return %p2, %m2, %v2 : tensor<10xf32>, tensor<10xf32>, tensor<10xf32>
}
