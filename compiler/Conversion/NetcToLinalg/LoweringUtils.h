//===- LoweringUtils.h - Builders shared by netc-to-linalg ------*- C++ -*-===//
//
// The pieces every pattern family needs: init tensors with the dynamic batch,
// constant padding, elementwise generics, window reductions and the divisor
// of an average. Each is written once here and used by every family.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CONVERSION_NETCTOLINALG_LOWERINGUTILS_H
#define NETC_CONVERSION_NETCTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::netc {

/// Builds the scalar body of a linalg.generic from its block arguments.
using BodyBuilder =
    function_ref<Value(OpBuilder &b, Location loc, ValueRange args)>;

/// Builds the body of a linalg.generic with several results: the values to
/// yield, one per result.
using MultiBodyBuilder = function_ref<SmallVector<Value>(
    OpBuilder &b, Location loc, ValueRange args)>;

/// An f32 constant.
Value createF32Constant(OpBuilder &b, Location loc, double value);

/// An f32 +inf (`negative` false) or -inf constant: the identity of min and
/// max reductions.
Value createF32Infinity(OpBuilder &b, Location loc, bool negative);

/// An index constant.
Value createIndexConstant(OpBuilder &b, Location loc, int64_t value);

/// A tensor.empty of `type` whose dynamic batch extent (dimension 0) is that
/// of `batchSource`; every other dimension of `type` is static. A static
/// `type` (a per-channel or 0-d tensor) needs no `batchSource`.
Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                  Value batchSource);

/// `createEmpty` filled with `value`: the init of a reduction.
Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   Value batchSource, Value value);

/// The init of a layer with a per-channel `bias` of shape (C): the bias
/// broadcast along every dimension but 1 of `type`, or zeros without a bias.
/// The layer then accumulates into it.
Value createBiasInit(OpBuilder &b, Location loc, RankedTensorType type,
                     Value batchSource, Value bias);

/// The map from a rank-`rank` iteration space to its dimension 1, the
/// channel: how per-channel operands are read.
AffineMap getChannelMap(unsigned rank, MLIRContext *context);

/// An all-parallel linalg.generic writing a tensor of `type` (batch from
/// `batchSource`) whose element is `body(inputs..., out)`; input `i` is read
/// through `inputMaps[i]`, the output through the identity.
Value buildParallelGeneric(OpBuilder &b, Location loc, RankedTensorType type,
                           Value batchSource, ValueRange inputs,
                           ArrayRef<AffineMap> inputMaps, BodyBuilder body);

/// `buildParallelGeneric` over same-shaped inputs, all read elementwise.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       BodyBuilder body);

/// A linalg.generic whose loops are the dimensions of `inputMaps` and whose
/// results are `inits`, each read and written through `outputMap`: the loops
/// `outputMap` does not use are reductions (all parallel when it is the
/// identity). `body` gets the input elements, then the current result
/// elements, and returns the new result elements.
SmallVector<Value> buildGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> inputMaps, ValueRange inits,
                                AffineMap outputMap, MultiBodyBuilder body);

/// The number of elements of `tensor` along `dims` as f32: the product of
/// their extents, the dynamic batch read at run time. Exact below 2^24.
Value createCountF32(OpBuilder &b, Location loc, Value tensor,
                     ArrayRef<int64_t> dims);

/// Whether `low` and `high` add no element at all.
bool isZeroPadding(ArrayRef<int64_t> low, ArrayRef<int64_t> high);

/// Copies `source` into `dest` at `offsets` (one per dimension; the batch
/// extent is `source`'s), element `i` of a dimension going to
/// `offset + i * stride` (`strides` empty: all 1): linalg.copy into a
/// tensor.extract_slice of `dest`, inserted back. Unlike a plain
/// tensor.insert_slice (or tensor.pad, tensor.concat), this bufferizes to a
/// copy loop writing in place, never to a strided memref.copy, which would
/// need MLIR's runner library at link time.
Value insertIntoSlice(OpBuilder &b, Location loc, Value source, Value dest,
                      ArrayRef<int64_t> offsets,
                      ArrayRef<int64_t> strides = {});

/// The window of `value` (N, ...) at `offsets` whose extents are `shape`'s
/// (the batch is `value`'s): a tensor.extract_slice, which bufferizes to a
/// view. Generics read such windows through identity maps: a generic infers
/// its loop ranges from the first operand that reads a loop index as is, so
/// reading a larger operand through a shifted map (`i + 0`) would iterate
/// over that operand's extent.
Value sliceAt(OpBuilder &b, Location loc, Value value,
              ArrayRef<int64_t> offsets, ArrayRef<int64_t> shape);

/// Pads the spatial dimensions (2 and up) of an (N, C, *spatial) `input` by
/// `low`/`high` elements with `value`: the input copied into a filled tensor
/// (see insertIntoSlice). Returns `input` when nothing is added.
Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, Value value);

/// Reduces `input` (N, C, *spatial) over a `window` into `init`
/// (N, C, *out) with one linalg.generic for any number of spatial
/// dimensions. The iteration space is (n, c, o_1..o_s, k_1..k_s); `inputMap`
/// reads the input from it, and a window operand of shape `window` bounds
/// the k loops. `combine(b, loc, element, accumulator)` gives the new
/// accumulator and may read the loop indices with linalg.index.
Value buildWindowReduction(
    OpBuilder &b, Location loc, Value input, AffineMap inputMap,
    ArrayRef<int64_t> window, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// The general form of buildWindowReduction: any number of `inputs` (none
/// when the body gathers with tensor.extract), each read through its map,
/// and of same-shaped `inits`, reduced together. `combine(b, loc, args)`
/// gets the inputs' elements followed by the accumulators and returns the
/// new accumulators.
SmallVector<Value>
buildWindowReductions(OpBuilder &b, Location loc, ValueRange inputs,
                      ArrayRef<AffineMap> inputMaps, ArrayRef<int64_t> window,
                      ValueRange inits, MultiBodyBuilder combine);

/// Divides each output element of `sums` (N, C, *out) by the number of
/// elements its window averaged: `counts[d][o]` along spatial dimension `d`
/// at output position `o`. A dimension whose counts are all equal folds to a
/// constant; the others are read from a 1-d constant table. With
/// `perDimension` the sum is divided by each dimension's count in turn
/// (torch's adaptive pooling), otherwise once by their product (avg_pool).
Value divideByWindowCounts(OpBuilder &b, Location loc, Value sums,
                           ArrayRef<SmallVector<int64_t>> counts,
                           bool perDimension);

} // namespace mlir::netc

#endif // NETC_CONVERSION_NETCTOLINALG_LOWERINGUTILS_H
