//===- Fit.cpp - The high-level training loop -----------------------------===//
//
// netc_fit: epochs of shuffled batches from an IDX dataset through
// netc_trainer_step, test accuracy through the compiled forward, atomic
// checkpoints that resume mid-epoch, progress callbacks, and the ready-made
// progress bar (redrawn on a terminal, spaced-out lines in a log). The only
// arithmetic on model outputs is an argmax per row.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <unistd.h>

using namespace netc;

namespace {
using Clock = std::chrono::steady_clock;

/// Seconds from `start` to now.
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Allocates `count` times `size` T into `out`; `what` names the buffer in
/// the error.
template <typename T>
netc_status allocate(MallocArray<T> &out, int64_t count, int64_t size,
                     const char *what) {
  // One spare element: malloc(0) may return null.
  int64_t elements;
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &elements) ||
      __builtin_mul_overflow(static_cast<size_t>(elements) + 1, sizeof(T),
                             &bytes))
    out.reset();
  else
    out.reset(static_cast<T *>(std::malloc(bytes)));
  if (!out)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "netc_fit: cannot allocate %lld x %lld elements for %s",
                    static_cast<long long>(count), static_cast<long long>(size),
                    what);
  return NETC_OK;
}

/// The buffers one fit call needs.
struct FitBuffers {
  MallocArray<int64_t> order;   ///< training set order of the epoch
  MallocArray<int64_t> testIds; ///< 0..test size - 1
  MallocArray<float> images;    ///< one batch of inputs
  MallocArray<int32_t> labels;  ///< one batch of labels
  MallocArray<float> outputs;   ///< one batch of forward outputs (testing)
};
} // namespace

/// The product of the first `rank` dims of `shape`, or -1 if it is not a
/// valid count.
static int64_t countOf(const int64_t *shape, int32_t rank) {
  int64_t numel;
  bool valid =
      rank >= 0 && rank <= NETC_MAX_RANK &&
      std::all_of(shape, shape + rank, [](int64_t dim) { return dim >= 0; }) &&
      shapeNumel(shape, rank, numel);
  return valid ? numel : -1;
}

/// Checks that `dataset` (the `what` set) has labels and images of
/// `inputNumel` floats.
static netc_status checkDataset(const netc_dataset *dataset, const char *what,
                                const netc_model_info &model,
                                int64_t inputNumel) {
  if (!netc_dataset_has_labels(dataset))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: the %s set has no labels", what);
  int64_t rows, cols;
  netc_dataset_image_shape(dataset, &rows, &cols);
  // IDX dimensions are 32-bit: their product fits 64 unsigned bits, not
  // always 63 (an empty set may claim any image size).
  uint64_t imageFloats =
      static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  if (imageFloats != static_cast<uint64_t>(inputNumel))
    return setError(NETC_ERROR_MISMATCH,
                    "netc_fit: the %s set's images are %lldx%lld (%llu "
                    "floats), model '%s' takes inputs of %s (%lld floats)",
                    what, static_cast<long long>(rows),
                    static_cast<long long>(cols),
                    static_cast<unsigned long long>(imageFloats),
                    model.name ? model.name : "?",
                    formatShape(model.input_shape, model.input_rank).c_str(),
                    static_cast<long long>(inputNumel));
  return NETC_OK;
}

/// The index of the largest of `count` values, the first on ties; NaN counts
/// as the largest, as in torch.argmax.
static int64_t argmax(const float *values, int64_t count) {
  int64_t best = 0;
  for (int64_t k = 1; k < count; ++k)
    if (!std::isnan(values[best]) &&
        (values[k] > values[best] || std::isnan(values[k])))
      best = k;
  return best;
}

/// The fraction of the test set whose argmax output matches the label.
static netc_status testAccuracy(netc_trainer &trainer,
                                const netc_fit_options &options,
                                int64_t outputNumel, FitBuffers &buffers,
                                double &accuracy) {
  int64_t size = netc_dataset_size(options.test);
  int64_t correct = 0;
  for (int64_t begin = 0, count; begin < size; begin += count) {
    count = std::min(options.batch_size, size - begin);
    if (netc_status status = netc_dataset_get_batch(
            options.test, buffers.testIds.get() + begin, count, options.mean,
            options.stddev, buffers.images.get(), buffers.labels.get()))
      return status;
    if (int status =
            trainer.entry.forward(trainer.params.get(), buffers.images.get(),
                                  buffers.outputs.get(), count))
      return static_cast<netc_status>(status);
    for (int64_t i = 0; i < count; ++i)
      correct += argmax(buffers.outputs.get() + i * outputNumel, outputNumel) ==
                 buffers.labels[i];
  }
  accuracy =
      size ? static_cast<double>(correct) / static_cast<double>(size) : NAN;
  return NETC_OK;
}

