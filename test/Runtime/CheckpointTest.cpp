//===- CheckpointTest.cpp - A trainer's state in one safetensors file -----===//
//
// Round trips must be exact (the resumed trainer takes the same next step),
// the file must be plain safetensors with the documented names and
// metadata, a failed write must leave the old file and a failed load the
// trainer.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace netc::test;
using json = nlohmann::json;
using testing::HasSubstr;

namespace {
class Checkpoint : public TrainerTestBase {};

const float kInput[2 * kPixels] = {0.1f,  0.2f, 0.3f, 0.4f,
                                   -0.5f, 0.6f, 0.0f, 1.0f};
const int32_t kLabels[2] = {2, 0};

/// A trainer of `kind` with a history, a fit position and optimizer state:
/// one fit epoch with a test set, then two more steps.
TrainerPtr trainedTrainer(netc_optimizer_kind kind) {
  netc_optimizer_options options = netc_optimizer_options_default(kind);
  options.momentum = 0.9; // ignored by Adam
  options.lr = 0.05;
  TrainerPtr trainer = makeTrainer(options, /*seed=*/5);
  DatasetPtr train = makeTrainingSet("train", 10);
  netc_fit_options fit = netc_fit_options_default();
  fit.train = train.get();
  fit.test = train.get();
  fit.batch_size = 4;
  EXPECT_EQ(netc_fit(trainer.get(), &fit, nullptr), NETC_OK)
      << netc_last_error();
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, nullptr),
              NETC_OK);
  return trainer;
}

/// The header JSON of the safetensors file at `path`.
json readHeader(const std::string &path) {
  std::string bytes = readBytes(path);
  uint64_t size = 0;
  std::memcpy(&size, bytes.data(), 8);
  return json::parse(bytes.substr(8, size));
}

/// Rewrites the header of the safetensors file at `path` with `edit`.
void editHeader(const std::string &path,
                const std::function<void(json &)> &edit) {
  std::string bytes = readBytes(path);
  uint64_t size = 0;
  std::memcpy(&size, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, size));
  edit(header);
  std::string text = header.dump();
  uint64_t newSize = text.size();
  writeBytes(path, std::string(reinterpret_cast<char *>(&newSize), 8) + text +
                       bytes.substr(8 + size));
}

/// Checks that two trainers hold the same state, bit for bit, and then take
/// the same next step.
void expectSameTrainers(netc_trainer *a, netc_trainer *b) {
  for (int k = 0; k < 16; ++k)
    EXPECT_EQ(bitsOf(netc_trainer_params(a)[k]),
              bitsOf(netc_trainer_params(b)[k]))
        << k;
  EXPECT_EQ(netc_trainer_step_count(a), netc_trainer_step_count(b));
  EXPECT_EQ(netc_trainer_seed(a), netc_trainer_seed(b));
  const netc_optimizer_options &oa = *netc_trainer_options(a);
  const netc_optimizer_options &ob = *netc_trainer_options(b);
  EXPECT_EQ(oa.kind, ob.kind);
  EXPECT_EQ(oa.nesterov, ob.nesterov);
  for (auto field :
       {&netc_optimizer_options::lr, &netc_optimizer_options::momentum,
        &netc_optimizer_options::dampening,
        &netc_optimizer_options::weight_decay, &netc_optimizer_options::beta1,
        &netc_optimizer_options::beta2, &netc_optimizer_options::eps})
    EXPECT_EQ(oa.*field, ob.*field);
  int64_t epochA, batchA, epochB, batchB, countA, countB;
  netc_trainer_position(a, &epochA, &batchA);
  netc_trainer_position(b, &epochB, &batchB);
  EXPECT_EQ(epochA, epochB);
  EXPECT_EQ(batchA, batchB);
  const netc_epoch_result *historyA = netc_trainer_history(a, &countA);
  const netc_epoch_result *historyB = netc_trainer_history(b, &countB);
  ASSERT_EQ(countA, countB);
  for (int64_t i = 0; i < countA; ++i)
    EXPECT_EQ(
        std::memcmp(&historyA[i], &historyB[i], sizeof(netc_epoch_result)), 0)
        << i;

  size_t before = fakeModel().calls.size();
  ASSERT_EQ(netc_trainer_step(a, kInput, kLabels, 2, nullptr), NETC_OK);
  ASSERT_EQ(netc_trainer_step(b, kInput, kLabels, 2, nullptr), NETC_OK);
  const auto &calls = fakeModel().calls;
  EXPECT_EQ(calls[before].state, calls[before + 1].state);
  EXPECT_EQ(calls[before].hparams, calls[before + 1].hparams);
  EXPECT_EQ(calls[before].seed, calls[before + 1].seed);
  for (int k = 0; k < 16; ++k)
    EXPECT_EQ(bitsOf(netc_trainer_params(a)[k]),
              bitsOf(netc_trainer_params(b)[k]))
        << k;
}
} // namespace

