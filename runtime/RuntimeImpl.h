//===- RuntimeImpl.h - Private helpers of the netc runtime ------*- C++ -*-===//
//
// What the runtime's source files share and the C API does not show: the
// per-thread error message, bounded file reading (gzip included) and atomic
// writing, bounded JSON parsing, dtype conversion, safetensors reading and
// writing, checks of a netc_model_info and the random number generator.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_RUNTIME_RUNTIMEIMPL_H
#define NETC_RUNTIME_RUNTIMEIMPL_H

#include "netc-c/netc.h"

#include <nlohmann/json_fwd.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

// safetensors and '<f4' .npy data are little-endian; the runtime copies
// floats between files and memory as they are.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the netc runtime assumes a little-endian host");

namespace netc {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// Sets this thread's last error message (printf-style) and returns
/// `status`, so that a failure reads `return setError(...)`.
netc_status setError(netc_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

/// `text` cut to its first 60 bytes plus "..." if it is longer: what a
/// message quotes of a name or value read from a file, which may be huge.
std::string excerpt(const std::string &text);

/// Formats `value` as Python's repr would where that is short (-0.1, 1e-08,
/// 100) but with no ".0" on integers ("-1", as torch prints an int): the
/// fewest significant digits that read back as the same double.
std::string formatDouble(double value);

//===----------------------------------------------------------------------===//
// Sizes
//===----------------------------------------------------------------------===//

/// ceil(a / b) for a >= 0 and b >= 1, without the overflow of
/// (a + b - 1) / b when b is near INT64_MAX.
inline int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Frees memory from malloc/aligned_alloc in a std::unique_ptr.
struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

/// A malloc'ed array, for buffers sized by what a file declares.
template <typename T> using MallocArray = std::unique_ptr<T[], FreeDeleter>;

/// A regular file open for reading. Readers fetch a header first, check
/// what it declares against size(), and then read only the bytes it
/// describes, so that no file makes them allocate more than it can hold.
class InputFile {
public:
  InputFile() = default;
  ~InputFile();
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  /// Opens `path` (kept, not copied) without blocking: a FIFO, a device or
  /// a directory is refused with NETC_ERROR_IO ("x: not a regular file (a
  /// fifo)") instead of waited on.
  netc_status open(const char *path);

  const char *path() const { return filePath; }
  /// The file's size when it was opened, bytes.
  uint64_t size() const { return fileSize; }

  /// Reads `count` bytes at `offset` into `dst`. NETC_ERROR_IO if reading
  /// fails or the file ends first (it shrank after it was opened).
  netc_status readAt(uint64_t offset, void *dst, size_t count) const;

private:
  int fd = -1;
  const char *filePath = "";
  uint64_t fileSize = 0;
};

/// The largest piece readElements reads at once, bytes.
constexpr size_t kReadChunkBytes = size_t(1) << 20;

/// Reads `numel` elements of `elementSize` bytes at `offset` of `file` in
/// pieces of at most kReadChunkBytes, calling `consume(bytes, first, count)`
/// for each piece (`first`: the index of its first element) until one call
/// returns an error, so that converting data never needs a copy of all of
/// it.
template <typename Consume>
netc_status readElements(const InputFile &file, uint64_t offset,
                         size_t elementSize, size_t numel, Consume consume) {
  size_t perChunk = std::max<size_t>(1, kReadChunkBytes / elementSize);
  size_t chunkBytes = std::min(numel, perChunk) * elementSize;
  MallocArray<uint8_t> chunk(
      static_cast<uint8_t *>(std::malloc(chunkBytes + 1)));
  if (!chunk)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %zu bytes to read the data",
                    file.path(), chunkBytes);
  for (size_t first = 0; first < numel; first += perChunk) {
    size_t count = std::min(perChunk, numel - first);
    if (netc_status status = file.readAt(offset + first * elementSize,
                                         chunk.get(), count * elementSize))
      return status;
    if (netc_status status = consume(chunk.get(), first, count))
      return status;
  }
  return NETC_OK;
}

/// The contents of a file read front to back in pieces, inflated on the fly
/// when the file starts with the gzip magic bytes 1f 8b (concatenated
/// members too), so that a reader can check a header before it allocates
/// for what follows and stop at the first byte beyond what it declares.
class ContentReader {
public:
  ContentReader();
  ~ContentReader();
  ContentReader(const ContentReader &) = delete;
  ContentReader &operator=(const ContentReader &) = delete;

