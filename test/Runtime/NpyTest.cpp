//===- NpyTest.cpp - Arrays from and to .npy files ------------------------===//
//
// Hand-built files use the exact bytes numpy.save writes, so they double as
// fixtures of real NumPy output; npy-numpy.test checks against NumPy itself.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <vector>

using namespace netc::test;
using testing::ElementsAre;
using testing::HasSubstr;

namespace {
/// The bytes of a .npy file of format version `major`.0 with header dict
/// `dict`, padded as NumPy does (spaces, then a newline, so that the data
/// starts at a multiple of `alignment`), followed by `data`.
std::string npy(const std::string &dict, const std::string &data, int major = 1,
                size_t alignment = 64) {
  size_t prefix = 6 + 2 + (major == 1 ? 2 : 4);
  std::string header = dict;
  size_t total =
      (prefix + header.size() + 1 + alignment - 1) / alignment * alignment;
  header.resize(total - prefix - 1, ' ');
  header += '\n';
  std::string length = major == 1
                           ? bytesOf<uint16_t>({uint16_t(header.size())})
                           : bytesOf<uint32_t>({uint32_t(header.size())});
  return std::string("\x93NUMPY") + char(major) + '\0' + length + header + data;
}

/// An array freed on scope exit.
struct Array : netc_array {
  Array() : netc_array{} {}
  ~Array() { netc_array_free(this); }
  std::vector<float> values(size_t numel) const {
    return std::vector<float>(data, data + numel);
  }
  std::vector<int64_t> dims() const {
    return std::vector<int64_t>(shape, shape + rank);
  }
};

/// Writes `bytes` to a file named `name` and loads it into `array`.
netc_status loadBytes(const std::string &bytes, Array &array,
                      const std::string &name = "x.npy") {
  std::string path = tempPath(name);
  writeBytes(path, bytes);
  return netc_array_load_npy(path.c_str(), &array);
}
} // namespace

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST(Npy, LoadsFloat32AsNumpySavesIt) {
  Array array;
  ASSERT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (2, 3), }",
                          bytesOf<float>({1, 2, 3, 4, 5, 6.5f})),
                      array),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(array.dims(), ElementsAre(2, 3));
  EXPECT_THAT(array.values(6), ElementsAre(1, 2, 3, 4, 5, 6.5f));
}

TEST(Npy, ConvertsFloat64ToFloat32) {
  Array array;
  ASSERT_EQ(loadBytes(npy("{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (4,), }",
                          bytesOf<double>({0.1, -2.5, 1e300, 1.0 / 3})),
                      array),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(array.dims(), ElementsAre(4));
  EXPECT_THAT(array.values(4),
              ElementsAre(0.1f, -2.5f, std::numeric_limits<float>::infinity(),
                          1.0f / 3));
}

TEST(Npy, LoadsScalarsAndEmptyArrays) {
  Array scalar;
  ASSERT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (), }",
                          bytesOf<float>({42})),
                      scalar),
            NETC_OK)
      << netc_last_error();
  EXPECT_EQ(scalar.rank, 0);
  EXPECT_EQ(scalar.data[0], 42.0f);

  Array empty;
  ASSERT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (0, 3), }",
                          ""),
                      empty, "empty.npy"),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(empty.dims(), ElementsAre(0, 3));
  EXPECT_NE(empty.data, nullptr);
}

TEST(Npy, LoadsVersion2And3Headers) {
  for (int major : {2, 3}) {
    Array array;
    ASSERT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (1, 2), }",
                            bytesOf<float>({7, 8}), major),
                        array),
              NETC_OK)
        << netc_last_error();
    EXPECT_THAT(array.dims(), ElementsAre(1, 2));
    EXPECT_THAT(array.values(2), ElementsAre(7, 8));
  }
}

