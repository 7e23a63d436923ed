//===- NetcGradients.cpp - Reverse-mode gradient rules of netc ops --------===//
//
// Each op's DifferentiableOpInterface::buildGradients, in NetcOps.td order.
// A rule builds the gradients of the op's operands from those of its results
// out of netc ops (the backward ops of NetcOps.td's training section), so
// they lower to linalg like the forward ops. netc-autodiff calls them while
// walking a model backwards and sums the gradients of values used twice.
//
//===----------------------------------------------------------------------===//

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::netc;

/// Appends null gradients for every operand: the op's results do not reach
/// the loss.
static bool skipIfUnused(Operation *op, ValueRange resultGrads,
                         SmallVectorImpl<Value> &operandGrads) {
  if (llvm::any_of(resultGrads, [](Value g) { return bool(g); }))
    return false;
  operandGrads.append(op->getNumOperands(), Value());
  return true;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

void ConvOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  Value dy = resultGrads[0];
  Location loc = getLoc();
  operandGrads.push_back(ConvInputGradOp::create(
      b, loc, getInput().getType(), dy, getWeight(), getStrideAttr(),
      getPaddingLowAttr(), getPaddingHighAttr(), getDilationAttr(),
      getGroupsAttr(), getPaddingModeAttr()));
  operandGrads.push_back(ConvWeightGradOp::create(
      b, loc, getWeight().getType(), getInput(), dy, getStrideAttr(),
      getPaddingLowAttr(), getPaddingHighAttr(), getDilationAttr(),
      getGroupsAttr(), getPaddingModeAttr(), getPaddingValueAttr()));
  if (getBias())
    operandGrads.push_back(
        ChannelSumOp::create(b, loc, getBias().getType(), dy));
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

void PoolOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  operandGrads.push_back(PoolGradOp::create(
      b, getLoc(), getInput().getType(), getInput(), resultGrads[0],
      getKindAttr(), getKernelSizeAttr(), getStrideAttr(), getPaddingAttr(),
      getDilationAttr(), getCeilModeAttr(), getCountIncludePadAttr()));
}

void AdaptiveAvgPoolOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  operandGrads.push_back(AdaptiveAvgPoolGradOp::create(
      b, getLoc(), getInput().getType(), resultGrads[0]));
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

void LinearOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  Value dy = resultGrads[0];
  Location loc = getLoc();
  // dX = dY W, dW = dY^T X, db = the column sums of dY.
  operandGrads.push_back(MatmulOp::create(b, loc, getInput().getType(), dy,
                                          getWeight(), b.getBoolAttr(false),
                                          b.getBoolAttr(false)));
  operandGrads.push_back(MatmulOp::create(b, loc, getWeight().getType(), dy,
                                          getInput(), b.getBoolAttr(true),
                                          b.getBoolAttr(false)));
  if (getBias())
    operandGrads.push_back(
        ChannelSumOp::create(b, loc, getBias().getType(), dy));
}

//===----------------------------------------------------------------------===//
// Activation
//===----------------------------------------------------------------------===//

/// `value` is the activation's input for relu-like kinds, its result for
/// sigmoid and tanh, whose derivatives are cheapest from the result.
static void buildActivationGradient(OpBuilder &b, Operation *op, Value value,
                                    ActivationKind kind, float slope,
                                    ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(op, resultGrads, operandGrads))
    return;
  operandGrads.push_back(ActivationGradOp::create(
      b, op->getLoc(), value.getType(), value, resultGrads[0],
      ActivationKindAttr::get(b.getContext(), kind), b.getF32FloatAttr(slope)));
}

void ReluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  buildActivationGradient(b, *this, getInput(), ActivationKind::relu, 0.0f,
                          resultGrads, operandGrads);
}

void SigmoidOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  buildActivationGradient(b, *this, getResult(), ActivationKind::sigmoid, 0.0f,
                          resultGrads, operandGrads);
}

void TanhOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  buildActivationGradient(b, *this, getResult(), ActivationKind::tanh, 0.0f,
                          resultGrads, operandGrads);
}

void LeakyReluOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  buildActivationGradient(b, *this, getInput(), ActivationKind::leaky_relu,
                          getNegativeSlope().convertToFloat(), resultGrads,
                          operandGrads);
}

static void buildSoftmaxGradient(OpBuilder &b, Operation *op, Value result,
                                 int64_t dim, bool log, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(op, resultGrads, operandGrads))
    return;
  operandGrads.push_back(SoftmaxGradOp::create(
      b, op->getLoc(), result.getType(), result, resultGrads[0],
      b.getI64IntegerAttr(dim), b.getBoolAttr(log)));
}

void SoftmaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  buildSoftmaxGradient(b, *this, getResult(), getDim(), /*log=*/false,
                       resultGrads, operandGrads);
}

void LogSoftmaxOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  buildSoftmaxGradient(b, *this, getResult(), getDim(), /*log=*/true,
                       resultGrads, operandGrads);
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

/// Flatten and reshape only regroup a sample's elements: the gradient is the
/// result gradient in the input's shape.
static void buildRegroupGradient(OpBuilder &b, Operation *op, Value input,
                                 ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(op, resultGrads, operandGrads))
    return;
  operandGrads.push_back(
      ReshapeOp::create(b, op->getLoc(), input.getType(), resultGrads[0]));
}

void FlattenOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  buildRegroupGradient(b, *this, getInput(), resultGrads, operandGrads);
}

void ReshapeOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  buildRegroupGradient(b, *this, getInput(), resultGrads, operandGrads);
}

void ConcatOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  // Each input's gradient is its slice of the result gradient along `dim`.
  Value dy = resultGrads[0];
  Location loc = getLoc();
  int64_t rank = cast<RankedTensorType>(dy.getType()).getRank();
  Value batch = tensor::DimOp::create(b, loc, dy, 0);
  int64_t offset = 0;
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{batch};
    for (int64_t d = 1; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    offsets[getDim()] = b.getIndexAttr(offset);
    offset += type.getDimSize(getDim());
    operandGrads.push_back(tensor::ExtractSliceOp::create(
        b, loc, type, dy, offsets, sizes, strides));
  }
}

void AddOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                           SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append({resultGrads[0], resultGrads[0]});
}

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

void CrossEntropyOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  operandGrads.push_back(CrossEntropyGradOp::create(
      b, getLoc(), getLogits().getType(), getLogits(), getLabels(),
      resultGrads[0], getLabelSmoothingAttr(), getReductionAttr()));
  operandGrads.push_back(Value()); // labels
}

void MseLossOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  if (skipIfUnused(*this, resultGrads, operandGrads))
    return;
  operandGrads.push_back(MseLossGradOp::create(
      b, getLoc(), getInput().getType(), getInput(), getTarget(),
      resultGrads[0], getReductionAttr()));
  operandGrads.push_back(Value()); // the target is data
}

void BatchNormTrainOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  // Only the normalized result is differentiated; the statistics results
  // update running buffers, which take no gradient.
  if (!resultGrads[0]) {
    operandGrads.append(getNumOperands(), Value());
    return;
  }
  auto channelType = cast<RankedTensorType>(getBatchMean().getType());
  auto grads = BatchNormGradOp::create(
      b, getLoc(),
      TypeRange{getInput().getType(), channelType, channelType}, getInput(),
      resultGrads[0], getBatchMean(), getBatchInvstd(), getWeight());
  operandGrads.append({grads.getInputGrad(), Value(), Value()});
  if (getWeight())
    operandGrads.push_back(grads.getWeightGrad());
  if (getBias())
    operandGrads.push_back(grads.getBiasGrad());
}

void DropoutTrainOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (!resultGrads[0]) {
    operandGrads.append(getNumOperands(), Value());
    return;
  }
  operandGrads.push_back(
      MulOp::create(b, getLoc(), resultGrads[0], getMask()));
  operandGrads.push_back(Value()); // seed
}
