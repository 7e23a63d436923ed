//===- TrainerTest.cpp - The low-level trainer ----------------------------===//
//
// The trainer drives TrainTestUtil.h's fake linear model: what it passes
// per step (hparams, seeds, state buffers), its state and its checks.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace netc::test;
using testing::HasSubstr;

namespace {
class Trainer : public TrainerTestBase {};

/// A batch of two samples for the linear model.
const float kInput[2 * kPixels] = {0.1f,  0.2f, 0.3f, 0.4f,
                                   -0.5f, 0.6f, 0.0f, 1.0f};
const int32_t kLabels[2] = {2, 0};

/// Runs `steps` steps of the batch above; all must succeed.
void runSteps(netc_trainer *trainer, int steps) {
  for (int i = 0; i < steps; ++i) {
    float loss;
    ASSERT_EQ(netc_trainer_step(trainer, kInput, kLabels, 2, &loss), NETC_OK)
        << netc_last_error();
    EXPECT_TRUE(std::isfinite(loss));
  }
}
} // namespace

TEST_F(Trainer, StartsFromSeededInitAndZeroState) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
  TrainerPtr trainer = makeTrainer(options, /*seed=*/42);
  ASSERT_TRUE(trainer);
  std::vector<float> expected(16, 0.0f);
  ASSERT_EQ(netc_params_init(&kLinear, 42, expected.data()), NETC_OK);
  const float *params = netc_trainer_params(trainer.get());
  for (int k = 0; k < 16; ++k)
    EXPECT_EQ(bitsOf(params[k]), bitsOf(expected[k])) << k;
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 0);
  EXPECT_EQ(netc_trainer_seed(trainer.get()), 42u);
  EXPECT_EQ(netc_trainer_model(trainer.get()), &kLinear);
  EXPECT_EQ(netc_trainer_options(trainer.get())->kind, NETC_OPTIMIZER_ADAM);
  int64_t epoch = -1, batches = -1, count = -1;
  ASSERT_EQ(netc_trainer_position(trainer.get(), &epoch, &batches), NETC_OK);
  EXPECT_EQ(epoch, 0);
  EXPECT_EQ(batches, 0);
  EXPECT_EQ(netc_trainer_history(trainer.get(), &count), nullptr);
  EXPECT_EQ(count, 0);

  runSteps(trainer.get(), 1);
  // The first Adam step saw zero moments.
  EXPECT_EQ(fakeModel().calls[0].state, std::vector<float>(16, 0.0f));
}

TEST_F(Trainer, SgdHparamsAndFirstStepOnlyOnce) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.lr = 0.1;
  options.momentum = 0.9;
  options.dampening = 0;
  options.weight_decay = 5e-4;
  options.nesterov = 1;
  TrainerPtr trainer = makeTrainer(options);
  runSteps(trainer.get(), 3);
  const auto &calls = fakeModel().calls;
  ASSERT_EQ(calls.size(), 3u);
  for (size_t i = 0; i < calls.size(); ++i) {
    const std::vector<float> &h = calls[i].hparams;
    ASSERT_EQ(h.size(), size_t(NETC_SGD_HPARAMS));
    EXPECT_EQ(h[NETC_SGD_LR], 0.1f);
    EXPECT_EQ(h[NETC_SGD_MOMENTUM], 0.9f);
    EXPECT_EQ(h[NETC_SGD_DAMPENING], 0.0f);
    EXPECT_EQ(h[NETC_SGD_WEIGHT_DECAY], 5e-4f);
    EXPECT_EQ(h[NETC_SGD_NESTEROV], 1.0f);
    EXPECT_EQ(h[NETC_SGD_FIRST_STEP], i == 0 ? 1.0f : 0.0f) << i;
    EXPECT_EQ(calls[i].batch, 2);
  }
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 3);
}

TEST_F(Trainer, FirstStepComesWithTheFirstMomentum) {
  // torch creates the momentum buffer on the first step with momentum.
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  TrainerPtr trainer = makeTrainer(options);
  runSteps(trainer.get(), 2);
  options.momentum = 0.5;
  ASSERT_EQ(netc_trainer_set_options(trainer.get(), &options), NETC_OK);
  runSteps(trainer.get(), 2);
  const auto &calls = fakeModel().calls;
  std::vector<float> firstSteps, momenta;
  for (const StepCall &call : calls) {
    firstSteps.push_back(call.hparams[NETC_SGD_FIRST_STEP]);
    momenta.push_back(call.hparams[NETC_SGD_MOMENTUM]);
  }
  EXPECT_EQ(firstSteps, (std::vector<float>{0, 0, 1, 0}));
  EXPECT_EQ(momenta, (std::vector<float>{0, 0, 0.5f, 0.5f}));
}

