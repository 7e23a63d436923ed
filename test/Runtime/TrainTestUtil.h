//===- TrainTestUtil.h - A fake compiled model for training -----*- C++ -*-===//
//
// A linear classifier (logits = W x + b over 2x2 images, 3 classes), and a
// model without parameters, whose "compiled" entry points are written here:
// test doubles may compute, the runtime may not. The steps follow torch.optim's
// SGD and Adam updates and record every call, so the tests see what the trainer
// passed.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_TEST_RUNTIME_TRAINTESTUTIL_H
#define NETC_TEST_RUNTIME_TRAINTESTUTIL_H

#include "TestUtil.h"

#include "netc-c/netc.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace netc::test {

constexpr int kPixels = 4; ///< a 2x2 image
constexpr int kClasses = 3;

/// fc.weight [3, 4] and fc.bias [3]; one spare float at the end.
inline const netc_param_info kLinearParams[] = {
    {"fc.weight", 0, 12, 2, {3, 4}, NETC_INIT_UNIFORM, 0.5f, 0},
    {"fc.bias", 12, 3, 1, {3}, NETC_INIT_UNIFORM, 0.5f, 0},
};
inline const netc_model_info kLinear = {"linear", 16,        2, kLinearParams,
                                        3,        {1, 2, 2}, 1, {3}};

/// What one call of a fake step saw.
struct StepCall {
  std::vector<float> hparams;
  uint64_t seed;
  int64_t batch;
  std::vector<float> input; ///< batch * 4 floats
  std::vector<int32_t> labels;
  std::vector<float> state; ///< momentum / exp_avg on entry
};

/// The fake steps' shared record and switches (reset by each test fixture).
struct FakeModel {
  std::vector<StepCall> calls;
  /// The call (from 0) whose loss is reported as NaN; -1 for none.
  int nanAtCall = -1;
  /// Refuse the next step as a compiled step refuses a NULL pointer: no
  /// call recorded, NETC_ERROR_INVALID_ARGUMENT.
  bool refuseNext = false;
};
inline FakeModel &fakeModel() {
  static FakeModel model;
  return model;
}

/// Logits of one sample.
inline void linearLogits(const float *params, const float *x, float *logits) {
  for (int c = 0; c < kClasses; ++c) {
    float sum = params[12 + c];
    for (int p = 0; p < kPixels; ++p)
      sum += params[c * kPixels + p] * x[p];
    logits[c] = sum;
  }
}

/// Mean cross-entropy loss of a batch and its gradient (16 floats).
inline float linearLossAndGrad(const float *params, const float *input,
                               const int32_t *labels, int64_t batch,
                               float *grad) {
  std::fill(grad, grad + 16, 0.0f);
  double loss = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const float *x = input + i * kPixels;
    float logits[kClasses];
    linearLogits(params, x, logits);
    float top = std::max({logits[0], logits[1], logits[2]});
    float sum = 0;
    for (float &l : logits)
      sum += (l = std::exp(l - top));
    for (int c = 0; c < kClasses; ++c) {
      float d = (logits[c] / sum - (c == labels[i] ? 1.0f : 0.0f)) /
                static_cast<float>(batch);
      for (int p = 0; p < kPixels; ++p)
        grad[c * kPixels + p] += d * x[p];
      grad[12 + c] += d;
    }
    loss -= std::log(logits[labels[i]] / sum);
  }
  return static_cast<float>(loss / static_cast<double>(batch));
}

/// Records a call and returns the loss it should report; `stateFloats` of
/// `state` are recorded.
inline float recordCall(const float *hparams, int count, uint64_t seed,
                        const float *input, const void *target, int64_t batch,
                        const float *state, float loss, int stateFloats = 16) {
  FakeModel &model = fakeModel();
  const int32_t *labels = static_cast<const int32_t *>(target);
  model.calls.push_back({std::vector<float>(hparams, hparams + count), seed,
                         batch,
                         std::vector<float>(input, input + batch * kPixels),
                         std::vector<int32_t>(labels, labels + batch),
                         std::vector<float>(state, state + stateFloats)});
  return static_cast<int>(model.calls.size()) - 1 == model.nanAtCall ? NAN
                                                                     : loss;
}