TEST_F(Checkpoint, RoundTripIsExact) {
  for (auto kind :
       {NETC_OPTIMIZER_SGD, NETC_OPTIMIZER_ADAM, NETC_OPTIMIZER_ADAMW}) {
    SCOPED_TRACE(kind);
    TrainerPtr trainer = trainedTrainer(kind);
    std::string path = tempPath("ckpt.safetensors");
    ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()),
              NETC_OK)
        << netc_last_error();
    // Another seed and options, to be overwritten by the load.
    TrainerPtr loaded =
        makeTrainer(netc_optimizer_options_default(kind), /*seed=*/1234);
    ASSERT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()), NETC_OK)
        << netc_last_error();
    // Saving the loaded trainer writes the same bytes.
    std::string again = tempPath("again.safetensors");
    ASSERT_EQ(netc_trainer_save_checkpoint(loaded.get(), again.c_str()),
              NETC_OK);
    EXPECT_EQ(readBytes(again), readBytes(path));
    expectSameTrainers(trainer.get(), loaded.get());
  }
}

TEST_F(Checkpoint, FileHoldsStateDictNamesAndMetadata) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  json header = readHeader(path);
  for (const char *name :
       {"fc.weight", "fc.bias", "optimizer.momentum_buffer.fc.weight",
        "optimizer.momentum_buffer.fc.bias"})
    EXPECT_TRUE(header.contains(name)) << name;
  EXPECT_EQ(header["optimizer.momentum_buffer.fc.weight"]["shape"],
            json::array({3, 4}));
  const json &meta = header["__metadata__"];
  EXPECT_EQ(meta["format"], "pt");
  EXPECT_EQ(meta["netc.checkpoint"], "1");
  EXPECT_EQ(meta["model"], "linear");
  EXPECT_EQ(meta["optimizer"], "sgd");
  EXPECT_EQ(meta["lr"], "0.05");
  EXPECT_EQ(meta["momentum"], "0.9");
  EXPECT_EQ(meta["nesterov"], "0");
  EXPECT_EQ(meta["seed"], "5");
  EXPECT_EQ(meta["step"], "5"); // 3 batches of 10 samples, then 2 steps
  EXPECT_EQ(meta["epoch"], "1");
  EXPECT_EQ(meta["batches_done"], "0");
  EXPECT_EQ(meta["batch_size"], "4");
  EXPECT_EQ(meta["train_size"], "10");
  json history = json::parse(meta["history"].get<std::string>());
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["epoch"], 0);
  EXPECT_TRUE(history[0]["train_loss"].is_number());
  EXPECT_TRUE(history[0]["test_accuracy"].is_number());

  // The parameters load alone, as from a PyTorch state_dict.
  std::vector<float> params(16, 0.0f);
  ASSERT_EQ(netc_params_load_safetensors(&kLinear, path.c_str(), params.data()),
            NETC_OK);
  for (int k = 0; k < 15; ++k)
    EXPECT_EQ(bitsOf(params[k]), bitsOf(netc_trainer_params(trainer.get())[k]));
}

TEST_F(Checkpoint, SgdWithoutMomentumHasNoBuffer) {
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  ASSERT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, nullptr),
            NETC_OK);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  json header = readHeader(path);
  EXPECT_FALSE(header.contains("optimizer.momentum_buffer.fc.weight"));
  EXPECT_EQ(header["__metadata__"]["history"], "[]");

  // Loaded, the first step with momentum is still the first.
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  ASSERT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()), NETC_OK);
  netc_optimizer_options options = *netc_trainer_options(loaded.get());
  options.momentum = 0.9;
  ASSERT_EQ(netc_trainer_set_options(loaded.get(), &options), NETC_OK);
  ASSERT_EQ(netc_trainer_step(loaded.get(), kInput, kLabels, 2, nullptr),
            NETC_OK);
  EXPECT_EQ(fakeModel().calls.back().hparams[NETC_SGD_FIRST_STEP], 1.0f);
}

