//===- LinkedModel.cpp - A compiled model linked into this process --------===//

#include "netc/Driver/LinkedModel.h"
#include "netc/Codegen/EntryPointABI.h"
#include "netc/Driver/Driver.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::netc;

static netc_init toRuntimeInit(ParamInit init) {
  switch (init) {
  case ParamInit::Zeros:
    return NETC_INIT_ZEROS;
  case ParamInit::Ones:
    return NETC_INIT_ONES;
  case ParamInit::Uniform:
    return NETC_INIT_UNIFORM;
  }
  llvm_unreachable("unknown ParamInit");
}

LinkedModel::LinkedModel(const ModelSignature &signature,
                         const TrainingSignature &training)
    : sig(signature), trainingSig(training) {
  for (const ParameterInfo &p : sig.params) {
    netc_param_info param{};
    param.name = p.name.c_str();
    param.offset = p.offset;
    param.numel = p.numel;
    param.rank = p.shape.size();
    llvm::copy(p.shape, param.shape);
    param.init = toRuntimeInit(p.init);
    param.init_bound = p.initBound;
    param.is_buffer = p.isBuffer;
    params.push_back(param);
  }
  modelInfo.name = sig.name.c_str();
  modelInfo.param_floats = sig.paramFloats;
  modelInfo.num_params = params.size();
  modelInfo.params = params.data();
  modelInfo.input_rank = sig.inputShape.size();
  llvm::copy(sig.inputShape, modelInfo.input_shape);
  modelInfo.output_rank = sig.outputShape.size();
  llvm::copy(sig.outputShape, modelInfo.output_shape);
}

int64_t LinkedModel::inputSize() const {
  return ShapedType::getNumElements(sig.inputShape);
}

int64_t LinkedModel::outputSize() const {
  return ShapedType::getNumElements(sig.outputShape);
}

FailureOr<std::unique_ptr<LinkedModel>> LinkedModel::create(ModuleOp module,
                                                            bool training) {
  FailureOr<ModelSignature> sig = getSignature(module);
  if (failed(sig))
    return failure();
  TrainingSignature trainingSig =
      getTrainingSignature(getModelFunctions(module).front());
  std::unique_ptr<LinkedModel> model(new LinkedModel(*sig, trainingSig));
  Location loc = module.getLoc();

  SmallVector<char> object;
  llvm::raw_svector_ostream os(object);
  CompileOptions options;
  options.training = training;
  if (failed(compileModel(module, EmitKind::Object, options, os)))
    return failure();

  auto reportError = [&](llvm::Error error) {
    emitError(loc, "cannot load the compiled model: ")
        << llvm::toString(std::move(error));
    return failure();
  };
  auto created = llvm::orc::LLJITBuilder().create();
  if (!created)
    return reportError(created.takeError());
  model->jit = std::move(*created);
  // The object calls libc/libm (malloc, free, expf, ...): resolve them from
  // this process, as the system linker would for a user's program.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      model->jit->getDataLayout().getGlobalPrefix());
  if (!process)
    return reportError(process.takeError());
  model->jit->getMainJITDylib().addGenerator(std::move(*process));
  if (llvm::Error error = model->jit->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(
              llvm::StringRef(object.data(), object.size()), "model.o")))
    return reportError(std::move(error));
  return model;
}

FailureOr<void *> LinkedModel::lookupAddress(StringRef suffix, Location loc) {
  auto address = jit->lookup(getEntryPointABI(suffix).symbol(sig.name));
  if (!address) {
    emitError(loc, "cannot find the compiled entry point: ")
        << llvm::toString(address.takeError());
    return failure();
  }
  return address->toPtr<void *>();
}

FailureOr<netc_model_entry_points> LinkedModel::entryPoints(Location loc) {
  auto forward = lookup<netc_forward_fn>("forward", loc);
  auto sgd = lookup<netc_sgd_step_fn>("sgd_step", loc);
  auto adam = lookup<netc_adam_step_fn>("adam_step", loc);
  if (failed(forward) || failed(sgd) || failed(adam))
    return failure();
  return netc_model_entry_points{*forward, *sgd, *adam};
}