/// torch.optim.SGD's update on the linear model.
/// Whether to refuse this step (FakeModel::refuseNext), and the status.
inline int refusal(const char *step) {
  if (!fakeModel().refuseNext)
    return NETC_OK;
  fakeModel().refuseNext = false;
  std::string message = std::string(step) + ": input is NULL";
  return netc_entry_point_error(NETC_ERROR_INVALID_ARGUMENT, message.c_str());
}

inline int linearSgdStep(float *params, float *momentum, const float *input,
                         const void *target, int64_t batch, uint64_t seed,
                         const float *h, float *loss) {
  if (int status = refusal("linear_sgd_step"))
    return status;
  float grad[16];
  float value = linearLossAndGrad(
      params, input, static_cast<const int32_t *>(target), batch, grad);
  *loss = recordCall(h, NETC_SGD_HPARAMS, seed, input, target, batch, momentum,
                     value);
  for (int k = 0; k < 15; ++k) {
    float g = grad[k] + h[NETC_SGD_WEIGHT_DECAY] * params[k];
    if (h[NETC_SGD_MOMENTUM] != 0) {
      momentum[k] = h[NETC_SGD_FIRST_STEP] != 0
                        ? g
                        : h[NETC_SGD_MOMENTUM] * momentum[k] +
                              (1 - h[NETC_SGD_DAMPENING]) * g;
      g = h[NETC_SGD_NESTEROV] != 0 ? g + h[NETC_SGD_MOMENTUM] * momentum[k]
                                    : momentum[k];
    }
    params[k] -= h[NETC_SGD_LR] * g;
  }
  return NETC_OK;
}

/// torch.optim.Adam/AdamW's update on the linear model.
inline int linearAdamStep(float *params, float *expAvg, float *expAvgSq,
                          const float *input, const void *target, int64_t batch,
                          uint64_t seed, const float *h, float *loss) {
  if (int status = refusal("linear_adam_step"))
    return status;
  float grad[16];
  float value = linearLossAndGrad(
      params, input, static_cast<const int32_t *>(target), batch, grad);
  *loss = recordCall(h, NETC_ADAM_HPARAMS, seed, input, target, batch, expAvg,
                     value);
  for (int k = 0; k < 15; ++k) {
    float g = grad[k];
    if (h[NETC_ADAM_DECOUPLED] != 0)
      params[k] *= 1 - h[NETC_ADAM_LR] * h[NETC_ADAM_WEIGHT_DECAY];
    else
      g += h[NETC_ADAM_WEIGHT_DECAY] * params[k];
    expAvg[k] = h[NETC_ADAM_BETA1] * expAvg[k] + (1 - h[NETC_ADAM_BETA1]) * g;
    expAvgSq[k] =
        h[NETC_ADAM_BETA2] * expAvgSq[k] + (1 - h[NETC_ADAM_BETA2]) * g * g;
    float denom = std::sqrt(expAvgSq[k] / h[NETC_ADAM_BIAS_CORRECTION2]) +
                  h[NETC_ADAM_EPS];
    params[k] -=
        h[NETC_ADAM_LR] / h[NETC_ADAM_BIAS_CORRECTION1] * expAvg[k] / denom;
  }
  return NETC_OK;
}

/// The linear model's forward.
inline int linearForward(const float *params, const float *input, float *output,
                         int64_t batch) {
  for (int64_t i = 0; i < batch; ++i)
    linearLogits(params, input + i * kPixels, output + i * kClasses);
  return NETC_OK;
}

inline const netc_model_entry_points kLinearEntry = {
    linearForward, linearSgdStep, linearAdamStep};

/// A model without parameters (param_floats 0), such as a fixed feature
/// extractor: every class gets logit 0, so its step computes the mean cross
/// entropy log(3) and changes nothing, and its forward predicts class 0.
inline const netc_model_info kParameterless = {
    "parameterless", 0, 0, nullptr, 3, {1, 2, 2}, 1, {3}};