TEST_F(Checkpoint, FailedWriteLeavesTheOldFile) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  std::string old = readBytes(path);
  ASSERT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, nullptr),
            NETC_OK);
  // A directory where the temporary file goes makes the write fail.
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  EXPECT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()),
            NETC_ERROR_IO);
  EXPECT_THAT(netc_last_error(), HasSubstr("cannot create"));
  rmdir(tmp.c_str());
  EXPECT_EQ(readBytes(path), old);
}

TEST_F(Checkpoint, AnotherModelIsAMismatch) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  const netc_param_info twoClasses[] = {
      {"fc.weight", 0, 8, 2, {2, 4}, NETC_INIT_UNIFORM, 0.5f, 0},
      {"fc.bias", 8, 2, 1, {2}, NETC_INIT_UNIFORM, 0.5f, 0},
  };
  netc_model_info other = kLinear;
  other.param_floats = 10;
  other.params = twoClasses;
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD), 3, other);
  std::vector<float> before(netc_trainer_params(loaded.get()),
                            netc_trainer_params(loaded.get()) + 10);
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
            NETC_ERROR_MISMATCH);
  EXPECT_EQ(std::string(netc_last_error()),
            path + ": tensor 'fc.weight' has shape [3, 4], the model "
                   "expects [2, 4]");
  // Nothing changed.
  EXPECT_EQ(std::vector<float>(netc_trainer_params(loaded.get()),
                               netc_trainer_params(loaded.get()) + 10),
            before);
  EXPECT_EQ(netc_trainer_step_count(loaded.get()), 0);
  EXPECT_EQ(netc_trainer_seed(loaded.get()), 3u);
}

TEST_F(Checkpoint, AnotherOptimizerIsAMismatch) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  TrainerPtr adam =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_ADAMW));
  EXPECT_EQ(netc_trainer_load_checkpoint(adam.get(), path.c_str()),
            NETC_ERROR_MISMATCH);
  EXPECT_EQ(std::string(netc_last_error()),
            path + ": the checkpoint holds sgd optimizer state, the trainer "
                   "uses adamw");
}

TEST_F(Checkpoint, MissingStateTensorIsAMismatch) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_ADAM);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  editHeader(path, [](json &h) { h.erase("optimizer.exp_avg_sq.fc.bias"); });
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_ADAM));
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
            NETC_ERROR_MISMATCH);
  EXPECT_EQ(std::string(netc_last_error()),
            path + ": tensor 'optimizer.exp_avg_sq.fc.bias' is missing, the "
                   "model expects shape [3]");
}

TEST_F(Checkpoint, PlainWeightsAreNotACheckpoint) {
  std::string path = tempPath("w.safetensors");
  std::vector<float> params(16, 0.5f);
  ASSERT_EQ(netc_params_save_safetensors(&kLinear, path.c_str(), params.data()),
            NETC_OK);
  TrainerPtr trainer =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  EXPECT_EQ(netc_trainer_load_checkpoint(trainer.get(), path.c_str()),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: not a netc checkpoint"));
}

TEST_F(Checkpoint, BadMetadataIsAFormatErrorNamingTheKey) {
  struct Case {
    std::function<void(json &)> edit;
    const char *message;
  } cases[] = {
      {[](json &h) { h["__metadata__"]["step"] = "x"; },
       "checkpoint metadata \"step\" is 'x', expected a non-negative integer"},
      {[](json &h) { h["__metadata__"]["seed"] = "-1"; },
       "checkpoint metadata \"seed\" is '-1', expected a non-negative "
       "integer"},
      {[](json &h) { h["__metadata__"].erase("history"); },
       "checkpoint metadata has no \"history\""},
      {[](json &h) { h["__metadata__"]["history"] = "[{\"epoch\": 0}]"; },
       "checkpoint metadata \"history\" is '{\"epoch\":0}', expected"},
      {[](json &h) { h["__metadata__"]["lr"] = "fast"; },
       "checkpoint metadata \"lr\" is 'fast', expected a number"},
      {[](json &h) { h["__metadata__"]["lr"] = "-1"; },
       "checkpoint optimizer options: Invalid learning rate: -1"},
      {[](json &h) { h["__metadata__"]["nesterov"] = "3"; },
       "checkpoint metadata \"nesterov\" is '3', expected 0 or 1"},
      {[](json &h) { h["__metadata__"]["netc.checkpoint"] = "2"; },
       "checkpoint metadata \"netc.checkpoint\" is '2', expected version 1"},
  };
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  for (const Case &c : cases) {
    ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()),
              NETC_OK);
    editHeader(path, c.edit);
    TrainerPtr loaded =
        makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
    EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
              NETC_ERROR_FORMAT);
    EXPECT_THAT(netc_last_error(), HasSubstr(c.message));
    EXPECT_EQ(netc_trainer_step_count(loaded.get()), 0);
  }
}

