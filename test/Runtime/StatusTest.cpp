//===- StatusTest.cpp - Status strings and the last error message ---------===//

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <thread>

using testing::HasSubstr;

TEST(Status, StringsDescribeEveryStatus) {
  EXPECT_STREQ(netc_status_string(NETC_OK), "ok");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_IO), "i/o error");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_FORMAT), "malformed file");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_MISMATCH), "tensor mismatch");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_OUT_OF_MEMORY), "out of memory");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_INVALID_ARGUMENT),
               "invalid argument");
  EXPECT_STREQ(netc_status_string(NETC_ERROR_DIVERGED), "training diverged");
  EXPECT_STREQ(netc_status_string(static_cast<netc_status>(42)),
               "unknown status");
}

TEST(Status, LastErrorIsEmptyOnAFreshThread) {
  std::string message = "unset";
  std::thread([&] { message = netc_last_error(); }).join();
  EXPECT_EQ(message, "");
}

TEST(Status, LastErrorIsPerThread) {
  netc_array array;
  ASSERT_EQ(netc_array_load_npy("/nonexistent/main.npy", &array),
            NETC_ERROR_IO);
  std::string other;
  std::thread([&] {
    netc_array_load_npy("/nonexistent/other.npy", &array);
    other = netc_last_error();
  }).join();
  EXPECT_THAT(other, HasSubstr("/nonexistent/other.npy"));
  EXPECT_THAT(netc_last_error(), HasSubstr("/nonexistent/main.npy"));
}

TEST(Status, LastErrorNamesFileAndSystemReason) {
  netc_array array;
  EXPECT_EQ(netc_array_load_npy("/nonexistent/x.npy", &array), NETC_ERROR_IO);
  EXPECT_STREQ(netc_last_error(), "/nonexistent/x.npy: cannot open for "
                                  "reading: No such file or directory");
}

TEST(Status, LoadingADirectoryIsAnIoError) {
  netc_array array;
  EXPECT_EQ(netc_array_load_npy("/", &array), NETC_ERROR_IO);
  EXPECT_STREQ(netc_last_error(), "/: not a regular file");
}
