//===- SafeTensorsTest.cpp - Parameters from and to safetensors -----------===//
//
// Files are built byte by byte, so every check of the loader is reached with
// known content; conversions compare exact float values.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace netc::test;
using json = nlohmann::json;
using testing::HasSubstr;

namespace {
/// conv1 of a small net (shape [2, 1, 1, 3]) and its bias: 8 floats.
const netc_param_info kTinyParams[] = {
    {"conv1.weight", 0, 6, 4, {2, 1, 1, 3}, NETC_INIT_ZEROS, 0, 0},
    {"conv1.bias", 6, 2, 1, {2}, NETC_INIT_ZEROS, 0, 0},
};
const netc_model_info kTiny = {"tiny", 8, 2, kTinyParams, 3, {1, 1, 3}, 1, {2}};

/// A parameter buffer freed on scope exit.
struct Params {
  explicit Params(const netc_model_info &model)
      : data(netc_params_create(&model), netc_params_free) {}
  float *get() { return data.get(); }
  std::unique_ptr<float, void (*)(float *)> data;
};

/// The bytes of a safetensors file with header text `header` and `data`.
std::string safetensors(const std::string &header, const std::string &data) {
  return bytesOf<uint64_t>({header.size()}) + header + data;
}

/// The tiny model's tensors as F32 with the given values, as PyTorch would
/// write them (plus metadata).
std::string tinyFile(std::initializer_list<float> weight,
                     std::initializer_list<float> bias) {
  return safetensors(
      R"({"__metadata__": {"format": "pt"},
          "conv1.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
          "conv1.weight": {"dtype": "F32", "shape": [2, 1, 1, 3],
                           "data_offsets": [0, 24]}})",
      bytesOf(weight) + bytesOf(bias));
}

/// Loads `bytes`, written to a file named `name`, into the tiny model and
/// returns the status; the message is netc_last_error().
netc_status loadTiny(const std::string &bytes,
                     const std::string &name = "w.safetensors") {
  std::string path = tempPath(name);
  writeBytes(path, bytes);
  Params params(kTiny);
  return netc_params_load_safetensors(&kTiny, path.c_str(), params.get());
}
} // namespace

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST(SafeTensors, LoadsF32TensorsByNameIntoTheirOffsets) {
  std::string path = tempPath("w.safetensors");
  writeBytes(path, tinyFile({1, 2, 3, 4, 5, 6}, {-0.5f, 0.25f}));
  Params params(kTiny);
  ASSERT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();
  std::vector<float> loaded(params.get(), params.get() + 8);
  EXPECT_THAT(loaded, testing::ElementsAre(1, 2, 3, 4, 5, 6, -0.5f, 0.25f));
}

TEST(SafeTensors, ConvertsF64F16AndBF16ToF32) {
  std::string header =
      R"({"conv1.weight": {"dtype": "F16", "shape": [2, 1, 1, 3],
                           "data_offsets": [0, 12]},
          "conv1.bias": {"dtype": "BF16", "shape": [2], "data_offsets": [12, 16]}})";
  // F16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), -0, +inf.
  std::string weight =
      bytesOf<uint16_t>({0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00});
  // BF16: 1 and 3.140625.
  std::string bias = bytesOf<uint16_t>({0x3F80, 0x4049});
  std::string path = tempPath("w.safetensors");
  writeBytes(path, safetensors(header, weight + bias));
  Params params(kTiny);
  ASSERT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();
  float *p = params.get();
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[1], -2.0f);
  EXPECT_EQ(p[2], 65504.0f);
  EXPECT_EQ(p[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(bitsOf(p[4]), 0x80000000u);
  EXPECT_EQ(p[5], std::numeric_limits<float>::infinity());
  EXPECT_EQ(p[6], 1.0f);
  EXPECT_EQ(p[7], 3.140625f);

  header = R"({"conv1.weight": {"dtype": "F64", "shape": [2, 1, 1, 3],
                                "data_offsets": [0, 48]},
               "conv1.bias": {"dtype": "F16", "shape": [2],
                              "data_offsets": [48, 52]}})";
  weight = bytesOf<double>({0.1, -2.5, 1e-3, 0, 1e300, 3});
  bias = bytesOf<uint16_t>({0x7E00, 0x3555}); // NaN, 0.333251953125
  writeBytes(path, safetensors(header, weight + bias));
  ASSERT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();
  EXPECT_EQ(p[0], 0.1f);
  EXPECT_EQ(p[1], -2.5f);
  EXPECT_EQ(p[2], 1e-3f);
  EXPECT_EQ(p[3], 0.0f);
  EXPECT_EQ(p[4], std::numeric_limits<float>::infinity());
  EXPECT_EQ(p[5], 3.0f);
  EXPECT_TRUE(std::isnan(p[6]));
  EXPECT_EQ(p[7], 0.333251953125f);
}

