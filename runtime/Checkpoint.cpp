//===- Checkpoint.cpp - A trainer's whole state in one safetensors file ---===//
//
// netc_trainer_save_checkpoint / netc_trainer_load_checkpoint: parameters
// under their state_dict names, optimizer state under optimizer.<kind>.<name>
// and everything else (step, seed, options, fit position, history) as
// __metadata__ strings, written atomically. Loading parses and checks the
// whole file (the model's name, every tensor, and a fit position and history
// that netc_fit could have written) before it changes the trainer.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

using namespace netc;
using json = nlohmann::json;

/// The checkpoint layout version in "netc.checkpoint".
static constexpr const char *kCheckpointVersion = "1";

/// Tensor name prefixes of the optimizer state, as torch's optimizer
/// state_dict calls the buffers.
static constexpr const char *kMomentumPrefix = "optimizer.momentum_buffer.";
static constexpr const char *kExpAvgPrefix = "optimizer.exp_avg.";
static constexpr const char *kExpAvgSqPrefix = "optimizer.exp_avg_sq.";

namespace {
/// One optimizer state buffer of a trainer and its tensor name prefix.
struct StateBuffer {
  const char *prefix;
  float *data;
};
} // namespace

/// The optimizer state buffers a checkpoint of `trainer` holds: SGD's
/// momentum buffer once a step with momentum has run, Adam's two moments.
static std::vector<StateBuffer> stateBuffers(const netc_trainer &trainer,
                                             bool momentumStarted) {
  if (trainer.options.kind == NETC_OPTIMIZER_SGD)
    return momentumStarted ? std::vector<StateBuffer>{{kMomentumPrefix,
                                                       trainer.state1.get()}}
                           : std::vector<StateBuffer>{};
  return {{kExpAvgPrefix, trainer.state1.get()},
          {kExpAvgSqPrefix, trainer.state2.get()}};
}

/// `history` as the JSON text of the "history" metadata entry.
static std::string historyJson(const std::vector<netc_epoch_result> &history) {
  json entries = json::array();
  // NaN has no JSON spelling; nlohmann writes it as null.
  for (const netc_epoch_result &result : history)
    entries.push_back({{"epoch", result.epoch},
                       {"train_loss", result.train_loss},
                       {"test_accuracy", result.test_accuracy},
                       {"seconds", result.seconds}});
  return entries.dump();
}

netc_status netc_trainer_save_checkpoint(const netc_trainer *trainer,
                                         const char *path) {
  if (!trainer || !path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_save_checkpoint: %s is NULL",
                    !trainer ? "trainer" : "path");
  const netc_model_info &model = *trainer->model;
  std::vector<StateBuffer> buffers =
      stateBuffers(*trainer, trainer->momentumStarted);
  std::vector<std::string> names;
  std::vector<TensorToWrite> tensors;
  for (int32_t i = 0; i < model.num_params; ++i) {
    const netc_param_info &param = model.params[i];
    tensors.push_back({param.name, param.shape, param.rank,
                       trainer->params.get() + param.offset});
    for (const StateBuffer &buffer : buffers)
      tensors.push_back({buffer.prefix + std::string(param.name), param.shape,
                         param.rank, buffer.data + param.offset});
  }

  const netc_optimizer_options &o = trainer->options;
  const FitPosition &position = trainer->position;
  std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"netc.checkpoint", kCheckpointVersion},
      {"model", model.name ? model.name : ""},
      {"step", std::to_string(trainer->step)},
      {"seed", std::to_string(trainer->seed)},
      {"optimizer", optimizerName(o.kind)},
      {"lr", formatDouble(o.lr)},
      {"momentum", formatDouble(o.momentum)},
      {"dampening", formatDouble(o.dampening)},
      {"weight_decay", formatDouble(o.weight_decay)},
      {"nesterov", std::to_string(o.nesterov)},
      {"beta1", formatDouble(o.beta1)},
      {"beta2", formatDouble(o.beta2)},
      {"eps", formatDouble(o.eps)},
      {"epoch", std::to_string(position.epoch)},
      {"batches_done", std::to_string(position.batchesDone)},
      {"epoch_loss_sum", formatDouble(position.epochLossSum)},
      {"epoch_samples", std::to_string(position.epochSamples)},
      {"batch_size", std::to_string(position.batchSize)},
      {"shuffle_seed", std::to_string(position.shuffleSeed)},
      {"train_size", std::to_string(position.trainSize)},
      {"history", historyJson(trainer->history)},
  };
  return writeSafeTensors(path, tensors, metadata);
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

