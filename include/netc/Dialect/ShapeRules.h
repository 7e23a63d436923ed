//===- ShapeRules.h - Output shapes of netc ops -----------------*- C++ -*-===//
//
// The one place each op's shape rule is written. The op verifiers call these
// to check IR; the frontend calls them to infer shapes and to report a bad
// model file against the JSON field at fault. Shapes include the batch
// dimension first; it is passed through untouched (it is dynamic in IR).
//
//===----------------------------------------------------------------------===//
#ifndef NETC_DIALECT_SHAPERULES_H
#define NETC_DIALECT_SHAPERULES_H

#include "netc/Dialect/NetcOps.h"

#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::netc {

using Shape = llvm::SmallVector<int64_t, 5>;

/// Why a shape rule rejected its operands: the torch.nn attribute name at
/// fault ("kernel_size", "groups", "in_channels", "input", ...) and a message
/// saying what was expected and what was found.
struct ShapeError {
  std::string field;
  std::string message;
};

/// A convolution's geometry; every array has one entry per spatial dimension.
struct ConvGeometry {
  Shape stride, paddingLow, paddingHigh, dilation;
  int64_t groups = 1;
  PaddingMode paddingMode = PaddingMode::zeros;
};

/// Output extent of a convolution along one spatial dimension.
int64_t convOutputSize(int64_t in, int64_t kernel, int64_t stride,
                       int64_t padLow, int64_t padHigh, int64_t dilation);

/// (N, C, *spatial) x (F, C/groups, *kernel) [x (F)] -> (N, F, *out).
FailureOr<Shape> inferConvShape(ArrayRef<int64_t> input,
                                ArrayRef<int64_t> weight,
                                std::optional<ArrayRef<int64_t>> bias,
                                const ConvGeometry &geometry,
                                ShapeError &error);

/// A pooling op's geometry, torch's attributes one entry per spatial dim.
struct PoolGeometry {
  PoolKind kind = PoolKind::max;
  Shape kernelSize, stride, padding, dilation;
  bool ceilMode = false;
  bool countIncludePad = true;
};

/// Output extent of a pooling window along one dimension, torch's rule
/// (pooling_output_shape) including its ceil_mode correction.
int64_t poolOutputSize(int64_t in, int64_t kernel, int64_t stride,
                       int64_t padding, int64_t dilation, bool ceilMode);

FailureOr<Shape> inferPoolShape(ArrayRef<int64_t> input,
                                const PoolGeometry &geometry,
                                ShapeError &error);

FailureOr<Shape> inferAdaptiveAvgPoolShape(ArrayRef<int64_t> input,
                                           ArrayRef<int64_t> outputSize,
                                           ShapeError &error);

/// (N, in) x (out, in) [x (out)] -> (N, out).
FailureOr<Shape> inferLinearShape(ArrayRef<int64_t> input,
                                  ArrayRef<int64_t> weight,
                                  std::optional<ArrayRef<int64_t>> bias,
                                  ShapeError &error);

/// Checks a per-channel statistic or affine parameter of a batch norm.
FailureOr<Shape> inferBatchNormShape(ArrayRef<int64_t> input,
                                     ArrayRef<ArrayRef<int64_t>> perChannel,
                                     ShapeError &error);

/// Normalizes possibly negative flatten bounds and merges the range.
FailureOr<Shape> inferFlattenShape(ArrayRef<int64_t> input, int64_t startDim,
                                   int64_t endDim, ShapeError &error);

/// A reshape keeps the batch dimension and the per-sample element count.
LogicalResult checkReshape(ArrayRef<int64_t> input, ArrayRef<int64_t> result,
                           ShapeError &error);

FailureOr<Shape> inferConcatShape(ArrayRef<Shape> inputs, int64_t dim,
                                  ShapeError &error);

/// Softmax-like ops reduce along one non-batch dimension.
LogicalResult checkReductionDim(ArrayRef<int64_t> input, int64_t dim,
                                ShapeError &error);

/// Prints a shape as PyTorch users read it, the batch as N: (N, 10, 24, 24).
std::string formatShape(ArrayRef<int64_t> shape);

/// Number of elements of one sample (every dimension but the first).
int64_t perSampleElements(ArrayRef<int64_t> shape);

} // namespace mlir::netc

#endif // NETC_DIALECT_SHAPERULES_H