/// log(3): the cross entropy of equal logits over kClasses classes.
inline const float kUniformLoss = std::log(3.0f);

inline int parameterlessSgdStep(float *, float *momentum, const float *input,
                                const void *target, int64_t batch,
                                uint64_t seed, const float *h, float *loss) {
  *loss = recordCall(h, NETC_SGD_HPARAMS, seed, input, target, batch, momentum,
                     kUniformLoss, 0);
  return NETC_OK;
}

inline int parameterlessAdamStep(float *, float *expAvg, float *,
                                 const float *input, const void *target,
                                 int64_t batch, uint64_t seed, const float *h,
                                 float *loss) {
  *loss = recordCall(h, NETC_ADAM_HPARAMS, seed, input, target, batch, expAvg,
                     kUniformLoss, 0);
  return NETC_OK;
}

inline int parameterlessForward(const float *, const float *, float *output,
                                int64_t batch) {
  std::fill(output, output + batch * kClasses, 0.0f);
  return NETC_OK;
}

inline const netc_model_entry_points kParameterlessEntry = {
    parameterlessForward, parameterlessSgdStep, parameterlessAdamStep};

/// Frees a trainer on scope exit.
struct TrainerDeleter {
  void operator()(netc_trainer *trainer) const { netc_trainer_free(trainer); }
};
using TrainerPtr = std::unique_ptr<netc_trainer, TrainerDeleter>;

/// A trainer of `model` (the linear one unless given) with `options` and
/// `seed`; null (and a test failure) if creation fails.
inline TrainerPtr
makeTrainer(const netc_optimizer_options &options, uint64_t seed = 7,
            const netc_model_info &model = kLinear,
            const netc_model_entry_points &entry = kLinearEntry) {
  netc_trainer *trainer = nullptr;
  EXPECT_EQ(netc_trainer_create(&model, &entry, &options, seed, &trainer),
            NETC_OK)
      << netc_last_error();
  return TrainerPtr(trainer);
}

/// The big-endian bytes of `value`, as IDX headers store it.
inline std::string bigEndian32(uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

/// Frees a dataset on scope exit.
struct DatasetDeleter {
  void operator()(netc_dataset *dataset) const { netc_dataset_free(dataset); }
};
using DatasetPtr = std::unique_ptr<netc_dataset, DatasetDeleter>;

/// A dataset of 2x2 images, `pixels` holding 4 bytes per image, and their
/// `labels`, written as IDX files named after `name` and loaded.
inline DatasetPtr makeDataset(const std::string &name,
                              const std::string &pixels,
                              const std::string &labels) {
  std::string images = tempPath(name + "-images.idx");
  std::string labelFile = tempPath(name + "-labels.idx");
  uint32_t count = static_cast<uint32_t>(labels.size());
  writeBytes(images, bigEndian32(2051) + bigEndian32(count) + bigEndian32(2) +
                         bigEndian32(2) + pixels);
  writeBytes(labelFile, bigEndian32(2049) + bigEndian32(count) + labels);
  netc_dataset *dataset = nullptr;
  EXPECT_EQ(netc_dataset_load_idx(images.c_str(), labelFile.c_str(), &dataset),
            NETC_OK)
      << netc_last_error();
  return DatasetPtr(dataset);
}

/// `count` learnable samples: sample i has first pixel i (its identity in
/// recorded batches) and label i % 3, which its other pixels encode.
inline DatasetPtr makeTrainingSet(const std::string &name, int count) {
  std::string pixels, labels;
  for (int i = 0; i < count; ++i) {
    int label = i % kClasses;
    pixels += {char(i), char(label == 0 ? 200 : 10),
               char(label == 1 ? 200 : 10), char(label == 2 ? 200 : 10)};
    labels += char(label);
  }
  return makeDataset(name, pixels, labels);
}

/// Clears the fake model's record before each test.
class TrainerTestBase : public testing::Test {
protected:
  void SetUp() override { fakeModel() = FakeModel(); }
};

} // namespace netc::test

#endif // NETC_TEST_RUNTIME_TRAINTESTUTIL_H
