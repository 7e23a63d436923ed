//===- InitTest.cpp - Seeded parameter initialisation ---------------------===//
//
// netc_params_init against the PCG32 reference output and the float recipe
// netc.h documents, plus the properties training relies on: determinism,
// bounds, moments, and buffers untouched outside their parameters.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace netc::test;
using testing::HasSubstr;

namespace {
/// A 1-d parameter of `numel` floats at `offset`; `init` is an int32_t, as
/// in netc_param_info, so that tests can pass kinds netc_init lacks.
netc_param_info param(const char *name, int64_t offset, int64_t numel,
                      int32_t init, float bound = 0) {
  netc_param_info info{};
  info.name = name;
  info.offset = offset;
  info.numel = numel;
  info.rank = 1;
  info.shape[0] = numel;
  info.init = init;
  info.init_bound = bound;
  return info;
}

/// A model over `params` with a buffer of `floats` floats.
netc_model_info model(const std::vector<netc_param_info> &params,
                      int64_t floats) {
  netc_model_info info{};
  info.name = "m";
  info.param_floats = floats;
  info.num_params = static_cast<int32_t>(params.size());
  info.params = params.data();
  return info;
}

/// A float bit pattern no initialisation writes: a quiet NaN with payload.
constexpr uint32_t kPoison = 0x7fc0dead;

/// A buffer of `floats` poisoned floats.
std::vector<float> poisoned(size_t floats) {
  float poison;
  std::memcpy(&poison, &kPoison, sizeof(poison));
  return std::vector<float>(floats, poison);
}

/// The documented uniform value for the 32 random bits `r` and bound `b`.
float uniformValue(uint32_t r, float b) {
  return b * (static_cast<float>(static_cast<int32_t>(r >> 8) - (1 << 23)) *
              0x1p-23f);
}
} // namespace

TEST(Init, UniformFollowsThePcg32ReferenceStream) {
  // pcg32-demo from the PCG reference C code seeds (42, stream 54) and
  // prints these six outputs first. Parameter 54 draws from stream 54.
  const uint32_t reference[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                0x83d2f293, 0xbfa4784b, 0xcbed606e};
  std::vector<netc_param_info> params(
      54, param("empty", 0, 0, NETC_INIT_UNIFORM, 1));
  params.push_back(param("w", 0, 6, NETC_INIT_UNIFORM, 1.0f));
  params.push_back(param("v", 6, 6, NETC_INIT_UNIFORM, 0.2f));
  netc_model_info info = model(params, 12);
  std::vector<float> buffer = poisoned(12);
  ASSERT_EQ(netc_params_init(&info, 42, buffer.data()), NETC_OK)
      << netc_last_error();
  for (int k = 0; k < 6; ++k) {
    // With bound 1 the value shows the top 24 bits exactly.
    EXPECT_EQ(buffer[k], uniformValue(reference[k], 1.0f)) << "at " << k;
    EXPECT_EQ(static_cast<uint32_t>(std::ldexp(buffer[k], 23) + (1 << 23)),
              reference[k] >> 8)
        << "at " << k;
  }
  // Parameter 55 has its own stream: not a replay of stream 54 scaled.
  for (int k = 0; k < 6; ++k)
    EXPECT_NE(bitsOf(buffer[6 + k]), bitsOf(uniformValue(reference[k], 0.2f)))
        << "at " << k;
}

TEST(Init, SameSeedGivesTheSameBits) {
  std::vector<netc_param_info> params = {
      param("conv.weight", 0, 250, NETC_INIT_UNIFORM, 0.2f),
      param("conv.bias", 256, 10, NETC_INIT_UNIFORM, 0.2f)};
  netc_model_info info = model(params, 272);
  std::vector<float> first = poisoned(272), second = poisoned(272);
  ASSERT_EQ(netc_params_init(&info, 1234, first.data()), NETC_OK);
  ASSERT_EQ(netc_params_init(&info, 1234, second.data()), NETC_OK);
  EXPECT_EQ(std::memcmp(first.data(), second.data(), 272 * sizeof(float)), 0);
}