TEST(SafeTensors, IgnoresExtraTensorsOfAnyDtype) {
  std::string header =
      R"({"bn.num_batches_tracked": {"dtype": "I64", "shape": [],
                                     "data_offsets": [32, 40]},
          "conv1.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
          "conv1.weight": {"dtype": "F32", "shape": [2, 1, 1, 3],
                           "data_offsets": [0, 24]},
          "odd": {"dtype": "F4_FUTURE", "shape": [3], "data_offsets": [40, 41]}})";
  std::string data = bytesOf<float>({1, 2, 3, 4, 5, 6, 7, 8}) +
                     bytesOf<int64_t>({1234}) + std::string(1, '\0');
  EXPECT_EQ(loadTiny(safetensors(header, data)), NETC_OK) << netc_last_error();
}

TEST(SafeTensors, RejectsTensorWithWrongShape) {
  const netc_param_info params[] = {
      {"conv1.weight", 0, 250, 4, {10, 1, 5, 5}, NETC_INIT_ZEROS, 0, 0}};
  const netc_model_info model = {"net", 250,         1, params,
                                 3,     {1, 28, 28}, 1, {10}};
  std::string path = tempPath("w.safetensors");
  writeBytes(path, safetensors(R"({"conv1.weight": {"dtype": "F32",
      "shape": [10, 1, 3, 3], "data_offsets": [0, 360]}})",
                               std::string(360, '\0')));
  Params buffer(model);
  EXPECT_EQ(netc_params_load_safetensors(&model, path.c_str(), buffer.get()),
            NETC_ERROR_MISMATCH);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: tensor 'conv1.weight' has shape "
                        "[10, 1, 3, 3], the model expects [10, 1, 5, 5]"));
}

TEST(SafeTensors, RejectsTensorWithWrongRank) {
  EXPECT_EQ(loadTiny(safetensors(R"({"conv1.weight": {"dtype": "F32",
      "shape": [6], "data_offsets": [0, 24]},
      "conv1.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}})",
                                 std::string(32, '\0'))),
            NETC_ERROR_MISMATCH);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("tensor 'conv1.weight' has shape [6], the model "
                        "expects [2, 1, 1, 3]"));
}

TEST(SafeTensors, RejectsMissingTensorNamingIt) {
  EXPECT_EQ(loadTiny(safetensors(R"({"conv1.weight": {"dtype": "F32",
      "shape": [2, 1, 1, 3], "data_offsets": [0, 24]}})",
                                 std::string(24, '\0'))),
            NETC_ERROR_MISMATCH);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: tensor 'conv1.bias' is missing, the "
                        "model expects shape [2]"));
}

TEST(SafeTensors, RejectsNeededTensorOfUnsupportedDtype) {
  EXPECT_EQ(loadTiny(safetensors(R"({"conv1.weight": {"dtype": "F32",
      "shape": [2, 1, 1, 3], "data_offsets": [0, 24]},
      "conv1.bias": {"dtype": "I32", "shape": [2], "data_offsets": [24, 32]}})",
                                 std::string(32, '\0'))),
            NETC_ERROR_MISMATCH);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("tensor 'conv1.bias' has dtype I32, expected F32, "
                        "F64, F16 or BF16"));
}