/// Checks `options` against `trainer` and allocates the buffers.
static netc_status prepare(const netc_trainer &trainer,
                           const netc_fit_options &options,
                           int64_t &outputNumel, FitBuffers &buffers) {
  const netc_model_info &model = *trainer.model;
  if (!options.train)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: options->train is NULL");
  if (options.epochs < 0 || options.batch_size < 1 ||
      options.checkpoint_every < 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: epochs %lld must be >= 0, batch_size %lld >= "
                    "1 and checkpoint_every %lld >= 0",
                    static_cast<long long>(options.epochs),
                    static_cast<long long>(options.batch_size),
                    static_cast<long long>(options.checkpoint_every));
  if (!std::isfinite(options.mean) || !std::isfinite(options.stddev) ||
      !(options.stddev > 0))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: mean %g and stddev %g must be finite, with "
                    "stddev > 0",
                    static_cast<double>(options.mean),
                    static_cast<double>(options.stddev));
  if (options.resume && !options.checkpoint_path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: resume needs a checkpoint_path");
  if (options.test && !trainer.entry.forward)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: testing needs the model's forward entry "
                    "point, which is NULL");
  int64_t inputNumel = countOf(model.input_shape, model.input_rank);
  outputNumel = countOf(model.output_shape, model.output_rank);
  if (inputNumel < 1 || outputNumel < 1)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: model '%s' has input shape %s and output "
                    "shape %s, expected non-empty shapes",
                    model.name ? model.name : "?",
                    formatShape(model.input_shape,
                                std::clamp(model.input_rank, 0, NETC_MAX_RANK))
                        .c_str(),
                    formatShape(model.output_shape,
                                std::clamp(model.output_rank, 0, NETC_MAX_RANK))
                        .c_str());
  if (netc_status status =
          checkDataset(options.train, "training", model, inputNumel))
    return status;
  int64_t trainSize = netc_dataset_size(options.train);
  if (trainSize == 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_fit: the training set is empty");
  if (options.test)
    if (netc_status status =
            checkDataset(options.test, "test", model, inputNumel))
      return status;

  // Batches of training and test samples share the buffers.
  int64_t testSize = options.test ? netc_dataset_size(options.test) : 0;
  int64_t batch = std::min(options.batch_size, std::max(trainSize, testSize));
  if (netc_status status = allocate(buffers.order, trainSize, 1, "the order"))
    return status;
  if (netc_status status = allocate(buffers.testIds, testSize, 1, "test ids"))
    return status;
  if (netc_status status =
          allocate(buffers.images, batch, inputNumel, "a batch of images"))
    return status;
  if (netc_status status = allocate(buffers.labels, batch, 1, "labels"))
    return status;
  if (netc_status status = allocate(buffers.outputs, options.test ? batch : 0,
                                    outputNumel, "outputs"))
    return status;
  std::iota(buffers.testIds.get(), buffers.testIds.get() + testSize, 0);
  return NETC_OK;
}

/// Checks that the trainer's position can go on with `options`: a position
/// inside an epoch always needs the batches it was reached with, and so
/// does a trainer just restored from a checkpoint that recorded a fit (with
/// `resume` or netc_trainer_load_checkpoint), so that the resumed run is the
/// one that was interrupted. Names the first option that differs.
static netc_status checkResumable(const netc_trainer &trainer,
                                  const netc_fit_options &options,
                                  int64_t trainSize) {
  const FitPosition &position = trainer.position;
  bool midEpoch = position.batchesDone > 0;
  bool resumed = trainer.restored && position.trainSize > 0;
  if (!midEpoch && !resumed)
    return NETC_OK;
  const char *option;
  std::string wanted, recorded;
  if (position.batchSize != options.batch_size) {
    option = "batch size";
    wanted = std::to_string(options.batch_size);
    recorded = std::to_string(position.batchSize);
  } else if (position.shuffleSeed != options.shuffle_seed) {
    option = "shuffle seed";
    wanted = std::to_string(options.shuffle_seed);
    recorded = std::to_string(position.shuffleSeed);
  } else if (position.trainSize != trainSize) {
    option = "training set size";
    wanted = std::to_string(trainSize);
    recorded = std::to_string(position.trainSize);
  } else {
    return NETC_OK;
  }
  std::string what =
      midEpoch ? "continue epoch " + std::to_string(position.epoch + 1) +
                     " after batch " + std::to_string(position.batchesDone)
               : "resume the checkpoint's run";
  return setError(NETC_ERROR_MISMATCH,
                  "netc_fit: cannot %s: the options say %s %s, %s %s %s",
                  what.c_str(), option, wanted.c_str(),
                  midEpoch ? "it ran with" : "its fit ran with", option,
                  recorded.c_str());
}