TEST_F(Checkpoint, SaveRemovesTemporariesThatKilledWritersLeft) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  // A process that has exited: its pid no longer exists (until reused).
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  std::string dead = path + ".tmp." + std::to_string(child);
  std::string live = path + ".tmp." + std::to_string(getppid());
  std::string notAPid = path + ".tmp.x" + std::to_string(child);
  std::string otherTarget = tempPath("other.tmp." + std::to_string(child));
  for (const std::string &name : {dead, live, notAPid, otherTarget})
    writeBytes(name, "half a checkpoint");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK)
      << netc_last_error();
  EXPECT_NE(access(dead.c_str(), F_OK), 0) << dead;
  // A running writer's temporary, and files that are not temporaries of
  // this checkpoint, stay.
  for (const std::string &name : {live, notAPid, otherTarget}) {
    EXPECT_EQ(readBytes(name), "half a checkpoint") << name;
    unlink(name.c_str());
  }
  // And the checkpoint itself is whole.
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()), NETC_OK)
      << netc_last_error();
}

TEST_F(Checkpoint, AnotherModelNameIsAMismatch) {
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  // The same tensors under another model's name.
  netc_model_info other = kLinear;
  other.name = "lenet";
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD), 3, other);
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
            NETC_ERROR_MISMATCH);
  EXPECT_EQ(std::string(netc_last_error()),
            path + ": the checkpoint is of model 'linear', the trainer's "
                   "model is 'lenet'");
  EXPECT_EQ(netc_trainer_step_count(loaded.get()), 0);
  EXPECT_EQ(netc_trainer_seed(loaded.get()), 3u);
}

TEST_F(Checkpoint, AFitPositionNetcFitCannotHaveWrittenIsRefused) {
  // The trainer has run one epoch of 10 samples in batches of 4 ("epoch"
  // 1, "batches_done" 0, one history entry).
  struct Case {
    std::map<std::string, std::string> metadata;
    const char *message;
  } cases[] = {
      {{{"batch_size", "0"}},
       "\"batch_size\" is '0', expected at least 1 with \"train_size\" 10"},
      {{{"train_size", "0"}},
       "\"epoch\" is '1', expected 0 with \"train_size\" 0 (no fit has run)"},
      {{{"train_size", "0"}, {"epoch", "0"}, {"history", "[]"}},
       "\"batch_size\" is '4', expected 0 with \"train_size\" 0 (no fit has "
       "run)"},
      {{{"batches_done", "3"}, {"epoch_samples", "12"}},
       "\"batches_done\" is '3', expected below 3, the batches of 10 samples "
       "in batches of 4"},
      {{{"batches_done", "9223372036854775806"},
        {"batch_size", "1"},
        {"train_size", "9223372036854775807"}},
       "\"epoch_samples\" is '0', expected 9223372036854775806 batches of 1 "
       "samples"},
      {{{"batches_done", "2"}, {"epoch_samples", "7"}},
       "\"epoch_samples\" is '7', expected 2 batches of 4 samples"},
      {{{"batches_done", "1"},
        {"epoch_samples", "4"},
        {"epoch_loss_sum", "nan"}},
       "\"epoch_loss_sum\" is 'nan', expected a finite number"},
      {{{"batches_done", "1"},
        {"epoch_samples", "4"},
        {"epoch_loss_sum", "-inf"}},
       "\"epoch_loss_sum\" is '-inf', expected a finite number"},
      {{{"epoch_loss_sum", "2.5"}},
       "\"epoch_loss_sum\" is '2.5', expected 0 at the start of an epoch"},
      {{{"epoch", "2"}},
       "\"epoch\" is '2', expected 1, the epochs in \"history\""},
      {{{"history", R"([{"epoch": 1, "train_loss": 1, "test_accuracy": 0.5,
                       "seconds": 1}])"}},
       "\"history\" entry 0 has \"epoch\" 1, expected 0"},
      {{{"epoch", "2"},
        {"history", R"([{"epoch": 0, "train_loss": 1, "test_accuracy": 0.5,
                        "seconds": 1},
                       {"epoch": 0, "train_loss": 1, "test_accuracy": 0.5,
                        "seconds": 1}])"}},
       "\"history\" entry 1 has \"epoch\" 0, expected 1"},
      {{{"history", R"([{"epoch": 0, "train_loss": 1, "test_accuracy": 0.5,
                       "seconds": -1}])"}},
       "\"history\" entry 0 has \"seconds\" -1, expected a finite number >= 0"},
      {{{"history", R"([{"epoch": 0, "train_loss": 1, "test_accuracy": 0.5,
                       "seconds": null}])"}},
       "\"history\" entry 0 has \"seconds\" nan, expected a finite number >= "
       "0"},
      {{{"history", R"([{"epoch": 0, "train_loss": 1, "test_accuracy": 1.5,
                       "seconds": 1}])"}},
       "\"history\" entry 0 has \"test_accuracy\" 1.5, expected a fraction in "
       "[0, 1] or null"},
  };
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  for (const Case &c : cases) {
    SCOPED_TRACE(c.message);
    ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()),
              NETC_OK);
    editHeader(path, [&](json &h) {
      for (const auto &[key, value] : c.metadata)
        h["__metadata__"][key] = value;
    });
    TrainerPtr loaded =
        makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
    EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
              NETC_ERROR_FORMAT);
    EXPECT_EQ(std::string(netc_last_error()),
              path + ": checkpoint metadata " + c.message);
    EXPECT_EQ(netc_trainer_step_count(loaded.get()), 0);
  }
  // Unedited, the same file loads: the cases failed for their edits.
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()), NETC_OK)
      << netc_last_error();
}