TEST(SafeTensors, LeavesParametersUntouchedWhenLoadFails) {
  std::string path = tempPath("w.safetensors");
  Params params(kTiny);
  params.get()[0] = 42.0f;
  writeBytes(path, safetensors(R"({"conv1.weight": {"dtype": "F32",
      "shape": [2, 1, 1, 3], "data_offsets": [0, 24]}})",
                               bytesOf<float>({1, 2, 3, 4, 5, 6})));
  EXPECT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_ERROR_MISMATCH);
  EXPECT_EQ(params.get()[0], 42.0f);
}

TEST(SafeTensors, RejectsFileShorterThanTheHeaderLength) {
  EXPECT_EQ(loadTiny(std::string("\x10\x00\x00", 3)), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: file of 3 bytes is too short for a "
                        "safetensors header length"));
}

TEST(SafeTensors, RejectsHeaderLengthBeyondTheFile) {
  EXPECT_EQ(loadTiny(bytesOf<uint64_t>({100}) + "{}"), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("header length 100 exceeds the 2 bytes after it"));
}

TEST(SafeTensors, RejectsHeaderLengthThatWouldOverflow) {
  EXPECT_EQ(loadTiny(bytesOf<uint64_t>({UINT64_MAX}) + "{}"),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("header length 18446744073709551615 exceeds"));
}

TEST(SafeTensors, RejectsHeaderThatIsNotJson) {
  EXPECT_EQ(loadTiny(safetensors("{\"conv1.weight\": ", "")),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: header is not valid JSON"));
}

TEST(SafeTensors, RejectsHeaderThatIsNotAnObject) {
  EXPECT_EQ(loadTiny(safetensors("[1, 2]", "")), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(), HasSubstr("header is not a JSON object"));
}

TEST(SafeTensors, RejectsMalformedTensorEntries) {
  struct Case {
    const char *header;
    const char *message;
  } cases[] = {
      {R"({"t": 3})", "tensor 't': header entry is not a JSON object"},
      {R"({"t": {"shape": [], "data_offsets": [0, 4]}})",
       "tensor 't': missing or non-string \"dtype\""},
      {R"({"t": {"dtype": "F32", "shape": 2, "data_offsets": [0, 4]}})",
       "tensor 't': missing or non-array \"shape\""},
      {R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
       "tensor 't': \"shape\" must be a list of non-negative integers"},
      {R"({"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})",
       "tensor 't': \"shape\" must be a list of non-negative integers"},
      {R"({"t": {"dtype": "F32", "shape": [4294967296, 4294967296],
                 "data_offsets": [0, 4]}})",
       "with a representable product"},
      {R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
       "tensor 't': \"data_offsets\" must be [begin, end]"},
      {R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})",
       "tensor 't': \"data_offsets\" must be [begin, end]"},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(loadTiny(safetensors(c.header, std::string(4, '\0'))),
              NETC_ERROR_FORMAT)
        << c.header;
    EXPECT_THAT(netc_last_error(), HasSubstr(c.message)) << c.header;
  }
}

TEST(SafeTensors, RejectsOffsetsOutsideTheData) {
  EXPECT_EQ(loadTiny(safetensors(R"({"t": {"dtype": "F32", "shape": [2],
      "data_offsets": [4, 12]}})",
                                 std::string(8, '\0'))),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: tensor 't': data_offsets [4, 12] lie "
                        "outside the 8 bytes of data"));
  EXPECT_EQ(loadTiny(safetensors(R"({"t": {"dtype": "F32", "shape": [0],
      "data_offsets": [8, 4]}})",
                                 std::string(8, '\0'))),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(), HasSubstr("data_offsets [8, 4] lie outside"));
}

TEST(SafeTensors, RejectsOverlappingTensors) {
  EXPECT_EQ(loadTiny(safetensors(R"({"a": {"dtype": "F32", "shape": [2],
      "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2],
      "data_offsets": [4, 12]}})",
                                 std::string(12, '\0'))),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: tensors 'a' [0, 8] and 'b' [4, 12] "
                        "overlap"));
}

TEST(SafeTensors, RejectsByteCountThatDisagreesWithDtypeAndShape) {
  EXPECT_EQ(loadTiny(safetensors(R"({"conv1.bias": {"dtype": "F64",
      "shape": [2], "data_offsets": [0, 8]}})",
                                 std::string(8, '\0'))),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("tensor 'conv1.bias': 2 elements of F64 need 16 "
                        "bytes, data_offsets [0, 8] hold 8"));
}

