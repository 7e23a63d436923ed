//===- SafeTensors.cpp - Parameters from and to safetensors files ---------===//
//
// Loads and saves a model's parameters by PyTorch state_dict name. The
// format: an 8-byte little-endian header length N, N bytes of JSON mapping
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data after the header), an optional
// "__metadata__" object, then the data. Every field is checked before any
// parameter is written, so a failed load leaves the buffer as it was.
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
      {"F32", {4, true, DType::F32}},      {"F64", {8, true, DType::F64}},
      {"F16", {2, true, DType::F16}},      {"BF16", {2, true, DType::BF16}},
      {"BOOL", {1, false, DType::F32}},    {"U8", {1, false, DType::F32}},
      {"I8", {1, false, DType::F32}},      {"F8_E4M3", {1, false, DType::F32}},
      {"F8_E5M2", {1, false, DType::F32}}, {"I16", {2, false, DType::F32}},
      {"U16", {2, false, DType::F32}},     {"I32", {4, false, DType::F32}},
      {"U32", {4, false, DType::F32}},     {"I64", {8, false, DType::F32}},
      {"U64", {8, false, DType::F32}},
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
  if (!value.is_object())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': header entry is not a JSON object", path,
                    name.c_str());
  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': missing or non-string \"dtype\"", path,
                    name.c_str());
  entry.dtype = dtype->get<std::string>();

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': missing or non-array \"shape\"", path,
                    name.c_str());
  uint64_t numel = 1;
  for (const json &dim : *shape) {
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ||
        __builtin_mul_overflow(numel, dim.get<uint64_t>(), &numel))
      return setError(NETC_ERROR_FORMAT,
                      "%s: tensor '%s': \"shape\" must be a list of "
                      "non-negative integers with a representable product",
                      path, name.c_str());
    entry.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': \"data_offsets\" must be [begin, end] "
                    "with non-negative integers",
                    path, name.c_str());
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > dataSize)
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': data_offsets [%llu, %llu] lie outside "
                    "the %llu bytes of data",
                    path, name.c_str(),
                    static_cast<unsigned long long>(entry.begin),
                    static_cast<unsigned long long>(entry.end),
                    static_cast<unsigned long long>(dataSize));

  size_t elementSize = lookupDType(entry.dtype).size;
  uint64_t expectedBytes;
  if (elementSize != 0 &&
      (__builtin_mul_overflow(numel, elementSize, &expectedBytes) ||
       expectedBytes != entry.end - entry.begin))
    return setError(NETC_ERROR_FORMAT,
                    "%s: tensor '%s': %llu elements of %s need %llu bytes, "
                    "data_offsets [%llu, %llu] hold %llu",
                    path, name.c_str(), static_cast<unsigned long long>(numel),
                    entry.dtype.c_str(),
                    static_cast<unsigned long long>(numel * elementSize),
                    static_cast<unsigned long long>(entry.begin),
                    static_cast<unsigned long long>(entry.end),
                    static_cast<unsigned long long>(entry.end - entry.begin));
  return NETC_OK;
}

netc_status netc::readSafeTensors(const char *path, SafeTensorsFile &out) {
  if (netc_status status = readFile(path, out.bytes))
    return status;
  const FileBytes &file = out.bytes;
  if (file.size < 8)
    return setError(NETC_ERROR_FORMAT,
                    "%s: file of %zu bytes is too short for a safetensors "
                    "header length (8 bytes)",
                    path, file.size);
  uint64_t headerSize = readU64(file.data.get());
  if (headerSize > file.size - 8)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %llu exceeds the %zu bytes after it",
                    path, static_cast<unsigned long long>(headerSize),
                    file.size - 8);
  const char *text = reinterpret_cast<const char *>(file.data.get() + 8);
  json header = json::parse(text, text + headerSize, /*cb=*/nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded())
    return setError(NETC_ERROR_FORMAT, "%s: header is not valid JSON", path);
  if (!header.is_object())
    return setError(NETC_ERROR_FORMAT, "%s: header is not a JSON object", path);

  out.dataStart = 8 + headerSize;
  uint64_t dataSize = file.size - out.dataStart;
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
          prev.first.c_str(),
          static_cast<unsigned long long>(prev.second.begin),
          static_cast<unsigned long long>(prev.second.end), cur.first.c_str(),
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
                    path, name, candidate.dtype.c_str());
  entry = &candidate;
  return NETC_OK;
}

void netc::readFloatTensor(const SafeTensorsFile &file,
                           const SafeTensorsEntry &entry, float *dst) {
  DTypeInfo info = lookupDType(entry.dtype);
  convertToF32(info.dtype, file.bytes.data.get() + file.dataStart + entry.begin,
               dst, (entry.end - entry.begin) / info.size);
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
  if (!model || !path || !params)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_params_load_safetensors: %s is NULL",
                    !model  ? "model"
                    : !path ? "path"
                            : "params");
  if (netc_status status = checkModel(model, path))
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
    readFloatTensor(file, *sources[i], params + model->params[i].offset);
  return NETC_OK;
}

netc_status netc_params_save_safetensors(const netc_model_info *model,
                                         const char *path,
                                         const float *params) {
  if (!model || !path || !params)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_params_save_safetensors: %s is NULL",
                    !model  ? "model"
                    : !path ? "path"
                            : "params");
  if (netc_status status = checkModel(model, path))
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
