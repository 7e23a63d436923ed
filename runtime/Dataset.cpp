//===- Dataset.cpp - IDX datasets, batches and shuffling ------------------===//
//
// netc_dataset: MNIST-format (IDX) images and labels, gzipped or plain,
// read in pieces (never more than their headers declare), checked whole at
// load time and kept as bytes; batches are normalised to
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
  MallocArray<uint8_t> pixels; ///< count * rows * cols bytes
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  MallocArray<uint8_t> labels; ///< count bytes; null when images only
};

//===----------------------------------------------------------------------===//
// IDX files
//===----------------------------------------------------------------------===//

/// IDX's element type code for unsigned bytes, the only one MNIST uses.
static constexpr uint8_t kIdxUnsignedByte = 0x08;

/// Labels are class indices of a 10-class problem (MNIST, Fashion-MNIST).
static constexpr int kNumClasses = 10;

/// Deflate never expands data more than about 1032 to 1 (a gzip member's
/// header only adds to the compressed side), so a gzipped IDX file whose
/// header declares more data than that is refused before allocating.
static constexpr uint64_t kMaxDeflateRatio = 1032;

namespace {
/// The data of an IDX file of unsigned bytes with its dimensions.
struct IdxFile {
  uint32_t dims[3] = {}; ///< the first `rank` are set
  MallocArray<uint8_t> data;
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
/// exactly the data its header describes. Reads the header first, checks
/// the data it declares against what the file can hold, then allocates and
/// reads exactly that and stops at the first byte beyond it.
static netc_status readIdx(const char *path, int32_t rank, const char *what,
                           IdxFile &out) {
  ContentReader reader;
  if (netc_status status = reader.open(path))
    return status;
  uint8_t header[16];
  size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  size_t got;
  if (netc_status status = reader.read(header, 4, got))
    return status;
  uint32_t expectedMagic = kIdxUnsignedByte << 8 | static_cast<uint32_t>(rank);
  if (got < 4)
    return setError(NETC_ERROR_FORMAT,
                    "%s: %zu bytes are too few for an IDX header, expected "
                    "magic number %u for an IDX %s file",
                    path, got, expectedMagic, what);
  uint32_t magic = readBigEndian32(header);
  if (magic >> 16 != 0)
    return setError(NETC_ERROR_FORMAT,
                    "%s: not an IDX file: magic number 0x%08x, expected "
                    "0x%08x (%u) for an IDX %s file",
                    path, magic, expectedMagic, expectedMagic, what);
  if (header[2] != kIdxUnsignedByte)
    return setError(NETC_ERROR_FORMAT,
                    "%s: unsupported IDX element type 0x%02x (%s), expected "
                    "0x08 (unsigned byte)",
                    path, header[2], idxTypeName(header[2]));
  if (header[3] != rank)
    return setError(NETC_ERROR_FORMAT,
                    "%s: IDX file has %d dimensions (magic number %u), an "
                    "IDX %s file has %d (magic number %u)",
                    path, header[3], magic, what, rank, expectedMagic);
  if (netc_status status = reader.read(header + 4, headerSize - 4, got))
    return status;
  if (got < headerSize - 4)
    return setError(NETC_ERROR_FORMAT,
                    "%s: IDX header is truncated: %d dimensions need %zu "
                    "bytes, the file holds %zu",
                    path, rank, headerSize, 4 + got);
  uint64_t numel = 1;
  for (int32_t d = 0; d < rank; ++d) {
    out.dims[d] = readBigEndian32(header + 4 + 4 * d);
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

  // What the file can hold, before allocating for what the header says.
  auto truncated = [&](uint64_t held) {
    return setError(NETC_ERROR_FORMAT,
                    "%s: truncated: the header says %s (%llu bytes of data), "
                    "the file holds %llu bytes of data",
                    path, described.c_str(),
                    static_cast<unsigned long long>(numel),
                    static_cast<unsigned long long>(held));
  };
  uint64_t inflatable;
  if (!reader.gzipped()) {
    uint64_t dataSize = reader.fileSize() - headerSize;
    if (dataSize < numel)
      return truncated(dataSize);
    if (dataSize > numel)
      return setError(NETC_ERROR_FORMAT,
                      "%s: %llu trailing bytes after the %s the header "
                      "describes",
                      path, static_cast<unsigned long long>(dataSize - numel),
                      described.c_str());
  } else if (!__builtin_mul_overflow(reader.fileSize(), kMaxDeflateRatio,
                                     &inflatable) &&
             numel > inflatable) {
    return setError(NETC_ERROR_FORMAT,
                    "%s: the header says %s (%llu bytes of data), more than "
                    "the %llu compressed bytes of the file can hold (deflate "
                    "expands at most %llu:1)",
                    path, described.c_str(),
                    static_cast<unsigned long long>(numel),
                    static_cast<unsigned long long>(reader.fileSize()),
                    static_cast<unsigned long long>(kMaxDeflateRatio));
  }
  if (numel >= SIZE_MAX)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: %llu bytes of data do not fit in memory", path,
                    static_cast<unsigned long long>(numel));
  // One spare byte: malloc(0) may return null.
  out.data.reset(static_cast<uint8_t *>(std::malloc(numel + 1)));
  if (!out.data)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %llu bytes for the %s", path,
                    static_cast<unsigned long long>(numel), described.c_str());
  if (netc_status status = reader.read(out.data.get(), numel, got))
    return status;
  if (got < numel)
    return truncated(got);
  // One more byte tells whether the contents end here; a gzip stream that
  // goes on is refused without inflating the rest.
  uint8_t extra;
  if (netc_status status = reader.read(&extra, 1, got))
    return status;
  if (got != 0)
    return setError(NETC_ERROR_FORMAT,
                    "%s: the gzip stream holds more data than the %s the "
                    "header describes",
                    path, described.c_str());
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
  dataset->pixels = std::move(images.data);
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
    dataset->labels = std::move(labels.data);
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
    const uint8_t *source = dataset->pixels.get() +
                            static_cast<size_t>(indices[i]) * pixelsPerImage;
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