namespace {
/// Reads a checkpoint's metadata strings, naming the file and key in
/// errors.
class MetadataReader {
public:
  MetadataReader(const char *path, const std::map<std::string, std::string> &m)
      : path(path), metadata(m) {}

  /// The string under `key`; NETC_ERROR_FORMAT if it is missing.
  netc_status get(const char *key, std::string &value) const {
    auto found = metadata.find(key);
    if (found == metadata.end())
      return setError(NETC_ERROR_FORMAT,
                      "%s: checkpoint metadata has no \"%s\"", path, key);
    value = found->second;
    return NETC_OK;
  }

  /// A non-negative integer below 2^63.
  netc_status getCount(const char *key, int64_t &value) const {
    uint64_t wide;
    if (netc_status status = getUnsigned(key, wide))
      return status;
    if (wide > static_cast<uint64_t>(INT64_MAX))
      return invalid(key, std::to_string(wide), "an integer below 2^63");
    value = static_cast<int64_t>(wide);
    return NETC_OK;
  }

  /// A decimal unsigned 64-bit integer.
  netc_status getUnsigned(const char *key, uint64_t &value) const {
    std::string text;
    if (netc_status status = get(key, text))
      return status;
    char *end = nullptr;
    errno = 0;
    value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] < '0' || text[0] > '9' || *end != '\0' ||
        errno == ERANGE)
      return invalid(key, text, "a non-negative integer");
    return NETC_OK;
  }

  /// A double as formatDouble writes it (nan and inf included).
  netc_status getDouble(const char *key, double &value) const {
    std::string text;
    if (netc_status status = get(key, text))
      return status;
    char *end = nullptr;
    value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0')
      return invalid(key, text, "a number");
    return NETC_OK;
  }

  /// Reports that `key` holds `text` where `expected` belongs.
  netc_status invalid(const char *key, const std::string &text,
                      const std::string &expected) const {
    return setError(NETC_ERROR_FORMAT,
                    "%s: checkpoint metadata \"%s\" is '%s', expected %s", path,
                    key, excerpt(text).c_str(), expected.c_str());
  }

  /// Reports that `key`, which parsed, holds a value other than `expected`.
  netc_status refuse(const char *key, const std::string &expected) const {
    auto found = metadata.find(key);
    return invalid(key, found == metadata.end() ? "" : found->second, expected);
  }

  /// Reports that entry `index` of "history" has `key` `value`, not
  /// `expected`.
  netc_status invalidEpoch(size_t index, const char *key, double value,
                           const char *expected) const {
    return setError(NETC_ERROR_FORMAT,
                    "%s: checkpoint metadata \"history\" entry %zu has \"%s\" "
                    "%s, expected %s",
                    path, index, key, formatDouble(value).c_str(), expected);
  }

private:
  const char *path;
  const std::map<std::string, std::string> &metadata;
};
} // namespace

/// A JSON number, or null for NaN (how historyJson writes NaN).
static bool readHistoryNumber(const json &entry, const char *key,
                              double &value) {
  auto found = entry.find(key);
  if (found == entry.end())
    return false;
  if (found->is_null())
    value = NAN;
  else if (found->is_number())
    value = found->get<double>();
  else
    return false;
  return true;
}

/// Parses the "history" metadata entry: one result per completed epoch,
/// epochs 0, 1, ... in order, each with finite seconds >= 0 and a test
/// accuracy in [0, 1] or NaN.
static netc_status parseHistory(const MetadataReader &reader,
                                std::vector<netc_epoch_result> &history) {
  std::string text;
  if (netc_status status = reader.get("history", text))
    return status;
  json entries;
  std::string error;
  if (!parseJson(text.data(), text.data() + text.size(), entries, error) ||
      !entries.is_array())
    return reader.invalid("history", text,
                          "a JSON array of epoch results" +
                              (error.empty() ? "" : " (" + error + ")"));
  for (const json &entry : entries) {
    netc_epoch_result result{};
    auto epoch = entry.is_object() ? entry.find("epoch") : entry.end();
    if (epoch == entry.end() || !epoch->is_number_integer() ||
        !readHistoryNumber(entry, "train_loss", result.train_loss) ||
        !readHistoryNumber(entry, "test_accuracy", result.test_accuracy) ||
        !readHistoryNumber(entry, "seconds", result.seconds))
      return reader.invalid("history", entry.dump(),
                            "{\"epoch\", \"train_loss\", \"test_accuracy\", "
                            "\"seconds\"} per entry");
    size_t index = history.size();
    if (!epoch->is_number_unsigned() || epoch->get<uint64_t>() != index)
      return reader.invalidEpoch(index, "epoch", epoch->get<double>(),
                                 std::to_string(index).c_str());
    if (!std::isfinite(result.seconds) || result.seconds < 0)
      return reader.invalidEpoch(index, "seconds", result.seconds,
                                 "a finite number >= 0");
    if (!(std::isnan(result.test_accuracy) ||
          (result.test_accuracy >= 0 && result.test_accuracy <= 1)))
      return reader.invalidEpoch(index, "test_accuracy", result.test_accuracy,
                                 "a fraction in [0, 1] or null");
    result.epoch = static_cast<int64_t>(index);
    history.push_back(result);
  }
  return NETC_OK;
}

