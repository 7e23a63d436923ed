// RUN: netc-opt %s --netc-unshare-empty-tensors=uses-per-empty-tensor=2 | FileCheck %s

// Five elementwise ops share one empty tensor (as CSE leaves them): runs of
// two keep sharing, each later run gets its own copy, placed before its
// first user and sized by the same value.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:      %[[X:.*]]: tensor<?x4xf32>, %[[N:.*]]: index)
// CHECK:         %[[E0:.*]] = tensor.empty(%[[N]])
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[X]] {{.*}} outs(%[[E0]]
// CHECK:         %[[B:.*]] = linalg.generic {{.*}} ins(%[[A]] {{.*}} outs(%[[E0]]
// CHECK:         %[[E1:.*]] = tensor.empty(%[[N]])
// CHECK-NEXT:    %[[C:.*]] = linalg.generic {{.*}} ins(%[[B]] {{.*}} outs(%[[E1]]
// CHECK:         %[[D:.*]] = linalg.generic {{.*}} ins(%[[C]] {{.*}} outs(%[[E1]]
// CHECK:         %[[E2:.*]] = tensor.empty(%[[N]])
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[D]] {{.*}} outs(%[[E2]]
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @chain(%x: tensor<?x4xf32>, %n: index) -> tensor<?x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %c = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %d = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%c : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %f = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%d : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %f : tensor<?x4xf32>
}
