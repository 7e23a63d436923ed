// RUN: netc-opt %s --split-input-file --netc-deduplicate-kernels | FileCheck %s

// Three kernels: @k1 is @k0 under another name and other locations, @k2
// adds a different constant. Calls to @k1 go to @k0, and @k1 is gone;
// functions that are not kernels are left alone even when identical.
// CHECK-LABEL: func.func @entry(
// CHECK:         call @k0(
// CHECK-NEXT:    call @k0(
// CHECK-NEXT:    call @k2(
// CHECK-NEXT:    call @helper_copy(
// CHECK:       func.func private @k0(
// CHECK-NOT:   func.func private @k1(
// CHECK:       func.func private @k2(
// CHECK:       func.func private @helper(
// CHECK:       func.func private @helper_copy(
func.func @entry(%x: tensor<8xf32>) -> tensor<8xf32> {
  %a = call @k0(%x) : (tensor<8xf32>) -> tensor<8xf32>
  %b = call @k1(%a) : (tensor<8xf32>) -> tensor<8xf32>
  %c = call @k2(%b) : (tensor<8xf32>) -> tensor<8xf32>
  %d = call @helper_copy(%c) : (tensor<8xf32>) -> tensor<8xf32>
  return %d : tensor<8xf32>
}
func.func private @k0(%x: tensor<8xf32>) -> tensor<8xf32> attributes {netc.kernel} {
  %one = arith.constant dense<1.0> : tensor<8xf32>
  %r = arith.addf %x, %one : tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func private @k1(%x: tensor<8xf32>) -> tensor<8xf32> attributes {netc.kernel} {
  %one = arith.constant dense<1.0> : tensor<8xf32> loc("layer2.mlir":3:4)
  %r = arith.addf %x, %one : tensor<8xf32> loc("layer2.mlir":4:4)
  return %r : tensor<8xf32>
}
func.func private @k2(%x: tensor<8xf32>) -> tensor<8xf32> attributes {netc.kernel} {
  %two = arith.constant dense<2.0> : tensor<8xf32>
  %r = arith.addf %x, %two : tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func private @helper(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}
func.func private @helper_copy(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}

// -----

// The same ops reading their values in another order (which a hash of the
// ops alone does not see) are different kernels.
// CHECK-LABEL: func.func @operand_order(
// CHECK:         call @x_minus_one(
// CHECK-NEXT:    call @one_minus_x(
// CHECK:       func.func private @x_minus_one(
// CHECK:       func.func private @one_minus_x(
func.func @operand_order(%x: tensor<8xf32>) -> tensor<8xf32> {
  %a = call @x_minus_one(%x) : (tensor<8xf32>) -> tensor<8xf32>
  %b = call @one_minus_x(%a) : (tensor<8xf32>) -> tensor<8xf32>
  return %b : tensor<8xf32>
}
func.func private @x_minus_one(%x: tensor<8xf32>) -> tensor<8xf32> attributes {netc.kernel} {
  %one = arith.constant dense<1.0> : tensor<8xf32>
  %r = arith.subf %x, %one : tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func private @one_minus_x(%x: tensor<8xf32>) -> tensor<8xf32> attributes {netc.kernel} {
  %one = arith.constant dense<1.0> : tensor<8xf32>
  %r = arith.subf %one, %x : tensor<8xf32>
  return %r : tensor<8xf32>
}
