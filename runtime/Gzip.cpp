//===- Gzip.cpp - Reading gzipped or plain files in pieces ----------------===//
//
// ContentReader: data sets ship gzipped (MNIST's *.gz), so the IDX loader
// reads a file's contents through zlib when it starts with the gzip magic
// and as they are otherwise, a piece at a time: the header first, then
// exactly the data the header declares, so that a small file cannot make
// it inflate gigabytes.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <climits>
#include <cstring>
#include <new>

#define ZLIB_CONST
#include <zlib.h>

using namespace netc;

/// Compressed bytes read from the file at once.
static constexpr size_t kInputBufferBytes = size_t(1) << 16;

/// zlib's state and the compressed bytes read but not yet inflated.
struct ContentReader::Inflater {
  z_stream stream{};
  bool started = false;
  /// No member follows the last one that ended: the contents are over.
  bool finished = false;
  uint8_t input[kInputBufferBytes];

  ~Inflater() {
    if (started)
      inflateEnd(&stream);
  }
};

ContentReader::ContentReader() = default;
ContentReader::~ContentReader() = default;

netc_status ContentReader::open(const char *path) {
  if (netc_status status = file.open(path))
    return status;
  uint8_t magic[2];
  if (file.size() < 2)
    return NETC_OK;
  if (netc_status status = file.readAt(0, magic, 2))
    return status;
  if (magic[0] != 0x1f || magic[1] != 0x8b)
    return NETC_OK;
  inflater.reset(new (std::nothrow) Inflater);
  if (!inflater)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate the inflate state", path);
  // 16 + MAX_WBITS: a gzip wrapper, whose CRC-32 and length zlib checks.
  int result = inflateInit2(&inflater->stream, 16 + MAX_WBITS);
  if (result != Z_OK)
    return setError(
        NETC_ERROR_OUT_OF_MEMORY, "%s: cannot start zlib inflate (%s)", path,
        inflater->stream.msg ? inflater->stream.msg : zError(result));
  inflater->started = true;
  return NETC_OK;
}

netc_status ContentReader::read(void *dst, size_t count, size_t &got) {
  if (inflater)
    return inflateInto(static_cast<uint8_t *>(dst), count, got);
  got = static_cast<size_t>(std::min<uint64_t>(count, file.size() - position));
  if (netc_status status = file.readAt(position, dst, got))
    return status;
  position += got;
  return NETC_OK;
}

netc_status ContentReader::inflateInto(uint8_t *dst, size_t count,
                                       size_t &got) {
  Inflater &state = *inflater;
  z_stream &stream = state.stream;
  got = 0;
  // Moves the unread compressed bytes to the front of the buffer and fills
  // the rest from the file.
  auto refill = [&]() -> netc_status {
    if (stream.avail_in > 0)
      std::memmove(state.input, stream.next_in, stream.avail_in);
    size_t room = kInputBufferBytes - stream.avail_in;
    size_t more =
        static_cast<size_t>(std::min<uint64_t>(room, file.size() - position));
    if (netc_status status =
            file.readAt(position, state.input + stream.avail_in, more))
      return status;
    position += more;
    stream.next_in = state.input;
    stream.avail_in += static_cast<uInt>(more);
    return NETC_OK;
  };
  while (got < count && !state.finished) {
    if (stream.avail_in == 0 && position < file.size())
      if (netc_status status = refill())
        return status;
    stream.next_out = dst + got;
    // zlib counts in uInt; larger reads go in pieces.
    stream.avail_out =
        static_cast<uInt>(std::min<size_t>(count - got, UINT_MAX));
    uInt before = stream.avail_out;
    int result = inflate(&stream, Z_NO_FLUSH);
    got += before - stream.avail_out;
    if (result == Z_OK)
      continue;
    if (result == Z_STREAM_END) {
      uint64_t left = stream.avail_in + (file.size() - position);
      if (left == 0) {
        state.finished = true;
        break;
      }
      // Another member follows (`cat a.gz b.gz`); gzip reads on, so do we.
      if (stream.avail_in < 2 && position < file.size())
        if (netc_status status = refill())
          return status;
      if (left >= 2 && stream.next_in[0] == 0x1f && stream.next_in[1] == 0x8b) {
        inflateReset(&stream);
        continue;
      }
      return setError(NETC_ERROR_FORMAT,
                      "%s: %llu trailing bytes after the gzip stream",
                      file.path(), static_cast<unsigned long long>(left));
    }
    // No progress with output space left: the input ran out mid-stream.
    if (result == Z_BUF_ERROR && stream.avail_in == 0 &&
        position == file.size())
      return setError(NETC_ERROR_FORMAT,
                      "%s: gzip stream is truncated (the file ends after %llu "
                      "compressed bytes, before the end of the stream)",
                      file.path(),
                      static_cast<unsigned long long>(file.size()));
    if (result == Z_MEM_ERROR)
      return setError(NETC_ERROR_OUT_OF_MEMORY,
                      "%s: out of memory while inflating", file.path());
    // Z_DATA_ERROR: "incorrect data check" (CRC), "incorrect length
    // check", "invalid block type", ...
    return setError(NETC_ERROR_FORMAT, "%s: corrupt gzip data: %s", file.path(),
                    stream.msg ? stream.msg : zError(result));
  }
  return NETC_OK;
}
