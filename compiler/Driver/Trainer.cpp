//===- Trainer.cpp - netc train -------------------------------------------===//
//
// Thin glue: the compiled training steps linked into this process, handed
// to the runtime's trainer, which owns the loop, the optimizer state and
// the checkpoints.
//
//===----------------------------------------------------------------------===//

#include "Data.h"

#include "netc/Driver/Driver.h"
#include "netc/Driver/LinkedModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <unistd.h>

using namespace mlir;
using namespace mlir::netc;

namespace {
struct TrainerDeleter {
  void operator()(netc_trainer *trainer) const { netc_trainer_free(trainer); }
};
struct DatasetDeleter {
  void operator()(netc_dataset *dataset) const { netc_dataset_free(dataset); }
};
using DatasetPtr = std::unique_ptr<netc_dataset, DatasetDeleter>;
} // namespace

/// `dir/stem` or `dir/stem.gz`, whichever exists; empty if neither.
static std::string findIdxFile(StringRef dir, StringRef stem) {
  for (StringRef suffix : {".gz", ""}) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, stem + suffix);
    if (llvm::sys::fs::exists(path))
      return path.str().str();
  }
  return "";
}

/// Loads `<prefix>-images-idx3-ubyte` and its labels from `dir`; a null
/// dataset if the images are not there and `required` is false.
static FailureOr<DatasetPtr> loadIdx(Location loc, StringRef dir,
                                     StringRef prefix, bool required) {
  std::string images = findIdxFile(dir, (prefix + "-images-idx3-ubyte").str());
  std::string labels = findIdxFile(dir, (prefix + "-labels-idx1-ubyte").str());
  if (images.empty() || labels.empty()) {
    if (!required)
      return DatasetPtr();
    return emitError(loc) << dir << ": no " << prefix
                          << "-images-idx3-ubyte(.gz) and " << prefix
                          << "-labels-idx1-ubyte(.gz)";
  }
  netc_dataset *dataset = nullptr;
  if (netc_dataset_load_idx(images.c_str(), labels.c_str(), &dataset) !=
      NETC_OK)
    return emitError(loc) << netc_last_error();
  return DatasetPtr(dataset);
}

/// Trains on an IDX data set with the runtime's fit loop.
static LogicalResult fitIdx(Location loc, netc_trainer *trainer,
                            const TrainOptions &options) {
  FailureOr<DatasetPtr> train = loadIdx(loc, options.dataDir, "train", true);
  FailureOr<DatasetPtr> test = loadIdx(loc, options.dataDir, "t10k", false);
  if (failed(train) || failed(test))
    return failure();
  netc_fit_options fit = netc_fit_options_default();
  fit.train = train->get();
  fit.test = test->get();
  fit.mean = options.mean;
  fit.stddev = options.stddev;
  fit.epochs = options.epochs;
  fit.batch_size = options.batchSize;
  fit.shuffle_seed = options.seed;
  fit.checkpoint_path =
      options.checkpointPath.empty() ? nullptr : options.checkpointPath.c_str();
  fit.checkpoint_every = options.checkpointEvery;
  // A resumed trainer has loaded the checkpoint already (trainModel).
  fit.progress = netc_progress_bar;
  fit.epoch_end = netc_epoch_summary;
  int64_t epochsDone = 0, batchesDone = 0;
  netc_trainer_position(trainer, &epochsDone, &batchesDone);
  if (epochsDone >= options.epochs)
    llvm::errs() << "netc train: " << options.checkpointPath << " has "
                 << epochsDone << " epochs done already; --epochs "
                 << options.epochs << " leaves none to train\n";
  netc_fit_report report{};
  netc_status status = netc_fit(trainer, &fit, &report);
  // On a terminal, an epoch cut short leaves its progress bar open.
  if (status != NETC_OK && report.batches_run > 0 && ::isatty(STDERR_FILENO))
    llvm::errs() << "\n";
  // The history so far is worth plotting even when training stopped.
  int64_t epochs = 0;
  const netc_epoch_result *history = netc_trainer_history(trainer, &epochs);
  if (!options.plotPath.empty() && epochs > 0 &&
      netc_plot_history_png(options.plotPath.c_str(), history, epochs, 0, 0) !=
          NETC_OK)
    return emitError(loc) << netc_last_error();
  if (status != NETC_OK)
    return emitError(loc) << netc_last_error();
  llvm::outs() << "trained " << report.batches_run << " steps in "
               << llvm::format("%.1f", report.seconds) << " s";
  if (epochs > 0 && !std::isnan(history[epochs - 1].test_accuracy))
    llvm::outs() << ", test accuracy "
                 << llvm::format("%.2f%%",
                                 100 * history[epochs - 1].test_accuracy);
  llvm::outs() << "\n";
  return success();
}