TEST(Init, DifferentSeedsDiffer) {
  std::vector<netc_param_info> params = {
      param("w", 0, 1000, NETC_INIT_UNIFORM, 0.5f)};
  netc_model_info info = model(params, 1000);
  std::vector<float> first = poisoned(1000), second = poisoned(1000);
  ASSERT_EQ(netc_params_init(&info, 1, first.data()), NETC_OK);
  ASSERT_EQ(netc_params_init(&info, 2, second.data()), NETC_OK);
  int same = 0;
  for (int i = 0; i < 1000; ++i)
    same += first[i] == second[i];
  // 24 random bits per value: a few coincidences at most.
  EXPECT_LE(same, 2);
}

TEST(Init, EachParameterDependsOnlyOnSeedAndIndex) {
  // "b" is parameter 1 in both models, with a different neighbour and
  // offset; "a" and "b" have equal sizes and bounds but differ.
  std::vector<netc_param_info> small = {
      param("a", 0, 100, NETC_INIT_UNIFORM, 0.1f),
      param("b", 100, 100, NETC_INIT_UNIFORM, 0.1f)};
  std::vector<netc_param_info> large = {
      param("a", 0, 7, NETC_INIT_UNIFORM, 3.0f),
      param("b", 64, 100, NETC_INIT_UNIFORM, 0.1f)};
  netc_model_info smallInfo = model(small, 200), largeInfo = model(large, 164);
  std::vector<float> s = poisoned(200), l = poisoned(164);
  ASSERT_EQ(netc_params_init(&smallInfo, 9, s.data()), NETC_OK);
  ASSERT_EQ(netc_params_init(&largeInfo, 9, l.data()), NETC_OK);
  EXPECT_EQ(std::memcmp(s.data() + 100, l.data() + 64, 100 * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(s.data(), s.data() + 100, 100 * sizeof(float)), 0);
}

TEST(Init, UniformValuesStayWithinTheirBound) {
  // PyTorch's bounds for conv1 (fan_in 25) and fc (fan_in 784) of a LeNet.
  const float bounds[] = {1 / std::sqrt(25.0f), 1 / std::sqrt(784.0f), 1e-30f,
                          3.0f};
  for (float bound : bounds) {
    std::vector<netc_param_info> params = {
        param("w", 0, 100000, NETC_INIT_UNIFORM, bound)};
    netc_model_info info = model(params, 100000);
    std::vector<float> buffer = poisoned(100000);
    ASSERT_EQ(netc_params_init(&info, 5, buffer.data()), NETC_OK);
    float low = buffer[0], high = buffer[0];
    for (float value : buffer) {
      ASSERT_LE(std::fabs(value), bound) << "bound " << bound;
      low = std::min(low, value);
      high = std::max(high, value);
    }
    // The range is covered to within a few draws' spacing.
    EXPECT_LT(low, -0.999f * bound);
    EXPECT_GT(high, 0.999f * bound);
  }
}

TEST(Init, ZerosAndOnesAreExact) {
  std::vector<netc_param_info> params = {
      param("bn.bias", 0, 16, NETC_INIT_ZEROS),
      param("bn.weight", 16, 16, NETC_INIT_ONES),
      // The bound of a non-uniform parameter is ignored.
      param("bn.running_var", 32, 16, NETC_INIT_ONES, NAN)};
  netc_model_info info = model(params, 48);
  std::vector<float> buffer = poisoned(48);
  ASSERT_EQ(netc_params_init(&info, 0, buffer.data()), NETC_OK)
      << netc_last_error();
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(bitsOf(buffer[i]), 0u) << "at " << i; // +0.0f, not -0.0f
  for (int i = 16; i < 48; ++i)
    EXPECT_EQ(bitsOf(buffer[i]), 0x3f800000u) << "at " << i;
}

TEST(Init, LargeUniformTensorHasTheMomentsOfUniform) {
  const int64_t n = 1 << 20;
  const float bound = 0.5f;
  std::vector<netc_param_info> params = {
      param("w", 0, n, NETC_INIT_UNIFORM, bound)};
  netc_model_info info = model(params, n);
  std::vector<float> buffer = poisoned(n);
  ASSERT_EQ(netc_params_init(&info, 2024, buffer.data()), NETC_OK);
  double sum = 0, squares = 0;
  for (float value : buffer) {
    sum += value;
    squares += double(value) * value;
  }
  double mean = sum / n, variance = squares / n - mean * mean;
  // Standard errors: b / sqrt(3n) = 2.8e-4 for the mean, 7e-5 for the
  // variance; these tolerances are about 5 of them.
  EXPECT_NEAR(mean, 0.0, 1.5e-3);
  EXPECT_NEAR(variance, bound * bound / 3.0, 4e-4);
}

TEST(Init, LeavesGapsBetweenAlignedParametersUntouched) {
  // Parameters at 16-float (64-byte) offsets, as the compiler lays them out.
  std::vector<netc_param_info> params = {
      param("conv.weight", 0, 10, NETC_INIT_UNIFORM, 0.3f),
      param("conv.bias", 16, 5, NETC_INIT_UNIFORM, 0.3f),
      param("bn.weight", 32, 3, NETC_INIT_ONES),
      param("bn.bias", 48, 1, NETC_INIT_ZEROS)};
  netc_model_info info = model(params, 64);
  std::vector<float> buffer = poisoned(64);
  ASSERT_EQ(netc_params_init(&info, 3, buffer.data()), NETC_OK);
  std::vector<bool> inside(64, false);
  for (const netc_param_info &p : params)
    for (int64_t i = p.offset; i < p.offset + p.numel; ++i)
      inside[i] = true;
  for (int i = 0; i < 64; ++i)
    if (inside[i])
      EXPECT_NE(bitsOf(buffer[i]), kPoison) << "at " << i;
    else
      EXPECT_EQ(bitsOf(buffer[i]), kPoison) << "gap at " << i;
}

TEST(Init, RejectsNullArguments) {
  std::vector<netc_param_info> params = {param("w", 0, 1, NETC_INIT_ONES)};
  netc_model_info info = model(params, 1);
  float buffer[1];
  EXPECT_EQ(netc_params_init(nullptr, 0, buffer), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_params_init: model is NULL");
  EXPECT_EQ(netc_params_init(&info, 0, nullptr), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_params_init: params is NULL");
}

TEST(Init, ModelWithoutParametersTakesANullBuffer) {
  netc_model_info info = model({}, 0);
  EXPECT_EQ(netc_params_init(&info, 5, nullptr), NETC_OK) << netc_last_error();
  // Parameters of no elements are fine too.
  std::vector<netc_param_info> params = {
      param("w", 0, 0, NETC_INIT_UNIFORM, 1.0f)};
  info = model(params, 0);
  EXPECT_EQ(netc_params_init(&info, 5, nullptr), NETC_OK) << netc_last_error();
}

TEST(Init, RejectsAnUnknownKindWithoutWritingAnything) {
  std::vector<netc_param_info> params = {param("w", 0, 4, NETC_INIT_ONES),
                                         param("v", 4, 4, 7)};
  netc_model_info info = model(params, 8);
  std::vector<float> buffer = poisoned(8);
  EXPECT_EQ(netc_params_init(&info, 0, buffer.data()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_params_init: parameter 'v' has unknown init kind 7, "
               "expected 0 (zeros), 1 (ones) or 2 (uniform)");
  for (float value : buffer)
    EXPECT_EQ(bitsOf(value), kPoison);
}

TEST(Init, RejectsABadUniformBound) {
  for (float bound : {-0.5f, NAN, INFINITY}) {
    std::vector<netc_param_info> params = {
        param("fc.bias", 0, 4, NETC_INIT_UNIFORM, bound)};
    netc_model_info info = model(params, 4);
    std::vector<float> buffer = poisoned(4);
    EXPECT_EQ(netc_params_init(&info, 0, buffer.data()),
              NETC_ERROR_INVALID_ARGUMENT);
    EXPECT_THAT(netc_last_error(),
                HasSubstr("netc_params_init: parameter 'fc.bias' has "
                          "init_bound "));
    EXPECT_THAT(netc_last_error(), HasSubstr("expected a finite bound >= 0"));
    EXPECT_EQ(bitsOf(buffer[0]), kPoison);
  }
}

TEST(Init, RejectsAParameterOutsideTheBuffer) {
  std::vector<netc_param_info> params = {
      param("w", 6, 4, NETC_INIT_UNIFORM, 1.0f)};
  netc_model_info info = model(params, 8);
  std::vector<float> buffer = poisoned(8);
  EXPECT_EQ(netc_params_init(&info, 0, buffer.data()),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_params_init: model 'm': parameter 'w' at offset 6 with "
               "4 floats lies outside the 8-float buffer");
}
