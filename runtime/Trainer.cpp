//===- Trainer.cpp - The low-level trainer --------------------------------===//
//
// netc_trainer: owns the parameters and optimizer state of one model and
// calls its compiled step function, filling the hparams array and the
// dropout seed; it computes nothing but those scalars.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <cmath>
#include <new>

using namespace netc;

/// Whether `kind` keeps exp_avg and exp_avg_sq.
static bool isAdam(int32_t kind) {
  return kind == NETC_OPTIMIZER_ADAM || kind == NETC_OPTIMIZER_ADAMW;
}

netc_status netc_trainer_create(const netc_model_info *model,
                                const netc_model_entry_points *entry,
                                const netc_optimizer_options *options,
                                uint64_t seed, netc_trainer **out) {
  if (!out)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_create: out is NULL");
  *out = nullptr;
  if (!model || !entry || !options)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_create: %s is NULL",
                    !model   ? "model"
                    : !entry ? "entry"
                             : "options");
  if (netc_status status = netc_optimizer_options_check(options))
    return status;
  if (options->kind == NETC_OPTIMIZER_SGD ? !entry->sgd_step
                                          : !entry->adam_step)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_create: the %s optimizer needs the "
                    "model's %s entry point, which is NULL",
                    optimizerName(options->kind),
                    options->kind == NETC_OPTIMIZER_SGD ? "sgd_step"
                                                        : "adam_step");
  if (netc_status status = checkModel(model, "netc_trainer_create"))
    return status;
  if (netc_status status = checkUniqueNames(model, "netc_trainer_create"))
    return status;

  std::unique_ptr<netc_trainer> trainer(new (std::nothrow) netc_trainer);
  if (!trainer)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "netc_trainer_create: cannot allocate a trainer");
  trainer->model = model;
  trainer->entry = *entry;
  trainer->options = *options;
  trainer->seed = seed;
  // netc_params_create zeroes, which is the optimizer state's start.
  trainer->params.reset(netc_params_create(model));
  trainer->state1.reset(netc_params_create(model));
  if (isAdam(options->kind))
    trainer->state2.reset(netc_params_create(model));
  if (!trainer->params || !trainer->state1 ||
      (isAdam(options->kind) && !trainer->state2))
    return NETC_ERROR_OUT_OF_MEMORY; // netc_params_create set the message
  if (netc_status status = netc_params_init(model, seed, trainer->params.get()))
    return status;
  *out = trainer.release();
  return NETC_OK;
}

void netc_trainer_free(netc_trainer *trainer) { delete trainer; }