TEST(Npy, AcceptsOldNumpyHeaders) {
  // NumPy before 1.14 aligned data to 16 bytes; under Python 2 it wrote longs
  // ("2L") and no trailing comma.
  Array array;
  ASSERT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (2L, 1L)}",
                          bytesOf<float>({1, 2}), 1, 16),
                      array),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(array.dims(), ElementsAre(2, 1));
}

TEST(Npy, AcceptsKeysInAnyOrderWithDoubleQuotes) {
  Array array;
  ASSERT_EQ(loadBytes(npy("{\"shape\": (5,), \"fortran_order\": False, "
                          "\"descr\": \"<f4\"}",
                          bytesOf<float>({1, 2, 3, 4, 5})),
                      array),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(array.dims(), ElementsAre(5));
}

TEST(Npy, RejectsFortranOrder) {
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': True, "
                          "'shape': (2, 3), }",
                          std::string(24, '\0')),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: Fortran-ordered arrays are not supported"));
  EXPECT_EQ(array.data, nullptr);
}

TEST(Npy, RejectsBigEndianData) {
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': '>f4', 'fortran_order': False, "
                          "'shape': (1,), }",
                          std::string(4, '\0')),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: big-endian dtype '>f4' is not supported"));
}

TEST(Npy, RejectsOtherDtypes) {
  for (const char *descr : {"<f2", "<c8", "|b1", "<U3", "<i16"}) {
    Array array;
    EXPECT_EQ(loadBytes(npy(std::string("{'descr': '") + descr +
                                "', 'fortran_order': False, 'shape': (1,), }",
                            std::string(8, '\0')),
                        array),
              NETC_ERROR_FORMAT);
    EXPECT_THAT(netc_last_error(),
                HasSubstr(std::string("x.npy: dtype '") + descr +
                          "' is not supported, expected float32 ('<f4'), "
                          "float64 ('<f8') or an integer type ('|i1', '<i2', "
                          "'<i4', '<i8', '|u1', '<u2', '<u4', '<u8')"));
  }
}

TEST(Npy, ConvertsEveryIntegerDtypeToFloat32) {
  struct Case {
    const char *descr;
    std::string data;
    std::vector<float> values;
  } cases[] = {
      {"|i1", bytesOf<int8_t>({-128, 0, 127}), {-128, 0, 127}},
      {"<i2", bytesOf<int16_t>({-32768, 7, 32767}), {-32768, 7, 32767}},
      {"<i4", bytesOf<int32_t>({-5, 1 << 24, 3}), {-5, 16777216, 3}},
      {"<i8", bytesOf<int64_t>({-1, 9, 1000000}), {-1, 9, 1000000}},
      {"|u1", bytesOf<uint8_t>({0, 128, 255}), {0, 128, 255}},
      {"<u2", bytesOf<uint16_t>({0, 1, 65535}), {0, 1, 65535}},
      {"<u4", bytesOf<uint32_t>({4, 5, 6}), {4, 5, 6}},
      {"<u8", bytesOf<uint64_t>({0, 2, 42}), {0, 2, 42}},
  };
  for (const Case &c : cases) {
    Array array;
    ASSERT_EQ(loadBytes(npy(std::string("{'descr': '") + c.descr +
                                "', 'fortran_order': False, 'shape': (3,), }",
                            c.data),
                        array),
              NETC_OK)
        << c.descr << ": " << netc_last_error();
    EXPECT_THAT(array.dims(), ElementsAre(3)) << c.descr;
    EXPECT_EQ(array.values(3), c.values) << c.descr;
  }
}

