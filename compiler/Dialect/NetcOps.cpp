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

/// The geometry of a convolution-like op (the forward op or a gradient).
template <typename OpTy>
static ConvGeometry getConvGeometry(OpTy op) {
  return ConvGeometry{Shape(op.getStride()),     Shape(op.getPaddingLow()),
                      Shape(op.getPaddingHigh()), Shape(op.getDilation()),
                      static_cast<int64_t>(op.getGroups()),
                      op.getPaddingMode()};
}

/// The geometry of a pooling op or its gradient.
template <typename OpTy>
static PoolGeometry getPoolGeometry(OpTy op) {
  return PoolGeometry{op.getKind(),          Shape(op.getKernelSize()),
                      Shape(op.getStride()), Shape(op.getPadding()),
                      Shape(op.getDilation()), op.getCeilMode(),
                      op.getCountIncludePad()};
}

/// A gradient op's check: the forward op's shape rule, applied to the shapes
/// the gradient op implies, must give the shape of the result gradient.
static LogicalResult verifyForwardRule(Operation *op, FailureOr<Shape> forward,
                                       const ShapeError &error,
                                       Value resultGrad, StringRef forwardOf) {
  if (failed(forward))
    return op->emitOpError() << error.field << ": " << error.message;
  if (ArrayRef<int64_t>(*forward) != shapeOf(resultGrad))
    return op->emitOpError("result_grad type ")
           << resultGrad.getType() << " is not the " << forwardOf;
  return success();
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  ShapeError error;
  return verifyInferred(*this,
                        inferConvShape(shapeOf(getInput()), shapeOf(getWeight()),
                                       optionalShapeOf(getBias()),
                                       getConvGeometry(*this), error),
                        error);
}

//===----------------------------------------------------------------------===//
// PoolOp
//===----------------------------------------------------------------------===//