/// The fit loop of netc_fit, with `report` to fill as it goes.
static netc_status fit(netc_trainer &trainer, const netc_fit_options &options,
                       netc_fit_report &report) {
  int64_t outputNumel;
  FitBuffers buffers;
  if (netc_status status = prepare(trainer, options, outputNumel, buffers))
    return status;
  if (options.resume)
    if (netc_status status =
            netc_trainer_load_checkpoint(&trainer, options.checkpoint_path))
      return status;

  FitPosition &position = trainer.position;
  int64_t trainSize = netc_dataset_size(options.train);
  int64_t batchSize = options.batch_size;
  int64_t batchesTotal = ceilDiv(trainSize, batchSize);
  if (netc_status status = checkResumable(trainer, options, trainSize))
    return status;
  trainer.restored = false;
  position.batchSize = batchSize;
  position.shuffleSeed = options.shuffle_seed;
  position.trainSize = trainSize;
  report.start_epoch = position.epoch;
  report.start_batch = position.batchesDone;
  if (!trainer.history.empty())
    report.last = trainer.history.back();

  const char *checkpoint = options.checkpoint_path;
  while (position.epoch < options.epochs) {
    Clock::time_point epochStart = Clock::now();
    int64_t samplesThisCall = 0;
    // The order depends only on (shuffle_seed, epoch): a resumed epoch
    // recomputes it and skips the batches done.
    std::iota(buffers.order.get(), buffers.order.get() + trainSize, 0);
    netc_shuffle_indices(
        buffers.order.get(), trainSize,
        netc_seed_derive(options.shuffle_seed,
                         static_cast<uint64_t>(position.epoch) + 1));
    while (position.batchesDone < batchesTotal) {
      int64_t begin = position.batchesDone * batchSize;
      int64_t count = std::min(batchSize, trainSize - begin);
      if (netc_status status = netc_dataset_get_batch(
              options.train, buffers.order.get() + begin, count, options.mean,
              options.stddev, buffers.images.get(), buffers.labels.get()))
        return status;
      float loss;
      netc_status status = netc_trainer_step(
          &trainer, buffers.images.get(), buffers.labels.get(), count, &loss);
      ++report.batches_run;
      if (status == NETC_ERROR_DIVERGED)
        return setError(
            NETC_ERROR_DIVERGED,
            "netc_fit: the loss is %s at epoch %lld, batch %lld of %lld "
            "(step %lld); training stopped%s%s%s",
            formatDouble(loss).c_str(),
            static_cast<long long>(position.epoch + 1),
            static_cast<long long>(position.batchesDone + 1),
            static_cast<long long>(batchesTotal),
            static_cast<long long>(trainer.step),
            checkpoint ? ", the last checkpoint '" : "",
            checkpoint ? checkpoint : "",
            checkpoint ? "' is left as it was" : "");
      if (status)
        return status;
      ++position.batchesDone;
      position.epochLossSum += static_cast<double>(loss) * count;
      position.epochSamples += count;
      samplesThisCall += count;

      if (checkpoint && options.checkpoint_every > 0 &&
          position.batchesDone % options.checkpoint_every == 0 &&
          position.batchesDone < batchesTotal)
        if (netc_status status =
                netc_trainer_save_checkpoint(&trainer, checkpoint))
          return status;
      if (options.progress) {
        double elapsed = secondsSince(epochStart);
        netc_progress progress = {
            position.epoch,
            options.epochs,
            position.batchesDone,
            batchesTotal,
            position.epochSamples,
            trainSize,
            position.epochLossSum / static_cast<double>(position.epochSamples),
            elapsed > 0 ? static_cast<double>(samplesThisCall) / elapsed : 0,
            elapsed};
        options.progress(&progress, options.user);
      }
    }

    netc_epoch_result result = {position.epoch, NAN, NAN, 0};
    result.train_loss =
        position.epochLossSum / static_cast<double>(position.epochSamples);
    if (options.test)
      if (netc_status status = testAccuracy(trainer, options, outputNumel,
                                            buffers, result.test_accuracy))
        return status;
    result.seconds = secondsSince(epochStart);
    trainer.history.push_back(result);
    position.epoch += 1;
    position.batchesDone = 0;
    position.epochLossSum = 0;
    position.epochSamples = 0;
    report.last = result;
    if (checkpoint)
      if (netc_status status =
              netc_trainer_save_checkpoint(&trainer, checkpoint))
        return status;
    if (options.epoch_end)
      options.epoch_end(&result, options.user);
  }
  return NETC_OK;
}