TEST(Npy, LoadsUint8ImagesAsFloat32) {
  // A batch of two 2x2 images as uint8, the way image data is often saved.
  Array array;
  ASSERT_EQ(loadBytes(npy("{'descr': '|u1', 'fortran_order': False, "
                          "'shape': (2, 1, 2, 2), }",
                          bytesOf<uint8_t>({0, 1, 254, 255, 10, 20, 30, 40})),
                      array),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(array.dims(), ElementsAre(2, 1, 2, 2));
  EXPECT_THAT(array.values(8), ElementsAre(0, 1, 254, 255, 10, 20, 30, 40));
}

TEST(Npy, IntegersBeyond2To24RoundToNearest) {
  Array array;
  ASSERT_EQ(loadBytes(npy("{'descr': '<i8', 'fortran_order': False, "
                          "'shape': (3,), }",
                          bytesOf<int64_t>({16777217, -16777219, INT64_MAX})),
                      array),
            NETC_OK)
      << netc_last_error();
  // Ties go to even: 2^24 + 1 -> 2^24, -(2^24 + 3) -> -(2^24 + 4).
  EXPECT_THAT(array.values(3),
              ElementsAre(16777216.0f, -16777220.0f, 9223372036854775808.0f));
}

TEST(Npy, RejectsStructuredDtypes) {
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                          "'shape': (1,), }",
                          std::string(4, '\0')),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("malformed value of 'descr' in header (structured "
                        "dtypes are not supported)"));
}

TEST(Npy, RejectsRankAboveFive) {
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1, 1, 1, 1, 1, 1), }",
                          std::string(4, '\0')),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: array of rank 6 exceeds the maximum rank 5"));
}

TEST(Npy, RejectsDataSizeThatDisagreesWithTheShape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), }";
  Array shortArray;
  EXPECT_EQ(loadBytes(npy(dict, std::string(20, '\0')), shortArray),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: shape [2, 3] of '<f4' needs 24 bytes of data, "
                        "the file holds 20"));
  Array longArray;
  EXPECT_EQ(loadBytes(npy(dict, std::string(28, '\0')), longArray),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(), HasSubstr("the file holds 28"));
}

TEST(Npy, RejectsShapeWhoseSizeOverflows) {
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (4294967296, 4294967296), }",
                          ""),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("shape [4294967296, 4294967296] has too many "
                        "elements"));
}

TEST(Npy, RejectsFilesThatAreNotNpy) {
  Array array;
  EXPECT_EQ(loadBytes("PK\x03\x04 not numpy", array), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: not a .npy file (no \\x93NUMPY magic)"));
}

TEST(Npy, RejectsUnknownFormatVersion) {
  std::string bytes = npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1,), }",
                          std::string(4, '\0'));
  bytes[6] = 4;
  Array array;
  EXPECT_EQ(loadBytes(bytes, array), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr(".npy version 4.0 is not supported (1.0 to 3.0)"));
}

TEST(Npy, RejectsHeaderLengthBeyondTheFile) {
  Array array;
  EXPECT_EQ(loadBytes(std::string("\x93NUMPY\x01\x00", 8) +
                          bytesOf<uint16_t>({500}) + "{}",
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: header length 500 exceeds the 2 bytes after "
                        "it"));
}

TEST(Npy, RejectsAHeaderBeyondTheLimit) {
  // A 2 MiB header (format 2.0 has a 4-byte length): refused unread.
  std::string bytes = std::string("\x93NUMPY\x02\x00", 8) +
                      bytesOf<uint32_t>({2u << 20}) +
                      std::string(2u << 20, ' ');
  Array array;
  EXPECT_EQ(loadBytes(bytes, array), NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: header length 2097152 exceeds the limit of "
                        "1048576 bytes"));
}

TEST(Npy, RejectsAShapeBeyondTheFileBeforeAllocating) {
  // 2^40 floats (4 TiB) declared by a file of 64 bytes: refused before any
  // allocation, which would fail or take all memory.
  Array array;
  EXPECT_EQ(loadBytes(npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1099511627776,), }",
                          ""),
                      array),
            NETC_ERROR_FORMAT);
  EXPECT_THAT(netc_last_error(),
              HasSubstr("x.npy: shape [1099511627776] of '<f4' needs "
                        "4398046511104 bytes of data, the file holds 0"));
  EXPECT_EQ(array.data, nullptr);
}