LogicalResult PoolOp::verify() {
  ShapeError error;
  return verifyInferred(
      *this, inferPoolShape(shapeOf(getInput()), getPoolGeometry(*this), error),
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

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

/// Checks that a gradient has the shape of the value it is the gradient of.
static LogicalResult verifySameShape(Operation *op, Value grad, Value value,
                                     StringRef what) {
  if (shapeOf(grad) != shapeOf(value))
    return op->emitOpError() << what << " has type " << grad.getType()
                             << ", expected the shape of " << value.getType();
  return success();
}

/// Logits (N, C) and labels (N).
static LogicalResult verifyClassification(Operation *op, Value logits,
                                          Value labels, float smoothing) {
  if (shapeOf(logits).size() != 2 || shapeOf(labels).size() != 1)
    return op->emitOpError("expects (N, C) logits and (N) labels, got ")
           << logits.getType() << " and " << labels.getType();
  if (smoothing < 0.0f || smoothing > 1.0f)
    return op->emitOpError("label_smoothing must be in [0, 1], got ")
           << smoothing;
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  return verifyClassification(*this, getLogits(), getLabels(),
                              getLabelSmoothing().convertToFloat());
}

LogicalResult CrossEntropyGradOp::verify() {
  if (failed(verifyClassification(*this, getLogits(), getLabels(),
                                  getLabelSmoothing().convertToFloat())))
    return failure();
  return verifySameShape(*this, getLogitsGrad(), getLogits(), "logits_grad");
}

LogicalResult MseLossOp::verify() {
  return verifySameShape(*this, getTarget(), getInput(), "target");
}

LogicalResult MseLossGradOp::verify() {
  if (failed(verifySameShape(*this, getTarget(), getInput(), "target")))
    return failure();
  return verifySameShape(*this, getInputGrad(), getInput(), "input_grad");
}

LogicalResult BatchNormTrainOp::verify() {
  SmallVector<ArrayRef<int64_t>> perChannel{shapeOf(getRunningMean()),
                                            shapeOf(getRunningVar())};
  if (getWeight())
    perChannel.push_back(shapeOf(getWeight()));
  if (getBias())
    perChannel.push_back(shapeOf(getBias()));
  for (Value stat : {getNewRunningMean(), getNewRunningVar(), getBatchMean(),
                     getBatchInvstd()})
    perChannel.push_back(shapeOf(stat));
  ShapeError error;
  return verifyInferred(
      *this, inferBatchNormShape(shapeOf(getInput()), perChannel, error),
      error);
}

LogicalResult BatchNormGradOp::verify() {
  SmallVector<ArrayRef<int64_t>> perChannel{
      shapeOf(getBatchMean()), shapeOf(getBatchInvstd()),
      shapeOf(getWeightGrad()), shapeOf(getBiasGrad())};
  if (getWeight())
    perChannel.push_back(shapeOf(getWeight()));
  ShapeError error;
  if (failed(inferBatchNormShape(shapeOf(getInput()), perChannel, error)))
    return emitOpError() << error.field << ": " << error.message;
  if (failed(verifySameShape(*this, getResultGrad(), getInput(),
                             "result_grad")))
    return failure();
  return verifySameShape(*this, getInputGrad(), getInput(), "input_grad");
}

LogicalResult DropoutTrainOp::verify() {
  float p = getP().convertToFloat();
  if (p < 0.0f || p >= 1.0f)
    return emitOpError("p must be in [0, 1), got ") << p;
  if (failed(verifySameShape(*this, getResult(), getInput(), "result")))
    return failure();
  return verifySameShape(*this, getMask(), getInput(), "mask");
}

LogicalResult ConvInputGradOp::verify() {
  // The input gradient is shaped like the input.
  ShapeError error;
  return verifyForwardRule(
      *this,
      inferConvShape(shapeOf(getInputGrad()), shapeOf(getWeight()),
                     std::nullopt, getConvGeometry(*this), error),
      error, getResultGrad(),
      "convolution result of the input gradient and weight types");
}

LogicalResult ConvWeightGradOp::verify() {
  ShapeError error;
  return verifyForwardRule(
      *this,
      inferConvShape(shapeOf(getInput()), shapeOf(getWeightGrad()),
                     std::nullopt, getConvGeometry(*this), error),
      error, getResultGrad(),
      "convolution result of the input and weight gradient types");
}

LogicalResult ChannelSumOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  if (input.size() < 2 || shapeOf(getResult()) != ArrayRef<int64_t>{input[1]})
    return emitOpError("expects an (N, C, ...) input and a (C) result, got ")
           << getInput().getType() << " and " << getResult().getType();
  return success();
}

LogicalResult PoolGradOp::verify() {
  ShapeError error;
  if (failed(verifyForwardRule(
          *this,
          inferPoolShape(shapeOf(getInput()), getPoolGeometry(*this), error),
          error, getResultGrad(), "pooling result of the input type")))
    return failure();
  return verifySameShape(*this, getInputGrad(), getInput(), "input_grad");
}

LogicalResult AdaptiveAvgPoolGradOp::verify() {
  ArrayRef<int64_t> grad = shapeOf(getResultGrad());
  if (grad.size() < 3)
    return emitOpError("expects an (N, C, *spatial) result_grad");
  ShapeError error;
  return verifyForwardRule(
      *this,
      inferAdaptiveAvgPoolShape(shapeOf(getInputGrad()), grad.drop_front(2),
                                error),
      error, getResultGrad(), "adaptive pooling of the input gradient type");
}

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs());
  if (lhs.size() != 2 || rhs.size() != 2 || shapeOf(getResult()).size() != 2)
    return emitOpError("expects 2-d operands and result");
  int64_t m = getTransposeLhs() ? lhs[1] : lhs[0];
  int64_t kl = getTransposeLhs() ? lhs[0] : lhs[1];
  int64_t kr = getTransposeRhs() ? rhs[1] : rhs[0];
  int64_t n = getTransposeRhs() ? rhs[0] : rhs[1];
  if (kl != kr)
    return emitOpError("contracted dimensions differ: ") << kl << " and " << kr;
  if (shapeOf(getResult()) != ArrayRef<int64_t>{m, n})
    return emitOpError("expected result shape (")
           << (ShapedType::isDynamic(m) ? std::string("?") : std::to_string(m))
           << ", " << n << "), got " << getResult().getType();
  return success();
}

LogicalResult SoftmaxGradOp::verify() {
  ShapeError error;
  return verifyRule(*this,
                    checkReductionDim(shapeOf(getResult()), getDim(), error),
                    error);
}

#define GET_OP_CLASSES
#include "netc/Dialect/NetcOps.cpp.inc"
