//===- RuntimeImpl.h - Private helpers of the netc runtime ------*- C++ -*-===//
//
// What the runtime's source files share and the C API does not show: the
// per-thread error message, file reading (gzip included) and atomic
// writing, dtype conversion, safetensors reading and writing, checks of a
// netc_model_info and the random number generator.
//
//===----------------------------------------------------------------------===//

#ifndef NETC_RUNTIME_RUNTIMEIMPL_H
#define NETC_RUNTIME_RUNTIMEIMPL_H

#include "netc-c/netc.h"

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
// Files
//===----------------------------------------------------------------------===//

/// Frees memory from malloc/aligned_alloc in a std::unique_ptr.
struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

/// The whole contents of a file.
struct FileBytes {
  std::unique_ptr<uint8_t[], FreeDeleter> data;
  size_t size = 0; ///< bytes
};

/// Reads the regular file at `path` into `out`. On failure sets the error
/// (naming `path`) and returns NETC_ERROR_IO or NETC_ERROR_OUT_OF_MEMORY.
netc_status readFile(const char *path, FileBytes &out);

/// Reads the file at `path` like readFile and, if it starts with the gzip
/// magic bytes 1f 8b, inflates it (concatenated members too) into `out`.
/// A corrupt stream (bad CRC or length, invalid data), a truncated one and
/// trailing bytes that are not another gzip member are NETC_ERROR_FORMAT.
netc_status readFileInflated(const char *path, FileBytes &out);

/// A run of bytes to write.
struct Chunk {
  const void *data;
  size_t size; ///< bytes
};

/// Writes `chunks` one after the other to `<path>.tmp.<pid>`, fsyncs it and
/// renames it over `path`, so that readers see the old file or the whole new
/// one. On failure removes the temporary and returns NETC_ERROR_IO.
netc_status writeFileAtomically(const char *path,
                                const std::vector<Chunk> &chunks);

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// The element types the runtime reads (and converts to float32).
enum class DType { F32, F64, F16, BF16 };

/// Size of one element of `dtype`, bytes.
size_t dtypeSize(DType dtype);

/// Converts `numel` little-endian elements of `dtype` at `src` (any
/// alignment) to float32 at `dst`.
void convertToF32(DType dtype, const uint8_t *src, float *dst, size_t numel);

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

/// A safetensors file read whole, with its checked header.
struct SafeTensorsFile {
  FileBytes bytes;
  std::map<std::string, SafeTensorsEntry> tensors;
  /// The string values of "__metadata__" (others are ignored).
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0; ///< file offset of the data section
};

/// Reads the safetensors file at `path` and checks its header: every entry
/// well formed, inside the data and not overlapping another.
netc_status readSafeTensors(const char *path, SafeTensorsFile &out);

/// Finds tensor `name` in `file` and checks that it has `shape` (`rank`
/// dims) and a dtype convertible to float32 (NETC_ERROR_MISMATCH otherwise,
/// naming the tensor); sets `entry`.
netc_status findFloatTensor(const char *path, const SafeTensorsFile &file,
                            const char *name, const int64_t *shape,
                            int32_t rank, const SafeTensorsEntry *&entry);

/// Converts the data of `entry`, found by findFloatTensor, to float32 at
/// `dst`.
void readFloatTensor(const SafeTensorsFile &file, const SafeTensorsEntry &entry,
                     float *dst);

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
