//===- Plot.cpp - Training history as a PNG -------------------------------===//
//
// netc_plot_history_png: train loss and test accuracy per epoch as two line
// plots with axes, ticks and labels in a 3x5 pixel font, encoded by a small
// PNG writer (8-bit RGB, every row Sub-filtered, one zlib IDAT) and written
// atomically.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <zlib.h>

using namespace netc;

namespace {
/// An 8-bit RGB colour.
struct Rgb {
  uint8_t r, g, b;
};

constexpr Rgb kBlack = {0, 0, 0};
constexpr Rgb kGrid = {225, 225, 225};
constexpr Rgb kLossColour = {31, 119, 180};
constexpr Rgb kAccuracyColour = {214, 39, 40};

/// Glyphs 3 pixels wide and 5 high, rows top to bottom, '1' set.
struct Glyph {
  char c;
  const char *pixels; ///< 15 characters
};
constexpr Glyph kFont[] = {
    {'0', "111101101101111"}, {'1', "010110010010111"},
    {'2', "111001111100111"}, {'3', "111001111001111"},
    {'4', "101101111001001"}, {'5', "111100111001111"},
    {'6', "111100111101111"}, {'7', "111001001001001"},
    {'8', "111101111101111"}, {'9', "111101111001111"},
    {'.', "000000000000010"}, {'-', "000000111000000"},
    {'%', "101001010100101"}, {'(', "001010010010001"},
    {')', "100010010010100"}, {'A', "010101111101101"},
    {'C', "011100100100011"}, {'E', "111100110100111"},
    {'H', "101101111101101"}, {'I', "111010010010111"},
    {'L', "100100100100111"}, {'N', "110101101101101"},
    {'O', "010101101101010"}, {'P', "110101110100100"},
    {'R', "110101110101101"}, {'S', "011100010001110"},
    {'T', "111010010010010"}, {'U', "101101101101111"},
    {'Y', "101101010010010"},
};

/// Font scale and the advance of one character, pixels.
constexpr int kScale = 2;
constexpr int kAdvance = 4 * kScale;
constexpr int kTextHeight = 5 * kScale;

/// An RGB image, white until drawn on.
class Canvas {
public:
  Canvas(int width, int height)
      : width(width), height(height),
        pixels(static_cast<size_t>(width) * height * 3, 255) {}

  void set(int x, int y, Rgb colour) {
    if (x < 0 || y < 0 || x >= width || y >= height)
      return;
    uint8_t *pixel = &pixels[(static_cast<size_t>(y) * width + x) * 3];
    pixel[0] = colour.r;
    pixel[1] = colour.g;
    pixel[2] = colour.b;
  }

  void fill(int x0, int y0, int x1, int y1, Rgb colour) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x)
        set(x, y, colour);
  }

  /// A line two pixels thick (Bresenham, plus the pixel below each).
  void line(int x0, int y0, int x1, int y1, Rgb colour) {
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int error = dx + dy;
    for (;;) {
      set(x0, y0, colour);
      set(x0, y0 + 1, colour);
      if (x0 == x1 && y0 == y1)
        return;
      int twice = 2 * error;
      if (twice >= dy) {
        error += dy;
        x0 += sx;
      }
      if (twice <= dx) {
        error += dx;
        y0 += sy;
      }
    }
  }

  /// `text` with its top-left corner at (x, y); lowercase is drawn as
  /// uppercase, characters without a glyph as spaces.
  void text(int x, int y, const std::string &text, Rgb colour) {
    for (char c : text) {
      char upper =
          static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      for (const Glyph &glyph : kFont) {
        if (glyph.c != upper)
          continue;
        for (int k = 0; k < 15; ++k)
          if (glyph.pixels[k] == '1')
            fill(x + k % 3 * kScale, y + k / 3 * kScale,
                 x + k % 3 * kScale + kScale - 1,
                 y + k / 3 * kScale + kScale - 1, colour);
      }
      x += kAdvance;
    }
  }

  const int width, height;
  std::vector<uint8_t> pixels; ///< rows of RGB triples
};

/// Evenly spaced round tick values covering a range.
struct Ticks {
  double first, step;
  int count;    ///< ticks from first, step apart
  int decimals; ///< for their labels
};
} // namespace

