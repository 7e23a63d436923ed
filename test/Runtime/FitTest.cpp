//===- FitTest.cpp - The high-level training loop -------------------------===//
//
// netc_fit on the fake linear model and tiny IDX datasets: batches (the
// short last one included), per-epoch shuffles, checkpoints and a resume
// that matches an uninterrupted run bit for bit, the stop on a NaN loss,
// test accuracy, size arithmetic at the limits, a model without parameters,
// and the progress bar on a terminal and in a log file.
//
//===----------------------------------------------------------------------===//

#include "TrainTestUtil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

using namespace netc::test;
using testing::HasSubstr;

namespace {
class Fit : public TrainerTestBase {};

/// What the callbacks saw.
struct Seen {
  std::vector<netc_progress> progress;
  std::vector<netc_epoch_result> epochs;
  /// Set, the checkpoint file at this path is copied to `copyTo` after
  /// batch `copyBatch` of epoch `copyEpoch`.
  std::string copyFrom, copyTo;
  int64_t copyEpoch = -1, copyBatch = -1;
  /// The checkpoint file's bytes after each batch, if copyFrom is set.
  std::vector<std::string> checkpoints;
};

void recordProgress(const netc_progress *p, void *user) {
  Seen &seen = *static_cast<Seen *>(user);
  seen.progress.push_back(*p);
  if (seen.copyFrom.empty())
    return;
  seen.checkpoints.push_back(readBytes(seen.copyFrom));
  if (p->epoch == seen.copyEpoch && p->batches_done == seen.copyBatch)
    writeBytes(seen.copyTo, seen.checkpoints.back());
}

void recordEpoch(const netc_epoch_result *result, void *user) {
  static_cast<Seen *>(user)->epochs.push_back(*result);
}

/// Fit options over `train` recording into `seen`.
netc_fit_options fitOptions(const netc_dataset *train, Seen &seen) {
  netc_fit_options options = netc_fit_options_default();
  options.train = train;
  options.batch_size = 4;
  options.shuffle_seed = 3;
  options.progress = recordProgress;
  options.epoch_end = recordEpoch;
  options.user = &seen;
  return options;
}

/// SGD with momentum, so that state matters for resuming.
netc_optimizer_options sgdMomentum() {
  netc_optimizer_options options =
      netc_optimizer_options_default(NETC_OPTIMIZER_SGD);
  options.lr = 0.1;
  options.momentum = 0.9;
  return options;
}

/// The sample ids (first pixel) of each recorded step's batch.
std::vector<std::vector<int>> batchIds() {
  std::vector<std::vector<int>> ids;
  for (const StepCall &call : fakeModel().calls) {
    ids.emplace_back();
    for (int64_t i = 0; i < call.batch; ++i)
      ids.back().push_back(
          static_cast<int>(std::lround(call.input[i * kPixels] * 255)));
  }
  return ids;
}

/// The linear model's parameters, to compare bit for bit.
std::vector<uint32_t> paramBits(netc_trainer *trainer) {
  std::vector<uint32_t> bits;
  for (int k = 0; k < 16; ++k)
    bits.push_back(bitsOf(netc_trainer_params(trainer)[k]));
  return bits;
}

/// A forward that predicts class (first pixel) % 3 with a one-hot row.
int firstPixelForward(const float *, const float *input, float *output,
                      int64_t batch) {
  for (int64_t i = 0; i < batch; ++i) {
    long pixel = std::lround(input[i * kPixels] * 255);
    for (int c = 0; c < kClasses; ++c)
      output[i * kClasses + c] = c == pixel % kClasses ? 1.0f : -1.0f;
  }
  return NETC_OK;
}
} // namespace