/// Checks that `p` is a fit position netc_fit can have written after the
/// epochs of `history`: all zero before any fit (a trainer that never ran
/// netc_fit), and otherwise inside an epoch of "train_size" samples in
/// batches of "batch_size", with the running loss of the full batches done.
static netc_status
checkPosition(const MetadataReader &reader, const FitPosition &p,
              const std::vector<netc_epoch_result> &history) {
  if (p.trainSize == 0) {
    const struct {
      const char *key;
      bool zero;
    } fields[] = {{"epoch", p.epoch == 0},
                  {"batches_done", p.batchesDone == 0},
                  {"epoch_loss_sum", p.epochLossSum == 0},
                  {"epoch_samples", p.epochSamples == 0},
                  {"batch_size", p.batchSize == 0},
                  {"shuffle_seed", p.shuffleSeed == 0}};
    for (const auto &field : fields)
      if (!field.zero)
        return reader.refuse(field.key,
                             "0 with \"train_size\" 0 (no fit has run)");
  }
  if (p.trainSize > 0 && p.batchSize == 0)
    return reader.refuse("batch_size", "at least 1 with \"train_size\" " +
                                           std::to_string(p.trainSize));
  int64_t batchesTotal = p.batchSize ? ceilDiv(p.trainSize, p.batchSize) : 0;
  if (p.batchesDone > 0 && p.batchesDone >= batchesTotal)
    return reader.refuse("batches_done",
                         "below " + std::to_string(batchesTotal) +
                             ", the batches of " + std::to_string(p.trainSize) +
                             " samples in batches of " +
                             std::to_string(p.batchSize));
  // The batches before the last are full, and the last ends the epoch.
  int64_t samples;
  if (__builtin_mul_overflow(p.batchesDone, p.batchSize, &samples) ||
      p.epochSamples != samples)
    return reader.refuse("epoch_samples",
                         std::to_string(p.batchesDone) + " batches of " +
                             std::to_string(p.batchSize) + " samples");
  if (!std::isfinite(p.epochLossSum))
    return reader.refuse("epoch_loss_sum", "a finite number");
  if (p.batchesDone == 0 && p.epochLossSum != 0)
    return reader.refuse("epoch_loss_sum", "0 at the start of an epoch");
  if (history.size() != static_cast<uint64_t>(p.epoch))
    return reader.refuse("epoch", std::to_string(history.size()) +
                                      ", the epochs in \"history\"");
  return NETC_OK;
}

/// Parses the optimizer kind and options; the kind must be the trainer's.
static netc_status parseOptions(const char *path, const MetadataReader &reader,
                                int32_t expectedKind,
                                netc_optimizer_options &options) {
  std::string kind;
  if (netc_status status = reader.get("optimizer", kind))
    return status;
  if (kind != optimizerName(expectedKind))
    return setError(NETC_ERROR_MISMATCH,
                    "%s: the checkpoint holds %s optimizer state, the "
                    "trainer uses %s",
                    path, kind.c_str(), optimizerName(expectedKind));
  options.kind = expectedKind;
  int64_t nesterov;
  const struct {
    const char *key;
    double *value;
  } doubles[] = {{"lr", &options.lr},
                 {"momentum", &options.momentum},
                 {"dampening", &options.dampening},
                 {"weight_decay", &options.weight_decay},
                 {"beta1", &options.beta1},
                 {"beta2", &options.beta2},
                 {"eps", &options.eps}};
  for (const auto &field : doubles)
    if (netc_status status = reader.getDouble(field.key, *field.value))
      return status;
  if (netc_status status = reader.getCount("nesterov", nesterov))
    return status;
  if (nesterov > 1)
    return reader.invalid("nesterov", std::to_string(nesterov), "0 or 1");
  options.nesterov = static_cast<int32_t>(nesterov);
  if (netc_optimizer_options_check(&options) != NETC_OK)
    return setError(NETC_ERROR_FORMAT, "%s: checkpoint optimizer options: %s",
                    path, std::string(netc_last_error()).c_str());
  return NETC_OK;
}

