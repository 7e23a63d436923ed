//===- DatasetTest.cpp - IDX datasets, batches and shuffling --------------===//
//
// IDX files built byte by byte, plain and gzipped (with zlib here), reach
// every rejection path; the shipped MNIST and Fashion-MNIST files check the
// loader against the counts and statistics data/README.md publishes.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "netc-c/netc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <zlib.h>

using namespace netc::test;
using testing::ElementsAre;
using testing::ElementsAreArray;
using testing::HasSubstr;

namespace {
/// The big-endian bytes of `value`, as IDX headers store it.
std::string bigEndian32(uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

/// An IDX image file: magic 2051, `count` x `rows` x `cols`, then `pixels`.
std::string idxImages(uint32_t count, uint32_t rows, uint32_t cols,
                      const std::string &pixels) {
  return bigEndian32(2051) + bigEndian32(count) + bigEndian32(rows) +
         bigEndian32(cols) + pixels;
}

/// An IDX label file: magic 2049, the count, then `labels`.
std::string idxLabels(const std::string &labels) {
  return bigEndian32(2049) + bigEndian32(uint32_t(labels.size())) + labels;
}

/// `bytes` as a single-member gzip file, as gzip(1) writes one.
std::string gzip(const std::string &bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED,
                         16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  stream.avail_in = uInt(bytes.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

/// Three 2x3 images with labels 3, 9, 0.
const std::string kPixels = std::string("\x00\x01\x02\x03\x04\x05"
                                        "\xff\xfe\x80\x7f\x0a\x14"
                                        "\x07\x07\x07\x07\x07\x07",
                                        18);
const std::string kImages = idxImages(3, 2, 3, kPixels);
const std::string kLabels = idxLabels(std::string("\x03\x09\x00", 3));

/// A dataset freed on scope exit.
struct Dataset {
  netc_dataset *handle = nullptr;
  ~Dataset() { netc_dataset_free(handle); }
};

/// Paths of the files a test writes.
struct Files {
  std::string images = tempPath("images-idx3-ubyte");
  std::string labels = tempPath("labels-idx1-ubyte");
};

/// Writes `images` and `labels` to files and loads them into `dataset`.
netc_status load(const std::string &images, const std::string &labels,
                 Dataset &dataset, const Files &files = Files()) {
  writeBytes(files.images, images);
  writeBytes(files.labels, labels);
  return netc_dataset_load_idx(files.images.c_str(), files.labels.c_str(),
                               &dataset.handle);
}

/// Loads `images` and `labels`, expects NETC_ERROR_FORMAT (or `status`) and
/// returns the message.
std::string loadError(const std::string &images, const std::string &labels,
                      netc_status status = NETC_ERROR_FORMAT) {
  Dataset dataset;
  EXPECT_EQ(load(images, labels, dataset), status);
  EXPECT_EQ(dataset.handle, nullptr);
  return netc_last_error();
}

/// The batch of `indices`, normalised with `mean` and `std`.
std::vector<float> batch(const Dataset &dataset,
                         const std::vector<int64_t> &indices, float mean = 0,
                         float std = 1) {
  int64_t rows = 0, cols = 0;
  EXPECT_EQ(netc_dataset_image_shape(dataset.handle, &rows, &cols), NETC_OK);
  std::vector<float> images(indices.size() * rows * cols);
  EXPECT_EQ(netc_dataset_get_batch(dataset.handle, indices.data(),
                                   int64_t(indices.size()), mean, std,
                                   images.data(), nullptr),
            NETC_OK)
      << netc_last_error();
  return images;
}

/// kPixels[i] as the loader maps it with `mean` and `std`.
std::vector<float> expected(const std::vector<int> &pixelIndices,
                            float mean = 0, float std = 1) {
  std::vector<float> values;
  for (int i : pixelIndices)
    values.push_back((float(uint8_t(kPixels[i])) / 255.0f - mean) / std);
  return values;
}
} // namespace

//===----------------------------------------------------------------------===//
// Loading and batches
//===----------------------------------------------------------------------===//

TEST(Dataset, LoadsPlainImagesAndLabels) {
  Dataset dataset;
  ASSERT_EQ(load(kImages, kLabels, dataset), NETC_OK) << netc_last_error();
  EXPECT_EQ(netc_dataset_size(dataset.handle), 3);
  EXPECT_EQ(netc_dataset_has_labels(dataset.handle), 1);
  int64_t rows = 0, cols = 0;
  ASSERT_EQ(netc_dataset_image_shape(dataset.handle, &rows, &cols), NETC_OK);
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(cols, 3);

  int64_t indices[] = {1, 0, 1};
  std::vector<float> images(3 * 6);
  int32_t labels[3] = {-1, -1, -1};
  ASSERT_EQ(netc_dataset_get_batch(dataset.handle, indices, 3, 0.0f, 1.0f,
                                   images.data(), labels),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(labels, ElementsAre(9, 3, 9));
  EXPECT_THAT(std::vector<float>(images.begin(), images.begin() + 6),
              ElementsAre(1.0f, 254 / 255.0f, 128 / 255.0f, 127 / 255.0f,
                          10 / 255.0f, 20 / 255.0f));
  EXPECT_THAT(std::vector<float>(images.begin() + 6, images.begin() + 12),
              ElementsAre(0.0f, 1 / 255.0f, 2 / 255.0f, 3 / 255.0f, 4 / 255.0f,
                          5 / 255.0f));
  EXPECT_THAT(
      std::vector<float>(images.begin() + 12, images.end()),
      ElementsAreArray(std::vector<float>(images.begin(), images.begin() + 6)));
}

TEST(Dataset, NormalisesAsTorchvisionDoes) {
  Dataset dataset;
  ASSERT_EQ(load(kImages, kLabels, dataset), NETC_OK) << netc_last_error();
  // ToTensor then Normalize((0.5,), (0.5,)) maps 0 and 255 to -1 and 1.
  EXPECT_THAT(
      batch(dataset, {1}, 0.5f, 0.5f),
      ElementsAre(1.0f, (254 / 255.0f - 0.5f) / 0.5f,
                  (128 / 255.0f - 0.5f) / 0.5f, (127 / 255.0f - 0.5f) / 0.5f,
                  (10 / 255.0f - 0.5f) / 0.5f, (20 / 255.0f - 0.5f) / 0.5f));
  EXPECT_EQ(batch(dataset, {0}, 0.5f, 0.5f)[0], -1.0f);
  EXPECT_THAT(batch(dataset, {0, 1, 2}, 0.1307f, 0.3081f),
              ElementsAreArray(expected({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                         12, 13, 14, 15, 16, 17},
                                        0.1307f, 0.3081f)));
}

TEST(Dataset, LoadsGzippedFilesAsTheirPlainContents) {
  Dataset plain, gzipped;
  ASSERT_EQ(load(kImages, kLabels, plain), NETC_OK) << netc_last_error();
  ASSERT_EQ(load(gzip(kImages), gzip(kLabels), gzipped), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(netc_dataset_size(gzipped.handle), 3);
  EXPECT_THAT(batch(gzipped, {2, 1, 0}),
              ElementsAreArray(batch(plain, {2, 1, 0})));
  int64_t index = 1;
  float image[6];
  int32_t label = -1;
  ASSERT_EQ(
      netc_dataset_get_batch(gzipped.handle, &index, 1, 0, 1, image, &label),
      NETC_OK);
  EXPECT_EQ(label, 9);
}

TEST(Dataset, LoadsOneFileGzippedAndTheOtherPlain) {
  Dataset dataset;
  ASSERT_EQ(load(gzip(kImages), kLabels, dataset), NETC_OK)
      << netc_last_error();
  EXPECT_THAT(batch(dataset, {0}),
              ElementsAreArray(expected({0, 1, 2, 3, 4, 5})));
}

TEST(Dataset, LoadsConcatenatedGzipMembers) {
  // `cat a.gz b.gz` is one valid gzip file; gzip -d reads both members.
  Dataset dataset;
  ASSERT_EQ(load(gzip(kImages.substr(0, 10)) + gzip(kImages.substr(10)),
                 kLabels, dataset),
            NETC_OK)
      << netc_last_error();
  EXPECT_THAT(batch(dataset, {2}),
              ElementsAreArray(expected({12, 13, 14, 15, 16, 17})));
}

TEST(Dataset, LoadsALargeGzippedFile) {
  // More output than the inflater's first buffer: it has to grow.
  std::string pixels(1000 * 28 * 28, '\0');
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = char((i * 7919) % 256);
  Dataset dataset;
  ASSERT_EQ(load(gzip(idxImages(1000, 28, 28, pixels)),
                 idxLabels(std::string(1000, '\x04')), dataset),
            NETC_OK)
      << netc_last_error();
  std::vector<float> last = batch(dataset, {999});
  for (size_t p = 0; p < 784; ++p)
    ASSERT_EQ(last[p], float(uint8_t(pixels[999 * 784 + p])) / 255.0f)
        << "at " << p;
}

TEST(Dataset, LoadsImagesOnly) {
  Files files;
  writeBytes(files.images, kImages);
  Dataset dataset;
  ASSERT_EQ(
      netc_dataset_load_idx(files.images.c_str(), nullptr, &dataset.handle),
      NETC_OK)
      << netc_last_error();
  EXPECT_EQ(netc_dataset_size(dataset.handle), 3);
  EXPECT_EQ(netc_dataset_has_labels(dataset.handle), 0);
  EXPECT_THAT(batch(dataset, {0}),
              ElementsAreArray(expected({0, 1, 2, 3, 4, 5})));
  int64_t index = 0;
  float image[6];
  int32_t label;
  EXPECT_EQ(
      netc_dataset_get_batch(dataset.handle, &index, 1, 0, 1, image, &label),
      NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_dataset_get_batch: labels requested from a dataset "
               "loaded without labels");
}

TEST(Dataset, LoadsAnEmptyDataset) {
  Dataset dataset;
  ASSERT_EQ(load(idxImages(0, 28, 28, ""), idxLabels(""), dataset), NETC_OK)
      << netc_last_error();
  EXPECT_EQ(netc_dataset_size(dataset.handle), 0);
  EXPECT_EQ(netc_dataset_get_batch(dataset.handle, nullptr, 0, 0, 1, nullptr,
                                   nullptr),
            NETC_OK);
}

TEST(Dataset, NullHandlesAreHarmless) {
  netc_dataset_free(nullptr);
  EXPECT_EQ(netc_dataset_size(nullptr), -1);
  EXPECT_EQ(netc_dataset_has_labels(nullptr), 0);
  int64_t rows, cols;
  EXPECT_EQ(netc_dataset_image_shape(nullptr, &rows, &cols),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_dataset_image_shape: dataset is NULL");
  EXPECT_EQ(netc_dataset_get_batch(nullptr, nullptr, 0, 0, 1, nullptr, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_dataset_get_batch: dataset is NULL");
}

//===----------------------------------------------------------------------===//
// Rejected files
//===----------------------------------------------------------------------===//

TEST(Dataset, RejectsNullArguments) {
  netc_dataset *dataset = nullptr;
  EXPECT_EQ(netc_dataset_load_idx(nullptr, nullptr, &dataset),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_dataset_load_idx: images_path is NULL");
  EXPECT_EQ(netc_dataset_load_idx("x", nullptr, nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_dataset_load_idx: out is NULL");
}

TEST(Dataset, RejectsAMissingFile) {
  Files files;
  writeBytes(files.images, kImages);
  std::string missing = tempPath("missing");
  Dataset dataset;
  EXPECT_EQ(netc_dataset_load_idx(files.images.c_str(), missing.c_str(),
                                  &dataset.handle),
            NETC_ERROR_IO);
  EXPECT_EQ(dataset.handle, nullptr);
  EXPECT_EQ(netc_last_error(),
            missing + ": cannot open for reading: No such file or directory");
}

TEST(Dataset, RejectsAWrongMagicNumber) {
  Files files;
  EXPECT_EQ(loadError("\x12\x34\x56\x78" + kImages.substr(4), kLabels),
            files.images + ": not an IDX file: magic number 0x12345678, "
                           "expected 0x00000803 (2051) for an IDX image file");
  // A PNG is not an IDX file either.
  EXPECT_EQ(loadError(kImages, "\x89PNG\r\n\x1a\n"),
            files.labels + ": not an IDX file: magic number 0x89504e47, "
                           "expected 0x00000801 (2049) for an IDX label file");
}

TEST(Dataset, RejectsSwappedImageAndLabelFiles) {
  Files files;
  EXPECT_EQ(loadError(kLabels, kImages),
            files.images + ": IDX file has 1 dimensions (magic number "
                           "2049), an IDX image file has 3 (magic number "
                           "2051)");
  EXPECT_EQ(loadError(kImages, kImages),
            files.labels + ": IDX file has 3 dimensions (magic number "
                           "2051), an IDX label file has 1 (magic number "
                           "2049)");
}

TEST(Dataset, RejectsAnUnsupportedElementType) {
  Files files;
  std::string floats = kImages;
  floats[2] = 0x0d;
  EXPECT_EQ(loadError(floats, kLabels),
            files.images + ": unsupported IDX element type 0x0d (float32), "
                           "expected 0x08 (unsigned byte)");
  std::string odd = kLabels;
  odd[2] = 0x42;
  EXPECT_EQ(loadError(kImages, odd),
            files.labels + ": unsupported IDX element type 0x42 (unknown), "
                           "expected 0x08 (unsigned byte)");
}

TEST(Dataset, RejectsATruncatedHeader) {
  Files files;
  EXPECT_EQ(loadError(std::string("\x00\x00", 2), kLabels),
            files.images + ": 2 bytes are too few for an IDX header, "
                           "expected magic number 2051 for an IDX image "
                           "file");
  EXPECT_EQ(loadError(kImages.substr(0, 10), kLabels),
            files.images + ": IDX header is truncated: 3 dimensions need 16 "
                           "bytes, the file holds 10");
}

TEST(Dataset, RejectsTruncatedData) {
  Files files;
  EXPECT_EQ(
      loadError(idxImages(60000, 28, 28, std::string(1000, '\0')), kLabels),
      files.images + ": truncated: the header says 60000 images of "
                     "28x28 (47040000 bytes of data), the file holds "
                     "1000 bytes of data");
  EXPECT_EQ(loadError(kImages, kLabels.substr(0, 10)),
            files.labels + ": truncated: the header says 3 labels (3 bytes "
                           "of data), the file holds 2 bytes of data");
  // The same, gzipped: the stream is fine, its contents are short.
  EXPECT_EQ(loadError(gzip(kImages.substr(0, 30)), kLabels),
            files.images + ": truncated: the header says 3 images of 2x3 "
                           "(18 bytes of data), the file holds 14 bytes of "
                           "data");
}

TEST(Dataset, RejectsTrailingBytes) {
  Files files;
  EXPECT_EQ(loadError(kImages + "xy", kLabels),
            files.images + ": 2 trailing bytes after the 3 images of 2x3 "
                           "the header describes");
  // Gzipped, the first byte beyond the data stops the load: the rest of
  // the stream is never inflated.
  EXPECT_EQ(loadError(kImages, gzip(kLabels + '\x01')),
            files.labels + ": the gzip stream holds more data than the 3 "
                           "labels the header describes");
}

TEST(Dataset, RejectsAGzipBombFastWithoutInflatingIt) {
  // 4 MB of gzip members that inflate to 4 GiB behind a header that
  // declares 3 images: the loader used to inflate it all (33 s) first.
  Files files;
  std::string zeros = gzip(std::string(1 << 20, '\0'));
  std::string bomb = gzip(kImages);
  bomb.reserve(bomb.size() + 4096 * zeros.size());
  for (int i = 0; i < 4096; ++i)
    bomb += zeros;
  writeBytes(files.images, bomb);
  writeBytes(files.labels, kLabels);
  auto start = std::chrono::steady_clock::now();
  Dataset dataset;
  EXPECT_EQ(netc_dataset_load_idx(files.images.c_str(), files.labels.c_str(),
                                  &dataset.handle),
            NETC_ERROR_FORMAT);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(netc_last_error(),
            files.images + ": the gzip stream holds more data than the 3 "
                           "images of 2x3 the header describes");
  EXPECT_LT(seconds, 0.5);
}

TEST(Dataset, RejectsAGzipHeaderDeclaringMoreThanTheFileCanInflateTo) {
  // 47 MB declared by a file of a few dozen bytes: refused before any
  // allocation or inflation.
  Files files;
  std::string small = gzip(idxImages(60000, 28, 28, std::string(100, '\0')));
  EXPECT_EQ(loadError(small, kLabels),
            files.images +
                ": the header says 60000 images of 28x28 "
                "(47040000 bytes of data), more than the " +
                std::to_string(small.size()) +
                " compressed bytes of the file can hold (deflate expands at "
                "most 1032:1)");
}

TEST(Dataset, RejectsAFifoWithoutBlocking) {
  Files files;
  writeBytes(files.images, kImages);
  std::string fifo = tempPath("labels-fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Dataset dataset;
  EXPECT_EQ(netc_dataset_load_idx(files.images.c_str(), fifo.c_str(),
                                  &dataset.handle),
            NETC_ERROR_IO);
  EXPECT_EQ(netc_last_error(), fifo + ": not a regular file (a fifo)");
  unlink(fifo.c_str());
}

TEST(Dataset, RejectsAnEmptyImageSize) {
  Files files;
  EXPECT_EQ(loadError(idxImages(3, 0, 28, ""), kLabels),
            files.images + ": the header says 3 images of 0x28, an empty "
                           "image size");
}

TEST(Dataset, RejectsCorruptGzip) {
  Files files;
  std::string good = gzip(kImages);
  // The trailer is CRC-32 then length, 4 bytes each.
  std::string badCrc = good;
  badCrc[badCrc.size() - 8] ^= 1;
  EXPECT_EQ(loadError(badCrc, kLabels),
            files.images + ": corrupt gzip data: incorrect data check");
  std::string badLength = good;
  badLength[badLength.size() - 4] ^= 1;
  EXPECT_EQ(loadError(badLength, kLabels),
            files.images + ": corrupt gzip data: incorrect length check");
  // 0xff after the 10-byte header is a block of the reserved type 3.
  std::string badBlock = good;
  badBlock[10] = '\xff';
  EXPECT_EQ(loadError(badBlock, kLabels),
            files.images + ": corrupt gzip data: invalid block type");
  std::string badHeader = good;
  badHeader[2] = 9; // compression method other than deflate
  EXPECT_EQ(loadError(badHeader, kLabels),
            files.images + ": corrupt gzip data: unknown compression method");
}

TEST(Dataset, RejectsEveryTruncationOfAGzipStream) {
  Files files;
  std::string good = gzip(kImages);
  // From the two magic bytes on, every cut is a gzip file that ends early.
  for (size_t cut = 2; cut < good.size(); ++cut)
    EXPECT_EQ(loadError(good.substr(0, cut), kLabels),
              files.images +
                  ": gzip stream is truncated (the file ends "
                  "after " +
                  std::to_string(cut) +
                  " compressed bytes, before the end of the stream)")
        << "cut at " << cut;
}

TEST(Dataset, RejectsTrailingBytesAfterTheGzipStream) {
  Files files;
  EXPECT_EQ(loadError(gzip(kImages) + std::string(3, '\0'), kLabels),
            files.images + ": 3 trailing bytes after the gzip stream");
}

TEST(Dataset, RejectsImageAndLabelCountsThatDiffer) {
  Files files;
  EXPECT_EQ(loadError(kImages, idxLabels(std::string("\x01\x02", 2)),
                      NETC_ERROR_MISMATCH),
            files.images + " holds 3 images but " + files.labels +
                " holds 2 labels");
}

TEST(Dataset, RejectsALabelOutsideTheClasses) {
  Files files;
  EXPECT_EQ(loadError(kImages, idxLabels(std::string("\x01\x09\x0a", 3))),
            files.labels + ": label 10 at index 2 is outside 0..9");
  EXPECT_EQ(loadError(kImages, idxLabels(std::string("\xff\x00\x00", 3))),
            files.labels + ": label 255 at index 0 is outside 0..9");
}

//===----------------------------------------------------------------------===//
// Rejected batches
//===----------------------------------------------------------------------===//

TEST(Dataset, BatchRejectsBadArgumentsWithoutWritingAnything) {
  Dataset dataset;
  ASSERT_EQ(load(kImages, kLabels, dataset), NETC_OK) << netc_last_error();
  std::vector<float> images(2 * 6, 42.0f);
  int32_t labels[2] = {-7, -7};
  auto getBatch = [&](std::vector<int64_t> indices, float mean, float std) {
    return netc_dataset_get_batch(dataset.handle, indices.data(),
                                  int64_t(indices.size()), mean, std,
                                  images.data(), labels);
  };
  EXPECT_EQ(getBatch({0, 3}, 0, 1), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_dataset_get_batch: index 3 at position 1 is out of "
               "range for a dataset of 3 samples");
  EXPECT_EQ(getBatch({-1, 0}, 0, 1), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_dataset_get_batch: index -1 at position 0 is out of "
               "range for a dataset of 3 samples");
  for (auto [mean, std] :
       {std::pair{0.0f, 0.0f}, std::pair{0.0f, -1.0f},
        std::pair{0.0f, float(NAN)}, std::pair{float(INFINITY), 1.0f}}) {
    EXPECT_EQ(getBatch({0, 1}, mean, std), NETC_ERROR_INVALID_ARGUMENT);
    EXPECT_THAT(netc_last_error(),
                HasSubstr("must be finite, with stddev > 0"));
  }
  EXPECT_STREQ(netc_last_error(),
               "netc_dataset_get_batch: mean inf and stddev 1 must be finite, "
               "with stddev > 0");
  EXPECT_THAT(images, testing::Each(42.0f));
  EXPECT_THAT(labels, ElementsAre(-7, -7));

  int64_t index = 0;
  EXPECT_EQ(netc_dataset_get_batch(dataset.handle, &index, -1, 0, 1,
                                   images.data(), nullptr),
            NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(),
               "netc_dataset_get_batch: count -1 is negative");
  EXPECT_EQ(
      netc_dataset_get_batch(dataset.handle, &index, 1, 0, 1, nullptr, nullptr),
      NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_dataset_get_batch: images is NULL");
}

//===----------------------------------------------------------------------===//
// Shuffling
//===----------------------------------------------------------------------===//

/// 0..n-1 shuffled with `seed`.
static std::vector<int64_t> shuffled(int64_t n, uint64_t seed) {
  std::vector<int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  EXPECT_EQ(netc_shuffle_indices(indices.data(), n, seed), NETC_OK);
  return indices;
}

TEST(Shuffle, IsReproducibleBitForBit) {
  // Pinned: the order netc.h's recipe gives. A change here changes every
  // training run's batches.
  EXPECT_THAT(shuffled(10, 42), ElementsAre(2, 7, 4, 9, 1, 0, 3, 8, 5, 6));
  EXPECT_EQ(shuffled(60000, 7), shuffled(60000, 7));
}

TEST(Shuffle, GivesAPermutation) {
  for (int64_t n : {1, 2, 3, 1000, 60000}) {
    std::vector<int64_t> indices = shuffled(n, 3);
    std::vector<int64_t> sorted = indices;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> identity(n);
    std::iota(identity.begin(), identity.end(), 0);
    EXPECT_EQ(sorted, identity) << "n = " << n;
    if (n >= 1000)
      EXPECT_NE(indices, identity) << "n = " << n;
  }
}

TEST(Shuffle, DifferentSeedsGiveDifferentOrders) {
  EXPECT_NE(shuffled(1000, 1), shuffled(1000, 2));
  EXPECT_NE(shuffled(1000, 0), shuffled(1000, 1ull << 32));
}

TEST(Shuffle, PermutesTheGivenValues) {
  // A subset, such as a training split, shuffles like 0..n-1 would.
  std::vector<int64_t> split = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  ASSERT_EQ(netc_shuffle_indices(split.data(), 10, 42), NETC_OK);
  std::vector<int64_t> order = shuffled(10, 42);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(split[i], order[i] + 10);
}

TEST(Shuffle, AcceptsEmptyAndRejectsBadArguments) {
  EXPECT_EQ(netc_shuffle_indices(nullptr, 0, 1), NETC_OK);
  int64_t one = 5;
  EXPECT_EQ(netc_shuffle_indices(&one, 1, 1), NETC_OK);
  EXPECT_EQ(one, 5);
  EXPECT_EQ(netc_shuffle_indices(&one, -1, 1), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_shuffle_indices: n -1 is negative");
  EXPECT_EQ(netc_shuffle_indices(nullptr, 3, 1), NETC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(netc_last_error(), "netc_shuffle_indices: indices is NULL");
}

//===----------------------------------------------------------------------===//
// The shipped data sets
//===----------------------------------------------------------------------===//

namespace {
/// Loads `<set>/<prefix>-{images-idx3,labels-idx1}-ubyte.gz` from data/.
void loadShipped(const std::string &set, const std::string &prefix,
                 Dataset &dataset) {
  std::string base = std::string(NETC_DATA_DIR) + "/" + set + "/" + prefix;
  ASSERT_EQ(netc_dataset_load_idx((base + "-images-idx3-ubyte.gz").c_str(),
                                  (base + "-labels-idx1-ubyte.gz").c_str(),
                                  &dataset.handle),
            NETC_OK)
      << netc_last_error();
}

/// Every label of `dataset` and the mean and standard deviation of its
/// pixels scaled to [0, 1].
struct Summary {
  std::vector<int32_t> labels;
  std::vector<int64_t> classCounts = std::vector<int64_t>(10);
  double mean = 0, std = 0;
};

Summary summarise(const Dataset &dataset) {
  Summary summary;
  int64_t n = netc_dataset_size(dataset.handle), rows, cols;
  EXPECT_EQ(netc_dataset_image_shape(dataset.handle, &rows, &cols), NETC_OK);
  EXPECT_EQ(rows, 28);
  EXPECT_EQ(cols, 28);
  summary.labels.resize(n);
  const int64_t chunk = 5000;
  std::vector<float> images(chunk * 784);
  std::vector<int64_t> indices(chunk);
  double sum = 0, squares = 0;
  for (int64_t start = 0; start < n; start += chunk) {
    int64_t count = std::min(chunk, n - start);
    std::iota(indices.begin(), indices.end(), start);
    EXPECT_EQ(netc_dataset_get_batch(dataset.handle, indices.data(), count, 0,
                                     1, images.data(),
                                     summary.labels.data() + start),
              NETC_OK);
    for (int64_t i = 0; i < count * 784; ++i) {
      sum += images[i];
      squares += double(images[i]) * images[i];
    }
  }
  for (int32_t label : summary.labels)
    ++summary.classCounts[label];
  double pixels = double(n) * 784;
  summary.mean = sum / pixels;
  summary.std = std::sqrt(squares / pixels - summary.mean * summary.mean);
  return summary;
}
} // namespace

TEST(ShippedData, MnistTrain) {
  Dataset dataset;
  ASSERT_NO_FATAL_FAILURE(loadShipped("mnist", "train", dataset));
  EXPECT_EQ(netc_dataset_size(dataset.handle), 60000);
  Summary summary = summarise(dataset);
  EXPECT_THAT(
      std::vector<int32_t>(summary.labels.begin(), summary.labels.begin() + 10),
      ElementsAre(5, 0, 4, 1, 9, 2, 1, 3, 1, 4));
  EXPECT_THAT(summary.classCounts, ElementsAre(5923, 6742, 5958, 6131, 5842,
                                               5421, 5918, 6265, 5851, 5949));
  // torchvision's Normalize((0.1307,), (0.3081,)).
  EXPECT_NEAR(summary.mean, 0.1307, 1e-4);
  EXPECT_NEAR(summary.std, 0.3081, 1e-4);
}

TEST(ShippedData, MnistTest) {
  Dataset dataset;
  ASSERT_NO_FATAL_FAILURE(loadShipped("mnist", "t10k", dataset));
  EXPECT_EQ(netc_dataset_size(dataset.handle), 10000);
  EXPECT_THAT(
      summarise(dataset).classCounts,
      ElementsAre(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009));
}

TEST(ShippedData, FashionMnist) {
  Dataset train, test;
  ASSERT_NO_FATAL_FAILURE(loadShipped("fashion-mnist", "train", train));
  ASSERT_NO_FATAL_FAILURE(loadShipped("fashion-mnist", "t10k", test));
  EXPECT_EQ(netc_dataset_size(train.handle), 60000);
  EXPECT_EQ(netc_dataset_size(test.handle), 10000);
  Summary summary = summarise(train);
  EXPECT_THAT(summary.classCounts, testing::Each(6000));
  EXPECT_THAT(summarise(test).classCounts, testing::Each(1000));
  EXPECT_NEAR(summary.mean, 0.2860, 1e-4);
  EXPECT_NEAR(summary.std, 0.3530, 1e-4);
}