TEST_F(Trainer, MomentumBufferPersistsBetweenSteps) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.momentum = 0.9;
  TrainerPtr trainer = makeTrainer(options);
  runSteps(trainer.get(), 1);
  // After the first step the buffer is the gradient (the step's own math);
  // the second call must see exactly that.
  std::vector<float> grad(16);
  std::vector<float> before(16);
  ASSERT_EQ(netc_params_init(&kLinear, 7, before.data()), NETC_OK);
  linearLossAndGrad(before.data(), kInput, kLabels, 2, grad.data());
  runSteps(trainer.get(), 1);
  EXPECT_EQ(fakeModel().calls[1].state, grad);
}

TEST_F(Trainer, AdamBiasCorrectionsPerStep) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_ADAMW);
  options.beta1 = 0.8;
  options.beta2 = 0.99;
  TrainerPtr trainer = makeTrainer(options);
  runSteps(trainer.get(), 3);
  const auto &calls = fakeModel().calls;
  ASSERT_EQ(calls.size(), 3u);
  for (int t = 1; t <= 3; ++t) {
    const std::vector<float> &h = calls[t - 1].hparams;
    ASSERT_EQ(h.size(), size_t(NETC_ADAM_HPARAMS));
    EXPECT_EQ(h[NETC_ADAM_LR], 1e-3f);
    EXPECT_EQ(h[NETC_ADAM_BETA1], 0.8f);
    EXPECT_EQ(h[NETC_ADAM_BETA2], 0.99f);
    EXPECT_EQ(h[NETC_ADAM_EPS], 1e-8f);
    EXPECT_EQ(h[NETC_ADAM_WEIGHT_DECAY], 1e-2f);
    EXPECT_EQ(h[NETC_ADAM_DECOUPLED], 1.0f);
    // In double, then rounded: (float)(1 - 0.8^t), not 1 - 0.8f^t.
    EXPECT_EQ(h[NETC_ADAM_BIAS_CORRECTION1],
              static_cast<float>(1.0 - std::pow(0.8, t)));
    EXPECT_EQ(h[NETC_ADAM_BIAS_CORRECTION2],
              static_cast<float>(1.0 - std::pow(0.99, t)));
  }
  EXPECT_EQ(calls[0].hparams[NETC_ADAM_BIAS_CORRECTION1], 0.2f);
}

TEST_F(Trainer, AdamIsNotDecoupled) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_ADAM));
  runSteps(trainer.get(), 1);
  EXPECT_EQ(fakeModel().calls[0].hparams[NETC_ADAM_DECOUPLED], 0.0f);
}

TEST_F(Trainer, SeedsArePerStepAndPerTrainerSeed) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD), 99);
  runSteps(trainer.get(), 3);
  const auto &calls = fakeModel().calls;
  for (uint64_t t = 1; t <= 3; ++t)
    EXPECT_EQ(calls[t - 1].seed, netc_seed_derive(99, t)) << t;
  EXPECT_NE(calls[0].seed, calls[1].seed);
}

TEST_F(Trainer, NonFiniteLossIsDiverged) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  fakeModel().nanAtCall = 1;
  runSteps(trainer.get(), 1);
  float loss = 0;
  EXPECT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, &loss),
            NETC_ERROR_DIVERGED);
  EXPECT_TRUE(std::isnan(loss));
  EXPECT_STREQ(netc_last_error(),
               "netc_trainer_step: the loss is nan at step 2");
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 2);
}

TEST_F(Trainer, RefusedStepIsReturnedAndDoesNotCount) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.momentum = 0.9;
  TrainerPtr trainer = makeTrainer(options);
  fakeModel().refuseNext = true;
  float loss = 0;
  EXPECT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, &loss),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "linear_sgd_step: input is NULL");
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 0);
  // The momentum buffer has not started: the next step is still the first.
  runSteps(trainer.get(), 1);
  ASSERT_EQ(fakeModel().calls.size(), 1u);
  EXPECT_EQ(fakeModel().calls[0].hparams[NETC_SGD_FIRST_STEP], 1.0f);
  EXPECT_EQ(fakeModel().calls[0].seed, netc_seed_derive(7, 1));

  netc_optimizer_options adam =
      netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
  TrainerPtr adamTrainer = makeTrainer(adam);
  fakeModel().refuseNext = true;
  EXPECT_EQ(netc_trainer_step(adamTrainer.get(), kInput, kLabels, 2, &loss),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "linear_adam_step: input is NULL");
  EXPECT_EQ(netc_trainer_step_count(adamTrainer.get()), 0);
}