netc_status netc_trainer_load_checkpoint(netc_trainer *trainer,
                                         const char *path) {
  if (!trainer || !path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_trainer_load_checkpoint: %s is NULL",
                    !trainer ? "trainer" : "path");
  SafeTensorsFile file;
  if (netc_status status = readSafeTensors(path, file))
    return status;
  MetadataReader reader(path, file.metadata);
  auto version = file.metadata.find("netc.checkpoint");
  if (version == file.metadata.end())
    return setError(NETC_ERROR_FORMAT,
                    "%s: not a netc checkpoint (no \"netc.checkpoint\" in "
                    "its __metadata__; load plain weights with "
                    "netc_params_load_safetensors)",
                    path);
  if (version->second != kCheckpointVersion)
    return reader.invalid("netc.checkpoint", version->second, "version 1");
  const netc_model_info &model = *trainer->model;
  std::string modelName;
  if (netc_status status = reader.get("model", modelName))
    return status;
  if (modelName != (model.name ? model.name : ""))
    return setError(NETC_ERROR_MISMATCH,
                    "%s: the checkpoint is of model '%s', the trainer's model "
                    "is '%s'",
                    path, excerpt(modelName).c_str(),
                    model.name ? model.name : "");

  // Parse everything into locals; the trainer changes only at the end.
  netc_optimizer_options options{};
  if (netc_status status =
          parseOptions(path, reader, trainer->options.kind, options))
    return status;
  int64_t step;
  uint64_t seed;
  FitPosition position;
  if (netc_status status = reader.getCount("step", step))
    return status;
  if (netc_status status = reader.getUnsigned("seed", seed))
    return status;
  const struct {
    const char *key;
    int64_t *value;
  } counts[] = {{"epoch", &position.epoch},
                {"batches_done", &position.batchesDone},
                {"epoch_samples", &position.epochSamples},
                {"batch_size", &position.batchSize},
                {"train_size", &position.trainSize}};
  for (const auto &field : counts)
    if (netc_status status = reader.getCount(field.key, *field.value))
      return status;
  if (netc_status status =
          reader.getUnsigned("shuffle_seed", position.shuffleSeed))
    return status;
  if (netc_status status =
          reader.getDouble("epoch_loss_sum", position.epochLossSum))
    return status;
  std::vector<netc_epoch_result> history;
  if (netc_status status = parseHistory(reader, history))
    return status;
  if (netc_status status = checkPosition(reader, position, history))
    return status;

  // SGD's momentum buffer is there once a step with momentum has run.
  bool momentumStarted = false;
  for (const auto &tensor : file.tensors)
    momentumStarted |= tensor.first.rfind(kMomentumPrefix, 0) == 0;
  std::vector<StateBuffer> buffers = stateBuffers(*trainer, momentumStarted);
  std::vector<std::pair<const SafeTensorsEntry *, float *>> copies;
  for (int32_t i = 0; i < model.num_params; ++i) {
    const netc_param_info &param = model.params[i];
    const SafeTensorsEntry *entry;
    if (netc_status status = findFloatTensor(path, file, param.name,
                                             param.shape, param.rank, entry))
      return status;
    copies.emplace_back(entry, trainer->params.get() + param.offset);
    for (const StateBuffer &buffer : buffers) {
      std::string name = buffer.prefix + std::string(param.name);
      if (netc_status status = findFloatTensor(path, file, name.c_str(),
                                               param.shape, param.rank, entry))
        return status;
      copies.emplace_back(entry, buffer.data + param.offset);
    }
  }

  // Everything is checked; only an I/O error can stop the reads midway.
  for (const auto &copy : copies)
    if (netc_status status = readFloatTensor(file, *copy.first, copy.second))
      return status;
  if (trainer->options.kind == NETC_OPTIMIZER_SGD && !momentumStarted)
    std::fill(trainer->state1.get(), trainer->state1.get() + model.param_floats,
              0.0f);
  trainer->options = options;
  trainer->step = step;
  trainer->seed = seed;
  trainer->momentumStarted = momentumStarted;
  trainer->restored = true;
  trainer->position = position;
  trainer->history = std::move(history);
  return NETC_OK;
}