TEST(SafeTensors, RejectsTruncatedData) {
  std::string bytes = tinyFile({1, 2, 3, 4, 5, 6}, {7, 8});
  bytes.resize(bytes.size() - 1);
  EXPECT_EQ(loadTiny(bytes), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("tensor 'conv1.bias': data_offsets [24, 32] lie "
                        "outside the 31 bytes of data"));
}

TEST(SafeTensors, RejectsEveryTruncationOfAValidFileWithoutCrashing) {
  std::string bytes = tinyFile({1, 2, 3, 4, 5, 6}, {7, 8});
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_EQ(loadTiny(bytes.substr(0, size)), NETC_ERROR_FORMAT)
        << "truncated to " << size;
    EXPECT_THAT(netc_last_error(), HasSubstr("w.safetensors: "));
  }
}

TEST(SafeTensors, RejectsAPyTorchZipArchiveSayingHowToConvertIt) {
  // torch.save's default since PyTorch 1.6: a zip archive, whose first 8
  // bytes read as a header length of 578712552184433488 or so.
  std::string zip = std::string("PK\x03\x04\x00\x00\x08\x08", 8) +
                    "archive/data.pkl" + std::string(200, '\0');
  std::string path = tempPath("model.pt");
  EXPECT_EQ(loadTiny(zip, "model.pt"), NETC_ERROR_FORMAT);
  EXPECT_EQ(netc_last_error(),
            path + ": this is a PyTorch file (torch.save: zip archive), not "
                   "safetensors; convert it with "
                   "scripts/torch_to_safetensors.py (see docs/runtime.md)");
}

TEST(SafeTensors, RejectsALegacyPyTorchPickleSayingHowToConvertIt) {
  // torch.save(..., _use_new_zipfile_serialization=False): pickle protocol
  // 2, starting with the LONG1 magic number 0x1950a86a20f9469cfc6c.
  std::string pickle =
      std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.",
                  15) +
      std::string(100, '\0');
  std::string path = tempPath("model.pt");
  EXPECT_EQ(loadTiny(pickle, "model.pt"), NETC_ERROR_FORMAT);
  EXPECT_EQ(netc_last_error(),
            path + ": this is a PyTorch file (torch.save: pickle), not "
                   "safetensors; convert it with "
                   "scripts/torch_to_safetensors.py (see docs/runtime.md)");
  // Protocols 2 to 5 are pickles; checkpoints too.
  pickle[1] = 5;
  EXPECT_EQ(loadTiny(pickle, "model.pt"), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(), HasSubstr("(torch.save: pickle)"));
}

TEST(SafeTensors, AHeaderLengthThatStartsLikeAPickleStillLoads) {
  // A 640-byte header is 80 02 00 00 ... on disk, a pickle's first bytes;
  // it fits the file, so the file is safetensors.
  std::string header =
      R"({"conv1.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]},
          "conv1.weight": {"dtype": "F32", "shape": [2, 1, 1, 3],
                           "data_offsets": [0, 24]}})";
  header.resize(640, ' ');
  std::string path = tempPath("w.safetensors");
  writeBytes(path,
             safetensors(header, bytesOf<float>({1, 2, 3, 4, 5, 6, 7, 8})));
  ASSERT_EQ(readBytes(path).substr(0, 2), "\x80\x02");
  Params params(kTiny);
  ASSERT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();
  EXPECT_EQ(params.get()[7], 8.0f);
}

TEST(SafeTensors, RejectsAHeaderLengthBeyondTheLimitUnread) {
  EXPECT_EQ(loadTiny(bytesOf<uint64_t>({100000001}) + "{}"), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: header length 100000001 exceeds the "
                        "limit of 100000000 bytes"));
}