/// 1, 2 or 5 times a power of ten, near `rough`.
static double niceStep(double rough) {
  double power = std::pow(10.0, std::floor(std::log10(rough)));
  double fraction = rough / power;
  return (fraction < 1.5   ? 1
          : fraction < 3.5 ? 2
          : fraction < 7.5 ? 5
                           : 10) *
         power;
}

/// About five ticks over [lo, hi], widened to whole steps.
static Ticks makeTicks(double &lo, double &hi, double minStep) {
  double step = std::max(niceStep((hi - lo) / 4), minStep);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step))));
  return {lo, step, static_cast<int>(std::lround((hi - lo) / step)) + 1,
          decimals};
}

/// Draws one panel in the box (x0, y0)-(x1, y1) of the canvas: a title,
/// axes, ticks with labels and the finite `values` (one per epoch from 1)
/// as a line with markers.
static void drawPanel(Canvas &canvas, int x0, int y0, int x1, int y1,
                      const char *title, const std::vector<double> &values,
                      Rgb colour) {
  // Room for the title above, tick labels left and below.
  int left = x0 + 8 * kAdvance, right = x1 - 2 * kAdvance;
  int top = y0 + kTextHeight + 10, bottom = y1 - kTextHeight - 10;
  canvas.text(left, y0 + 4, title, kBlack);

  double lo = INFINITY, hi = -INFINITY;
  for (double value : values)
    if (std::isfinite(value)) {
      lo = std::min(lo, value);
      hi = std::max(hi, value);
    }
  if (lo > hi) {
    lo = 0;
    hi = 1;
  } else if (lo == hi) {
    double pad = std::max(std::fabs(lo) * 0.1, 1e-6);
    lo -= pad;
    hi += pad;
  }
  Ticks yTicks = makeTicks(lo, hi, 0);
  double epochs = static_cast<double>(std::max<size_t>(values.size(), 1));
  double xLo = 0.5, xHi = epochs + 0.5;
  // Epoch ticks at 1, 2, 3, ... or at multiples of a round step.
  double xStep = std::max(1.0, niceStep(epochs / 8));
  double xFirst = xStep > 1 ? xStep : 1;
  Ticks xTicks = {xFirst, xStep,
                  static_cast<int>((epochs - xFirst) / xStep) + 1, 0};

  auto toX = [&](double epoch) {
    return left + static_cast<int>(std::lround((epoch - xLo) / (xHi - xLo) *
                                               (right - left)));
  };
  auto toY = [&](double value) {
    return bottom - static_cast<int>(
                        std::lround((value - lo) / (hi - lo) * (bottom - top)));
  };

  char label[32];
  for (int i = 0; i < yTicks.count; ++i) {
    double value = yTicks.first + i * yTicks.step;
    int y = toY(value);
    canvas.line(left + 1, y, right, y, kGrid);
    canvas.fill(left - 4, y, left - 1, y, kBlack);
    std::snprintf(label, sizeof(label), "%.*f", yTicks.decimals, value);
    int width = static_cast<int>(std::strlen(label)) * kAdvance;
    canvas.text(left - 8 - width, y - kTextHeight / 2, label, kBlack);
  }
  for (int i = 0; i < xTicks.count; ++i) {
    double epoch = xTicks.first + i * xTicks.step;
    int x = toX(epoch);
    canvas.fill(x, bottom + 1, x, bottom + 4, kBlack);
    std::snprintf(label, sizeof(label), "%.0f", epoch);
    int width = static_cast<int>(std::strlen(label)) * kAdvance;
    canvas.text(x - width / 2, bottom + 7, label, kBlack);
  }
  canvas.fill(left, top, left, bottom, kBlack);
  canvas.fill(left, bottom, right, bottom, kBlack);

  bool havePrevious = false;
  int previousX = 0, previousY = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      havePrevious = false;
      continue;
    }
    int x = toX(static_cast<double>(i + 1)), y = toY(values[i]);
    if (havePrevious)
      canvas.line(previousX, previousY, x, y, colour);
    canvas.fill(x - 2, y - 2, x + 2, y + 2, colour);
    havePrevious = true;
    previousX = x;
    previousY = y;
  }
}

/// Appends the big-endian bytes of `value` to `out`.
static void appendBigEndian32(std::string &out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>(value >> shift);
}

