//===- ThreadsTest.cpp - The generated code's thread count ----------------===//

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using testing::HasSubstr;

TEST(Threads, SetAndGet) {
  int before = netc_get_num_threads();
  ASSERT_GE(before, 1);
  ASSERT_EQ(netc_set_num_threads(1), NETC_OK);
  EXPECT_EQ(netc_get_num_threads(), 1);
  ASSERT_EQ(netc_set_num_threads(3), NETC_OK);
  EXPECT_EQ(netc_get_num_threads(), 3);
  ASSERT_EQ(netc_set_num_threads(before), NETC_OK);
}

TEST(Threads, RejectsNonPositiveCounts) {
  int before = netc_get_num_threads();
  EXPECT_EQ(netc_set_num_threads(0), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("0 threads"));
  EXPECT_EQ(netc_set_num_threads(-4), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(netc_get_num_threads(), before);
}
