//===- Runner.cpp - netc run ----------------------------------------------===//
//
// Runs a model the way a user's program would: the object `netc compile`
// would write is linked into this process (ORC JIT linking the same object
// bytes, no interpreter) and its C entry point is called with parameters
// and data loaded by the netc runtime.
//
//===----------------------------------------------------------------------===//

#include "netc/Driver/Driver.h"

#include "netc-c/netc.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::netc;

namespace {
/// A netc_model_info over a ModelSignature, which owns the strings.
struct ModelInfo {
  explicit ModelInfo(const ModelSignature &sig) {
    for (const ParameterInfo &p : sig.params) {
      netc_param_info param{};
      param.name = p.name.c_str();
      param.offset = p.offset;
      param.numel = p.numel;
      param.rank = p.shape.size();
      llvm::copy(p.shape, param.shape);
      params.push_back(param);
    }
    info.name = sig.name.c_str();
    info.param_floats = sig.paramFloats;
    info.num_params = params.size();
    info.params = params.data();
    info.input_rank = sig.inputShape.size();
    llvm::copy(sig.inputShape, info.input_shape);
    info.output_rank = sig.outputShape.size();
    llvm::copy(sig.outputShape, info.output_shape);
  }
  std::vector<netc_param_info> params;
  netc_model_info info{};
};

struct ParamsDeleter {
  void operator()(float *params) const { netc_params_free(params); }
};
struct ArrayDeleter {
  void operator()(netc_array *array) const { netc_array_free(array); }
};
} // namespace

using ForwardFn = void (*)(const float *, const float *, float *, int64_t);

/// Links `object` into this process and returns its `symbol`.
static FailureOr<ForwardFn> loadEntryPoint(Location loc,
                                           SmallVectorImpl<char> &object,
                                           StringRef symbol,
                                           std::unique_ptr<llvm::orc::LLJIT> &jit) {
  auto reportError = [&](llvm::Error error) {
    emitError(loc, "cannot load the compiled model: ")
        << llvm::toString(std::move(error));
    return failure();
  };
  auto created = llvm::orc::LLJITBuilder().create();
  if (!created)
    return reportError(created.takeError());
  jit = std::move(*created);
  // The object calls libc/libm (malloc, free, expf, ...): resolve them from
  // this process, as the system linker would for a user's program.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      jit->getDataLayout().getGlobalPrefix());
  if (!process)
    return reportError(process.takeError());
  jit->getMainJITDylib().addGenerator(std::move(*process));
  if (llvm::Error error = jit->addObjectFile(llvm::MemoryBuffer::getMemBuffer(
          llvm::StringRef(object.data(), object.size()), "model.o",
          /*RequiresNullTerminator=*/false)))
    return reportError(std::move(error));
  auto address = jit->lookup(symbol);
  if (!address)
    return reportError(address.takeError());
  return address->toPtr<ForwardFn>();
}

/// "(3, 28, 28)": the shape of an array actually read.
static std::string formatArrayShape(const netc_array &array) {
  std::string text = "(";
  for (int32_t i = 0; i < array.rank; ++i)
    text += (i ? ", " : "") + std::to_string(array.shape[i]);
  return text + ")";
}

LogicalResult mlir::netc::runModel(ModuleOp module, const RunOptions &options) {
  FailureOr<ModelSignature> sig = getSignature(module);
  if (failed(sig))
    return failure();
  ModelInfo model(*sig);
  Location loc = UnknownLoc::get(module.getContext());

  // Data first: a wrong file is reported before any compile time is spent.
  std::unique_ptr<float, ParamsDeleter> params(netc_params_create(&model.info));
  if (!params)
    return emitError(loc) << "cannot allocate " << sig->paramFloats * 4
                          << " bytes of parameters";
  if (netc_params_load_safetensors(&model.info, options.weightsPath.c_str(),
                                   params.get()) != NETC_OK)
    return emitError(loc) << netc_last_error();
  netc_array inputArray{};
  if (netc_array_load_npy(options.inputPath.c_str(), &inputArray) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_array, ArrayDeleter> input(&inputArray);
  bool shapeMatches = input->rank == 1 + (int64_t)sig->inputShape.size() &&
                      std::equal(sig->inputShape.begin(), sig->inputShape.end(),
                                 input->shape + 1);
  if (!shapeMatches) {
    SmallVector<int64_t> expected{ShapedType::kDynamic};
    llvm::append_range(expected, sig->inputShape);
    return emitError(loc) << options.inputPath << ": expected an array of shape "
                          << formatShape(expected) << ", got "
                          << formatArrayShape(*input);
  }
  int64_t batch = input->shape[0];

  SmallVector<char> object;
  llvm::raw_svector_ostream os(object);
  if (failed(compileModel(module, EmitKind::Object, os)))
    return failure();
  std::unique_ptr<llvm::orc::LLJIT> jit;
  FailureOr<ForwardFn> forward =
      loadEntryPoint(loc, object, sig->name + "_forward", jit);
  if (failed(forward))
    return failure();

  SmallVector<int64_t> outputShape{batch};
  llvm::append_range(outputShape, sig->outputShape);
  std::vector<float> output(ShapedType::getNumElements(outputShape));
  (*forward)(params.get(), input->data, output.data(), batch);
  if (netc_array_save_npy(options.outputPath.c_str(), output.data(),
                          outputShape.size(), outputShape.data()) != NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}
