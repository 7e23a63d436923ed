// RUN: netc-opt %s --netc-approximate-vector-math | FileCheck %s

// Vector exp, log and tanh become polynomials (no math op left); exp and
// log step around the subnormal range, where the polynomials lose it.
// Scalars stay math ops, for libm. vector_math_ulp.test measures them.
// CHECK-LABEL: func @vectors
// CHECK-DAG:   arith.constant dense<-8.700000e+01> : vector<16xf32>
// CHECK-DAG:   arith.constant dense<1.17549435E-38> : vector<16xf32>
// CHECK-NOT:   math.exp
// CHECK-NOT:   math.log
// CHECK-NOT:   math.tanh
// CHECK:       return
func.func @vectors(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>) {
  %e = math.exp %x : vector<16xf32>
  %l = math.log %x : vector<16xf32>
  %t = math.tanh %x : vector<16xf32>
  return %e, %l, %t : vector<16xf32>, vector<16xf32>, vector<16xf32>
}

// CHECK-LABEL: func @scalars
// CHECK:       math.exp
// CHECK:       math.log
// CHECK:       math.tanh
func.func @scalars(%x: f32) -> (f32, f32, f32) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  return %e, %l, %t : f32, f32, f32
}
