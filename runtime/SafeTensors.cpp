//===- SafeTensors.cpp - Parameters from and to safetensors files ---------===//
//
// Loads and saves a model's parameters by PyTorch state_dict name. The
// format: an 8-byte little-endian header length N, N bytes of JSON mapping
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data after the header), an optional
// "__metadata__" object, then the data. Only the header is read whole (at
// most 100 MB, the safetensors library's own limit); every field of it is
// checked before any parameter is written, so a failed load leaves the
// buffer as it was, and then each needed tensor is read from the file
// straight into its place.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <map>

using namespace netc;
using json = nlohmann::json;

namespace {
/// What a safetensors dtype name means to the runtime.
struct DTypeInfo {
  size_t size;      ///< bytes per element; 0 when not byte-sized or unknown
  bool convertible; ///< whether the runtime reads it into float32
  DType dtype;      ///< meaningful when convertible
};
} // namespace

/// Looks up a safetensors dtype name. Sizes of the types the runtime does not
/// read are still known, so that an ignored extra tensor (an I64
/// num_batches_tracked) has its byte count checked too.
static DTypeInfo lookupDType(const std::string &name) {
  static constexpr struct {
    const char *name;
    DTypeInfo info;
  } kTypes[] = {
      {"F32", {4, true, DType::F32}},     {"F64", {8, true, DType::F64}},
      {"F16", {2, true, DType::F16}},     {"BF16", {2, true, DType::BF16}},
      {"BOOL", {1, false, DType::U8}},    {"U8", {1, false, DType::U8}},
      {"I8", {1, false, DType::I8}},      {"F8_E4M3", {1, false, DType::U8}},
      {"F8_E5M2", {1, false, DType::U8}}, {"I16", {2, false, DType::I16}},
      {"U16", {2, false, DType::U16}},    {"I32", {4, false, DType::I32}},
      {"U32", {4, false, DType::U32}},    {"I64", {8, false, DType::I64}},
      {"U64", {8, false, DType::U64}},
  };
  for (const auto &type : kTypes)
    if (name == type.name)
      return type.info;
  return {0, false, DType::F32};
}

/// Reads the 8-byte little-endian header length at `bytes`.
static uint64_t readU64(const uint8_t *bytes) {
  uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}

/// Checks one header entry and fills `entry`; `dataSize` is the byte count
/// after the header.
static netc_status parseEntry(const char *path, const std::string &name,
                              const json &value, uint64_t dataSize,
                              SafeTensorsEntry &entry) {
  // Names come from the file and may be of any length.
  std::string quoted = excerpt(name);
  if (!value.is_object())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': header entry is not a JSON object", path,
                    quoted.c_str());
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': missing or non-string \"dtype\"", path,
                    quoted.c_str());
  entry.dtype = dtype->get<std::string>();

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': missing or non-array \"shape\"", path,
                    quoted.c_str());
  uint64_t numel = 1;
  for (const json &dim : *shape) {
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_mul_overflow(numel, dim.get<uint64_t>(), &numel))
      return setError(NETC_ERROR_FORMAT,
                      "%s: tensor '%s': \"shape\" must be a list of "
                      "non-negative integers with a representable product",
                      path, quoted.c_str());
    entry.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': \"data_offsets\" must be [begin, end] "
                    "with non-negative integers",
                    path, quoted.c_str());
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > dataSize)
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': data_offsets [%llu, %llu] lie outside "
                    "the %llu bytes of data",
                    path, quoted.c_str(),
                    static_cast<unsigned long long>(entry.begin),
                    static_cast<unsigned long long>(entry.end),
                    static_cast<unsigned long long>(dataSize));

  size_t elementSize = lookupDType(entry.dtype).size;
  uint64_t expectedBytes = 0;
  bool overflows = __builtin_mul_overflow(numel, elementSize, &expectedBytes);
  if (elementSize != 0 &&
      (overflows || expectedBytes != entry.end - entry.begin))
    return setError(
        NETC_ERROR_FORMAT,
        "%s: tensor '%s': %llu elements of %s need %s bytes, "
        "data_offsets [%llu, %llu] hold %llu",
        path, quoted.c_str(), static_cast<unsigned long long>(numel),
        excerpt(entry.dtype).c_str(),
        overflows ? "over 2^64" : std::to_string(expectedBytes).c_str(),
        static_cast<unsigned long long>(entry.begin),
        static_cast<unsigned long long>(entry.end),
        static_cast<unsigned long long>(entry.end - entry.begin));
  return NETC_OK;
}

