//===- Trainer.h - The trainer handle's state -------------------*- C++ -*-===//
//
// What a netc_trainer holds, shared by the low-level trainer (Trainer.cpp),
// its checkpoints (Checkpoint.cpp) and the fit loop (Fit.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef NETC_RUNTIME_TRAINER_H
#define NETC_RUNTIME_TRAINER_H

#include "RuntimeImpl.h"

namespace netc {

/// Frees a buffer from netc_params_create.
struct ParamsDeleter {
  void operator()(float *p) const { netc_params_free(p); }
};
using ParamsBuffer = std::unique_ptr<float, ParamsDeleter>;

/// Where netc_fit stands, so that a checkpoint can resume mid-epoch.
struct FitPosition {
  int64_t epoch = 0;        ///< completed epochs
  int64_t batchesDone = 0;  ///< batches of epoch `epoch` done
  double epochLossSum = 0;  ///< sum of loss * batch size over those batches
  int64_t epochSamples = 0; ///< samples in those batches
  /// The fit options that fix the batches' contents; 0 before any fit.
  int64_t batchSize = 0;
  uint64_t shuffleSeed = 0;
  int64_t trainSize = 0;
};

/// The lowercase name of optimizer `kind` ("sgd", "adam", "adamw"), or
/// nullptr for an unknown kind.
const char *optimizerName(int32_t kind);

} // namespace netc

/// A trainer: the model, its compiled entry points and everything training
/// changes.
struct netc_trainer {
  const netc_model_info *model = nullptr;
  netc_model_entry_points entry = {};
  netc_optimizer_options options = {};
  uint64_t seed = 0;
  int64_t step = 0;
  /// Whether a step with momentum has run: torch.optim.SGD starts the
  /// momentum buffer as the gradient then (NETC_SGD_FIRST_STEP).
  bool momentumStarted = false;
  /// Whether the state was just restored from a checkpoint (and no fit has
  /// run since): the next fit continues the checkpoint's run.
  bool restored = false;
  netc::ParamsBuffer params;
  /// SGD's momentum buffer or Adam's exp_avg, laid out like `params`.
  netc::ParamsBuffer state1;
  /// Adam's exp_avg_sq; null for SGD.
  netc::ParamsBuffer state2;
  netc::FitPosition position;
  std::vector<netc_epoch_result> history;
};

#endif // NETC_RUNTIME_TRAINER_H