TEST_F(Fit, EpochsOfBatchesWithTheShortLastOne) {
  DatasetPtr train = makeTrainingSet("train", 10);
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.epochs = 2;
  netc_fit_report report;
  ASSERT_EQ(netc_fit(trainer.get(), &options, &report), NETC_OK)
      << netc_last_error();

  std::vector<int64_t> batches;
  for (const StepCall &call : fakeModel().calls)
    batches.push_back(call.batch);
  EXPECT_EQ(batches, (std::vector<int64_t>{4, 4, 2, 4, 4, 2}));
  ASSERT_EQ(seen.progress.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const netc_progress &p = seen.progress[i];
    EXPECT_EQ(p.epoch, int64_t(i / 3));
    EXPECT_EQ(p.epochs, 2);
    EXPECT_EQ(p.batches_done, int64_t(i % 3 + 1));
    EXPECT_EQ(p.batches_total, 3);
    const int64_t samplesDone[] = {4, 8, 10};
    EXPECT_EQ(p.samples_done, samplesDone[i % 3]);
    EXPECT_EQ(p.samples_total, 10);
    EXPECT_GE(p.elapsed, 0);
    EXPECT_TRUE(std::isfinite(p.loss));
  }
  ASSERT_EQ(seen.epochs.size(), 2u);
  for (int64_t e = 0; e < 2; ++e) {
    EXPECT_EQ(seen.epochs[e].epoch, e);
    // The epoch's loss is the running mean after its last batch.
    EXPECT_EQ(seen.epochs[e].train_loss, seen.progress[3 * e + 2].loss);
    EXPECT_TRUE(std::isnan(seen.epochs[e].test_accuracy));
  }
  int64_t count;
  const netc_epoch_result *history =
      netc_trainer_history(trainer.get(), &count);
  ASSERT_EQ(count, 2);
  EXPECT_EQ(history[1].train_loss, seen.epochs[1].train_loss);
  EXPECT_EQ(report.start_epoch, 0);
  EXPECT_EQ(report.start_batch, 0);
  EXPECT_EQ(report.epochs_done, 2);
  EXPECT_EQ(report.batches_run, 6);
  EXPECT_EQ(report.last.epoch, 1);
  EXPECT_EQ(netc_trainer_step_count(trainer.get()), 6);

  // Asking for the same epochs again does nothing.
  ASSERT_EQ(netc_fit(trainer.get(), &options, &report), NETC_OK);
  EXPECT_EQ(fakeModel().calls.size(), 6u);
  EXPECT_EQ(report.batches_run, 0);
  EXPECT_EQ(report.last.epoch, 1);
}

TEST_F(Fit, ShuffleIsSeededPerEpochAndReproducible) {
  DatasetPtr train = makeTrainingSet("train", 10);
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.epochs = 2;
  options.batch_size = 10;
  TrainerPtr first = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(first.get(), &options, nullptr), NETC_OK);
  std::vector<std::vector<int>> ids = batchIds();
  ASSERT_EQ(ids.size(), 2u);
  for (int e = 0; e < 2; ++e) {
    std::vector<int64_t> order(10);
    std::iota(order.begin(), order.end(), 0);
    netc_shuffle_indices(order.data(), 10, netc_seed_derive(3, e + 1));
    EXPECT_EQ(ids[e], std::vector<int>(order.begin(), order.end())) << e;
  }
  EXPECT_NE(ids[0], ids[1]);

  // The same seeds give the same parameters, bit for bit.
  fakeModel() = FakeModel();
  TrainerPtr second = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(second.get(), &options, nullptr), NETC_OK);
  EXPECT_EQ(batchIds(), ids);
  EXPECT_EQ(paramBits(second.get()), paramBits(first.get()));
}