/// What kind of PyTorch file starts with `bytes` (8 of them), or nullptr:
/// torch.save writes a zip archive since PyTorch 1.6 and a pickle before
/// (protocol 2 to 5).
static const char *torchFormat(const uint8_t *bytes) {
  if (std::memcmp(bytes, "PK\x03\x04", 4) == 0)
    return "zip archive";
  if (bytes[0] == 0x80 && bytes[1] >= 2 && bytes[1] <= 5)
    return "pickle";
  return nullptr;
}

netc_status netc::readSafeTensors(const char *path, SafeTensorsFile &out) {
  InputFile &file = out.file;
  if (netc_status status = file.open(path))
    return status;
  if (file.size() < 8)
    return setError(NETC_ERROR_FORMAT,
                    "%s: file of %llu bytes is too short for a safetensors "
                    "header length (8 bytes)",
                    path, static_cast<unsigned long long>(file.size()));
  uint8_t prefix[8];
  if (netc_status status = file.readAt(0, prefix, sizeof(prefix)))
    return status;
  uint64_t headerSize = readU64(prefix);
  // A torch.save file read as safetensors has a nonsensical header length;
  // only then is it worth saying what the file is.
  bool headerFits =
      headerSize <= kMaxSafeTensorsHeader && headerSize <= file.size() - 8;
  if (!headerFits)
    if (const char *format = torchFormat(prefix))
      return setError(NETC_ERROR_FORMAT,
                      "%s: this is a PyTorch file (torch.save: %s), not "
                      "safetensors; convert it with "
                      "scripts/torch_to_safetensors.py (see docs/runtime.md)",
                      path, format);
  if (headerSize > kMaxSafeTensorsHeader)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %llu exceeds the limit of %llu bytes",
                    path, static_cast<unsigned long long>(headerSize),
                    static_cast<unsigned long long>(kMaxSafeTensorsHeader));
  if (headerSize > file.size() - 8)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %llu exceeds the %llu bytes after it",
                    path, static_cast<unsigned long long>(headerSize),
                    static_cast<unsigned long long>(file.size() - 8));
  MallocArray<char> text(static_cast<char *>(std::malloc(headerSize + 1)));
  if (!text)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %llu bytes for the header", path,
                    static_cast<unsigned long long>(headerSize));
  if (netc_status status = file.readAt(8, text.get(), headerSize))
    return status;
  json header;
  std::string error;
  if (!parseJson(text.get(), text.get() + headerSize, header, error))
    return setError(NETC_ERROR_FORMAT, "%s: header is not valid JSON (%s)",
                    path, error.c_str());
  text.reset();
  if (!header.is_object())
    return setError(NETC_ERROR_FORMAT, "%s: header is not a JSON object", path);

  out.dataStart = 8 + headerSize;
  uint64_t dataSize = file.size() - out.dataStart;
  for (const auto &item : header.items()) {
    if (item.key() == "__metadata__") {
      if (item.value().is_object())
        for (const auto &field : item.value().items())
          if (field.value().is_string())
            out.metadata[field.key()] = field.value().get<std::string>();
      continue;
    }
    SafeTensorsEntry entry;
    if (netc_status status =
            parseEntry(path, item.key(), item.value(), dataSize, entry))
      return status;
    out.tensors.emplace(item.key(), std::move(entry));
  }

  // No two tensors may share bytes: sort by begin, compare neighbours.
  std::vector<const std::pair<const std::string, SafeTensorsEntry> *> byOffset;
  for (const auto &item : out.tensors)
    byOffset.push_back(&item);
  std::sort(byOffset.begin(), byOffset.end(),
            [](auto *a, auto *b) { return a->second.begin < b->second.begin; });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const auto &prev = *byOffset[i - 1], &cur = *byOffset[i];
    if (cur.second.begin < prev.second.end)
      return setError(
          NETC_ERROR_FORMAT,
          "%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap", path,
          excerpt(prev.first).c_str(),
          static_cast<unsigned long long>(prev.second.begin),
          static_cast<unsigned long long>(prev.second.end),
          excerpt(cur.first).c_str(),
          static_cast<unsigned long long>(cur.second.begin),
          static_cast<unsigned long long>(cur.second.end));
  }
  return NETC_OK;
}