TEST(SafeTensors, RejectsAHeaderNestedDeeperThan64Levels) {
  // Parsed recursively, 200000 levels would overflow the stack.
  auto nested = [](size_t depth) {
    return R"({"__metadata__": {"x": )" + std::string(depth - 2, '[') +
           std::string(depth - 2, ']') + "}}";
  };
  EXPECT_EQ(loadTiny(safetensors(nested(200000), "")), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("w.safetensors: header is not valid JSON (JSON nested "
                        "deeper than 64 levels)"));
  EXPECT_EQ(loadTiny(safetensors(nested(65), "")), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(), HasSubstr("nested deeper than 64 levels"));
  // 64 levels are fine: the load gets as far as the missing tensors.
  EXPECT_EQ(loadTiny(safetensors(nested(64), "")), NETC_ERROR_MISMATCH);
  EXPECT_THAT(netc_last_error(), HasSubstr("tensor 'conv1.weight' is missing"));
}

TEST(SafeTensors, QuotesOnlyTheStartOfAHugeName) {
  std::string name(1 << 20, 'n');
  EXPECT_EQ(loadTiny(safetensors("{\"" + name + "\": 3}", "")),
            NETC_ERROR_FORMAT);
  std::string message = netc_last_error();
  EXPECT_THAT(message, HasSubstr("tensor '" + std::string(60, 'n') +
                                 "...': header entry is not a JSON object"));
  EXPECT_LT(message.size(), 300u);
}

TEST(SafeTensors, ModelWithoutParametersTakesANullBuffer) {
  // An empty std::vector<float>'s data() is NULL; there is nothing to read.
  const netc_model_info empty = {"empty", 0, 0, nullptr, 1, {4}, 1, {4}};
  std::string path = tempPath("empty.safetensors");
  ASSERT_EQ(netc_params_save_safetensors(&empty, path.c_str(), nullptr),
            NETC_OK)
      << netc_last_error();
  std::string bytes = readBytes(path);
  uint64_t headerSize;
  std::memcpy(&headerSize, bytes.data(), 8);
  EXPECT_EQ(bytes.size(), 8 + headerSize);
  EXPECT_EQ(json::parse(bytes.substr(8)),
            json({{"__metadata__", {{"format", "pt"}}}}));
  ASSERT_EQ(netc_params_load_safetensors(&empty, path.c_str(), nullptr),
            NETC_OK)
      << netc_last_error();
  // Extra tensors in the file are ignored as ever.
  writeBytes(path, tinyFile({1, 2, 3, 4, 5, 6}, {7, 8}));
  EXPECT_EQ(netc_params_load_safetensors(&empty, path.c_str(), nullptr),
            NETC_OK)
      << netc_last_error();
}

TEST(SafeTensors, RejectsMissingFile) {
  Params params(kTiny);
  EXPECT_EQ(netc_params_load_safetensors(&kTiny, "/nonexistent/w.safetensors",
                                         params.get()),
            NETC_ERROR_IO);
  EXPECT_STREQ(netc_last_error(), "/nonexistent/w.safetensors: cannot open "
                                  "for reading: No such file or directory");
}

