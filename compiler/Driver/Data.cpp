//===- Data.cpp - Reading the data netc's commands run on -----------------===//

#include "Data.h"

#include "netc-c/netc.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <memory>
#include <numeric>

using namespace mlir;
using namespace mlir::netc;

bool mlir::netc::isNpyPath(StringRef path) { return path.ends_with(".npy"); }

LogicalResult mlir::netc::checkOutputPath(Location loc, StringRef path,
                                          StringRef flag) {
  if (path.empty())
    return success();
  if (llvm::sys::fs::is_directory(path))
    return emitError(loc) << flag << " " << path
                          << ": is a folder, expected a file name";
  StringRef parent = llvm::sys::path::parent_path(path);
  if (parent.empty())
    parent = ".";
  if (!llvm::sys::fs::is_directory(parent))
    return emitError(loc) << flag << " " << path << ": no folder '" << parent
                          << "' to write it in";
  // Writing needs write and search permission on the folder.
  if (::access(parent.str().c_str(), W_OK | X_OK) != 0)
    return emitError(loc) << flag << " " << path << ": cannot write in '"
                          << parent << "': " << std::strerror(errno);
  return success();
}

FailureOr<Batch> mlir::netc::readNpyBatch(Location loc, StringRef path,
                                          ArrayRef<int64_t> sampleShape,
                                          StringRef what) {
  netc_array array{};
  if (netc_array_load_npy(path.str().c_str(), &array) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_array, void (*)(netc_array *)> owner(&array,
                                                            netc_array_free);
  bool shapeMatches = array.rank == 1 + (int64_t)sampleShape.size() &&
                      std::equal(sampleShape.begin(), sampleShape.end(),
                                 array.shape + 1);
  if (!shapeMatches) {
    SmallVector<int64_t> expected{ShapedType::kDynamic};
    llvm::append_range(expected, sampleShape);
    std::string got = "(";
    for (int32_t i = 0; i < array.rank; ++i)
      got += (i ? ", " : "") + std::to_string(array.shape[i]);
    return emitError(loc) << path << ": expected the " << what
                          << " as an array of shape " << formatShape(expected)
                          << ", got " << got << ")";
  }
  Batch batch;
  batch.batch = array.rank ? array.shape[0] : 0;
  batch.values.assign(array.data, array.data + batch.batch *
                                                   ShapedType::getNumElements(
                                                       sampleShape));
  return batch;
}

FailureOr<Batch> mlir::netc::readIdxImages(Location loc, StringRef path,
                                           int64_t count, float mean,
                                           float stddev,
                                           ArrayRef<int64_t> sampleShape) {
  netc_dataset *dataset = nullptr;
  if (netc_dataset_load_idx(path.str().c_str(), nullptr, &dataset) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<netc_dataset, void (*)(netc_dataset *)> owner(
      dataset, netc_dataset_free);
  int64_t rows = 0, cols = 0;
  netc_dataset_image_shape(dataset, &rows, &cols);
  int64_t n = std::min(count, netc_dataset_size(dataset));
  std::vector<int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  std::vector<float> images(n * rows * cols);
  if (netc_dataset_get_batch(dataset, indices.data(), n, mean, stddev,
                             images.data(), nullptr) != NETC_OK)
    return emitError(loc) << netc_last_error();

  int64_t sampleSize = ShapedType::getNumElements(sampleShape);
  bool planar = sampleShape.size() >= 3;
  int64_t height = planar ? sampleShape[sampleShape.size() - 2] : 1;
  int64_t width = sampleShape.back();
  int64_t pixels = rows * cols;
  Batch batch;
  batch.batch = n;
  batch.values.resize(n * sampleSize);
  for (int64_t s = 0; s < n; ++s) {
    const float *image = images.data() + s * pixels;
    float *sample = batch.values.data() + s * sampleSize;
    for (int64_t i = 0; i < sampleSize; ++i) {
      int64_t pixel;
      if (planar) {
        int64_t y = (i / width) % height, x = i % width;
        pixel = (y * rows / height) * cols + x * cols / width;
      } else {
        pixel = (i % width) * pixels / width;
      }
      sample[i] = image[pixel];
    }
  }
  return batch;
}

LogicalResult mlir::netc::loadParameters(Location loc,
                                         const netc_model_info &model,
                                         StringRef weightsPath, uint64_t seed,
                                         float *params, StringRef command) {
  // Outputs of random weights are easily taken for real ones: say so.
  if (weightsPath.empty() && !command.empty() && model.num_params > 0)
    llvm::errs() << "netc " << command
                 << ": no --weights given: the parameters are PyTorch-style "
                    "random initialisation (--seed "
                 << seed << ")\n";
  netc_status status =
      weightsPath.empty()
          ? netc_params_init(&model, seed, params)
          : netc_params_load_safetensors(&model, weightsPath.str().c_str(),
                                         params);
  if (status != NETC_OK)
    return emitError(loc) << netc_last_error();
  return success();
}

LogicalResult mlir::netc::readTargets(Location loc, StringRef path,
                                      const ModelSignature &sig,
                                      const TrainingSignature &training,
                                      int64_t samples,
                                      std::vector<int32_t> &labels,
                                      std::vector<float> &targets) {
  if (!training.classification) {
    FailureOr<Batch> read = readNpyBatch(loc, path, sig.outputShape, "target");
    if (failed(read))
      return failure();
    if (read->batch != samples)
      return emitError(loc) << path << ": " << read->batch
                            << " targets for " << samples << " samples";
    targets = std::move(read->values);
    return success();
  }
  // Class labels are read exactly (int64 from torch, int32, uint8, or whole
  // floats), never through float32.
  int32_t *read = nullptr;
  int64_t count = 0;
  if (netc_labels_load_npy(path.str().c_str(), sig.outputShape[0], &read,
                           &count) != NETC_OK)
    return emitError(loc) << netc_last_error();
  std::unique_ptr<int32_t, void (*)(int32_t *)> owner(read, netc_labels_free);
  if (count != samples)
    return emitError(loc) << path << ": " << count << " labels for " << samples
                          << " samples";
  labels.assign(read, read + count);
  return success();
}