/// Appends a PNG chunk: length, type, data, CRC-32 of type and data.
static void appendChunk(std::string &out, const char *type,
                        const std::string &data) {
  appendBigEndian32(out, static_cast<uint32_t>(data.size()));
  std::string body = type + data;
  out += body;
  appendBigEndian32(out, static_cast<uint32_t>(crc32(
                             0, reinterpret_cast<const Bytef *>(body.data()),
                             static_cast<uInt>(body.size()))));
}

/// Encodes `canvas` as a PNG file into `out`.
static netc_status encodePng(const char *path, const Canvas &canvas,
                             std::string &out) {
  // Sub filter: each byte minus the one a pixel to its left, which turns the
  // flat runs of a plot into zeros.
  size_t rowBytes = static_cast<size_t>(canvas.width) * 3;
  std::vector<uint8_t> filtered;
  filtered.reserve((rowBytes + 1) * canvas.height);
  for (int y = 0; y < canvas.height; ++y) {
    const uint8_t *row = &canvas.pixels[y * rowBytes];
    filtered.push_back(1);
    for (size_t i = 0; i < rowBytes; ++i)
      filtered.push_back(
          static_cast<uint8_t>(row[i] - (i >= 3 ? row[i - 3] : 0)));
  }
  uLongf compressedSize = compressBound(static_cast<uLong>(filtered.size()));
  std::string compressed(compressedSize, '\0');
  int result = compress2(
      reinterpret_cast<Bytef *>(compressed.data()), &compressedSize,
      filtered.data(), static_cast<uLong>(filtered.size()), Z_BEST_COMPRESSION);
  if (result != Z_OK)
    return setError(result == Z_MEM_ERROR ? NETC_ERROR_OUT_OF_MEMORY
                                          : NETC_ERROR_IO,
                    "%s: cannot compress the image: %s", path, zError(result));
  compressed.resize(compressedSize);

  std::string header;
  appendBigEndian32(header, static_cast<uint32_t>(canvas.width));
  appendBigEndian32(header, static_cast<uint32_t>(canvas.height));
  // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no
  // interlace.
  header += std::string("\x08\x02\x00\x00\x00", 5);
  out = "\x89PNG\r\n\x1a\n";
  appendChunk(out, "IHDR", header);
  appendChunk(out, "IDAT", compressed);
  appendChunk(out, "IEND", "");
  return NETC_OK;
}

/// The default and largest plot sizes, pixels.
static constexpr int32_t kDefaultWidth = 640, kDefaultHeight = 480;
static constexpr int32_t kMinWidth = 200, kMinHeight = 160;
static constexpr int32_t kMaxSide = 8192;

netc_status netc_plot_history_png(const char *path,
                                  const netc_epoch_result *history,
                                  int64_t count, int32_t width,
                                  int32_t height) {
  if (!path || (count > 0 && !history))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_plot_history_png: %s is NULL",
                    !path ? "path" : "history");
  if (count < 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_plot_history_png: count %lld is negative",
                    static_cast<long long>(count));
  if (width == 0 && height == 0) {
    width = kDefaultWidth;
    height = kDefaultHeight;
  }
  if (width < kMinWidth || height < kMinHeight || width > kMaxSide ||
      height > kMaxSide)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_plot_history_png: %dx%d pixels, expected 0x0 (the "
                    "default %dx%d) or %dx%d to %dx%d",
                    width, height, kDefaultWidth, kDefaultHeight, kMinWidth,
                    kMinHeight, kMaxSide, kMaxSide);

  std::vector<double> losses, accuracies;
  for (int64_t i = 0; i < count; ++i) {
    losses.push_back(history[i].train_loss);
    accuracies.push_back(100 * history[i].test_accuracy);
  }
  Canvas canvas(width, height);
  int middle = height / 2;
  drawPanel(canvas, 0, 0, width - 1, middle - 1, "train loss", losses,
            kLossColour);
  drawPanel(canvas, 0, middle, width - 1, height - 1 - kTextHeight - 4,
            "test accuracy (%)", accuracies, kAccuracyColour);
  canvas.text(width / 2 - 2 * kAdvance, height - kTextHeight - 4, "epoch",
              kBlack);

  std::string png;
  if (netc_status status = encodePng(path, canvas, png))
    return status;
  return writeFileAtomically(path, {{png.data(), png.size()}});
}
