//===- Gzip.cpp - Reading gzipped or plain files --------------------------===//
//
// readFileInflated: data sets ship gzipped (MNIST's *.gz), so loaders read a
// file whole, inflate it in memory with zlib when it starts with the gzip
// magic, and then parse plain bytes either way.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <algorithm>
#include <climits>
#include <cstring>

#define ZLIB_CONST
#include <zlib.h>

using namespace netc;

/// Deflate never expands data more than about 1032 to 1, so a gzip trailer's
/// size field larger than that is a lie not worth allocating for.
static constexpr size_t kMaxDeflateRatio = 1032;

namespace {
/// Frees zlib's state when it goes out of scope.
struct InflateEnder {
  z_stream *stream;
  ~InflateEnder() { inflateEnd(stream); }
};
} // namespace

/// Inflates the gzip members in `in` (`inSize` bytes) into `out`.
static netc_status inflateGzip(const char *path, const uint8_t *in,
                               size_t inSize, FileBytes &out) {
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length zlib checks.
  int result = inflateInit2(&stream, 16 + MAX_WBITS);
  if (result != Z_OK)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot start zlib inflate (%s)", path,
                    stream.msg ? stream.msg : zError(result));
  InflateEnder ender{&stream};

  // The trailer holds the last member's size modulo 2^32: a first guess,
  // plus a spare byte so that output filling it exactly needs no regrowth
  // while zlib reads the trailer.
  size_t capacity = 1 << 16;
  if (inSize >= 18) {
    uint32_t trailerSize;
    std::memcpy(&trailerSize, in + inSize - 4, 4);
    if (trailerSize / kMaxDeflateRatio <= inSize)
      capacity = std::max<size_t>(capacity, size_t(trailerSize) + 1);
  }
  std::unique_ptr<uint8_t[], FreeDeleter> buffer(
      static_cast<uint8_t *>(std::malloc(capacity)));
  if (!buffer)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %zu bytes to inflate the file", path,
                    capacity);
  size_t produced = 0;
  size_t inLeft = inSize;
  for (;;) {
    if (produced == capacity) {
      void *grown = capacity <= SIZE_MAX / 2
                        ? std::realloc(buffer.get(), capacity * 2)
                        : nullptr;
      if (!grown)
        return setError(NETC_ERROR_OUT_OF_MEMORY,
                        "%s: cannot grow the inflated data beyond %zu bytes",
                        path, capacity);
      buffer.release();
      buffer.reset(static_cast<uint8_t *>(grown));
      capacity *= 2;
    }
    // zlib counts in uInt; feed larger files in pieces.
    stream.next_in = in;
    stream.avail_in = static_cast<uInt>(std::min<size_t>(inLeft, UINT_MAX));
    stream.next_out = buffer.get() + produced;
    stream.avail_out =
        static_cast<uInt>(std::min<size_t>(capacity - produced, UINT_MAX));
    result = inflate(&stream, Z_NO_FLUSH);
    size_t consumed = static_cast<size_t>(stream.next_in - in);
    in += consumed;
    inLeft -= consumed;
    produced = static_cast<size_t>(stream.next_out - buffer.get());
    if (result == Z_STREAM_END) {
      if (inLeft == 0)
        break;
      // Another member follows (`cat a.gz b.gz`); gzip reads on, so do we.
      if (inLeft >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
        inflateReset(&stream);
        continue;
      }
      return setError(NETC_ERROR_FORMAT,
                      "%s: %zu trailing bytes after the gzip stream", path,
                      inLeft);
    }
    if (result == Z_OK)
      continue;
    // No progress with output space left: the input ran out mid-stream.
    if (result == Z_BUF_ERROR && inLeft == 0)
      return setError(NETC_ERROR_FORMAT,
                      "%s: gzip stream is truncated (the file ends after %zu "
                      "compressed bytes, before the end of the stream)",
                      path, inSize);
    if (result == Z_MEM_ERROR)
      return setError(NETC_ERROR_OUT_OF_MEMORY,
                      "%s: out of memory while inflating", path);
    // Z_DATA_ERROR: "incorrect data check" (CRC), "incorrect length
    // check", "invalid block type", ...
    return setError(NETC_ERROR_FORMAT, "%s: corrupt gzip data: %s", path,
                    stream.msg ? stream.msg : zError(result));
  }
  out.data = std::move(buffer);
  out.size = produced;
  return NETC_OK;
}

netc_status netc::readFileInflated(const char *path, FileBytes &out) {
  FileBytes file;
  if (netc_status status = readFile(path, file))
    return status;
  if (file.size < 2 || file.data[0] != 0x1f || file.data[1] != 0x8b) {
    out = std::move(file);
    return NETC_OK;
  }
  return inflateGzip(path, file.data.get(), file.size, out);
}