TEST_F(Checkpoint, DeeplyNestedHistoryIsRefusedWithoutCrashing) {
  // 200000 levels used to overflow the stack (parsing, then dump() in the
  // error message).
  TrainerPtr trainer = trainedTrainer(NETC_OPTIMIZER_SGD);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK);
  editHeader(path, [](json &h) {
    h["__metadata__"]["history"] =
        std::string(200000, '[') + std::string(200000, ']');
  });
  TrainerPtr loaded =
      makeTrainer(netc_optimizer_options_default(NETC_OPTIMIZER_SGD));
  EXPECT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
            NETC_ERROR_FORMAT);
  EXPECT_EQ(std::string(netc_last_error()),
            path + ": checkpoint metadata \"history\" is '" +
                std::string(60, '[') +
                "...', expected a JSON array of epoch results (JSON nested "
                "deeper than 64 levels)");
}

TEST_F(Checkpoint, ModelWithoutParametersRoundTrips) {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_ADAM);
  TrainerPtr trainer =
      makeTrainer(options, 9, kParameterless, kParameterlessEntry);
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(netc_trainer_step(trainer.get(), kInput, kLabels, 2, nullptr),
              NETC_OK);
  std::string path = tempPath("ckpt.safetensors");
  ASSERT_EQ(netc_trainer_save_checkpoint(trainer.get(), path.c_str()), NETC_OK)
      << netc_last_error();
  json header = readHeader(path);
  EXPECT_EQ(header.size(), 1u); // only __metadata__
  EXPECT_EQ(header["__metadata__"]["model"], "parameterless");
  EXPECT_EQ(header["__metadata__"]["step"], "3");

  TrainerPtr loaded =
      makeTrainer(options, 1, kParameterless, kParameterlessEntry);
  ASSERT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(netc_trainer_step_count(loaded.get()), 3);
  EXPECT_EQ(netc_trainer_seed(loaded.get()), 9u);
  float loss = 0;
  ASSERT_EQ(netc_trainer_step(loaded.get(), kInput, kLabels, 2, &loss),
            NETC_OK);
  EXPECT_EQ(loss, kUniformLoss);
  EXPECT_EQ(fakeModel().calls.back().seed, netc_seed_derive(9, 4));
}

TEST_F(Checkpoint, NullArguments) {
  EXPECT_EQ(netc_trainer_save_checkpoint(nullptr, "x"),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_trainer_save_checkpoint: trainer is NULL");
  EXPECT_EQ(netc_trainer_load_checkpoint(nullptr, "x"),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_trainer_load_checkpoint: trainer is NULL");
}