/// Steps through .npy arrays in order, a batch at a time, printing each
/// step's loss: the trajectory PyTorch parity tests compare.
static LogicalResult stepArrays(Location loc, netc_trainer *trainer,
                                const LinkedModel &model,
                                const TrainOptions &options) {
  const ModelSignature &sig = model.signature();
  FailureOr<Batch> input =
      readNpyBatch(loc, options.inputPath, sig.inputShape, "input");
  if (failed(input))
    return failure();
  std::vector<int32_t> labels;
  std::vector<float> targets;
  if (failed(readTargets(loc, options.targetPath, sig, model.training(),
                         input->batch, labels, targets)))
    return failure();
  int64_t samples = input->batch, batchSize = options.batchSize;
  if (samples == 0)
    return emitError(loc) << options.inputPath << ": no samples to train on";
  // Without overflow: batchSize may be anything up to INT64_MAX.
  int64_t batches = samples / batchSize + (samples % batchSize != 0);
  int64_t steps = options.steps;
  if (!steps && __builtin_mul_overflow(options.epochs, batches, &steps))
    return emitError(loc) << "--epochs " << options.epochs << " of "
                          << batches << " batches are too many steps";
  for (int64_t step = 0; step < steps; ++step) {
    int64_t first = (step % batches) * batchSize;
    int64_t count = std::min(batchSize, samples - first);
    const void *target =
        model.training().classification
            ? static_cast<const void *>(labels.data() + first)
            : static_cast<const void *>(targets.data() +
                                        first * model.outputSize());
    float loss = 0;
    netc_status status = netc_trainer_step(
        trainer, input->values.data() + first * model.inputSize(), target,
        count, &loss);
    llvm::outs() << "step " << step + 1 << ": loss "
                 << llvm::format("%.9g", loss) << "\n";
    if (status != NETC_OK)
      return emitError(loc) << netc_last_error();
  }
  return success();
}

/// The options `flags` give: their values over `base` (PyTorch's defaults
/// for the kind, or a resumed checkpoint's options). With `resumed`, says on
/// stderr which of the checkpoint's options a flag replaces.
static netc_optimizer_options applyFlags(const OptimizerFlags &flags,
                                         netc_optimizer_options options,
                                         bool resumed) {
  static constexpr struct {
    const char *flag;
    std::optional<double> OptimizerFlags::*given;
    double netc_optimizer_options::*field;
  } kFields[] = {
      {"lr", &OptimizerFlags::lr, &netc_optimizer_options::lr},
      {"momentum", &OptimizerFlags::momentum,
       &netc_optimizer_options::momentum},
      {"dampening", &OptimizerFlags::dampening,
       &netc_optimizer_options::dampening},
      {"weight-decay", &OptimizerFlags::weightDecay,
       &netc_optimizer_options::weight_decay},
      {"beta1", &OptimizerFlags::beta1, &netc_optimizer_options::beta1},
      {"beta2", &OptimizerFlags::beta2, &netc_optimizer_options::beta2},
      {"eps", &OptimizerFlags::eps, &netc_optimizer_options::eps},
  };
  for (const auto &field : kFields) {
    const std::optional<double> &given = flags.*field.given;
    double &value = options.*field.field;
    if (!given || *given == value)
      continue;
    if (resumed)
      llvm::errs() << "netc train: --" << field.flag << " "
                   << llvm::format("%g", *given)
                   << " replaces the checkpoint's "
                   << llvm::format("%g", value) << "\n";
    value = *given;
  }
  if (flags.nesterov && *flags.nesterov != bool(options.nesterov)) {
    if (resumed)
      llvm::errs() << "netc train: --nesterov="
                   << (*flags.nesterov ? "true" : "false")
                   << " replaces the checkpoint's "
                   << (options.nesterov ? "true" : "false") << "\n";
    options.nesterov = *flags.nesterov;
  }
  return options;
}

LogicalResult mlir::netc::trainModel(ModuleOp module,
                                     const TrainOptions &options) {
  Location loc = UnknownLoc::get(module.getContext());
  // Everything that can be checked before training is: a typo in an output
  // path must not cost a finished run.
  if (failed(checkOutputPath(loc, options.outputPath, "-o")) ||
      failed(checkOutputPath(loc, options.checkpointPath, "--checkpoint")) ||
      failed(checkOutputPath(loc, options.plotPath, "--plot")))
    return failure();
  if (options.resume && !llvm::sys::fs::exists(options.checkpointPath))
    return emitError(loc) << "--resume: no checkpoint "
                          << options.checkpointPath << " to resume from";
  netc_optimizer_options optimizer = applyFlags(
      options.optimizer,
      netc_optimizer_options_default(options.optimizer.kind), false);
  if (netc_optimizer_options_check(&optimizer) != NETC_OK)
    return emitError(loc) << netc_last_error();

  FailureOr<std::unique_ptr<LinkedModel>> model =
      LinkedModel::create(module, /*training=*/true);
  if (failed(model))
    return failure();
  FailureOr<netc_model_entry_points> entry = (*model)->entryPoints(loc);
  if (failed(entry))
    return failure();
  netc_trainer *created = nullptr;
  if (netc_trainer_create(&(*model)->info(), &*entry, &optimizer,
                          options.seed, &created) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_trainer, TrainerDeleter> trainer(created);
  if (options.resume) {
    // The checkpoint's options go on unless a flag replaces one.
    if (netc_trainer_load_checkpoint(trainer.get(),
                                     options.checkpointPath.c_str()) !=
        NETC_OK)
      return emitError(loc) << netc_last_error();
    optimizer = applyFlags(options.optimizer,
                           *netc_trainer_options(trainer.get()), true);
    if (netc_trainer_set_options(trainer.get(), &optimizer) != NETC_OK)
      return emitError(loc) << netc_last_error();
  }
  if (!options.weightsPath.empty() &&
      failed(loadParameters(loc, (*model)->info(), options.weightsPath,
                            options.seed, netc_trainer_params(trainer.get()))))
    return failure();

  LogicalResult trained =
      options.dataDir.empty()
          ? stepArrays(loc, trainer.get(), **model, options)
          : fitIdx(loc, trainer.get(), options);
  if (failed(trained))
    return failure();
  if (!options.outputPath.empty() &&
      netc_params_save_safetensors(&(*model)->info(),
                                   options.outputPath.c_str(),
                                   netc_trainer_params(trainer.get())) !=
          NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}
