//===- PlotTest.cpp - Training history as a PNG ---------------------------===//
//
// The PNG is decoded here with zlib: signature, chunk CRCs, IHDR, IDAT that
// inflates to the image size, the filters undone, and the plot's colours
// found.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include <zlib.h>

using namespace netc::test;
using testing::HasSubstr;

namespace {
/// A decoded 8-bit RGB PNG.
struct Image {
  uint32_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
  std::vector<uint8_t> filters; ///< per row

  bool has(uint8_t r, uint8_t g, uint8_t b) const {
    for (size_t i = 0; i + 2 < rgb.size(); i += 3)
      if (rgb[i] == r && rgb[i + 1] == g && rgb[i + 2] == b)
        return true;
    return false;
  }
};

uint32_t bigEndian(const std::string &bytes, size_t at) {
  return uint32_t(uint8_t(bytes[at])) << 24 |
         uint32_t(uint8_t(bytes[at + 1])) << 16 |
         uint32_t(uint8_t(bytes[at + 2])) << 8 | uint8_t(bytes[at + 3]);
}

/// The Paeth predictor of the PNG specification.
uint8_t paeth(int a, int b, int c) {
  int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b),
      pc = std::abs(p - c);
  return uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/// Decodes the PNG file at `path`, checking its structure as it goes.
Image decodePng(const std::string &path) {
  std::string bytes = readBytes(path);
  Image image;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  std::vector<std::string> types;
  for (size_t at = 8; at + 12 <= bytes.size();) {
    uint32_t length = bigEndian(bytes, at);
    std::string type = bytes.substr(at + 4, 4);
    std::string data = bytes.substr(at + 8, length);
    uint32_t crc = bigEndian(bytes, at + 8 + length);
    std::string body = type + data;
    EXPECT_EQ(crc, crc32(0, reinterpret_cast<const Bytef *>(body.data()),
                         uInt(body.size())))
        << type;
    types.push_back(type);
    if (type == "IHDR") {
      EXPECT_EQ(length, 13u);
      image.width = bigEndian(data, 0);
      image.height = bigEndian(data, 4);
      EXPECT_EQ(data.substr(8), std::string("\x08\x02\x00\x00\x00", 5));
    } else if (type == "IDAT") {
      idat += data;
    }
    at += 12 + length;
  }
  EXPECT_EQ(types.front(), "IHDR");
  EXPECT_EQ(types.back(), "IEND");

  size_t stride = size_t(image.width) * 3;
  std::vector<uint8_t> raw(image.height * (stride + 1) + 1);
  uLongf rawSize = raw.size();
  EXPECT_EQ(uncompress(raw.data(), &rawSize,
                       reinterpret_cast<const Bytef *>(idat.data()),
                       idat.size()),
            Z_OK);
  EXPECT_EQ(rawSize, image.height * (stride + 1));
  image.rgb.assign(image.height * stride, 0);
  for (size_t y = 0; y < image.height; ++y) {
    uint8_t filter = raw[y * (stride + 1)];
    image.filters.push_back(filter);
    const uint8_t *in = &raw[y * (stride + 1) + 1];
    uint8_t *out = &image.rgb[y * stride];
    const uint8_t *up = y ? out - stride : nullptr;
    for (size_t i = 0; i < stride; ++i) {
      int a = i >= 3 ? out[i - 3] : 0, b = up ? up[i] : 0,
          c = up && i >= 3 ? up[i - 3] : 0;
      int predictor[] = {0, a, b, (a + b) / 2, paeth(a, b, c)};
      EXPECT_LT(filter, 5);
      out[i] = uint8_t(in[i] + predictor[filter % 5]);
    }
  }
  return image;
}
} // namespace

TEST(Plot, WritesAValidRgbPng) {
  const netc_epoch_result history[] = {{0, 2.1, 0.62, 1.0},
                                       {1, 0.9, NAN, 1.0},
                                       {2, 0.5, 0.91, 1.0},
                                       {3, 0.3, 0.95, 1.0}};
  std::string path = tempPath("history.png");
  ASSERT_EQ(netc_plot_history_png(path.c_str(), history, 4, 0, 0), NETC_OK)
      << netc_last_error();
  Image image = decodePng(path);
  EXPECT_EQ(image.width, 640u);
  EXPECT_EQ(image.height, 480u);
  EXPECT_EQ(image.filters, std::vector<uint8_t>(480, 1)); // Sub everywhere
  // White background, black axes and text, the two series' colours.
  EXPECT_EQ(image.rgb[0], 255);
  EXPECT_TRUE(image.has(0, 0, 0));
  EXPECT_TRUE(image.has(31, 119, 180));
  EXPECT_TRUE(image.has(214, 39, 40));
}

TEST(Plot, SizesAndEmptyHistories) {
  std::string path = tempPath("history.png");
  ASSERT_EQ(netc_plot_history_png(path.c_str(), nullptr, 0, 200, 160), NETC_OK);
  Image image = decodePng(path);
  EXPECT_EQ(image.width, 200u);
  EXPECT_EQ(image.height, 160u);
  EXPECT_FALSE(image.has(31, 119, 180));

  const netc_epoch_result one = {0, 1.5, NAN, 0.5};
  ASSERT_EQ(netc_plot_history_png(path.c_str(), &one, 1, 300, 1000), NETC_OK);
  image = decodePng(path);
  EXPECT_EQ(image.height, 1000u);
  EXPECT_TRUE(image.has(31, 119, 180));
  EXPECT_FALSE(image.has(214, 39, 40));

  EXPECT_EQ(netc_plot_history_png(path.c_str(), &one, 1, 100, 100),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(netc_last_error(), HasSubstr("100x100 pixels, expected 0x0"));
  EXPECT_EQ(netc_plot_history_png(path.c_str(), nullptr, 2, 0, 0),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_plot_history_png: history is NULL");
  EXPECT_EQ(netc_plot_history_png("/nonexistent/dir/x.png", &one, 1, 0, 0),
            NETC_ERROR_IO);
}
