//===- NetcInterfaces.td - netc op interfaces --------------*- tablegen -*-===//
#ifndef NETC_DIALECT_NETCINTERFACES_TD
#define NETC_DIALECT_NETCINTERFACES_TD

include "mlir/IR/OpBase.td"

def Netc_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::netc";
  let description = [{
    An op that knows its reverse-mode gradient rule: given the gradients of
    the loss with respect to its results, it builds the gradients with respect
    to its operands. netc-autodiff walks a model backwards calling this; the
    rules live in NetcGradients.cpp, in NetcOps.td order.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point (after the op), the gradient
        of each operand from `resultGrads` (one per result; null where the
        result does not reach the loss). Appends one value per operand to
        `operandGrads`: null for an operand that takes no gradient (labels,
        running statistics, seeds).
      }],
      "void", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // NETC_DIALECT_NETCINTERFACES_TD