TEST_F(Fit, ResumeMidEpochMatchesAnUninterruptedRun) {
  DatasetPtr train = makeTrainingSet("train", 10);
  DatasetPtr test = makeTrainingSet("test", 5);
  std::string path = tempPath("ckpt.safetensors");
  std::string midEpoch = tempPath("mid.safetensors");
  Seen seen;
  seen.copyFrom = path;
  seen.copyTo = midEpoch;
  seen.copyEpoch = 1;
  seen.copyBatch = 1;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.test = test.get();
  options.epochs = 3;
  options.checkpoint_path = path.c_str();
  options.checkpoint_every = 1;
  TrainerPtr uninterrupted = makeTrainer(sgdMomentum(), 11);
  ASSERT_EQ(netc_fit(uninterrupted.get(), &options, nullptr), NETC_OK)
      << netc_last_error();
  std::vector<StepCall> allCalls = fakeModel().calls;
  ASSERT_EQ(allCalls.size(), 9u);

  // A fresh process: another seed, which the checkpoint replaces.
  fakeModel() = FakeModel();
  Seen resumedSeen;
  netc_fit_options resume = fitOptions(train.get(), resumedSeen);
  resume.test = test.get();
  resume.epochs = 3;
  resume.checkpoint_path = midEpoch.c_str();
  resume.checkpoint_every = 1;
  resume.resume = 1;
  TrainerPtr resumed = makeTrainer(sgdMomentum(), 99);
  netc_fit_report report;
  ASSERT_EQ(netc_fit(resumed.get(), &resume, &report), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(report.start_epoch, 1);
  EXPECT_EQ(report.start_batch, 1);
  EXPECT_EQ(report.batches_run, 5);
  EXPECT_EQ(report.epochs_done, 3);

  // The resumed steps are the uninterrupted run's last five, exactly.
  const auto &calls = fakeModel().calls;
  ASSERT_EQ(calls.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const StepCall &a = allCalls[4 + i], &b = calls[i];
    EXPECT_EQ(a.seed, b.seed) << i;
    EXPECT_EQ(a.input, b.input) << i;
    EXPECT_EQ(a.labels, b.labels) << i;
    EXPECT_EQ(a.state, b.state) << i;
    EXPECT_EQ(a.hparams, b.hparams) << i;
  }
  EXPECT_EQ(paramBits(resumed.get()), paramBits(uninterrupted.get()));
  int64_t countA, countB;
  const netc_epoch_result *a =
      netc_trainer_history(uninterrupted.get(), &countA);
  const netc_epoch_result *b = netc_trainer_history(resumed.get(), &countB);
  ASSERT_EQ(countA, 3);
  ASSERT_EQ(countB, 3);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(a[e].train_loss, b[e].train_loss) << e;
    EXPECT_EQ(a[e].test_accuracy, b[e].test_accuracy) << e;
  }
  // The resumed run's running loss continues the interrupted epoch's.
  EXPECT_EQ(resumedSeen.progress[0].loss, seen.progress[4].loss);
  EXPECT_EQ(resumedSeen.progress[0].batches_done, 2);
}

TEST_F(Fit, ResumeWithOtherBatchesIsAMismatch) {
  DatasetPtr train = makeTrainingSet("train", 10);
  std::string path = tempPath("ckpt.safetensors");
  std::string midEpoch = tempPath("mid.safetensors");
  Seen seen;
  seen.copyFrom = path;
  seen.copyTo = midEpoch;
  seen.copyEpoch = 0;
  seen.copyBatch = 2;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.checkpoint_path = path.c_str();
  options.checkpoint_every = 2;
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_OK);

  TrainerPtr resumed = makeTrainer(sgdMomentum());
  options.checkpoint_path = midEpoch.c_str();
  options.resume = 1;
  options.batch_size = 3;
  EXPECT_EQ(netc_fit(resumed.get(), &options, nullptr), NETC_ERROR_MISMATCH);
  EXPECT_STREQ(netc_last_error(),
               "netc_fit: cannot continue epoch 1 after batch 2: the options "
               "say batch size 3, it ran with batch size 4");
}

