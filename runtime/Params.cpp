//===- Params.cpp - Parameter buffers and model checks --------------------===//
//
// netc_params_create/free, and the checks of a netc_model_info that loading
// and saving run before touching a parameter buffer.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cstring>
#include <set>
#include <string>

using namespace netc;

/// Alignment of parameter buffers, bytes: a cache line and an AVX-512
/// vector, so generated code may use aligned loads.
static constexpr size_t kParamsAlignment = 64;

float *netc_params_create(const netc_model_info *model) {
  if (!model) {
    setError(NETC_ERROR_INVALID_ARGUMENT, "netc_params_create: model is NULL");
    return nullptr;
  }
  if (model->param_floats < 0) {
    setError(NETC_ERROR_INVALID_ARGUMENT,
             "netc_params_create: model '%s' has param_floats %lld < 0",
             model->name ? model->name : "?",
             static_cast<long long>(model->param_floats));
    return nullptr;
  }
  // aligned_alloc wants a multiple of the alignment; never ask for 0 bytes.
  uint64_t floats = static_cast<uint64_t>(model->param_floats);
  uint64_t bytes;
  if (__builtin_mul_overflow(floats, sizeof(float), &bytes) ||
      bytes > SIZE_MAX - kParamsAlignment) {
    setError(NETC_ERROR_OUT_OF_MEMORY,
             "netc_params_create: %llu floats do not fit in memory",
             static_cast<unsigned long long>(floats));
    return nullptr;
  }
  size_t rounded =
      (bytes + kParamsAlignment - 1) / kParamsAlignment * kParamsAlignment;
  if (rounded == 0)
    rounded = kParamsAlignment;
  void *buffer = std::aligned_alloc(kParamsAlignment, rounded);
  if (!buffer) {
    setError(NETC_ERROR_OUT_OF_MEMORY,
             "netc_params_create: cannot allocate %zu bytes", rounded);
    return nullptr;
  }
  std::memset(buffer, 0, rounded);
  return static_cast<float *>(buffer);
}

void netc_params_free(float *params) { std::free(params); }

netc_status netc::checkModel(const netc_model_info *model, const char *path) {
  const char *modelName = model->name ? model->name : "?";
  if (model->param_floats < 0 || model->num_params < 0 ||
      (model->num_params > 0 && !model->params))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "%s: model '%s' has an invalid parameter table "
                    "(param_floats %lld, num_params %d)",
                    path, modelName,
                    static_cast<long long>(model->param_floats),
                    model->num_params);
  for (int32_t i = 0; i < model->num_params; ++i) {
    const netc_param_info &param = model->params[i];
    if (!param.name)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "%s: model '%s': parameter %d has no name", path,
                      modelName, i);
    int64_t numel = -1;
    bool validShape = param.rank >= 0 && param.rank <= NETC_MAX_RANK;
    for (int32_t d = 0; validShape && d < param.rank; ++d)
      validShape = param.shape[d] >= 0;
    if (!validShape || !shapeNumel(param.shape, param.rank, numel) ||
        numel != param.numel)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "%s: model '%s': parameter '%s' has rank %d and numel "
                      "%lld that do not agree with its shape",
                      path, modelName, param.name, param.rank,
                      static_cast<long long>(param.numel));
    if (param.offset < 0 || param.offset > model->param_floats - numel)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "%s: model '%s': parameter '%s' at offset %lld with "
                      "%lld floats lies outside the %lld-float buffer",
                      path, modelName, param.name,
                      static_cast<long long>(param.offset),
                      static_cast<long long>(numel),
                      static_cast<long long>(model->param_floats));
  }
  return NETC_OK;
}

netc_status netc::checkModelBuffer(const netc_model_info *model,
                                   const char *path, const void *buffer,
                                   const char *function,
                                   const char *bufferName) {
  if (netc_status status = checkModel(model, path))
    return status;
  if (!buffer && model->param_floats > 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT, "%s: %s is NULL", function,
                    bufferName);
  return NETC_OK;
}

netc_status netc::checkUniqueNames(const netc_model_info *model,
                                   const char *path) {
  std::set<std::string> seen;
  for (int32_t i = 0; i < model->num_params; ++i)
    if (!seen.insert(model->params[i].name).second)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "%s: model '%s' has two parameters named '%s'", path,
                      model->name ? model->name : "?", model->params[i].name);
  return NETC_OK;
}
