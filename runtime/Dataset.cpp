//===- Dataset.cpp - IDX datasets, batches and shuffling ------------------===//
//
// netc_dataset: MNIST-format (IDX) images and labels, gzipped or plain,
// checked whole at load time and kept as bytes; batches are normalised to
// float on the way out, as torchvision does. Also the seeded shuffle that
// orders batches.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cmath>
#include <new>
#include <utility>

using namespace netc;

/// A loaded data set. Immutable after netc_dataset_load_idx, which is what
/// lets threads share it.
struct netc_dataset {
  FileBytes imageFile;
  const uint8_t *pixels = nullptr; ///< count * rows * cols bytes
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  FileBytes labelFile;
  const uint8_t *labels = nullptr; ///< count bytes; null when images only
};

//===----------------------------------------------------------------------===//
// IDX files
//===----------------------------------------------------------------------===//

/// IDX's element type code for unsigned bytes, the only one MNIST uses.
static constexpr uint8_t kIdxUnsignedByte = 0x08;

/// Labels are class indices of a 10-class problem (MNIST, Fashion-MNIST).
static constexpr int kNumClasses = 10;

namespace {
/// An IDX file of unsigned bytes with its dimensions.
struct IdxFile {
  FileBytes bytes;       ///< the whole (inflated) file
  uint32_t dims[3] = {}; ///< the first `rank` are set
  const uint8_t *data = nullptr;
};
} // namespace

/// The big-endian 32-bit word at `bytes`.
static uint32_t readBigEndian32(const uint8_t *bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 |
         static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | bytes[3];
}

/// The name of IDX element type `type`, for messages.
static const char *idxTypeName(uint8_t type) {
  switch (type) {
  case 0x08:
    return "unsigned byte";
  case 0x09:
    return "signed byte";
  case 0x0b:
    return "int16";
  case 0x0c:
    return "int32";
  case 0x0d:
    return "float32";
  case 0x0e:
    return "float64";
  default:
    return "unknown";
  }
}

/// Reads the IDX file of unsigned bytes at `path`, which must have `rank`
/// dimensions (3 for images, 1 for labels; `what` names the kind) and hold
/// exactly the data its header describes.
static netc_status readIdx(const char *path, int32_t rank, const char *what,
                           IdxFile &out) {
  if (netc_status status = readFileInflated(path, out.bytes))
    return status;
  const uint8_t *bytes = out.bytes.data.get();
  size_t size = out.bytes.size;
  uint32_t expectedMagic = kIdxUnsignedByte << 8 | static_cast<uint32_t>(rank);
  if (size < 4)
    return setError(NETC_ERROR_FORMAT,
                    "%s: %zu bytes are too few for an IDX header, expected "
                    "magic number %u for an IDX %s file",
                    path, size, expectedMagic, what);
  uint32_t magic = readBigEndian32(bytes);
  if (magic >> 16 != 0)
    return setError(NETC_ERROR_FORMAT,
                    "%s: not an IDX file: magic number 0x%08x, expected "
                    "0x%08x (%u) for an IDX %s file",
                    path, magic, expectedMagic, expectedMagic, what);
  if (bytes[2] != kIdxUnsignedByte)
    return setError(NETC_ERROR_FORMAT,
                    "%s: unsupported IDX element type 0x%02x (%s), expected "
                    "0x08 (unsigned byte)",
                    path, bytes[2], idxTypeName(bytes[2]));
  if (bytes[3] != rank)
    return setError(NETC_ERROR_FORMAT,
                    "%s: IDX file has %d dimensions (magic number %u), an "
                    "IDX %s file has %d (magic number %u)",
                    path, bytes[3], magic, what, rank, expectedMagic);
  size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  if (size < headerSize)
    return setError(NETC_ERROR_FORMAT,
                    "%s: IDX header is truncated: %d dimensions need %zu "
                    "bytes, the file holds %zu",
                    path, rank, headerSize, size);
  uint64_t numel = 1;
  for (int32_t d = 0; d < rank; ++d) {
    out.dims[d] = readBigEndian32(bytes + 4 + 4 * d);
    // Three 32-bit factors can overflow 64 bits.
    if (__builtin_mul_overflow(numel, uint64_t(out.dims[d]), &numel))
      return setError(NETC_ERROR_FORMAT,
                      "%s: IDX dimensions describe more bytes than fit in "
                      "memory",
                      path);
  }
  std::string described = rank == 3
                              ? std::to_string(out.dims[0]) + " images of " +
                                    std::to_string(out.dims[1]) + "x" +
                                    std::to_string(out.dims[2])
                              : std::to_string(out.dims[0]) + " labels";
  if (rank == 3 && (out.dims[1] == 0 || out.dims[2] == 0))
    return setError(NETC_ERROR_FORMAT,
                    "%s: the header says %s, an empty image size", path,
                    described.c_str());
  size_t dataSize = size - headerSize;
  if (dataSize < numel)
    return setError(NETC_ERROR_FORMAT,
                    "%s: truncated: the header says %s (%llu bytes of data), "
                    "the file holds %zu bytes of data",
                    path, described.c_str(),
                    static_cast<unsigned long long>(numel), dataSize);
  if (dataSize > numel)
    return setError(NETC_ERROR_FORMAT,
                    "%s: %llu trailing bytes after the %s the header "
                    "describes",
                    path, static_cast<unsigned long long>(dataSize - numel),
                    described.c_str());
  out.data = bytes + headerSize;
  return NETC_OK;
}