TEST_F(Fit, ResumeAtAnEpochBoundaryNeedsTheSameBatches) {
  // A checkpoint at the end of epoch 1 of 10 samples in batches of 4 with
  // shuffle seed 3: resuming it with other options would not be the run
  // that was interrupted.
  DatasetPtr train = makeTrainingSet("train", 10);
  DatasetPtr bigger = makeTrainingSet("bigger", 12);
  std::string path = tempPath("ckpt.safetensors");
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.checkpoint_path = path.c_str();
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_OK);

  struct Case {
    void (*change)(netc_fit_options &, const netc_dataset *bigger);
    const char *message;
  } cases[] = {
      {[](netc_fit_options &o, const netc_dataset *) { o.batch_size = 3; },
       "the options say batch size 3, its fit ran with batch size 4"},
      {[](netc_fit_options &o, const netc_dataset *) { o.shuffle_seed = 5; },
       "the options say shuffle seed 5, its fit ran with shuffle seed 3"},
      {[](netc_fit_options &o, const netc_dataset *b) { o.train = b; },
       "the options say training set size 12, its fit ran with training set "
       "size 10"},
  };
  size_t steps = fakeModel().calls.size();
  for (const Case &c : cases) {
    netc_fit_options resume = options;
    resume.epochs = 2;
    resume.resume = 1;
    c.change(resume, bigger.get());
    TrainerPtr resumed = makeTrainer(sgdMomentum());
    EXPECT_EQ(netc_fit(resumed.get(), &resume, nullptr), NETC_ERROR_MISMATCH);
    EXPECT_EQ(std::string(netc_last_error()),
              std::string("netc_fit: cannot resume the checkpoint's run: ") +
                  c.message);
    // Loading the checkpoint by hand (to set other optimizer options, say)
    // continues the same run too.
    TrainerPtr loaded = makeTrainer(sgdMomentum());
    ASSERT_EQ(netc_trainer_load_checkpoint(loaded.get(), path.c_str()),
              NETC_OK);
    resume.resume = 0;
    EXPECT_EQ(netc_fit(loaded.get(), &resume, nullptr), NETC_ERROR_MISMATCH);
  }
  EXPECT_EQ(fakeModel().calls.size(), steps);

  // The same options resume; a trainer that goes on (not restored from a
  // checkpoint) may change the batch size between epochs, as documented.
  netc_fit_options same = options;
  same.epochs = 2;
  same.resume = 1;
  TrainerPtr resumed = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(resumed.get(), &same, nullptr), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(paramBits(resumed.get()).size(), 16u);
  netc_fit_options goOn = options;
  goOn.epochs = 2;
  goOn.batch_size = 5;
  ASSERT_EQ(netc_fit(trainer.get(), &goOn, nullptr), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(fakeModel().calls.back().batch, 5);
}

TEST_F(Fit, BatchSizeInt64MaxTrainsTheWholeSetAsOneBatch) {
  // (n + batch - 1) / batch overflowed: 0 steps, a NaN loss, "success".
  DatasetPtr train = makeTrainingSet("train", 10);
  std::string path = tempPath("ckpt.safetensors");
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.epochs = 2;
  options.batch_size = INT64_MAX;
  options.test = train.get();
  options.checkpoint_path = path.c_str();
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  netc_fit_report report;
  ASSERT_EQ(netc_fit(trainer.get(), &options, &report), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(report.batches_run, 2);
  ASSERT_EQ(fakeModel().calls.size(), 2u);
  for (const StepCall &call : fakeModel().calls)
    EXPECT_EQ(call.batch, 10);
  ASSERT_EQ(seen.progress.size(), 2u);
  EXPECT_EQ(seen.progress[0].batches_total, 1);
  EXPECT_EQ(seen.progress[0].samples_done, 10);
  ASSERT_EQ(seen.epochs.size(), 2u);
  for (const netc_epoch_result &epoch : seen.epochs) {
    EXPECT_TRUE(std::isfinite(epoch.train_loss));
    EXPECT_GE(epoch.test_accuracy, 0.0);
  }
  // The checkpoint records the batch size and resumes with it.
  options.epochs = 3;
  options.resume = 1;
  TrainerPtr resumed = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_fit(resumed.get(), &options, &report), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(report.start_epoch, 2);
  EXPECT_EQ(report.batches_run, 1);
  EXPECT_EQ(fakeModel().calls.back().batch, 10);
}

TEST_F(Fit, AnImageSizeBeyondInt64IsAMismatch) {
  // An empty test set may claim 2^32-1 x 2^32-1 images, whose size
  // overflowed int64_t.
  DatasetPtr train = makeTrainingSet("train", 4);
  std::string images = tempPath("huge-images.idx");
  std::string labels = tempPath("huge-labels.idx");
  writeBytes(images, bigEndian32(2051) + bigEndian32(0) +
                         bigEndian32(UINT32_MAX) + bigEndian32(UINT32_MAX));
  writeBytes(labels, bigEndian32(2049) + bigEndian32(0));
  netc_dataset *huge = nullptr;
  ASSERT_EQ(netc_dataset_load_idx(images.c_str(), labels.c_str(), &huge),
            NETC_OK)
      << netc_last_error();
  DatasetPtr hugePtr(huge);
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.test = huge;
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  EXPECT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_ERROR_MISMATCH);
  EXPECT_STREQ(netc_last_error(),
               "netc_fit: the test set's images are 4294967295x4294967295 "
               "(18446744065119617025 floats), model 'linear' takes inputs of "
               "[1, 2, 2] (4 floats)");
}

