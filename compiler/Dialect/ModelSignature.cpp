//===- ModelSignature.cpp - What a compiled model looks like from C -------===//

#include "netc/Dialect/ModelSignature.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::netc;

std::string mlir::netc::checkModelName(StringRef name) {
  auto isWordChar = [](char c) { return llvm::isAlnum(c) || c == '_'; };
  if (name.empty() || llvm::isDigit(name[0]) || !llvm::all_of(name, isWordChar))
    return "is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)";
  // C reserves identifiers that start with an underscore and a capital
  // letter or contain two underscores (C++); the header makes both from the
  // name.
  if (name.starts_with("_") || name.contains("__"))
    return "starts with '_' or contains '__', which C and C++ reserve";
  if (name.equals_insensitive("netc") || name.starts_with_insensitive("netc_"))
    return "clashes with the netc runtime's own names (netc_*, NETC_*)";
  return "";
}

SmallVector<func::FuncOp> mlir::netc::getModelFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> models;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(kModelAttrName))
      models.push_back(func);
  return models;
}

/// A batch tensor: f32, dynamic first dimension, static elsewhere.
static bool isBatchTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32() && tensor.getRank() >= 2 &&
         tensor.isDynamicDim(0) && tensor.getNumDynamicDims() == 1;
}

/// PyTorch's default initialisation of `param`, read from the layer that uses
/// it: conv and linear weights and biases are U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)); batch norm starts at
/// weight 1, bias 0, mean 0, variance 1.
static void setInitialisation(BlockArgument arg, ParameterInfo &param) {
  auto uniform = [&](int64_t fanIn) {
    param.init = ParamInit::Uniform;
    param.initBound = 1.0f / std::sqrt(static_cast<float>(fanIn));
  };
  for (Operation *user : arg.getUsers()) {
    llvm::TypeSwitch<Operation *>(user)
        .Case([&](ConvOp conv) {
          auto weight = cast<RankedTensorType>(conv.getWeight().getType());
          uniform(weight.getNumElements() / weight.getDimSize(0));
        })
        .Case([&](LinearOp linear) {
          uniform(cast<RankedTensorType>(linear.getWeight().getType())
                      .getDimSize(1));
        })
        .Case([&](BatchNormOp bn) {
          param.isBuffer = arg == bn.getRunningMean() ||
                           arg == bn.getRunningVar();
          param.init = arg == bn.getWeight() || arg == bn.getRunningVar()
                           ? ParamInit::Ones
                           : ParamInit::Zeros;
        });
  }
}

FailureOr<ModelSignature> mlir::netc::getModelSignature(func::FuncOp model) {
  FunctionType type = model.getFunctionType();
  if (type.getNumInputs() < 1 || type.getNumResults() != 1 ||
      !isBatchTensor(type.getInput(0)) || !isBatchTensor(type.getResult(0)))
    return model.emitOpError(
        "a netc model takes a (?, ...) f32 input, then its parameters, and "
        "returns one (?, ...) f32 tensor");

  std::string nameProblem = checkModelName(model.getSymName());
  if (!nameProblem.empty())
    return model.emitOpError("model name '")
           << model.getSymName() << "' " << nameProblem;

  ModelSignature sig;
  sig.name = model.getSymName().str();
  sig.inputShape = Shape(
      cast<RankedTensorType>(type.getInput(0)).getShape().drop_front());
  sig.outputShape = Shape(
      cast<RankedTensorType>(type.getResult(0)).getShape().drop_front());
  int64_t offset = 0;
  for (unsigned i = 1, e = type.getNumInputs(); i < e; ++i) {
    auto name = model.getArgAttrOfType<StringAttr>(i, kParamAttrName);
    auto tensor = dyn_cast<RankedTensorType>(type.getInput(i));
    if (!name || !tensor || !tensor.hasStaticShape() ||
        !tensor.getElementType().isF32())
      return model.emitOpError("argument ")
             << i << " must be a static f32 tensor with a '" << kParamAttrName
             << "' name";
    ParameterInfo param;
    param.name = name.str();
    param.shape = Shape(tensor.getShape());
    param.numel = tensor.getNumElements();
    param.offset = offset;
    param.argIndex = i;
    setInitialisation(model.getArgument(i), param);
    offset = llvm::alignTo(offset + param.numel, kParamAlignmentFloats);
    sig.params.push_back(std::move(param));
  }
  sig.paramFloats = offset;
  return sig;
}

TrainingSignature mlir::netc::getTrainingSignature(func::FuncOp model) {
  TrainingSignature training;
  auto loss = model->getAttrOfType<StringAttr>(kLossAttrName);
  training.classification = !loss || loss.getValue() != "mse";
  if (auto smoothing =
          model->getAttrOfType<FloatAttr>(kLabelSmoothingAttrName))
    training.labelSmoothing = smoothing.getValueAsDouble();
  if (auto reduction =
          model->getAttrOfType<LossReductionAttr>(kLossReductionAttrName))
    training.sumReduction = reduction.getValue() == LossReduction::sum;
  return training;
}
