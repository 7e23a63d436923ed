//===- Gradients.cpp - netc grad and netc gradcheck -----------------------===//
//
// `grad` writes the gradients the compiled backward entry point computes;
// `gradcheck` compares them with central finite differences of the loss the
// same entry point reports, on random parameters and data.
//
//===----------------------------------------------------------------------===//

#include "Data.h"

#include "netc/Driver/Driver.h"
#include "netc/Driver/LinkedModel.h"

#include "llvm/Support/Format.h"

#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::netc;

using BackwardFn = int (*)(const float *, const float *, const void *, int64_t,
                           uint64_t, float *, float *, float *);

namespace {
/// A linked model with its backward entry point and one batch of data.
struct BackwardRun {
  std::unique_ptr<LinkedModel> model;
  BackwardFn backward = nullptr;
  ParamsBuffer params;
  std::vector<float> input, targets;
  std::vector<int32_t> labels;
  int64_t batch = 0;
  uint64_t seed = 0;
  /// Why the backward entry point refused a run, if it did.
  std::string refused;

  const void *target() const {
    return model->training().classification
               ? static_cast<const void *>(labels.data())
               : static_cast<const void *>(targets.data());
  }

  /// The loss, and the gradients when `grads` is given.
  float run(float *grads = nullptr, float *inputGrad = nullptr) {
    std::vector<float> scratch;
    if (!grads) {
      scratch.resize(model->info().param_floats);
      grads = scratch.data();
    }
    float loss = 0;
    if (backward(params.get(), input.data(), target(), batch, seed, grads,
                 &loss, inputGrad) != NETC_OK &&
        refused.empty())
      refused = netc_last_error();
    return loss;
  }
};
} // namespace

/// Links `module` with its training entry points and allocates parameters.
static FailureOr<BackwardRun> linkBackward(ModuleOp module, Location loc) {
  BackwardRun run;
  FailureOr<std::unique_ptr<LinkedModel>> model =
      LinkedModel::create(module, /*training=*/true);
  if (failed(model))
    return failure();
  run.model = std::move(*model);
  FailureOr<BackwardFn> backward =
      run.model->lookup<BackwardFn>("backward", loc);
  if (failed(backward))
    return failure();
  run.backward = *backward;
  run.params.reset(netc_params_create(&run.model->info()));
  if (!run.params)
    return emitError(loc, "out of memory for the parameters");
  return run;
}

LogicalResult mlir::netc::gradModel(ModuleOp module,
                                    const GradOptions &options) {
  Location loc = UnknownLoc::get(module.getContext());
  FailureOr<ModelSignature> sig = getSignature(module);
  if (failed(sig))
    return failure();
  if (failed(checkOutputPath(loc, options.outputPath, "-o")) ||
      failed(checkOutputPath(loc, options.inputGradPath, "--input-grad")))
    return failure();
  FailureOr<Batch> input =
      readNpyBatch(loc, options.inputPath, sig->inputShape, "input");
  if (failed(input))
    return failure();
  FailureOr<BackwardRun> run = linkBackward(module, loc);
  if (failed(run))
    return failure();
  run->input = std::move(input->values);
  run->batch = input->batch;
  run->seed = options.seed;
  if (failed(readTargets(loc, options.targetPath, *sig, run->model->training(),
                         run->batch, run->labels, run->targets)) ||
      failed(loadParameters(loc, run->model->info(), options.weightsPath,
                            options.seed, run->params.get(), "grad")))
    return failure();

  std::vector<float> grads(run->model->info().param_floats);
  std::vector<float> inputGrad(run->input.size());
  float loss = run->run(grads.data(), inputGrad.data());
  if (!run->refused.empty())
    return emitError(loc) << run->refused;
  llvm::outs() << "loss: " << llvm::format("%.9g", loss) << "\n";
  if (netc_params_save_safetensors(&run->model->info(),
                                   options.outputPath.c_str(),
                                   grads.data()) != NETC_OK)
    return emitError(loc) << netc_last_error();
  if (!options.inputGradPath.empty()) {
    SmallVector<int64_t> shape{run->batch};
    llvm::append_range(shape, sig->inputShape);
    if (netc_array_save_npy(options.inputGradPath.c_str(), inputGrad.data(),
                            shape.size(), shape.data()) != NETC_OK)
      return emitError(loc) << netc_last_error();
  }
  return success();
}