netc_status netc::findFloatTensor(const char *path, const SafeTensorsFile &file,
                                  const char *name, const int64_t *shape,
                                  int32_t rank,
                                  const SafeTensorsEntry *&entry) {
  std::string expected = formatShape(shape, rank);
  auto found = file.tensors.find(name);
  if (found == file.tensors.end())
    return setError(NETC_ERROR_MISMATCH,
                    "%s: tensor '%s' is missing, the model expects shape %s",
                    path, name, expected.c_str());
  const SafeTensorsEntry &candidate = found->second;
  if (candidate.shape.size() != static_cast<size_t>(rank) ||
      !std::equal(candidate.shape.begin(), candidate.shape.end(), shape))
    return setError(NETC_ERROR_MISMATCH,
                    "%s: tensor '%s' has shape %s, the model expects %s", path,
                    name,
                    formatShape(candidate.shape.data(),
                                static_cast<int32_t>(candidate.shape.size()))
                        .c_str(),
                    expected.c_str());
  if (!lookupDType(candidate.dtype).convertible)
    return setError(NETC_ERROR_MISMATCH,
                    "%s: tensor '%s' has dtype %s, expected F32, F64, F16 "
                    "or BF16",
                    path, name, excerpt(candidate.dtype).c_str());
  entry = &candidate;
  return NETC_OK;
}

netc_status netc::readFloatTensor(const SafeTensorsFile &file,
                                  const SafeTensorsEntry &entry, float *dst) {
  DTypeInfo info = lookupDType(entry.dtype);
  return readAsF32(file.file, file.dataStart + entry.begin, info.dtype,
                   (entry.end - entry.begin) / info.size, dst);
}

netc_status
netc::writeSafeTensors(const char *path,
                       const std::vector<TensorToWrite> &tensors,
                       const std::map<std::string, std::string> &metadata) {
  // Tensors follow each other in the given order, F32, no gaps.
  json header = json::object();
  header["__metadata__"] = metadata;
  std::vector<Chunk> chunks(2);
  uint64_t offset = 0;
  for (const TensorToWrite &tensor : tensors) {
    int64_t numel = 1;
    shapeNumel(tensor.shape, tensor.rank, numel);
    uint64_t bytes = static_cast<uint64_t>(numel) * sizeof(float);
    header[tensor.name] = {
        {"dtype", "F32"},
        {"shape",
         std::vector<int64_t>(tensor.shape, tensor.shape + tensor.rank)},
        {"data_offsets", json::array({offset, offset + bytes})}};
    chunks.push_back({tensor.data, static_cast<size_t>(bytes)});
    offset += bytes;
  }
  // Invalid UTF-8 in a name is replaced rather than thrown about.
  std::string text = header.dump(/*indent=*/-1, ' ', /*ensure_ascii=*/false,
                                 json::error_handler_t::replace);
  // Pad with spaces so the data starts 8-byte aligned.
  text.resize((text.size() + 7) / 8 * 8, ' ');
  uint64_t headerSize = text.size();
  chunks[0] = {&headerSize, sizeof(headerSize)};
  chunks[1] = {text.data(), text.size()};
  return writeFileAtomically(path, chunks);
}

netc_status netc_params_load_safetensors(const netc_model_info *model,
                                         const char *path, float *params) {
  if (!model || !path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_params_load_safetensors: %s is NULL",
                    !model ? "model" : "path");
  if (netc_status status = checkModelBuffer(
          model, path, params, "netc_params_load_safetensors", "params"))
    return status;
  SafeTensorsFile file;
  if (netc_status status = readSafeTensors(path, file))
    return status;

  // Match every parameter before writing any.
  std::vector<const SafeTensorsEntry *> sources(model->num_params);
  for (int32_t i = 0; i < model->num_params; ++i) {
    const netc_param_info &param = model->params[i];
    if (netc_status status = findFloatTensor(
            path, file, param.name, param.shape, param.rank, sources[i]))
      return status;
  }
  for (int32_t i = 0; i < model->num_params; ++i)
    if (netc_status status = readFloatTensor(file, *sources[i],
                                             params + model->params[i].offset))
      return status;
  return NETC_OK;
}

netc_status netc_params_save_safetensors(const netc_model_info *model,
                                         const char *path,
                                         const float *params) {
  if (!model || !path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_params_save_safetensors: %s is NULL",
                    !model ? "model" : "path");
  if (netc_status status = checkModelBuffer(
          model, path, params, "netc_params_save_safetensors", "params"))
    return status;
  if (netc_status status = checkUniqueNames(model, path))
    return status;
  std::vector<TensorToWrite> tensors;
  for (int32_t i = 0; i < model->num_params; ++i) {
    const netc_param_info &param = model->params[i];
    tensors.push_back(
        {param.name, param.shape, param.rank, params + param.offset});
  }
  return writeSafeTensors(path, tensors, {{"format", "pt"}});
}
