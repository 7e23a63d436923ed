//===- StatusTest.cpp - Status strings and the last error message ---------===//

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

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
  EXPECT_STREQ(netc_status_string(NETC_ERROR_DEVICE), "device error");
}

TEST(Status, StringOfAValueOutsideTheEnumIsUnknown) {
  // An int parameter: values a C caller may pass that no netc_status holds
  // are well-defined (UBSan flagged loading them as the enum).
  EXPECT_STREQ(netc_status_string(42), "unknown status");
  EXPECT_STREQ(netc_status_string(-1), "unknown status");
  EXPECT_STREQ(netc_status_string(8), "unknown status");
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
  EXPECT_STREQ(netc_last_error(), "/: not a regular file (a directory)");
}

TEST(Status, LoadingAFifoFailsAtOnceInsteadOfBlocking) {
  // open() of a FIFO without a writer would wait forever.
  std::string path =
      testing::TempDir() + "netc-status-fifo-" + std::to_string(getpid());
  unlink(path.c_str());
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  netc_array array;
  EXPECT_EQ(netc_array_load_npy(path.c_str(), &array), NETC_ERROR_IO);
  EXPECT_EQ(netc_last_error(), path + ": not a regular file (a fifo)");
  unlink(path.c_str());
}

TEST(Status, LoadingADeviceIsAnIoError) {
  netc_array array;
  EXPECT_EQ(netc_array_load_npy("/dev/null", &array), NETC_ERROR_IO);
  EXPECT_STREQ(netc_last_error(),
               "/dev/null: not a regular file (a character device)");
}
