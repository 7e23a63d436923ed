//===- Runner.cpp - netc run ----------------------------------------------===//
//
// Runs a model the way a user's program would: the compiled object linked
// into this process, its forward entry point called with parameters and
// data loaded by the netc runtime.
//
//===----------------------------------------------------------------------===//

#include "Data.h"

#include "netc/Driver/Driver.h"
#include "netc/Driver/LinkedModel.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <chrono>

using namespace mlir;
using namespace mlir::netc;

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
  Location loc = UnknownLoc::get(module.getContext());
  FailureOr<ModelSignature> sig = getSignature(module);
  if (failed(sig))
    return failure();

  // Data and paths first: a wrong file is reported before any compile time
  // is spent.
  if (failed(checkOutputPath(loc, options.outputPath, "-o")))
    return failure();
  FailureOr<Batch> input =
      isNpyPath(options.inputPath)
          ? readNpyBatch(loc, options.inputPath, sig->inputShape, "input")
          : readIdxImages(loc, options.inputPath, options.count, options.mean,
                          options.stddev, sig->inputShape);
  if (failed(input))
    return failure();
  FailureOr<std::unique_ptr<LinkedModel>> model =
      LinkedModel::create(module, /*training=*/false);
  if (failed(model))
    return failure();
  ParamsBuffer params(
      netc_params_create(&(*model)->info()));
  if (!params)
    return emitError(loc) << "cannot allocate " << sig->paramFloats * 4
                          << " bytes of parameters";
  if (failed(loadParameters(loc, (*model)->info(), options.weightsPath,
                            options.seed, params.get(), "run")))
    return failure();
  FailureOr<netc_forward_fn> forward =
      (*model)->lookup<netc_forward_fn>("forward", loc);
  if (failed(forward))
    return failure();

  int64_t batch = input->batch;
  SmallVector<int64_t> outputShape{batch};
  llvm::append_range(outputShape, sig->outputShape);
  std::vector<float> output(ShapedType::getNumElements(outputShape));
  auto start = std::chrono::steady_clock::now();
  int status =
      (*forward)(params.get(), input->values.data(), output.data(), batch);
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  if (status != NETC_OK)
    return emitError(loc) << netc_last_error();

  if (options.outputPath.empty()) {
    printSummary(*sig, options, batch, elapsed.count(), output);
    return success();
  }
  if (netc_array_save_npy(options.outputPath.c_str(), output.data(),
                          outputShape.size(), outputShape.data()) != NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}
