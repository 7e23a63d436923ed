//===- Autodiff.cpp - Reverse-mode autodiff of netc models ----------------===//
//
// Implements netc-autodiff (see Passes.td). The training function is built
// in three steps, each a function below:
//   1. cloneTrainingForm: the model's ops, with layers that behave
//      differently in training replaced by their training forms;
//   2. buildLoss: the model's loss on its output;
//   3. buildBackward: the gradient rules of the forward ops, in reverse.
//
//===----------------------------------------------------------------------===//

#include "netc/Dialect/ModelSignature.h"
#include "netc/Dialect/NetcOps.h"
#include "netc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCAUTODIFF
#include "netc/Transforms/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
/// The training function under construction.
struct TrainingFunction {
  func::FuncOp func;
  Value input, target, seed;
  /// The model's parameters, as arguments of `func`, in model order.
  SmallVector<Value> params;
  /// The updated value of each running statistic, by its argument.
  DenseMap<Value, Value> updatedBuffers;
  /// The forward ops, in order, once cloned.
  SmallVector<Operation *> forwardOps;
};
} // namespace

/// The labels (cross entropy) or target (squared error) of a model.
static Type getTargetType(func::FuncOp model) {
  auto output = cast<RankedTensorType>(model.getResultTypes()[0]);
  auto loss = model->getAttrOfType<StringAttr>(kLossAttrName);
  if (loss && loss.getValue() == "mse")
    return output;
  return RankedTensorType::get({ShapedType::kDynamic},
                               IntegerType::get(model.getContext(), 32));
}

/// Step 1: a copy of the model's body in `training`, with batch norm and
/// dropout in their training forms. Returns the model's output value.
static Value cloneTrainingForm(OpBuilder &b, func::FuncOp model,
                               TrainingFunction &training) {
  IRMapping mapping;
  mapping.map(model.getArgument(0), training.input);
  for (auto [arg, param] :
       llvm::zip(model.getArguments().drop_front(), training.params))
    mapping.map(arg, param);

  int64_t dropoutStream = 0;
  Value output;
  for (Operation &op : model.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      output = mapping.lookup(ret.getOperand(0));
      break;
    }
    Operation *clone = nullptr;
    if (auto bn = dyn_cast<BatchNormOp>(op)) {
      Value runningMean = mapping.lookup(bn.getRunningMean());
      Value runningVar = mapping.lookup(bn.getRunningVar());
      Type channels = runningMean.getType();
      auto train = BatchNormTrainOp::create(
          b, bn.getLoc(),
          TypeRange{bn.getType(), channels, channels, channels, channels},
          mapping.lookup(bn.getInput()), runningMean, runningVar,
          mapping.lookupOrNull(bn.getWeight()),
          mapping.lookupOrNull(bn.getBias()), bn.getEpsAttr(),
          bn.getMomentumAttr());
      training.updatedBuffers[runningMean] = train.getNewRunningMean();
      training.updatedBuffers[runningVar] = train.getNewRunningVar();
      mapping.map(bn.getResult(), train.getResult());
      clone = train;
    } else if (auto dropout = dyn_cast<DropoutOp>(op)) {
      // Each dropout layer draws its mask from its own stream of the seed.
      auto train = DropoutTrainOp::create(
          b, dropout.getLoc(), TypeRange{dropout.getType(), dropout.getType()},
          mapping.lookup(dropout.getInput()), training.seed,
          dropout.getPAttr(), b.getI64IntegerAttr(dropoutStream++));
      mapping.map(dropout.getResult(), train.getResult());
      clone = train;
    } else {
      clone = b.clone(op, mapping);
    }
    training.forwardOps.push_back(clone);
  }
  return output;
}

/// Step 2: the loss of the model's output against the target.
static Value buildLoss(OpBuilder &b, func::FuncOp model, Value output,
                       TrainingFunction &training) {
  Location loc = model.getLoc();
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  auto reduction = model->getAttrOfType<LossReductionAttr>(
      kLossReductionAttrName);
  if (!reduction)
    reduction = LossReductionAttr::get(b.getContext(), LossReduction::mean);
  Operation *loss;
  if (isa<FloatType>(
          cast<RankedTensorType>(training.target.getType()).getElementType())) {
    loss = MseLossOp::create(b, loc, scalar, output, training.target,
                             reduction);
  } else {
    auto smoothing =
        model->getAttrOfType<FloatAttr>(kLabelSmoothingAttrName);
    loss = CrossEntropyOp::create(
        b, loc, scalar, output, training.target,
        smoothing ? smoothing : b.getF32FloatAttr(0.0f), reduction);
  }
  training.forwardOps.push_back(loss);
  return loss->getResult(0);
}