netc_status netc_fit(netc_trainer *trainer, const netc_fit_options *options,
                     netc_fit_report *report) {
  Clock::time_point start = Clock::now();
  netc_fit_report local = {};
  local.last = {-1, NAN, NAN, 0};
  netc_status status =
      !trainer || !options
          ? setError(NETC_ERROR_INVALID_ARGUMENT, "netc_fit: %s is NULL",
                     !trainer ? "trainer" : "options")
          : fit(*trainer, *options, local);
  if (trainer)
    local.epochs_done = trainer->position.epoch;
  local.seconds = secondsSince(start);
  if (report)
    *report = local;
  return status;
}

netc_fit_options netc_fit_options_default(void) {
  netc_fit_options options = {};
  options.mean = 0.0f;
  options.stddev = 1.0f;
  options.epochs = 1;
  options.batch_size = 64;
  return options;
}

//===----------------------------------------------------------------------===//
// Progress bar
//===----------------------------------------------------------------------===//

/// The callbacks' `user`: a FILE *, NULL meaning stderr.
static FILE *streamOf(void *user) {
  return user ? static_cast<FILE *>(user) : stderr;
}

/// Width of the bar between brackets, and of the whole line (so that an
/// epoch summary covers a longer bar).
static constexpr int kBarWidth = 20;
static constexpr int kLineWidth = 79;

/// Seconds of an epoch between the lines netc_progress_bar prints to a
/// stream that is not a terminal.
static constexpr double kLogLineSeconds = 5;

/// Whether `stream` is a terminal, where the bar is redrawn in place; a
/// log file or pipe gets whole lines instead.
static bool isTerminal(FILE *stream) {
  int fd = fileno(stream);
  return fd >= 0 && isatty(fd);
}

namespace {
/// What netc_progress_bar last saw on this thread for a stream that is not
/// a terminal, to space its lines kLogLineSeconds apart.
struct LogLines {
  FILE *stream = nullptr;
  int64_t epoch = -1;
  int64_t batchesDone = 0;
  double printedAt = 0; ///< progress->elapsed of the last line printed
};
} // namespace

static thread_local LogLines logLines;

void netc_progress_bar(const netc_progress *progress, void *user) {
  if (!progress)
    return;
  const netc_progress &p = *progress;
  FILE *stream = streamOf(user);
  bool terminal = isTerminal(stream);
  if (!terminal) {
    // A new epoch, or a new call that goes on with one, prints at once.
    LogLines &last = logLines;
    bool fresh = stream != last.stream || p.epoch != last.epoch ||
                 p.batches_done <= last.batchesDone ||
                 p.elapsed < last.printedAt;
    bool due = fresh || p.elapsed - last.printedAt >= kLogLineSeconds;
    last.stream = stream;
    last.epoch = p.epoch;
    last.batchesDone = p.batches_done;
    if (!due)
      return;
    last.printedAt = p.elapsed;
  }
  char bar[kBarWidth + 1];
  // In double: batches_done * kBarWidth may overflow.
  int filled = p.batches_total > 0
                   ? static_cast<int>(std::clamp(
                         static_cast<double>(p.batches_done) * kBarWidth /
                             static_cast<double>(p.batches_total),
                         0.0, double(kBarWidth)))
                   : 0;
  for (int i = 0; i < kBarWidth; ++i)
    bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
  bar[kBarWidth] = '\0';
  double remaining =
      p.images_per_second > 0
          ? static_cast<double>(p.samples_total - p.samples_done) /
                p.images_per_second
          : 0;
  long long eta = std::llround(remaining);
  char line[160];
  std::snprintf(line, sizeof(line),
                "epoch %lld/%lld [%s] %lld/%lld loss %.4f %.0f img/s ETA "
                "%lld:%02lld",
                static_cast<long long>(p.epoch + 1),
                static_cast<long long>(p.epochs), bar,
                static_cast<long long>(p.batches_done),
                static_cast<long long>(p.batches_total), p.loss,
                p.images_per_second, eta / 60, eta % 60);
  if (terminal)
    std::fprintf(stream, "\r%-*s", kLineWidth, line);
  else
    std::fprintf(stream, "%s\n", line);
  std::fflush(stream);
}

void netc_epoch_summary(const netc_epoch_result *result, void *user) {
  if (!result)
    return;
  char line[160];
  int length = std::snprintf(line, sizeof(line), "epoch %lld: train loss %.4f",
                             static_cast<long long>(result->epoch + 1),
                             result->train_loss);
  if (!std::isnan(result->test_accuracy))
    length +=
        std::snprintf(line + length, sizeof(line) - length,
                      ", test accuracy %.2f%%", 100 * result->test_accuracy);
  std::snprintf(line + length, sizeof(line) - length, ", %.1f s",
                result->seconds);
  FILE *stream = streamOf(user);
  // On a terminal the summary overwrites the bar's line.
  if (isTerminal(stream))
    std::fprintf(stream, "\r%-*s\n", kLineWidth, line);
  else
    std::fprintf(stream, "%s\n", line);
  std::fflush(stream);
}
