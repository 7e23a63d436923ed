//===- ParamsTest.cpp - Parameter buffer allocation -----------------------===//

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdint>

using testing::HasSubstr;

/// A model with `floats` parameter floats and no parameter table.
static netc_model_info modelWithFloats(int64_t floats) {
  netc_model_info model{};
  model.name = "m";
  model.param_floats = floats;
  return model;
}

TEST(Params, CreateReturnsZeroed64ByteAlignedBuffer) {
  netc_model_info model = modelWithFloats(1000);
  float *params = netc_params_create(&model);
  ASSERT_NE(params, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(params) % 64, 0u);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(params[i], 0.0f) << "at " << i;
  // The whole buffer is writable.
  params[999] = 1.5f;
  EXPECT_EQ(params[999], 1.5f);
  netc_params_free(params);
}

TEST(Params, CreateWithNoParametersReturnsAFreeableBuffer) {
  netc_model_info model = modelWithFloats(0);
  float *params = netc_params_create(&model);
  ASSERT_NE(params, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(params) % 64, 0u);
  netc_params_free(params);
}

TEST(Params, CreateRejectsNullModel) {
  EXPECT_EQ(netc_params_create(nullptr), nullptr);
  EXPECT_STREQ(netc_last_error(), "netc_params_create: model is NULL");
}

TEST(Params, CreateRejectsNegativeSize) {
  netc_model_info model = modelWithFloats(-4);
  EXPECT_EQ(netc_params_create(&model), nullptr);
  EXPECT_THAT(netc_last_error(), HasSubstr("param_floats -4 < 0"));
}

TEST(Params, CreateReportsOutOfMemoryForAHugeBuffer) {
  netc_model_info model = modelWithFloats(INT64_MAX / 2);
  EXPECT_EQ(netc_params_create(&model), nullptr);
  EXPECT_THAT(netc_last_error(), HasSubstr("netc_params_create: "));
}

TEST(Params, FreeAcceptsNull) { netc_params_free(nullptr); }