TEST_F(Trainer, SetOptionsChecksAndKeepsTheKind) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.lr = -1;
  EXPECT_EQ(netc_trainer_set_options(trainer.get(), &options),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "Invalid learning rate: -1");
  options = netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
  EXPECT_EQ(netc_trainer_set_options(trainer.get(), &options),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_trainer_set_options: cannot change the optimizer from "
               "sgd to adam, its state would not carry over");
  EXPECT_EQ(netc_trainer_options(trainer.get())->lr, 0.01);
  options = netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.lr = 0.5;
  ASSERT_EQ(netc_trainer_set_options(trainer.get(), &options), NETC_OK);
  runSteps(trainer.get(), 1);
  EXPECT_EQ(fakeModel().calls[0].hparams[NETC_SGD_LR], 0.5f);
}

TEST_F(Trainer, CreateChecksItsArguments) {
  netc_trainer *trainer = reinterpret_cast<netc_trainer *>(1);
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
  netc_model_entry_points entry = {linearForward, linearSgdStep, nullptr};
  EXPECT_EQ(netc_trainer_create(&kLinear, &entry, &options, 1, &trainer),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(trainer, nullptr);
  EXPECT_STREQ(netc_last_error(),
               "netc_trainer_create: the adam optimizer needs the model's "
               "adam_step entry point, which is NULL");

  options.eps = -1;
  EXPECT_EQ(netc_trainer_create(&kLinear, &kLinearEntry, &options, 1, &trainer),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "Invalid epsilon value: -1");

  options = netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  EXPECT_EQ(netc_trainer_create(nullptr, &kLinearEntry, &options, 1, &trainer),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_trainer_create: model is NULL");

  const netc_param_info twice[] = {kLinearParams[0], kLinearParams[0]};
  netc_model_info duplicated = kLinear;
  duplicated.params = twice;
  EXPECT_EQ(
      netc_trainer_create(&duplicated, &kLinearEntry, &options, 1, &trainer),
      NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("model 'linear' has two parameters named "
                        "'fc.weight'"));
}

TEST_F(Trainer, StepChecksItsArguments) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  EXPECT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 0, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_trainer_step: batch 0 is not positive");
  EXPECT_EQ(netc_trainer_step(trainer.get(), nullptr, kLabels, 2, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(netc_trainer_step(nullptr, kInput, kLabels, 2, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(fakeModel().calls.empty());
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 0);
  // A NULL loss is fine.
  EXPECT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, nullptr),
            NETC_OK);
}

TEST_F(Trainer, ModelWithoutParametersSteps) {
  for (auto kind : {NETC_OPTIMIZER_SGD, NETC_OPTIMIZER_ADAMW}) {
    SCOPED_TRACE(kind);
    fakeModel() = FakeModel();
    TrainerPtr trainer = makeTrainer(netc_optimizer_options_default(kind), 3,
                                     kParameterless, kParameterlessEntry);
    ASSERT_TRUE(trainer);
    for (int64_t step = 1; step <= 2; ++step) {
      float loss = -1;
      ASSERT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, &loss),
                NETC_OK)
          << netc_last_error();
      // The compiled step still computes the loss.
      EXPECT_EQ(loss, kUniformLoss);
      EXPECT_EQ(netc_trainer_step_count(trainer.get()), step);
    }
    ASSERT_EQ(fakeModel().calls.size(), 2u);
    EXPECT_EQ(fakeModel().calls[1].seed, netc_seed_derive(3, 2));
    EXPECT_EQ(fakeModel().calls[1].labels, std::vector<int32_t>({2, 0}));
  }
}

TEST_F(Trainer, AccessorsAcceptNull) {
  EXPECT_EQ(netc_trainer_params(nullptr), nullptr);
  EXPECT_EQ(netc_trainer_options(nullptr), nullptr);
  EXPECT_EQ(netc_trainer_step_count(nullptr), -1);
  EXPECT_EQ(netc_trainer_model(nullptr), nullptr);
  int64_t count = 5;
  EXPECT_EQ(netc_trainer_history(nullptr, &count), nullptr);
  EXPECT_EQ(count, 0);
  netc_trainer_free(nullptr);
}
