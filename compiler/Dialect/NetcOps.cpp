//===- NetcOps.cpp - netc op verifiers ------------------------------------===//
//
// Each verifier runs the op's shape rule (ShapeRules.cpp) and checks the
// result type against it, so IR and the frontend agree on every shape.
//
//===----------------------------------------------------------------------===//

#include "netc/Dialect/NetcOps.h"
#include "netc/Dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::netc;

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

static std::optional<ArrayRef<int64_t>> optionalShapeOf(Value v) {
  if (!v)
    return std::nullopt;
  return shapeOf(v);
}

/// Reports a shape-rule failure, or a result type that differs from the rule.
static LogicalResult verifyInferred(Operation *op, FailureOr<Shape> inferred,
                                    const ShapeError &error) {
  if (failed(inferred))
    return op->emitOpError() << error.field << ": " << error.message;
  ArrayRef<int64_t> actual = shapeOf(op->getResult(0));
  if (ArrayRef<int64_t>(*inferred) != actual) {
    auto diag = op->emitOpError("expected result shape (");
    llvm::interleaveComma(*inferred, diag, [&](int64_t d) {
      if (ShapedType::isDynamic(d))
        diag << "?";
      else
        diag << d;
    });
    return diag << "), got " << op->getResult(0).getType();
  }
  return success();
}

static LogicalResult verifyRule(Operation *op, LogicalResult checked,
                                const ShapeError &error) {
  if (failed(checked))
    return op->emitOpError() << error.field << ": " << error.message;
  return success();
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  ConvGeometry g{Shape(getStride()), Shape(getPaddingLow()),
                 Shape(getPaddingHigh()), Shape(getDilation()),
                 static_cast<int64_t>(getGroups()),
                 getPaddingMode()};
  ShapeError error;
  return verifyInferred(*this,
                        inferConvShape(shapeOf(getInput()), shapeOf(getWeight()),
                                       optionalShapeOf(getBias()), g, error),
                        error);
}

//===----------------------------------------------------------------------===//
// PoolOp
//===----------------------------------------------------------------------===//

LogicalResult PoolOp::verify() {
  PoolGeometry g{getKind(),          Shape(getKernelSize()), Shape(getStride()),
                 Shape(getPadding()), Shape(getDilation()),  getCeilMode(),
                 getCountIncludePad()};
  ShapeError error;
  return verifyInferred(*this, inferPoolShape(shapeOf(getInput()), g, error),
                        error);
}

//===----------------------------------------------------------------------===//
// AdaptiveAvgPoolOp
//===----------------------------------------------------------------------===//

LogicalResult AdaptiveAvgPoolOp::verify() {
  ShapeError error;
  return verifyInferred(
      *this,
      inferAdaptiveAvgPoolShape(shapeOf(getInput()), getOutputSize(), error),
      error);
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  ShapeError error;
  return verifyInferred(*this,
                        inferLinearShape(shapeOf(getInput()),
                                         shapeOf(getWeight()),
                                         optionalShapeOf(getBias()), error),
                        error);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp, LogSoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  ShapeError error;
  return verifyRule(*this,
                    checkReductionDim(shapeOf(getInput()), getDim(), error),
                    error);
}

LogicalResult LogSoftmaxOp::verify() {
  ShapeError error;
  return verifyRule(*this,
                    checkReductionDim(shapeOf(getInput()), getDim(), error),
                    error);
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  SmallVector<ArrayRef<int64_t>> perChannel{shapeOf(getRunningMean()),
                                            shapeOf(getRunningVar())};
  if (getWeight())
    perChannel.push_back(shapeOf(getWeight()));
  if (getBias())
    perChannel.push_back(shapeOf(getBias()));
  if (getEps().convertToFloat() <= 0.0f)
    return emitOpError("eps must be positive, got ")
           << getEps().convertToFloat();
  ShapeError error;
  return verifyInferred(
      *this, inferBatchNormShape(shapeOf(getInput()), perChannel, error),
      error);
}

//===----------------------------------------------------------------------===//
// DropoutOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  float p = getP().convertToFloat();
  if (p < 0.0f || p >= 1.0f)
    return emitOpError("p must be in [0, 1), got ") << p;
  return success();
}

//===----------------------------------------------------------------------===//
// FlattenOp
//===----------------------------------------------------------------------===//

LogicalResult FlattenOp::verify() {
  ShapeError error;
  return verifyInferred(*this,
                        inferFlattenShape(shapeOf(getInput()), getStartDim(),
                                          getEndDim(), error),
                        error);
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  ShapeError error;
  return verifyRule(*this,
                    checkReshape(shapeOf(getInput()), shapeOf(getResult()),
                                 error),
                    error);
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  SmallVector<Shape> shapes;
  for (Value v : getInputs())
    shapes.emplace_back(shapeOf(v));
  ShapeError error;
  return verifyInferred(*this, inferConcatShape(shapes, getDim(), error),
                        error);
}

#define GET_OP_CLASSES
#include "netc/Dialect/NetcOps.cpp.inc"