netc_status netc_dataset_load_idx(const char *images_path,
                                  const char *labels_path, netc_dataset **out) {
  if (!images_path || !out)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_load_idx: %s is NULL",
                    !images_path ? "images_path" : "out");
  *out = nullptr;
  IdxFile images;
  if (netc_status status = readIdx(images_path, 3, "image", images))
    return status;
  std::unique_ptr<netc_dataset> dataset(new (std::nothrow) netc_dataset);
  if (!dataset)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "netc_dataset_load_idx: cannot allocate a dataset");
  dataset->pixels = images.data;
  dataset->imageFile = std::move(images.bytes);
  dataset->count = images.dims[0];
  dataset->rows = images.dims[1];
  dataset->cols = images.dims[2];

  if (labels_path) {
    IdxFile labels;
    if (netc_status status = readIdx(labels_path, 1, "label", labels))
      return status;
    if (labels.dims[0] != dataset->count)
      return setError(NETC_ERROR_MISMATCH,
                      "%s holds %lld images but %s holds %u labels",
                      images_path, static_cast<long long>(dataset->count),
                      labels_path, labels.dims[0]);
    for (uint32_t i = 0; i < labels.dims[0]; ++i)
      if (labels.data[i] >= kNumClasses)
        return setError(NETC_ERROR_FORMAT,
                        "%s: label %u at index %u is outside 0..%d",
                        labels_path, labels.data[i], i, kNumClasses - 1);
    dataset->labels = labels.data;
    dataset->labelFile = std::move(labels.bytes);
  }
  *out = dataset.release();
  return NETC_OK;
}

void netc_dataset_free(netc_dataset *dataset) { delete dataset; }

int64_t netc_dataset_size(const netc_dataset *dataset) {
  return dataset ? dataset->count : -1;
}

int32_t netc_dataset_has_labels(const netc_dataset *dataset) {
  return dataset && dataset->labels ? 1 : 0;
}

netc_status netc_dataset_image_shape(const netc_dataset *dataset, int64_t *rows,
                                     int64_t *cols) {
  if (!dataset || !rows || !cols)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_image_shape: %s is NULL",
                    !dataset ? "dataset"
                    : !rows  ? "rows"
                             : "cols");
  *rows = dataset->rows;
  *cols = dataset->cols;
  return NETC_OK;
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

netc_status netc_dataset_get_batch(const netc_dataset *dataset,
                                   const int64_t *indices, int64_t count,
                                   float mean, float stddev, float *images,
                                   int32_t *labels) {
  if (!dataset)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_get_batch: dataset is NULL");
  if (count < 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_get_batch: count %lld is negative",
                    static_cast<long long>(count));
  if (count > 0 && (!indices || !images))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_get_batch: %s is NULL",
                    !indices ? "indices" : "images");
  if (labels && !dataset->labels)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_get_batch: labels requested from a dataset "
                    "loaded without labels");
  if (!std::isfinite(mean) || !std::isfinite(stddev) || !(stddev > 0))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_dataset_get_batch: mean %g and stddev %g must be "
                    "finite, with stddev > 0",
                    static_cast<double>(mean), static_cast<double>(stddev));
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= dataset->count)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "netc_dataset_get_batch: index %lld at position %lld "
                      "is out of range for a dataset of %lld samples",
                      static_cast<long long>(indices[i]),
                      static_cast<long long>(i),
                      static_cast<long long>(dataset->count));

  // The same float32 steps as torchvision's ToTensor and Normalize, once per
  // byte value.
  float table[256];
  for (int pixel = 0; pixel < 256; ++pixel)
    table[pixel] = (static_cast<float>(pixel) / 255.0f - mean) / stddev;
  // Unsigned: an empty dataset's header may claim any image size.
  size_t pixelsPerImage =
      static_cast<size_t>(static_cast<uint64_t>(dataset->rows) *
                          static_cast<uint64_t>(dataset->cols));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t *source =
        dataset->pixels + static_cast<size_t>(indices[i]) * pixelsPerImage;
    float *target = images + static_cast<size_t>(i) * pixelsPerImage;
    for (size_t p = 0; p < pixelsPerImage; ++p)
      target[p] = table[source[p]];
    if (labels)
      labels[i] = dataset->labels[indices[i]];
  }
  return NETC_OK;
}

//===----------------------------------------------------------------------===//
// Shuffling
//===----------------------------------------------------------------------===//

/// The PCG32 stream of netc_shuffle_indices: beyond every parameter index,
/// so a shuffle never replays an initialisation with the same seed.
static constexpr uint64_t kShuffleStream = (uint64_t(1) << 63) - 1;

/// A uniform integer in [0, bound), bound >= 1, without modulo bias:
/// pcg32_boundedrand_r, widened to 64-bit draws for bounds past 32 bits.
static uint64_t boundedRandom(Pcg32 &random, uint64_t bound) {
  if (bound <= UINT32_MAX) {
    uint32_t bound32 = static_cast<uint32_t>(bound);
    uint32_t threshold = (0u - bound32) % bound32;
    for (;;) {
      uint32_t r = random.next();
      if (r >= threshold)
        return r % bound32;
    }
  }
  uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    // Two statements: the order of the draws is part of the API.
    uint64_t high = random.next();
    uint64_t r = high << 32 | random.next();
    if (r >= threshold)
      return r % bound;
  }
}

netc_status netc_shuffle_indices(int64_t *indices, int64_t n, uint64_t seed) {
  if (n < 0)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_shuffle_indices: n %lld is negative",
                    static_cast<long long>(n));
  if (n > 0 && !indices)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_shuffle_indices: indices is NULL");
  Pcg32 random(seed, kShuffleStream);
  for (int64_t i = n - 1; i > 0; --i) {
    uint64_t j = boundedRandom(random, static_cast<uint64_t>(i) + 1);
    std::swap(indices[i], indices[j]);
  }
  return NETC_OK;
}