  /// Opens `path` (see InputFile::open) and detects gzip.
  netc_status open(const char *path);

  bool gzipped() const { return inflater != nullptr; }
  /// The size of the file (compressed, when gzipped), bytes.
  uint64_t fileSize() const { return file.size(); }

  /// Reads up to `count` bytes of the contents into `dst`; `got` is less
  /// than `count` only at their end. A corrupt gzip stream (bad CRC or
  /// length, invalid data), a truncated one and trailing bytes that are
  /// not another gzip member are NETC_ERROR_FORMAT.
  netc_status read(void *dst, size_t count, size_t &got);

private:
  struct Inflater;
  netc_status inflateInto(uint8_t *dst, size_t count, size_t &got);

  InputFile file;
  uint64_t position = 0; ///< the next byte of the file to read
  std::unique_ptr<Inflater> inflater;
};

/// A run of bytes to write.
struct Chunk {
  const void *data;
  size_t size; ///< bytes
};

/// Writes `chunks` one after the other to `<path>.tmp.<pid>`, fsyncs it and
/// renames it over `path`, so that readers see the old file or the whole new
/// one. On failure removes the temporary and returns NETC_ERROR_IO. First
/// removes the temporaries of `path` that killed writers left behind:
/// `<path>.tmp.<pid>` whose process no longer exists (kill(pid, 0) fails
/// with ESRCH).
netc_status writeFileAtomically(const char *path,
                                const std::vector<Chunk> &chunks);

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

/// How deep JSON read from files may nest (the compiler's model parser
/// allows as much); deeper input would only serve to exhaust the stack.
constexpr size_t kMaxJsonDepth = 64;

/// Parses the JSON text [begin, end) into `out`, refusing nesting deeper
/// than kMaxJsonDepth. Never throws; on failure returns false with `error`
/// saying why ("invalid JSON at byte 12", "JSON nested deeper than 64
/// levels"). Every JSON the runtime reads from a file goes through here.
bool parseJson(const char *begin, const char *end, nlohmann::json &out,
               std::string &error);

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// The element types the runtime reads: floats (converted to float32) and
/// integers (converted to float32 for arrays, read exactly for labels).
enum class DType { F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64 };

/// Size of one element of `dtype`, bytes.
size_t dtypeSize(DType dtype);

/// Converts `numel` little-endian elements of `dtype` at `src` (any
/// alignment) to float32 at `dst`, rounding to nearest (integers beyond
/// 2^24 in magnitude and float64 values may round).
void convertToF32(DType dtype, const uint8_t *src, float *dst, size_t numel);

/// Reads `numel` elements of `dtype` at `offset` of `file` into `dst` as
/// float32 (convertToF32), a piece at a time.
netc_status readAsF32(const InputFile &file, uint64_t offset, DType dtype,
                      size_t numel, float *dst);

//===----------------------------------------------------------------------===//
// Shapes and models
//===----------------------------------------------------------------------===//

/// Multiplies `rank` non-negative dims into `numel`; false if the product
/// overflows int64_t.
bool shapeNumel(const int64_t *shape, int32_t rank, int64_t &numel);

/// Formats a shape as "[10, 1, 5, 5]".
std::string formatShape(const int64_t *shape, int32_t rank);

/// Checks that `model` describes parameters that lie inside its buffer with
/// consistent ranks, shapes and sizes, so that loading and saving cannot
/// touch memory outside it. `path` names the file in the message.
netc_status checkModel(const netc_model_info *model, const char *path);

/// Checks `model` (checkModel) and that `buffer`, a parameter-shaped
/// buffer, is not NULL unless the model has no parameter floats: a caller's
/// empty buffer (an empty std::vector's data()) may well be NULL. The NULL
/// message reads "<function>: <bufferName> is NULL".
netc_status checkModelBuffer(const netc_model_info *model, const char *path,
                             const void *buffer, const char *function,
                             const char *bufferName);

/// Checks that no two parameters of `model` share a state_dict name, which
/// a safetensors file could not hold. `path` names the file in the message.
netc_status checkUniqueNames(const netc_model_info *model, const char *path);

//===----------------------------------------------------------------------===//
// safetensors
//===----------------------------------------------------------------------===//

/// One tensor of a safetensors header, its offsets checked against the file.
struct SafeTensorsEntry {
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0; ///< bytes from the start of the data section
  uint64_t end = 0;
};

/// An open safetensors file with its checked header; tensor data stays in
/// the file until readFloatTensor reads it.
struct SafeTensorsFile {
  InputFile file;
  std::map<std::string, SafeTensorsEntry> tensors;
  /// The string values of "__metadata__" (others are ignored).
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0; ///< file offset of the data section
};

/// The largest safetensors header the runtime reads, bytes: the limit of
/// the safetensors library itself.
constexpr uint64_t kMaxSafeTensorsHeader = 100000000;

/// Opens the safetensors file at `path` and reads and checks its header
/// (at most kMaxSafeTensorsHeader bytes): every entry well formed, inside
/// the data and not overlapping another. A PyTorch file (torch.save's zip
/// archive or pickle) is refused with a message that says how to convert
/// it.
netc_status readSafeTensors(const char *path, SafeTensorsFile &out);

/// Finds tensor `name` in `file` and checks that it has `shape` (`rank`
/// dims) and a dtype convertible to float32 (NETC_ERROR_MISMATCH otherwise,
/// naming the tensor); sets `entry`.
netc_status findFloatTensor(const char *path, const SafeTensorsFile &file,
                            const char *name, const int64_t *shape,
                            int32_t rank, const SafeTensorsEntry *&entry);

/// Reads the data of `entry`, found by findFloatTensor, as float32 into
/// `dst`. Only an I/O error (the file shrinking under the reader) fails.
netc_status readFloatTensor(const SafeTensorsFile &file,
                            const SafeTensorsEntry &entry, float *dst);

/// A float32 tensor to write.
struct TensorToWrite {
  std::string name;
  const int64_t *shape;
  int32_t rank;
  const float *data; ///< shapeNumel(shape) floats
};

/// Writes `tensors` (unique names) as F32 in their order, with `metadata`
/// as "__metadata__", to a safetensors file at `path`, atomically.
netc_status
writeSafeTensors(const char *path, const std::vector<TensorToWrite> &tensors,
                 const std::map<std::string, std::string> &metadata);

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

/// PCG32 (pcg32_random_r and pcg32_srandom_r of the PCG reference C code):
/// 64-bit LCG state, XSH-RR 32-bit output, one of 2^63 streams. netc.h
/// documents it, since the bits it yields are part of the API.
class Pcg32 {
public:
  Pcg32(uint64_t seed, uint64_t stream) : increment((stream << 1) | 1) {
    next();
    state += seed;
    next();
  }

  /// The next 32 random bits.
  uint32_t next() {
    uint64_t old = state;
    state = old * 6364136223846793005ULL + increment;
    uint32_t xorShifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
    uint32_t rotation = static_cast<uint32_t>(old >> 59);
    return (xorShifted >> rotation) | (xorShifted << ((32 - rotation) & 31));
  }

private:
  uint64_t state = 0;
  uint64_t increment;
};

} // namespace netc

#endif // NETC_RUNTIME_RUNTIMEIMPL_H