TEST(Npy, RejectsMalformedHeaders) {
  struct Case {
    const char *dict;
    const char *message;
  } cases[] = {
      {"('descr', '<f4')", "header is not a Python dict literal"},
      {"{'descr': '<f4', 'fortran_order': False}", "header lacks 'shape'"},
      {"{'fortran_order': False, 'shape': (1,)}", "header lacks 'descr'"},
      {"{'descr': '<f4', 'shape': (1,)}", "header lacks 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
       "unexpected key 'x' in header"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
       "malformed value of 'fortran_order' in header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
       "malformed value of 'shape' in header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}",
       "malformed value of 'shape' in header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': "
       "(99999999999999999999,)}",
       "malformed value of 'shape' in header"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}",
       "expected ',' or '}' after 'descr'"},
      {"{'descr: '<f4', 'fortran_order': False, 'shape': (1,)}",
       "malformed header: expected 'key': value"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
       "malformed header: text after the closing '}'"},
  };
  for (const Case &c : cases) {
    Array array;
    EXPECT_EQ(loadBytes(npy(c.dict, std::string(4, '\0')), array),
              NETC_ERROR_FORMAT)
        << c.dict;
    EXPECT_THAT(netc_last_error(), HasSubstr(c.message)) << c.dict;
  }
}

TEST(Npy, RejectsEveryTruncationOfAValidFileWithoutCrashing) {
  std::string bytes = npy("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (2,), }",
                          bytesOf<float>({1, 2}));
  for (size_t size = 0; size < bytes.size(); ++size) {
    Array array;
    EXPECT_EQ(loadBytes(bytes.substr(0, size), array), NETC_ERROR_FORMAT)
        << "truncated to " << size;
    EXPECT_THAT(netc_last_error(), HasSubstr("x.npy: "));
  }
}