/// A zero tensor of `type`; its dynamic batch extent is that of `like`.
static Value buildZeros(OpBuilder &b, Location loc, Type type, Value like) {
  auto tensorType = cast<RankedTensorType>(type);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  SmallVector<Value> dynamicSizes;
  if (tensorType.getRank() > 0 && tensorType.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, like, 0));
  Value empty =
      tensor::EmptyOp::create(b, loc, tensorType, dynamicSizes).getResult();
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// Step 3: walks the forward ops backwards from the loss, each op turning the
/// gradients of its results into those of its operands. Returns the gradient
/// of every value that reaches the loss.
static DenseMap<Value, Value> buildBackward(OpBuilder &b, Value loss,
                                            TrainingFunction &training) {
  DenseMap<Value, Value> grads;
  grads[loss] = arith::ConstantOp::create(
      b, loss.getLoc(),
      DenseElementsAttr::get(cast<ShapedType>(loss.getType()), 1.0f));
  for (Operation *op : llvm::reverse(training.forwardOps)) {
    auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
    if (!differentiable)
      continue;
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(grads.lookup(result));
    if (llvm::none_of(resultGrads, [](Value g) { return bool(g); }))
      continue;
    SmallVector<Value> operandGrads;
    differentiable.buildGradients(b, resultGrads, operandGrads);
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!grad)
        continue;
      Value &sum = grads[operand];
      sum = sum ? AddOp::create(b, op->getLoc(), sum, grad).getResult() : grad;
    }
  }
  return grads;
}

/// Builds `@<model>_train` next to `model`.
static LogicalResult buildTrainingFunction(OpBuilder &b, func::FuncOp model) {
  if (failed(getModelSignature(model)))
    return failure();
  Location loc = model.getLoc();
  FunctionType modelType = model.getFunctionType();
  SmallVector<Type> inputs{modelType.getInput(0), getTargetType(model),
                           b.getI64Type()};
  llvm::append_range(inputs, modelType.getInputs().drop_front());

  TrainingFunction training;
  training.func = func::FuncOp::create(b, loc, (model.getSymName() + "_train").str(),
                                       b.getFunctionType(inputs, {}));
  training.func.setPrivate();
  training.func->setAttr(kTrainOfAttrName,
                         FlatSymbolRefAttr::get(model.getSymNameAttr()));
  Block *body = training.func.addEntryBlock();
  training.input = body->getArgument(0);
  training.target = body->getArgument(1);
  training.seed = body->getArgument(2);
  training.params = llvm::to_vector_of<Value>(body->getArguments().drop_front(3));
  for (unsigned i = 1, e = modelType.getNumInputs(); i < e; ++i)
    training.func.setArgAttrs(i + 2, model.getArgAttrDict(i));

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);
  Value output = cloneTrainingForm(b, model, training);
  Value loss = buildLoss(b, model, output, training);
  DenseMap<Value, Value> grads = buildBackward(b, loss, training);

  SmallVector<Value> results{loss};
  for (Value param : training.params) {
    if (Value updated = training.updatedBuffers.lookup(param))
      results.push_back(updated);
    else if (Value grad = grads.lookup(param))
      results.push_back(grad);
    else
      results.push_back(buildZeros(b, loc, param.getType(), param));
  }
  Value inputGrad = grads.lookup(training.input);
  results.push_back(inputGrad ? inputGrad
                              : buildZeros(b, loc, training.input.getType(),
                                           training.input));
  func::ReturnOp::create(b, loc, results);
  training.func.setFunctionType(
      b.getFunctionType(inputs, ValueRange(results).getTypes()));
  return success();
}

namespace {
struct NetcAutodiff : public netc::impl::NetcAutodiffBase<NetcAutodiff> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    for (func::FuncOp model : getModelFunctions(module))
      if (failed(buildTrainingFunction(b, model)))
        return signalPassFailure();
  }
};
} // namespace