TEST_F(Fit, ModelWithoutParametersFitsAndResumes) {
  DatasetPtr train = makeTrainingSet("train", 10);
  std::string path = tempPath("ckpt.safetensors");
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.test = train.get();
  options.checkpoint_path = path.c_str();
  options.checkpoint_every = 1;
  TrainerPtr trainer =
      makeTrainer(sgdMomentum(), 7, kParameterless, kParameterlessEntry);
  ASSERT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_OK)
      << netc_last_error();
  ASSERT_EQ(seen.epochs.size(), 1u);
  // Every batch's loss is log(3); the forward predicts class 0, the label
  // of samples 0, 3, 6 and 9.
  EXPECT_NEAR(seen.epochs[0].train_loss, kUniformLoss, 1e-7);
  EXPECT_EQ(seen.epochs[0].test_accuracy, 0.4);

  options.epochs = 2;
  options.resume = 1;
  TrainerPtr resumed =
      makeTrainer(sgdMomentum(), 8, kParameterless, kParameterlessEntry);
  netc_fit_report report;
  ASSERT_EQ(netc_fit(resumed.get(), &options, &report), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(report.start_epoch, 1);
  EXPECT_EQ(report.batches_run, 3);
  EXPECT_EQ(netc_trainer_step_count(resumed.get()), 6);
}

TEST_F(Fit, NanLossStopsAndKeepsTheLastCheckpoint) {
  DatasetPtr train = makeTrainingSet("train", 10);
  std::string path = tempPath("ckpt.safetensors");
  Seen seen;
  seen.copyFrom = path;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.epochs = 3;
  options.checkpoint_path = path.c_str();
  options.checkpoint_every = 2;
  // Steps 1-3 are epoch 1; step 5, batch 2 of epoch 2, would checkpoint.
  fakeModel().nanAtCall = 4;
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  netc_fit_report report;
  EXPECT_EQ(netc_fit(trainer.get(), &options, &report), NETC_ERROR_DIVERGED);
  EXPECT_EQ(std::string(netc_last_error()),
            "netc_fit: the loss is nan at epoch 2, batch 2 of 3 (step 5); "
            "training stopped, the last checkpoint '" +
                path + "' is left as it was");
  EXPECT_EQ(report.batches_run, 5);
  EXPECT_EQ(report.epochs_done, 1);
  ASSERT_EQ(seen.checkpoints.size(), 4u);
  EXPECT_EQ(readBytes(path), seen.checkpoints.back());

  TrainerPtr restored = makeTrainer(sgdMomentum());
  ASSERT_EQ(netc_trainer_load_checkpoint(restored.get(), path.c_str()),
            NETC_OK);
  EXPECT_EQ(netc_trainer_step_count(restored.get()), 3);
  for (float value :
       std::vector<float>(netc_trainer_params(restored.get()),
                          netc_trainer_params(restored.get()) + 16))
    EXPECT_TRUE(std::isfinite(value));
}

TEST_F(Fit, TestAccuracyIsTheArgmaxMatchRate) {
  DatasetPtr train = makeTrainingSet("train", 4);
  // Samples 0-6 predict class i % 3; the labels match for 0-4 only.
  std::string pixels, labels;
  for (int i = 0; i < 7; ++i) {
    pixels += {char(i), 0, 0, 0};
    labels += char(i < 5 ? i % 3 : (i + 1) % 3);
  }
  DatasetPtr test = makeDataset("test", pixels, labels);
  netc_model_entry_points entry = kLinearEntry;
  entry.forward = firstPixelForward;
  TrainerPtr trainer = makeTrainer(sgdMomentum(), 7, kLinear, entry);
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.test = test.get();
  ASSERT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_OK)
      << netc_last_error();
  ASSERT_EQ(seen.epochs.size(), 1u);
  EXPECT_EQ(seen.epochs[0].test_accuracy, 5.0 / 7.0);
}