TEST(Npy, LoadRejectsNullArguments) {
  Array array;
  EXPECT_EQ(netc_array_load_npy(nullptr, &array), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_array_load_npy: path is NULL");
  EXPECT_EQ(netc_array_load_npy("x.npy", nullptr), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_array_load_npy: out is NULL");
}

//===----------------------------------------------------------------------===//
// Class labels
//===----------------------------------------------------------------------===//

namespace {
/// Labels freed on scope exit.
struct Labels {
  int32_t *data = nullptr;
  int64_t count = 0;
  ~Labels() { netc_labels_free(data); }
  std::vector<int32_t> values() const {
    return std::vector<int32_t>(data, data + count);
  }
};

/// A 1-D .npy file of `descr` holding `data` (`count` elements).
std::string npyVector(const char *descr, size_t count,
                      const std::string &data) {
  return npy(std::string("{'descr': '") + descr +
                 "', 'fortran_order': False, 'shape': (" +
                 std::to_string(count) + ",), }",
             data);
}

/// Writes `bytes` to a file named `name` and loads its labels.
netc_status loadLabels(const std::string &bytes, int64_t numClasses,
                       Labels &labels, const std::string &name = "y.npy") {
  std::string path = tempPath(name);
  writeBytes(path, bytes);
  return netc_labels_load_npy(path.c_str(), numClasses, &labels.data,
                              &labels.count);
}

/// Loads `bytes` as labels of `numClasses`, expects NETC_ERROR_FORMAT (or
/// `status`) with nothing returned, and returns the message.
std::string labelsError(const std::string &bytes, int64_t numClasses,
                        netc_status status = NETC_ERROR_FORMAT) {
  std::string path = tempPath("y.npy");
  writeBytes(path, bytes);
  int32_t unset;
  int32_t *labels = &unset;
  int64_t count = -1;
  EXPECT_EQ(netc_labels_load_npy(path.c_str(), numClasses, &labels, &count),
            status);
  EXPECT_EQ(labels, nullptr);
  EXPECT_EQ(count, 0);
  if (labels != &unset)
    netc_labels_free(labels);
  return netc_last_error();
}
} // namespace

TEST(NpyLabels, LoadsEveryIntegerDtypeExactly) {
  struct Case {
    const char *descr;
    std::string data;
  } cases[] = {
      {"|i1", bytesOf<int8_t>({0, 4, 2})},
      {"<i2", bytesOf<int16_t>({0, 4, 2})},
      {"<i4", bytesOf<int32_t>({0, 4, 2})},
      {"<i8", bytesOf<int64_t>({0, 4, 2})},
      {"|u1", bytesOf<uint8_t>({0, 4, 2})},
      {"<u2", bytesOf<uint16_t>({0, 4, 2})},
      {"<u4", bytesOf<uint32_t>({0, 4, 2})},
      {"<u8", bytesOf<uint64_t>({0, 4, 2})},
      {"<f4", bytesOf<float>({0, 4, 2})},
      {"<f8", bytesOf<double>({0, 4, 2})},
  };
  for (const Case &c : cases) {
    Labels labels;
    ASSERT_EQ(loadLabels(npyVector(c.descr, 3, c.data), 5, labels), NETC_OK)
        << c.descr << ": " << netc_last_error();
    EXPECT_EQ(labels.count, 3) << c.descr;
    EXPECT_THAT(labels.values(), ElementsAre(0, 4, 2)) << c.descr;
  }
}

TEST(NpyLabels, LargeClassIndicesStayExact) {
  // 2^31 - 1 has no float32: a float round trip would give 2^31.
  Labels labels;
  ASSERT_EQ(
      loadLabels(npyVector("<i8", 2, bytesOf<int64_t>({2147483647, 16777217})),
                 int64_t(1) << 31, labels),
      NETC_OK)
      << netc_last_error();
  EXPECT_THAT(labels.values(), ElementsAre(2147483647, 16777217));
}

TEST(NpyLabels, AcrossReadChunksEveryValueAndIndexIsRight) {
  // 300000 int64 labels are 2.4 MB, read in several pieces.
  std::vector<int64_t> values(300000);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<int64_t>((i * 7) % 10);
  std::string data(reinterpret_cast<const char *>(values.data()),
                   values.size() * 8);
  Labels labels;
  ASSERT_EQ(loadLabels(npyVector("<i8", values.size(), data), 10, labels),
            NETC_OK)
      << netc_last_error();
  ASSERT_EQ(labels.count, 300000);
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(labels.data[i], values[i]) << "at " << i;
  // A bad label far into the file is reported at its own index.
  values[200001] = 10;
  std::memcpy(data.data() + 200001 * 8, &values[200001], 8);
  EXPECT_THAT(labelsError(npyVector("<i8", values.size(), data), 10),
              HasSubstr("y.npy: label 10 at index 200001 is outside 0..9"));
}

TEST(NpyLabels, LoadsAnEmptyArray) {
  Labels labels;
  ASSERT_EQ(loadLabels(npyVector("<i8", 0, ""), 3, labels), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(labels.count, 0);
  EXPECT_NE(labels.data, nullptr);
}

TEST(NpyLabels, RejectsLabelsOutsideTheClassesNamingFileIndexAndValue) {
  std::string path = tempPath("y.npy");
  EXPECT_EQ(labelsError(npyVector("<i8", 4, bytesOf<int64_t>({0, 1, 4, 7})), 5),
            path + ": label 7 at index 3 is outside 0..4");
  EXPECT_EQ(labelsError(npyVector("|i1", 2, bytesOf<int8_t>({1, -1})), 5),
            path + ": label -1 at index 1 is outside 0..4");
  EXPECT_EQ(
      labelsError(npyVector("<u8", 1, bytesOf<uint64_t>({UINT64_MAX})), 5),
      path + ": label 18446744073709551615 at index 0 is outside 0..4");
  EXPECT_EQ(labelsError(npyVector("<i8", 1, bytesOf<int64_t>({INT64_MIN})), 5),
            path + ": label -9223372036854775808 at index 0 is outside 0..4");
  EXPECT_EQ(labelsError(npyVector("<f8", 2, bytesOf<double>({4, 5})), 5),
            path + ": label 5 at index 1 is outside 0..4");
  EXPECT_EQ(labelsError(npyVector("<f4", 1, bytesOf<float>({-1})), 5),
            path + ": label -1 at index 0 is outside 0..4");
  EXPECT_EQ(labelsError(npyVector("<f8", 1, bytesOf<double>({1e300})), 5),
            path + ": label 1e+300 at index 0 is outside 0..4");
}

TEST(NpyLabels, RejectsFloatLabelsThatAreNotWholeNumbers) {
  std::string path = tempPath("y.npy");
  EXPECT_EQ(labelsError(npyVector("<f4", 2, bytesOf<float>({1, 2.5f})), 5),
            path + ": label 2.5 at index 1 is not a whole number");
  EXPECT_EQ(labelsError(npyVector("<f8", 1, bytesOf<double>({0.1})), 5),
            path + ": label 0.1 at index 0 is not a whole number");
  EXPECT_EQ(labelsError(npyVector("<f8", 1, bytesOf<double>({NAN})), 5),
            path + ": label nan at index 0 is not a whole number");
  EXPECT_EQ(labelsError(npyVector("<f4", 1, bytesOf<float>({-INFINITY})), 5),
            path + ": label -inf at index 0 is not a whole number");
}

TEST(NpyLabels, RejectsOtherRanksWithTheShape) {
  std::string path = tempPath("y.npy");
  EXPECT_EQ(labelsError(npy("{'descr': '<i8', 'fortran_order': False, "
                            "'shape': (2, 3), }",
                            std::string(48, '\0')),
                        5, NETC_ERROR_MISMATCH),
            path + ": labels must be a 1-D array, the file holds shape "
                   "[2, 3]");
  EXPECT_EQ(labelsError(npy("{'descr': '<i8', 'fortran_order': False, "
                            "'shape': (), }",
                            std::string(8, '\0')),
                        5, NETC_ERROR_MISMATCH),
            path + ": labels must be a 1-D array, the file holds shape []");
}

TEST(NpyLabels, SharesTheArrayReadersChecks) {
  EXPECT_THAT(labelsError(npyVector("|b1", 1, std::string(1, '\1')), 5),
              HasSubstr("y.npy: dtype '|b1' is not supported"));
  EXPECT_THAT(labelsError(npyVector("<i8", 3, std::string(16, '\0')), 5),
              HasSubstr("y.npy: shape [3] of '<i8' needs 24 bytes of data, "
                        "the file holds 16"));
  EXPECT_THAT(labelsError("PK\x03\x04", 5),
              HasSubstr("y.npy: not a .npy file"));
}

TEST(NpyLabels, RejectsBadArguments) {
  int32_t *labels = nullptr;
  int64_t count = 0;
  for (int64_t classes : {int64_t(0), int64_t(-3), (int64_t(1) << 31) + 1}) {
    EXPECT_EQ(netc_labels_load_npy("y.npy", classes, &labels, &count),
              NETC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(netc_last_error()),
              "netc_labels_load_npy: num_classes " + std::to_string(classes) +
                  " is not in 1..2147483648");
  }
  EXPECT_EQ(netc_labels_load_npy(nullptr, 5, &labels, &count),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_labels_load_npy: path is NULL");
  EXPECT_EQ(netc_labels_load_npy("y.npy", 5, nullptr, &count),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_labels_load_npy: labels is NULL");
  EXPECT_EQ(netc_labels_load_npy("y.npy", 5, &labels, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_labels_load_npy: count is NULL");
  netc_labels_free(nullptr);
}

//===----------------------------------------------------------------------===//
// Saving
//===----------------------------------------------------------------------===//

TEST(Npy, SavesVersion1Float32WithDataAlignedTo64Bytes) {
  std::string path = tempPath("x.npy");
  const int64_t shape[] = {2, 3};
  const float data[] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(netc_array_save_npy(path.c_str(), data, 2, shape), NETC_OK)
      << netc_last_error();
  // Byte for byte what np.save(np.arange(1, 7, dtype=np.float32)
  // .reshape(2, 3)) writes.
  EXPECT_EQ(readBytes(path), npy("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (2, 3), }",
                                 bytesOf<float>({1, 2, 3, 4, 5, 6})));
  EXPECT_EQ(readBytes(path).size(), 128u + 24u);
}

TEST(Npy, SavesScalarsAndVectorsWithPythonTupleSyntax) {
  std::string path = tempPath("x.npy");
  const float value = 2.5f;
  ASSERT_EQ(netc_array_save_npy(path.c_str(), &value, 0, nullptr), NETC_OK)
      << netc_last_error();
  EXPECT_THAT(readBytes(path), HasSubstr("'shape': (), }"));
  const int64_t shape[] = {1};
  ASSERT_EQ(netc_array_save_npy(path.c_str(), &value, 1, shape), NETC_OK)
      << netc_last_error();
  EXPECT_THAT(readBytes(path), HasSubstr("'shape': (1,), }"));
}

TEST(Npy, RoundTripsEveryRankBitExactly) {
  std::string path = tempPath("x.npy");
  const int64_t shape[] = {2, 1, 3, 2, 2};
  std::vector<float> data(24);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<float>(i) * -0.7f + 1e-39f;
  for (int32_t rank = 0; rank <= 5; ++rank) {
    ASSERT_EQ(netc_array_save_npy(path.c_str(), data.data(), rank, shape),
              NETC_OK)
        << netc_last_error();
    Array array;
    ASSERT_EQ(netc_array_load_npy(path.c_str(), &array), NETC_OK)
        << netc_last_error();
    ASSERT_EQ(array.rank, rank);
    int64_t numel = 1;
    for (int32_t d = 0; d < rank; ++d) {
      EXPECT_EQ(array.shape[d], shape[d]);
      numel *= shape[d];
    }
    for (int64_t i = 0; i < numel; ++i)
      EXPECT_EQ(bitsOf(array.data[i]), bitsOf(data[i])) << "at " << i;
  }
}

TEST(Npy, SaveRejectsInvalidShapes) {
  const float data[] = {0};
  const int64_t negative[] = {2, -1};
  EXPECT_EQ(netc_array_save_npy("x.npy", data, 2, negative),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "x.npy: dimension 1 is negative (-1)");
  const int64_t six[] = {1, 1, 1, 1, 1, 1};
  EXPECT_EQ(netc_array_save_npy("x.npy", data, 6, six),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "x.npy: rank 6 is not in 0..5 or its shape is NULL");
  const int64_t huge[] = {INT64_MAX, 2};
  EXPECT_EQ(netc_array_save_npy("x.npy", data, 2, huge),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("has too many elements"));
  const int64_t two[] = {2};
  EXPECT_EQ(netc_array_save_npy("x.npy", nullptr, 1, two),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "x.npy: data is NULL");
}

TEST(Npy, FreeResetsTheArrayAndAcceptsNull) {
  Array array;
  std::string path = tempPath("x.npy");
  const int64_t shape[] = {3};
  const float data[] = {1, 2, 3};
  ASSERT_EQ(netc_array_save_npy(path.c_str(), data, 1, shape), NETC_OK);
  ASSERT_EQ(netc_array_load_npy(path.c_str(), &array), NETC_OK);
  netc_array_free(&array);
  EXPECT_EQ(array.data, nullptr);
  EXPECT_EQ(array.rank, 0);
  netc_array_free(&array);
  netc_array_free(nullptr);
}
