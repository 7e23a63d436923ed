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
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <numeric>

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
      param.init = static_cast<int32_t>(toRuntimeInit(p.init));
      param.init_bound = p.initBound;
      param.is_buffer = p.isBuffer;
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

/// Fills `params` from the weights file, or with PyTorch's default
/// initialisation when there is none.
static LogicalResult loadParameters(Location loc, const netc_model_info &model,
                                    const RunOptions &options, float *params) {
  netc_status status =
      options.weightsPath.empty()
          ? netc_params_init(&model, options.seed, params)
          : netc_params_load_safetensors(&model, options.weightsPath.c_str(),
                                         params);
  if (status != NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}

/// Reads the input batch from a .npy file, checking its shape.
static FailureOr<std::vector<float>>
readNpyInput(Location loc, const ModelSignature &sig, StringRef path,
             int64_t &batch) {
  netc_array array{};
  if (netc_array_load_npy(path.str().c_str(), &array) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_array, ArrayDeleter> owner(&array);
  bool shapeMatches = array.rank == 1 + (int64_t)sig.inputShape.size() &&
                      std::equal(sig.inputShape.begin(), sig.inputShape.end(),
                                 array.shape + 1);
  if (!shapeMatches) {
    SmallVector<int64_t> expected{ShapedType::kDynamic};
    llvm::append_range(expected, sig.inputShape);
    return emitError(loc) << path << ": expected an array of shape "
                          << formatShape(expected) << ", got "
                          << formatArrayShape(array);
  }
  batch = array.shape[0];
  int64_t floats = batch * ShapedType::getNumElements(sig.inputShape);
  return std::vector<float>(array.data, array.data + floats);
}

/// Reads the first `count` images of an IDX file and fits each to the model's
/// per-sample input shape (C, *spatial): the last two spatial dimensions
/// sample the image at the nearest pixel, earlier ones and the channels
/// repeat it; a model without 2-d spatial input reads the image's pixels in
/// order, resampled to its length.
static FailureOr<std::vector<float>>
readIdxInput(Location loc, const ModelSignature &sig,
             const RunOptions &options, int64_t &batch) {
  netc_dataset *dataset = nullptr;
  if (netc_dataset_load_idx(options.inputPath.c_str(), nullptr, &dataset) !=
      NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_dataset, void (*)(netc_dataset *)> owner(
      dataset, netc_dataset_free);
  int64_t rows = 0, cols = 0;
  netc_dataset_image_shape(dataset, &rows, &cols);
  batch = std::min(options.count, netc_dataset_size(dataset));
  std::vector<int64_t> indices(batch);
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<float> images(batch * rows * cols);
  if (netc_dataset_get_batch(dataset, indices.data(), batch, options.mean,
                             options.stddev, images.data(),
                             nullptr) != NETC_OK)
    return emitError(loc) << netc_last_error();

  ArrayRef<int64_t> shape = sig.inputShape;
  int64_t sampleSize = ShapedType::getNumElements(shape);
  bool planar = shape.size() >= 3;
  int64_t height = planar ? shape[shape.size() - 2] : 1;
  int64_t width = shape.back();
  int64_t pixels = rows * cols;
  std::vector<float> input(batch * sampleSize);
  for (int64_t n = 0; n < batch; ++n) {
    const float *image = images.data() + n * pixels;
    float *sample = input.data() + n * sampleSize;
    for (int64_t i = 0; i < sampleSize; ++i) {
      int64_t pixel;
      if (planar) {
        int64_t y = (i / width) % height, x = i % width;
        pixel = (y * rows / height) * cols + x * cols / width;
      } else {
        pixel = (i % width) * pixels / width;
      }
      sample[i] = image[pixel];
    }
  }
  return input;
}

static bool isNpy(StringRef path) { return path.ends_with(".npy"); }

/// Prints what ran, how fast, and for a classifier the predicted classes.
static void printSummary(const ModelSignature &sig, const RunOptions &options,
                         int64_t batch, double seconds,
                         ArrayRef<float> output) {
  llvm::outs() << sig.name << ": " << batch << " samples from "
               << llvm::sys::path::filename(options.inputPath) << " in "
               << llvm::format("%.3f", seconds * 1e3) << " ms ("
               << llvm::format("%.0f", batch / seconds) << " samples/s)\n";
  if (sig.outputShape.size() != 1)
    return;
  int64_t classes = sig.outputShape[0];
  llvm::outs() << "predicted classes:";
  for (int64_t n = 0; n < std::min<int64_t>(batch, 32); ++n) {
    const float *scores = output.data() + n * classes;
    llvm::outs() << " " << std::max_element(scores, scores + classes) - scores;
  }
  llvm::outs() << (batch > 32 ? " ...\n" : "\n");
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
  if (failed(loadParameters(loc, model.info, options, params.get())))
    return failure();
  int64_t batch = 0;
  FailureOr<std::vector<float>> input =
      isNpy(options.inputPath) ? readNpyInput(loc, *sig, options.inputPath, batch)
                               : readIdxInput(loc, *sig, options, batch);
  if (failed(input))
    return failure();

  SmallVector<char> object;
  llvm::raw_svector_ostream os(object);
  if (failed(compileModel(module, EmitKind::Object, /*training=*/false, os)))
    return failure();
  std::unique_ptr<llvm::orc::LLJIT> jit;
  FailureOr<ForwardFn> forward =
      loadEntryPoint(loc, object, sig->name + "_forward", jit);
  if (failed(forward))
    return failure();

  SmallVector<int64_t> outputShape{batch};
  llvm::append_range(outputShape, sig->outputShape);
  std::vector<float> output(ShapedType::getNumElements(outputShape));
  auto start = std::chrono::steady_clock::now();
  (*forward)(params.get(), input->data(), output.data(), batch);
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;

  if (options.outputPath.empty()) {
    printSummary(*sig, options, batch, elapsed.count(), output);
    return success();
  }
  if (netc_array_save_npy(options.outputPath.c_str(), output.data(),
                          outputShape.size(), outputShape.data()) != NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}
