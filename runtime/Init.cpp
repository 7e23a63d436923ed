//===- Init.cpp - Seeded PyTorch-style parameter initialisation -----------===//
//
// netc_params_init: zeros, ones and PyTorch's default uniform ranges, drawn
// from one PCG32 stream per parameter so that a seed reproduces the same
// bits everywhere (netc.h documents the exact recipe).
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <algorithm>
#include <cmath>

using namespace netc;

/// Maps 32 random bits to [-1, 1): their top 24 bits as a multiple of
/// 2^-23, which float32 holds exactly.
static float symmetricUnit(uint32_t bits) {
  int32_t steps = static_cast<int32_t>(bits >> 8) - (1 << 23);
  return static_cast<float>(steps) * 0x1p-23f;
}

netc_status netc_params_init(const netc_model_info *model, uint64_t seed,
                             float *params) {
  if (!model)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_params_init: model is NULL");
  if (netc_status status = checkModelBuffer(model, "netc_params_init", params,
                                            "netc_params_init", "params"))
    return status;
  // Check every parameter before writing any, so a failure changes nothing.
  for (int32_t i = 0; i < model->num_params; ++i) {
    const netc_param_info &param = model->params[i];
    if (param.init != NETC_INIT_ZEROS && param.init != NETC_INIT_ONES &&
        param.init != NETC_INIT_UNIFORM)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "netc_params_init: parameter '%s' has unknown init "
                      "kind %d, expected 0 (zeros), 1 (ones) or 2 (uniform)",
                      param.name, param.init);
    if (param.init == NETC_INIT_UNIFORM &&
        !(std::isfinite(param.init_bound) && param.init_bound >= 0))
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "netc_params_init: parameter '%s' has init_bound %g, "
                      "expected a finite bound >= 0",
                      param.name, static_cast<double>(param.init_bound));
  }
  for (int32_t i = 0; i < model->num_params; ++i) {
    const netc_param_info &param = model->params[i];
    float *begin = params + param.offset;
    float *end = begin + param.numel;
    switch (static_cast<netc_init>(param.init)) {
    case NETC_INIT_ZEROS:
      std::fill(begin, end, 0.0f);
      break;
    case NETC_INIT_ONES:
      std::fill(begin, end, 1.0f);
      break;
    case NETC_INIT_UNIFORM: {
      Pcg32 random(seed, static_cast<uint64_t>(i));
      for (float *value = begin; value != end; ++value)
        *value = param.init_bound * symmetricUnit(random.next());
      break;
    }
    }
  }
  return NETC_OK;
}