TEST(SafeTensors, RejectsNullArguments) {
  Params params(kTiny);
  EXPECT_EQ(netc_params_load_safetensors(nullptr, "w", params.get()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_params_load_safetensors: model is NULL");
  EXPECT_EQ(netc_params_load_safetensors(&kTiny, "w", nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_params_load_safetensors: params is NULL");
  EXPECT_EQ(netc_params_save_safetensors(&kTiny, nullptr, params.get()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_params_save_safetensors: path is NULL");
}

TEST(SafeTensors, RejectsModelWhoseParameterLiesOutsideTheBuffer) {
  const netc_param_info params[] = {{"w", 4, 6, 1, {6}, NETC_INIT_ZEROS, 0, 0}};
  const netc_model_info model = {"bad", 8, 1, params, 1, {6}, 1, {1}};
  Params buffer(model);
  EXPECT_EQ(netc_params_save_safetensors(&model, "x.safetensors", buffer.get()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.safetensors: model 'bad': parameter 'w' at offset "
                        "4 with 6 floats lies outside the 8-float buffer"));
}

TEST(SafeTensors, RejectsModelWhoseNumelDisagreesWithItsShape) {
  const netc_param_info params[] = {
      {"w", 0, 5, 2, {2, 3}, NETC_INIT_ZEROS, 0, 0}};
  const netc_model_info model = {"bad", 8, 1, params, 1, {6}, 1, {1}};
  Params buffer(model);
  EXPECT_EQ(netc_params_load_safetensors(&model, "x", buffer.get()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("parameter 'w' has rank 2 and numel 5 that do not "
                        "agree with its shape"));
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

TEST(SafeTensors, RoundTripsParametersBitExactly) {
  Params saved(kTiny);
  const float values[] = {1.0f,
                          -0.0f,
                          1e-40f, // subnormal
                          3.4e38f,
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN(),
                          0.1f,
                          -7.25f};
  std::copy(std::begin(values), std::end(values), saved.get());
  std::string path = tempPath("w.safetensors");
  ASSERT_EQ(netc_params_save_safetensors(&kTiny, path.c_str(), saved.get()),
            NETC_OK)
      << netc_last_error();
  Params loaded(kTiny);
  ASSERT_EQ(netc_params_load_safetensors(&kTiny, path.c_str(), loaded.get()),
            NETC_OK)
      << netc_last_error();
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(bitsOf(loaded.get()[i]), bitsOf(values[i])) << "at " << i;
}

TEST(SafeTensors, SavesF32WithStateDictNamesAndAPaddedHeader) {
  Params params(kTiny);
  for (int i = 0; i < 8; ++i)
    params.get()[i] = static_cast<float>(i) + 0.5f;
  std::string path = tempPath("w.safetensors");
  ASSERT_EQ(netc_params_save_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();

  std::string bytes = readBytes(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t headerSize;
  std::memcpy(&headerSize, bytes.data(), 8);
  EXPECT_EQ(headerSize % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + headerSize + 32);
  std::string headerText = bytes.substr(8, headerSize);
  EXPECT_EQ(headerText.find_last_not_of(' '), headerText.rfind('}'));
  json header = json::parse(headerText, nullptr, false);
  ASSERT_TRUE(header.is_object()) << headerText;
  EXPECT_EQ(header["__metadata__"], json({{"format", "pt"}}));
  EXPECT_EQ(header["conv1.weight"], json({{"dtype", "F32"},
                                          {"shape", {2, 1, 1, 3}},
                                          {"data_offsets", {0, 24}}}));
  EXPECT_EQ(
      header["conv1.bias"],
      json({{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {24, 32}}}));
  EXPECT_EQ(bytes.substr(8 + headerSize),
            bytesOf<float>({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f}));
}

TEST(SafeTensors, SaveReplacesAnExistingFileAndLeavesNoTemporary) {
  std::string path = tempPath("w.safetensors");
  writeBytes(path, std::string(1000, 'x'));
  Params params(kTiny);
  ASSERT_EQ(netc_params_save_safetensors(&kTiny, path.c_str(), params.get()),
            NETC_OK)
      << netc_last_error();
  EXPECT_LT(readBytes(path).size(), 1000u);
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  EXPECT_NE(access(tmp.c_str(), F_OK), 0);
}

TEST(SafeTensors, SaveToAMissingDirectoryFailsWithoutATrace) {
  Params params(kTiny);
  EXPECT_EQ(netc_params_save_safetensors(&kTiny, "/nonexistent/w.safetensors",
                                         params.get()),
            NETC_ERROR_IO);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("/nonexistent/w.safetensors: cannot create "
                        "'/nonexistent/w.safetensors.tmp."));
}

TEST(SafeTensors, SaveRejectsDuplicateParameterNames) {
  const netc_param_info params[] = {{"w", 0, 1, 1, {1}, NETC_INIT_ZEROS, 0, 0},
                                    {"w", 1, 1, 1, {1}, NETC_INIT_ZEROS, 0, 0}};
  const netc_model_info model = {"dup", 2, 2, params, 1, {1}, 1, {1}};
  Params buffer(model);
  EXPECT_EQ(
      netc_params_save_safetensors(&model, tempPath("w").c_str(), buffer.get()),
      NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("model 'dup' has two parameters "
                                           "named 'w'"));
}
