//===- TestUtil.h - Helpers shared by the runtime unit tests ----*- C++ -*-===//
//
// Temporary file paths unique to the running test, whole-file reads and
// writes, and building little-endian bytes by hand.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_TEST_RUNTIME_TESTUTIL_H
#define NETC_TEST_RUNTIME_TESTUTIL_H

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

namespace netc::test {

/// A path in the test temporary directory unique to the running test (ctest
/// runs tests in parallel), ending in `name`.
inline std::string tempPath(const std::string &name) {
  const testing::TestInfo *info =
      testing::UnitTest::GetInstance()->current_test_info();
  return testing::TempDir() + "netc-" + info->test_suite_name() + "-" +
         info->name() + "-" + name;
}

/// Replaces the file at `path` with `bytes`.
inline void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(file.good()) << "cannot write " << path;
}

/// The contents of the file at `path`; empty if it cannot be read.
inline std::string readBytes(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file),
          std::istreambuf_iterator<char>()};
}

/// The little-endian bytes of `values` (the host is little-endian).
template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

/// The bits of `value`, to compare floats exactly (NaN, -0.0 included).
inline uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

} // namespace netc::test

#endif // NETC_TEST_RUNTIME_TESTUTIL_H
