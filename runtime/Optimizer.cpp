//===- Optimizer.cpp - Optimizer options and derived seeds ----------------===//
//
// torch.optim's SGD, Adam and AdamW options: their defaults and the
// argument checks of their constructors, with the same messages, and the
// SplitMix64 seed derivation the trainer and the fit loop use.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <cmath>

using namespace netc;

const char *netc::optimizerName(int32_t kind) {
  switch (kind) {
  case NETC_OPTIMIZER_SGD:
    return "sgd";
  case NETC_OPTIMIZER_ADAM:
    return "adam";
  case NETC_OPTIMIZER_ADAMW:
    return "adamw";
  default:
    return nullptr;
  }
}

netc_optimizer_options netc_optimizer_options_default(int32_t kind) {
  netc_optimizer_options options{};
  options.kind = kind;
  options.beta1 = 0.9;
  options.beta2 = 0.999;
  options.eps = 1e-8;
  if (kind == NETC_OPTIMIZER_ADAM || kind == NETC_OPTIMIZER_ADAMW) {
    options.lr = 1e-3;
    options.weight_decay = kind == NETC_OPTIMIZER_ADAMW ? 1e-2 : 0;
  } else {
    // torch.optim.SGD requires lr; a usable default beats a failing one.
    options.lr = 0.01;
  }
  return options;
}

/// Whether `value` lies in [0, inf): torch's `0.0 <= value`, which NaN fails,
/// without infinity.
static bool isFiniteNonNegative(double value) {
  return value >= 0 && std::isfinite(value);
}

netc_status
netc_optimizer_options_check(const netc_optimizer_options *options) {
  if (!options)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_optimizer_options_check: options is NULL");
  const netc_optimizer_options &o = *options;
  if (!optimizerName(o.kind))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "Invalid optimizer kind: %d, expected 0 (SGD), 1 (Adam) "
                    "or 2 (AdamW)",
                    o.kind);
  // The checks in the order torch's constructors run them.
  if (!isFiniteNonNegative(o.lr))
    return setError(NETC_ERROR_INVALID_ARGUMENT, "Invalid learning rate: %s",
                    formatDouble(o.lr).c_str());
  if (o.kind == NETC_OPTIMIZER_SGD) {
    if (!isFiniteNonNegative(o.momentum))
      return setError(NETC_ERROR_INVALID_ARGUMENT, "Invalid momentum value: %s",
                      formatDouble(o.momentum).c_str());
    if (!isFiniteNonNegative(o.weight_decay))
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "Invalid weight_decay value: %s",
                      formatDouble(o.weight_decay).c_str());
    if (!std::isfinite(o.dampening))
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "Invalid dampening value: %s",
                      formatDouble(o.dampening).c_str());
    if (o.nesterov != 0 && o.nesterov != 1)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "Invalid nesterov value: %d, expected 0 or 1",
                      o.nesterov);
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "Nesterov momentum requires a momentum and zero "
                      "dampening");
    return NETC_OK;
  }
  if (!isFiniteNonNegative(o.eps))
    return setError(NETC_ERROR_INVALID_ARGUMENT, "Invalid epsilon value: %s",
                    formatDouble(o.eps).c_str());
  if (!(o.beta1 >= 0 && o.beta1 < 1))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "Invalid beta parameter at index 0: %s",
                    formatDouble(o.beta1).c_str());
  if (!(o.beta2 >= 0 && o.beta2 < 1))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "Invalid beta parameter at index 1: %s",
                    formatDouble(o.beta2).c_str());
  if (!isFiniteNonNegative(o.weight_decay))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "Invalid weight_decay value: %s",
                    formatDouble(o.weight_decay).c_str());
  return NETC_OK;
}

uint64_t netc_seed_derive(uint64_t seed, uint64_t index) {
  uint64_t z = seed + index * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