netc_status netc_trainer_step(netc_trainer *trainer, const float *input,
                              const void *target, int64_t batch, float *loss) {
  if (!trainer || !input || !target)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_step: %s is NULL",
                    !trainer ? "trainer"
                    : !input ? "input"
                             : "target");
  if (batch < 1)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_step: batch %lld is not positive",
                    static_cast<long long>(batch));
  const netc_optimizer_options &o = trainer->options;
  int64_t step = trainer->step + 1;
  uint64_t seed = netc_seed_derive(trainer->seed, static_cast<uint64_t>(step));
  float value = NAN;
  int status;
  if (o.kind == NETC_OPTIMIZER_SGD) {
    float hparams[NETC_SGD_HPARAMS];
    hparams[NETC_SGD_LR] = static_cast<float>(o.lr);
    hparams[NETC_SGD_MOMENTUM] = static_cast<float>(o.momentum);
    hparams[NETC_SGD_DAMPENING] = static_cast<float>(o.dampening);
    hparams[NETC_SGD_WEIGHT_DECAY] = static_cast<float>(o.weight_decay);
    hparams[NETC_SGD_NESTEROV] = o.nesterov ? 1.0f : 0.0f;
    bool withMomentum = o.momentum != 0;
    hparams[NETC_SGD_FIRST_STEP] =
        withMomentum && !trainer->momentumStarted ? 1.0f : 0.0f;
    status =
        trainer->entry.sgd_step(trainer->params.get(), trainer->state1.get(),
                                input, target, batch, seed, hparams, &value);
    if (status == NETC_OK)
      trainer->momentumStarted |= withMomentum;
  } else {
    // torch: bias_correction = 1 - beta ** step, in Python floats.
    double t = static_cast<double>(step);
    float hparams[NETC_ADAM_HPARAMS];
    hparams[NETC_ADAM_LR] = static_cast<float>(o.lr);
    hparams[NETC_ADAM_BETA1] = static_cast<float>(o.beta1);
    hparams[NETC_ADAM_BETA2] = static_cast<float>(o.beta2);
    hparams[NETC_ADAM_EPS] = static_cast<float>(o.eps);
    hparams[NETC_ADAM_WEIGHT_DECAY] = static_cast<float>(o.weight_decay);
    hparams[NETC_ADAM_DECOUPLED] = o.kind == NETC_OPTIMIZER_ADAMW ? 1.0f : 0.0f;
    hparams[NETC_ADAM_BIAS_CORRECTION1] =
        static_cast<float>(1.0 - std::pow(o.beta1, t));
    hparams[NETC_ADAM_BIAS_CORRECTION2] =
        static_cast<float>(1.0 - std::pow(o.beta2, t));
    status = trainer->entry.adam_step(
        trainer->params.get(), trainer->state1.get(), trainer->state2.get(),
        input, target, batch, seed, hparams, &value);
  }
  // The entry point refused the step and said why (netc_last_error); the
  // step did not happen.
  if (status != NETC_OK)
    return static_cast<netc_status>(status);
  trainer->step = step;
  if (loss)
    *loss = value;
  if (!std::isfinite(value))
    return setError(NETC_ERROR_DIVERGED,
                    "netc_trainer_step: the loss is %s at step %lld",
                    formatDouble(value).c_str(), static_cast<long long>(step));
  return NETC_OK;
}

netc_status netc_trainer_set_options(netc_trainer *trainer,
                                     const netc_optimizer_options *options) {
  if (!trainer || !options)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_set_options: %s is NULL",
                    !trainer ? "trainer" : "options");
  if (netc_status status = netc_optimizer_options_check(options))
    return status;
  if (options->kind != trainer->options.kind)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_set_options: cannot change the optimizer "
                    "from %s to %s, its state would not carry over",
                    optimizerName(trainer->options.kind),
                    optimizerName(options->kind));
  trainer->options = *options;
  return NETC_OK;
}

const netc_optimizer_options *
netc_trainer_options(const netc_trainer *trainer) {
  return trainer ? &trainer->options : nullptr;
}

float *netc_trainer_params(netc_trainer *trainer) {
  return trainer ? trainer->params.get() : nullptr;
}

int64_t netc_trainer_step_count(const netc_trainer *trainer) {
  return trainer ? trainer->step : -1;
}

uint64_t netc_trainer_seed(const netc_trainer *trainer) {
  return trainer ? trainer->seed : 0;
}

const netc_model_info *netc_trainer_model(const netc_trainer *trainer) {
  return trainer ? trainer->model : nullptr;
}

netc_status netc_trainer_position(const netc_trainer *trainer, int64_t *epoch,
                                  int64_t *batches_done) {
  if (!trainer || !epoch || !batches_done)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_position: %s is NULL",
                    !trainer ? "trainer"
                    : !epoch ? "epoch"
                             : "batches_done");
  *epoch = trainer->position.epoch;
  *batches_done = trainer->position.batchesDone;
  return NETC_OK;
}

const netc_epoch_result *netc_trainer_history(const netc_trainer *trainer,
                                              int64_t *count) {
  size_t size = trainer ? trainer->history.size() : 0;
  if (count)
    *count = static_cast<int64_t>(size);
  return size ? trainer->history.data() : nullptr;
}