/// The elements of a tensor of `numel` elements a check probes: all of a
/// small tensor, else `count` spread evenly.
static SmallVector<int64_t> probedElements(int64_t numel, int64_t count) {
  SmallVector<int64_t> elements;
  for (int64_t i = 0; i < std::min(numel, count); ++i)
    elements.push_back(numel <= count ? i : i * numel / count);
  return elements;
}

LogicalResult mlir::netc::gradCheckModel(ModuleOp module,
                                         const GradCheckOptions &options) {
  Location loc = UnknownLoc::get(module.getContext());
  FailureOr<BackwardRun> run = linkBackward(module, loc);
  if (failed(run))
    return failure();
  const LinkedModel &model = *run->model;
  const ModelSignature &sig = model.signature();
  if (netc_params_init(&model.info(), options.seed, run->params.get()) !=
      NETC_OK)
    return emitError(loc) << netc_last_error();

  // Random data in [-1, 1), random labels or targets.
  std::mt19937_64 random(options.seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  run->batch = options.batch;
  run->seed = options.seed;
  run->input.resize(run->batch * model.inputSize());
  for (float &x : run->input)
    x = uniform(random);
  if (model.training().classification) {
    std::uniform_int_distribution<int32_t> label(0, sig.outputShape[0] - 1);
    for (int64_t i = 0; i < run->batch; ++i)
      run->labels.push_back(label(random));
  } else {
    run->targets.resize(run->batch * model.outputSize());
    for (float &t : run->targets)
      t = uniform(random);
  }

  std::vector<float> grads(model.info().param_floats);
  std::vector<float> inputGrad(run->input.size());
  run->run(grads.data(), inputGrad.data());
  if (!run->refused.empty())
    return emitError(loc) << run->refused;

  // Central differences of the f32 loss; an element passes when it agrees
  // with the gradient to a relative tolerance plus an absolute one of 1% of
  // the largest gradient: float rounding of the loss bounds what a
  // difference resolves. A step that crosses a kink (relu at 0, a pooling
  // window's choice) measures an average of two slopes, as likely as the
  // step is long; an element that disagrees is measured again with a step
  // ten times shorter, which crosses a tenth as many.
  float scale = 0;
  for (const std::vector<float> *gradients : {&grads, &inputGrad})
    for (float g : *gradients)
      scale = std::max(scale, std::fabs(g));
  bool passed = true;
  auto check = [&](StringRef name, float *values, const float *analytic,
                   int64_t numel) {
    double worst = 0;
    int64_t failures = 0;
    SmallVector<int64_t> probed = probedElements(numel, options.probes);
    for (int64_t i : probed) {
      float saved = values[i];
      double error = 0;
      bool agrees = false;
      for (double h : {options.step, options.step / 10}) {
        values[i] = saved + h;
        double plus = run->run();
        values[i] = saved - h;
        double minus = run->run();
        values[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        error = std::fabs(numeric - analytic[i]);
        double allowed =
            options.tolerance *
                std::max(std::fabs(numeric), std::fabs(double(analytic[i]))) +
            0.01 * scale;
        agrees = error <= allowed;
        if (agrees)
          break;
      }
      worst = std::max(worst, error);
      if (!agrees)
        ++failures;
    }
    passed &= failures == 0;
    llvm::outs() << llvm::format("%-32s %4d probed, max abs error %.3g %s\n",
                                 name.str().c_str(), (int)probed.size(), worst,
                                 failures ? "FAIL" : "ok");
  };
  for (const ParameterInfo &param : sig.params)
    if (!param.isBuffer)
      check(param.name, run->params.get() + param.offset,
            grads.data() + param.offset, param.numel);
  check("(input)", run->input.data(), inputGrad.data(), run->input.size());
  llvm::outs() << "gradcheck " << sig.name << ": "
               << (passed ? "PASS" : "FAIL") << "\n";
  if (!passed)
    return emitError(loc) << "analytic and finite-difference gradients "
                             "disagree";
  return success();
}