TEST_F(Fit, OptionsAreChecked) {
  DatasetPtr train = makeTrainingSet("train", 4);
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  Seen seen;
  netc_fit_options options = fitOptions(train.get(), seen);
  options.batch_size = 0;
  EXPECT_EQ(netc_fit(trainer.get(), &options, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("batch_size 0 >= 1"));

  options = fitOptions(train.get(), seen);
  options.resume = 1;
  EXPECT_EQ(netc_fit(trainer.get(), &options, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_fit: resume needs a checkpoint_path");

  // 3x3 images do not fit a 2x2 model.
  std::string big = tempPath("big.idx"), bigLabels = tempPath("big-l.idx");
  writeBytes(big, bigEndian32(2051) + bigEndian32(1) + bigEndian32(3) +
                      bigEndian32(3) + std::string(9, '\0'));
  writeBytes(bigLabels, bigEndian32(2049) + bigEndian32(1) + '\0');
  netc_dataset *wrong = nullptr, *unlabelled = nullptr;
  ASSERT_EQ(netc_dataset_load_idx(big.c_str(), bigLabels.c_str(), &wrong),
            NETC_OK);
  DatasetPtr wrongPtr(wrong);
  options = fitOptions(train.get(), seen);
  options.test = wrong;
  EXPECT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_ERROR_MISMATCH);
  EXPECT_STREQ(netc_last_error(),
               "netc_fit: the test set's images are 3x3 (9 floats), model "
               "'linear' takes inputs of [1, 2, 2] (4 floats)");

  ASSERT_EQ(netc_dataset_load_idx(big.c_str(), nullptr, &unlabelled), NETC_OK);
  DatasetPtr unlabelledPtr(unlabelled);
  options.train = unlabelled;
  EXPECT_EQ(netc_fit(trainer.get(), &options, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_fit: the training set has no labels");

  options = fitOptions(train.get(), seen);
  options.test = train.get();
  netc_model_entry_points noForward = kLinearEntry;
  noForward.forward = nullptr;
  TrainerPtr blind = makeTrainer(sgdMomentum(), 7, kLinear, noForward);
  EXPECT_EQ(netc_fit(blind.get(), &options, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("needs the model's forward"));

  netc_fit_report report;
  EXPECT_EQ(netc_fit(nullptr, &options, &report), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_fit: trainer is NULL");
  EXPECT_EQ(report.last.epoch, -1);
  EXPECT_TRUE(fakeModel().calls.empty());
}

namespace {
/// Everything written to `stream` since it was opened.
std::string contents(FILE *stream) {
  std::fflush(stream);
  std::rewind(stream);
  std::string text;
  for (int c; (c = std::fgetc(stream)) != EOF;)
    text += static_cast<char>(c);
  return text;
}

/// Fits the linear model 2 epochs of 3 batches with the ready-made bar and
/// summary printing to `stream`.
void fitWithProgressBar(FILE *stream) {
  DatasetPtr train = makeTrainingSet("train", 10);
  TrainerPtr trainer = makeTrainer(sgdMomentum());
  netc_fit_options options = netc_fit_options_default();
  options.train = train.get();
  options.test = train.get();
  options.epochs = 2;
  options.batch_size = 4;
  options.progress = netc_progress_bar;
  options.epoch_end = netc_epoch_summary;
  options.user = stream;
  ASSERT_EQ(netc_fit(trainer.get(), &options, nullptr), NETC_OK);
}
} // namespace

TEST_F(Fit, ProgressBarRedrawsOneLinePerEpochOnATerminal) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
    GTEST_SKIP() << "no pseudo-terminal: " << std::strerror(errno);
  int terminal = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(terminal, 0) << std::strerror(errno);
  // Raw: the line discipline leaves \r and \n as they are.
  termios mode;
  ASSERT_EQ(tcgetattr(terminal, &mode), 0);
  cfmakeraw(&mode);
  ASSERT_EQ(tcsetattr(terminal, TCSANOW, &mode), 0);
  FILE *stream = fdopen(terminal, "w");
  ASSERT_NE(stream, nullptr);
  ASSERT_NO_FATAL_FAILURE(fitWithProgressBar(stream));
  std::fclose(stream);
  std::string text;
  char buffer[4096];
  pollfd ready = {master, POLLIN, 0};
  while (poll(&ready, 1, 100) > 0 && (ready.revents & POLLIN)) {
    ssize_t n = read(master, buffer, sizeof(buffer));
    if (n <= 0)
      break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(master);
  EXPECT_THAT(text, HasSubstr("\repoch 1/2 [======>             ] 1/3 loss "));
  EXPECT_THAT(text, HasSubstr("\repoch 2/2 [====================] 3/3 loss "));
  EXPECT_THAT(text, HasSubstr(" img/s ETA 0:00"));
  EXPECT_THAT(text, HasSubstr("\repoch 1: train loss "));
  EXPECT_THAT(text, HasSubstr(", test accuracy "));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 8); // 6 bars, 2 sums
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(Fit, ProgressBarPrintsLinesToALogFile) {
  // Not a terminal: whole lines, no \r, the first batch of each epoch (the
  // rest come faster than one line per 5 s), and the summaries.
  FILE *stream = std::tmpfile();
  ASSERT_NE(stream, nullptr);
  ASSERT_NO_FATAL_FAILURE(fitWithProgressBar(stream));
  std::string text = contents(stream);
  std::fclose(stream);
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  std::vector<std::string> lines;
  for (size_t begin = 0, end; begin < text.size(); begin = end + 1) {
    end = text.find('\n', begin);
    ASSERT_NE(end, std::string::npos) << "unterminated: " << text;
    lines.push_back(text.substr(begin, end - begin));
  }
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_THAT(lines[0], testing::StartsWith("epoch 1/2 [======>             ] "
                                            "1/3 loss "));
  EXPECT_THAT(lines[1], testing::StartsWith("epoch 1: train loss "));
  EXPECT_THAT(lines[1], HasSubstr(", test accuracy "));
  EXPECT_THAT(lines[2], testing::StartsWith("epoch 2/2 [======>             ] "
                                            "1/3 loss "));
  EXPECT_THAT(lines[3], testing::StartsWith("epoch 2: train loss "));
}

TEST_F(Fit, ProgressBarLogsAtMostALinePerFiveSeconds) {
  // 1000 quick batches over 12 s of an epoch: lines at its first batch and
  // after 5 and 10 more seconds, not 1000 of them; the next epoch starts at
  // once.
  FILE *stream = std::tmpfile();
  ASSERT_NE(stream, nullptr);
  netc_progress p = {0, 2, 0, 1000, 0, 64000, 0.5, 1000, 0};
  for (int64_t epoch = 0; epoch < 2; ++epoch)
    for (int64_t b = 1; b <= 1000; ++b) {
      p.epoch = epoch;
      p.batches_done = b;
      p.samples_done = 64 * b;
      p.elapsed = 0.012 * static_cast<double>(b);
      netc_progress_bar(&p, stream);
    }
  std::string text = contents(stream);
  std::fclose(stream);
  EXPECT_EQ(text,
            "epoch 1/2 [>                   ] 1/1000 loss 0.5000 1000 img/s "
            "ETA 1:04\n"
            "epoch 1/2 [========>           ] 418/1000 loss 0.5000 1000 img/s "
            "ETA 0:37\n"
            "epoch 1/2 [================>   ] 835/1000 loss 0.5000 1000 img/s "
            "ETA 0:11\n"
            "epoch 2/2 [>                   ] 1/1000 loss 0.5000 1000 img/s "
            "ETA 1:04\n"
            "epoch 2/2 [========>           ] 418/1000 loss 0.5000 1000 img/s "
            "ETA 0:37\n"
            "epoch 2/2 [================>   ] 835/1000 loss 0.5000 1000 img/s "
            "ETA 0:11\n");
}

TEST_F(Fit, EpochSummaryIsAPlainLineInALogFile) {
  FILE *stream = std::tmpfile();
  ASSERT_NE(stream, nullptr);
  netc_epoch_result result = {1, 0.3012, 0.9741, 12.34};
  netc_epoch_summary(&result, stream);
  result.test_accuracy = NAN;
  netc_epoch_summary(&result, stream);
  EXPECT_EQ(contents(stream),
            "epoch 2: train loss 0.3012, test accuracy 97.41%, 12.3 s\n"
            "epoch 2: train loss 0.3012, 12.3 s\n");
  std::fclose(stream);
}
