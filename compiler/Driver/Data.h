//===- Data.h - Reading the data netc's commands run on ---------*- C++ -*-===//
#ifndef NETC_DRIVER_DATA_H
#define NETC_DRIVER_DATA_H

#include "netc/Dialect/ModelSignature.h"

#include "netc-c/netc.h"

#include <memory>
#include <vector>

namespace mlir::netc {

/// A batch read from a file: `batch` samples, flat.
struct Batch {
  std::vector<float> values;
  int64_t batch = 0;
};

/// Reads a .npy array of shape (N, *sampleShape) (`what` names it in
/// messages: "input", "target").
FailureOr<Batch> readNpyBatch(Location loc, StringRef path,
                              ArrayRef<int64_t> sampleShape, StringRef what);

/// Reads the first `count` images of an IDX file, normalised with
/// `mean`/`stddev`, each fitted to `sampleShape` (C, *spatial): the last two
/// spatial dimensions sample the image at the nearest pixel, earlier ones
/// and the channels repeat it; a shape without two spatial dimensions reads
/// the image's pixels in order, resampled to its length.
FailureOr<Batch> readIdxImages(Location loc, StringRef path, int64_t count,
                               float mean, float stddev,
                               ArrayRef<int64_t> sampleShape);

/// Whether `path` names a .npy file (else it is read as IDX).
bool isNpyPath(StringRef path);

/// Fills `params` from a safetensors file of PyTorch state_dict names, or,
/// with no `weightsPath`, with PyTorch's default initialisation from `seed`
/// (noted on stderr for `command`, when one is named).
LogicalResult loadParameters(Location loc, const netc_model_info &model,
                             StringRef weightsPath, uint64_t seed,
                             float *params, StringRef command = "");

/// Reads training targets for `samples` samples: class labels (a .npy of
/// integral values in [0, classes)) for cross entropy, else an array shaped
/// like the output batch. Labels are returned in `labels`, targets in
/// `targets`.
LogicalResult readTargets(Location loc, StringRef path,
                          const ModelSignature &sig,
                          const TrainingSignature &training, int64_t samples,
                          std::vector<int32_t> &labels,
                          std::vector<float> &targets);

/// Checks, before any long work, that a file can be written at `path`
/// (given by option `flag`): its folder exists and is writable and `path`
/// is not a folder. An empty path passes.
LogicalResult checkOutputPath(Location loc, StringRef path, StringRef flag);

/// Owns a buffer from netc_params_create.
struct ParamsDeleter {
  void operator()(float *params) const { netc_params_free(params); }
};
using ParamsBuffer = std::unique_ptr<float, ParamsDeleter>;

} // namespace mlir::netc

#endif // NETC_DRIVER_DATA_H
