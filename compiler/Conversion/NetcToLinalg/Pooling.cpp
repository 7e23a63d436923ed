//===- Pooling.cpp - netc pooling ops to linalg ---------------------------===//
//
// netc.pool pads the input with its reduction's identity (-inf for max, +inf
// for min, 0 for avg), adding the high padding ceil_mode needs for its last
// partial window, then reduces each window: the NCHW/NCW named pooling op
// where MLIR has one (max and sum in 1-d and 2-d), a shared window-reduction
// generic otherwise (min, 3-d). avg divides the sums by torch's per-position
// divisor. netc.adaptive_avg_pool reduces over the largest bin with a mask.
//
// The gradients are scatter-free: generics over input positions sum the
// result gradients of the windows (bins) that contain each position, one
// per phase of the positions modulo the strides, as window reductions over
// the padded gradient (strides of more than 64 phases gather instead).
// netc.pool_grad first finds each window's winning element for max and
// min, and divides the gradients by the forward pass's divisors for avg.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"
#include "netc/Dialect/ShapeRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <numeric>

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// PoolOp
//===----------------------------------------------------------------------===//

namespace {
/// The window geometry of a netc.pool, shared with its netc.pool_grad.
struct PoolWindow {
  ArrayRef<int64_t> kernel, stride, padding, dilation;
  bool countIncludePad;

  template <typename OpTy> static PoolWindow of(OpTy op) {
    return {op.getKernelSize(), op.getStride(), op.getPadding(),
            op.getDilation(), op.getCountIncludePad()};
  }
};
} // namespace

/// Pads a pooling input with `value`: `padding` on both sides and, on the
/// high side, whatever the last (ceil_mode) window of the `outputType`
/// result reaches past the padded input.
static Value padPoolInput(OpBuilder &b, Location loc, Value input,
                          RankedTensorType outputType, const PoolWindow &w,
                          Value value) {
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> high;
  for (int64_t d = 0, e = outputType.getRank() - 2; d < e; ++d) {
    int64_t in = inputType.getDimSize(d + 2);
    int64_t reach = (outputType.getDimSize(d + 2) - 1) * w.stride[d] +
                    w.dilation[d] * (w.kernel[d] - 1) + 1;
    high.push_back(w.padding[d] +
                   std::max<int64_t>(0, reach - (in + 2 * w.padding[d])));
  }
  return padSpatial(b, loc, input, w.padding, high, value);
}

/// The map from the window iteration space (n, c, o..., k...) to the padded
/// input element (n, c, o * stride + k * dilation).
static AffineMap getPoolInputMap(int64_t spatial, const PoolWindow &w,
                                 MLIRContext *context) {
  SmallVector<AffineExpr> exprs{getAffineDimExpr(0, context),
                                getAffineDimExpr(1, context)};
  for (int64_t d = 0; d < spatial; ++d)
    exprs.push_back(getAffineDimExpr(2 + d, context) * w.stride[d] +
                    getAffineDimExpr(2 + spatial + d, context) * w.dilation[d]);
  return AffineMap::get(2 + 2 * spatial, 0, exprs, context);
}

/// The number of elements torch's avg_pool divides the window at output
/// position `o` by, along one dimension: the window clipped to the padded
/// input with count_include_pad, else to the input itself. A ceil_mode
/// window may run past the padded input; its excess never counts.
static int64_t avgPoolCount(int64_t o, int64_t in, int64_t kernel,
                            int64_t stride, int64_t padding,
                            bool countIncludePad) {
  int64_t start = o * stride - padding;
  int64_t end = std::min(start + kernel, in + padding);
  if (countIncludePad)
    return end - start;
  return std::min(end, in) - std::max<int64_t>(start, 0);
}

/// Divides avg pooling window values of `outputType` (the forward pass's
/// sums, or the gradients of its result) by torch's divisor of each window.
static Value divideByAvgPoolCounts(OpBuilder &b, Location loc, Value values,
                                   RankedTensorType inputType,
                                   RankedTensorType outputType,
                                   const PoolWindow &w) {
  int64_t spatial = outputType.getRank() - 2;
  SmallVector<SmallVector<int64_t>> counts(spatial);
  for (int64_t d = 0; d < spatial; ++d)
    for (int64_t o = 0, e = outputType.getDimSize(d + 2); o < e; ++o)
      counts[d].push_back(avgPoolCount(o, inputType.getDimSize(d + 2),
                                       w.kernel[d], w.stride[d], w.padding[d],
                                       w.countIncludePad));
  return divideByWindowCounts(b, loc, values, counts, /*perDimension=*/false);
}

/// Creates the named NCHW/NCW pooling `NamedOp` with the op's strides and
/// dilations.
template <typename NamedOp>
static Value createNamedPool(OpBuilder &b, Location loc, PoolOp op, Value input,
                             Value init) {
  Value window =
      tensor::EmptyOp::create(b, loc, op.getKernelSize(), b.getF32Type());
  return NamedOp::create(b, loc, init.getType(), ValueRange{input, window},
                         init, b.getI64TensorAttr(op.getStride()),
                         b.getI64TensorAttr(op.getDilation()))
      ->getResult(0);
}

/// Combines a window element into the accumulator of a `kind` pooling. The
/// NaN-propagating maximumf/minimumf match torch, which lets NaN win.
static Value combinePool(OpBuilder &b, Location loc, PoolKind kind,
                         Value element, Value accumulator) {
  switch (kind) {
  case PoolKind::max:
    return arith::MaximumFOp::create(b, loc, element, accumulator);
  case PoolKind::min:
    return arith::MinimumFOp::create(b, loc, element, accumulator);
  case PoolKind::avg:
    return arith::AddFOp::create(b, loc, accumulator, element);
  }
  llvm_unreachable("unknown pool kind");
}

namespace {
struct PoolOpLowering : public OpConversionPattern<PoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t spatial = resultType.getRank() - 2;
    PoolKind kind = op.getKind();
    PoolWindow window = PoolWindow::of(op);

    Value identity =
        kind == PoolKind::avg
            ? createF32Constant(rewriter, loc, 0.0)
            : createF32Infinity(rewriter, loc, kind == PoolKind::max);
    Value padded =
        padPoolInput(rewriter, loc, input, resultType, window, identity);
    Value init = createFilled(rewriter, loc, resultType, input, identity);

    Value reduced;
    if (kind == PoolKind::max && spatial == 2)
      reduced = createNamedPool<linalg::PoolingNchwMaxOp>(rewriter, loc, op,
                                                          padded, init);
    else if (kind == PoolKind::max && spatial == 1)
      reduced = createNamedPool<linalg::PoolingNcwMaxOp>(rewriter, loc, op,
                                                         padded, init);
    else if (kind == PoolKind::avg && spatial == 2)
      reduced = createNamedPool<linalg::PoolingNchwSumOp>(rewriter, loc, op,
                                                          padded, init);
    else if (kind == PoolKind::avg && spatial == 1)
      reduced = createNamedPool<linalg::PoolingNcwSumOp>(rewriter, loc, op,
                                                         padded, init);
    else
      reduced = buildWindowReduction(
          rewriter, loc, padded,
          getPoolInputMap(spatial, window, rewriter.getContext()),
          window.kernel, init,
          [&](OpBuilder &b, Location l, Value element, Value accumulator) {
            return combinePool(b, l, kind, element, accumulator);
          });

    if (kind == PoolKind::avg)
      reduced = divideByAvgPoolCounts(rewriter, loc, reduced, inputType,
                                      resultType, window);
    rewriter.replaceOp(op, reduced);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// AdaptiveAvgPoolOp
//===----------------------------------------------------------------------===//

/// torch's adaptive bin `o` of `size` input elements split into `bins`:
/// [floor(o * size / bins), ceil((o + 1) * size / bins)).
static std::pair<int64_t, int64_t> adaptiveBin(int64_t o, int64_t size,
                                               int64_t bins) {
  return {o * size / bins, ((o + 1) * size + bins - 1) / bins};
}

namespace {
struct AdaptiveAvgPoolOpLowering
    : public OpConversionPattern<AdaptiveAvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdaptiveAvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t spatial = resultType.getRank() - 2;

    // Every bin is read through a window of the largest bin's size starting
    // at the bin's start; the input is zero-padded so the window stays in
    // bounds, and elements past the bin's end are masked.
    SmallVector<SmallVector<int64_t>> binSizes(spatial);
    SmallVector<int64_t> window, low(spatial, 0), high;
    SmallVector<bool> masked;
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t size = inputType.getDimSize(d + 2);
      int64_t bins = resultType.getDimSize(d + 2);
      int64_t widest = 0, reach = 0;
      for (int64_t o = 0; o < bins; ++o) {
        auto [start, end] = adaptiveBin(o, size, bins);
        binSizes[d].push_back(end - start);
        widest = std::max(widest, end - start);
      }
      for (int64_t o = 0; o < bins; ++o)
        reach = std::max(reach, adaptiveBin(o, size, bins).first + widest);
      window.push_back(widest);
      high.push_back(reach - size);
      masked.push_back(!llvm::all_equal(binSizes[d]));
    }

    Value zero = createF32Constant(rewriter, loc, 0.0);
    Value padded = padSpatial(rewriter, loc, input, low, high, zero);
    Value init = createFilled(rewriter, loc, resultType, input, zero);

    // (n, c, o..., k...) -> (n, c, o * size floordiv bins + k).
    unsigned loops = 2 + 2 * spatial;
    SmallVector<AffineExpr> exprs{getAffineDimExpr(0, context),
                                  getAffineDimExpr(1, context)};
    for (int64_t d = 0; d < spatial; ++d)
      exprs.push_back(
          (getAffineDimExpr(2 + d, context) * inputType.getDimSize(d + 2))
              .floorDiv(resultType.getDimSize(d + 2)) +
          getAffineDimExpr(2 + spatial + d, context));

    Value sums = buildWindowReduction(
        rewriter, loc, padded, AffineMap::get(loops, 0, exprs, context), window,
        init, [&](OpBuilder &b, Location l, Value element, Value accumulator) {
          // Keep k < end(o) - start(o) in every unevenly split dimension.
          Value inBin;
          for (int64_t d = 0; d < spatial; ++d) {
            if (!masked[d])
              continue;
            Value o = linalg::IndexOp::create(b, l, 2 + d);
            Value k = linalg::IndexOp::create(b, l, 2 + spatial + d);
            Value size = createIndexConstant(b, l, inputType.getDimSize(d + 2));
            Value bins =
                createIndexConstant(b, l, resultType.getDimSize(d + 2));
            Value scaled = arith::MulIOp::create(b, l, o, size);
            Value start = arith::DivUIOp::create(b, l, scaled, bins);
            Value end = arith::DivUIOp::create(
                b, l,
                arith::AddIOp::create(
                    b, l, scaled,
                    createIndexConstant(b, l,
                                        inputType.getDimSize(d + 2) +
                                            resultType.getDimSize(d + 2) - 1)),
                bins);
            Value valid = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::ult,
                arith::AddIOp::create(b, l, start, k), end);
            inBin = inBin ? arith::AndIOp::create(b, l, inBin, valid) : valid;
          }
          if (inBin)
            element = arith::SelectOp::create(b, l, inBin, element,
                                              createF32Constant(b, l, 0.0));
          return arith::AddFOp::create(b, l, accumulator, element);
        });
    rewriter.replaceOp(op, divideByWindowCounts(rewriter, loc, sums, binSizes,
                                                /*perDimension=*/true));
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// PoolGradOp
//===----------------------------------------------------------------------===//

/// The row-major position in a window of `kernel` of the window loops' k
/// indices, as an i32: loop `firstLoop + d * step` is spatial dimension d's
/// (the window reductions' loops 2 + spatial and up: step 1).
static Value createFlatWindowIndex(OpBuilder &b, Location loc,
                                   ArrayRef<int64_t> kernel, int64_t firstLoop,
                                   int64_t step = 1) {
  Value flat = linalg::IndexOp::create(b, loc, firstLoop);
  for (int64_t d = 1, e = kernel.size(); d < e; ++d) {
    Value scaled = arith::MulIOp::create(
        b, loc, flat, createIndexConstant(b, loc, kernel[d]));
    flat = arith::AddIOp::create(
        b, loc, scaled, linalg::IndexOp::create(b, loc, firstLoop + d * step));
  }
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), flat);
}

/// For each window of a max (min) pooling of `input` into `outputType`, the
/// pooled value and the flat kernel position of the element torch routes
/// the window's gradient to, as its CPU kernels choose it: scanning the
/// window's real elements in order, the first one, then each that is
/// greater (less) than the best so far or NaN. Padding is never chosen; a
/// window of padding only gets -1 (and the reduction's identity).
static SmallVector<Value> buildPoolSearch(OpBuilder &b, Location loc,
                                          Value input,
                                          RankedTensorType outputType,
                                          PoolKind kind, const PoolWindow &w) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t spatial = outputType.getRank() - 2;
  // Every padding element is rejected by position, so its value is moot.
  Value padded = padPoolInput(b, loc, input, outputType, w,
                              createF32Constant(b, loc, 0.0));
  Value best = createFilled(
      b, loc, outputType, input,
      createF32Infinity(b, loc, /*negative=*/kind == PoolKind::max));
  Value winner =
      createFilled(b, loc, outputType.clone(b.getI32Type()), input,
                   arith::ConstantIntOp::create(b, loc, b.getI32Type(), -1));
  auto combine = [&](OpBuilder &nb, Location nl,
                     ValueRange args) -> SmallVector<Value> {
    Value element = args[0], bestSoFar = args[1], winnerSoFar = args[2];
    // Real: the padded position o * stride + k * dilation lies in
    // [padding, padding + in).
    Value real;
    for (int64_t d = 0; d < spatial; ++d) {
      Value o = linalg::IndexOp::create(nb, nl, 2 + d);
      Value k = linalg::IndexOp::create(nb, nl, 2 + spatial + d);
      Value position = arith::AddIOp::create(
          nb, nl,
          arith::MulIOp::create(nb, nl, o,
                                createIndexConstant(nb, nl, w.stride[d])),
          arith::MulIOp::create(nb, nl, k,
                                createIndexConstant(nb, nl, w.dilation[d])));
      Value afterLow =
          arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::uge, position,
                                createIndexConstant(nb, nl, w.padding[d]));
      Value beforeHigh = arith::CmpIOp::create(
          nb, nl, arith::CmpIPredicate::ult, position,
          createIndexConstant(nb, nl,
                              w.padding[d] + inputType.getDimSize(d + 2)));
      Value inside = arith::AndIOp::create(nb, nl, afterLow, beforeHigh);
      real = real ? arith::AndIOp::create(nb, nl, real, inside) : inside;
    }
    Value improves =
        arith::CmpFOp::create(nb, nl,
                              kind == PoolKind::max ? arith::CmpFPredicate::OGT
                                                    : arith::CmpFPredicate::OLT,
                              element, bestSoFar);
    Value isNaN = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNO,
                                        element, element);
    Value isFirst = arith::CmpIOp::create(
        nb, nl, arith::CmpIPredicate::eq, winnerSoFar,
        arith::ConstantIntOp::create(nb, nl, nb.getI32Type(), -1));
    Value take = arith::AndIOp::create(
        nb, nl, real,
        arith::OrIOp::create(nb, nl, isFirst,
                             arith::OrIOp::create(nb, nl, improves, isNaN)));
    return {arith::SelectOp::create(nb, nl, take, element, bestSoFar),
            arith::SelectOp::create(
                nb, nl, take,
                createFlatWindowIndex(nb, nl, w.kernel, 2 + spatial),
                winnerSoFar)};
  };
  return buildWindowReductions(b, loc, padded,
                               getPoolInputMap(spatial, w, b.getContext()),
                               w.kernel, {best, winner}, combine);
}

/// Whether the windows of a pooling of `inputType` into `outputType` tile a
/// box of the input without overlap or padding (stride = kernel, dilation
/// 1): each input position then has at most one window.
static bool hasDisjointWindows(RankedTensorType inputType,
                               RankedTensorType outputType,
                               const PoolWindow &w) {
  for (int64_t d = 0, e = outputType.getRank() - 2; d < e; ++d)
    if (w.stride[d] != w.kernel[d] || w.dilation[d] != 1 ||
        w.padding[d] != 0 ||
        outputType.getDimSize(d + 2) * w.kernel[d] >
            inputType.getDimSize(d + 2))
      return false;
  return true;
}

/// The input gradient of a pooling with disjoint windows: the input, cropped
/// to whole windows and viewed as (o, k) pairs per spatial dimension, gets
/// `grad` at window o where k is its winner (`winners`; every k for an
/// average, whose `grad` is already divided). A parallel generic over the
/// view with plain maps, which searches nothing; positions outside every
/// window stay zero.
static Value buildDisjointPoolGrad(OpBuilder &b, Location loc, Value input,
                                   Value grad, Value winners,
                                   const PoolWindow &w) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto gradType = cast<RankedTensorType>(grad.getType());
  int64_t spatial = inputType.getRank() - 2;
  Value zero = createF32Constant(b, loc, 0.0);
  Value init = createFilled(b, loc, inputType, input, zero);

  SmallVector<OpFoldResult> offsets(inputType.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
  SmallVector<OpFoldResult> strides(inputType.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> croppedShape(inputType.getShape());
  SmallVector<int64_t> viewShape(inputType.getShape().take_front(2));
  SmallVector<OpFoldResult> viewSizes(ArrayRef(sizes).take_front(2));
  SmallVector<ReassociationIndices> groups{{0}, {1}};
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t windows = gradType.getDimSize(d + 2);
    croppedShape[d + 2] = windows * w.kernel[d];
    sizes[d + 2] = b.getIndexAttr(croppedShape[d + 2]);
    viewShape.append({windows, w.kernel[d]});
    viewSizes.append({b.getIndexAttr(windows), b.getIndexAttr(w.kernel[d])});
    groups.push_back({2 + 2 * d, 3 + 2 * d});
  }
  auto croppedType = inputType.clone(croppedShape);
  bool whole = croppedType == inputType;
  Value cropped = whole ? init
                        : tensor::ExtractSliceOp::create(
                              b, loc, croppedType, init, offsets, sizes,
                              strides);
  Value view = tensor::ExpandShapeOp::create(
      b, loc, inputType.clone(viewShape), cropped, groups, viewSizes);

  // Loops (n, c, o0, k0, o1, k1, ...); the window operands read (n, c, o...).
  MLIRContext *context = b.getContext();
  unsigned loops = 2 + 2 * spatial;
  SmallVector<AffineExpr> windowDims{getAffineDimExpr(0, context),
                                     getAffineDimExpr(1, context)};
  for (int64_t d = 0; d < spatial; ++d)
    windowDims.push_back(getAffineDimExpr(2 + 2 * d, context));
  AffineMap windowMap = AffineMap::get(loops, 0, windowDims, context);
  SmallVector<Value> inputs{grad};
  if (winners)
    inputs.push_back(winners);
  SmallVector<AffineMap> maps(inputs.size(), windowMap);
  maps.push_back(b.getMultiDimIdentityMap(loops));
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  auto scatter = linalg::GenericOp::create(
      b, loc, view.getType(), inputs, view, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value contribution = args[0];
        if (winners) {
          // The k loops are 3, 5, ...
          Value wins = arith::CmpIOp::create(
              nb, nl, arith::CmpIPredicate::eq, args[1],
              createFlatWindowIndex(nb, nl, w.kernel, 3, /*step=*/2));
          contribution = arith::SelectOp::create(
              nb, nl, wins, contribution, createF32Constant(nb, nl, 0.0));
        }
        linalg::YieldOp::create(nb, nl, contribution);
      });
  Value placed = tensor::CollapseShapeOp::create(
      b, loc, croppedType, scatter.getResult(0), groups);
  if (whole)
    return placed;
  return tensor::InsertSliceOp::create(b, loc, placed, init, offsets, sizes,
                                       strides);
}

/// The most phases (window reductions) a pooling gradient is computed in;
/// strides beyond that (a 3-d pooling of stride 8 has 512) gather instead.
static constexpr int64_t kMaxPoolGradPhases = 64;

namespace {
/// The input positions i = q * stride + phase of one spatial dimension and
/// the windows that hold them: window o holds i as its element k when
/// o * stride + k * dilation = i + padding, so the k that can have a window
/// are those with stride | phase + padding - k * dilation, every kStep-th
/// from `last` down, and for the j-th of them (k = last - j * kStep) the
/// window is o = q + first + j * spacing.
struct PoolGradPhase {
  int64_t phase, positions;
  int64_t taps = 0, last = 0, kStep = 1, first = 0, spacing = 1;

  PoolGradPhase(int64_t phase, int64_t input, int64_t kernel, int64_t stride,
                int64_t padding, int64_t dilation)
      : phase(phase),
        positions(phase < input ? llvm::divideCeil(input - phase, stride) : 0) {
    for (int64_t k = kernel - 1; k >= 0; --k) {
      if ((phase + padding - k * dilation) % stride != 0)
        continue;
      if (taps++ == 0)
        last = k;
    }
    if (taps == 0)
      return;
    kStep = stride / std::gcd(stride, dilation);
    first = (phase + padding - last * dilation) / stride;
    spacing = kStep * dilation / stride;
  }

  /// The last window the phase reads (`first` is the first).
  int64_t highest() const {
    return positions - 1 + first + (taps - 1) * spacing;
  }
};
} // namespace

/// The input gradient of a pooling whose windows overlap or are padded,
/// without gathers: the input positions split into phases by their
/// remainders modulo the strides; in each phase, a window reduction like
/// the forward pass's sums the gradients of the windows holding each
/// position, read from the gradient padded with zeros (whose windows do not
/// exist), the window's taps in decreasing k. Max and min keep a window's
/// gradient where the tap is its winner (padded winners are -1, never). Each
/// phase's sums are placed at its positions of the result, every stride-th;
/// with unit strides the one phase is the result. Null beyond
/// kMaxPoolGradPhases phases.
static Value buildPhasedPoolGrad(OpBuilder &b, Location loc, Value input,
                                 Value grad, Value winners,
                                 const PoolWindow &w) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto gradType = cast<RankedTensorType>(grad.getType());
  int64_t spatial = inputType.getRank() - 2;
  // The phases of each dimension, and the padding that holds all windows
  // any of them reads.
  SmallVector<SmallVector<PoolGradPhase>> phases(spatial);
  SmallVector<int64_t> low(spatial, 0), high(spatial, 0);
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t windows = gradType.getDimSize(d + 2);
    int64_t size = inputType.getDimSize(d + 2);
    for (int64_t r = 0; r < std::min(w.stride[d], size); ++r) {
      PoolGradPhase phase(r, size, w.kernel[d], w.stride[d], w.padding[d],
                          w.dilation[d]);
      if (phase.positions == 0 || phase.taps == 0)
        continue;
      low[d] = std::max(low[d], -phase.first);
      high[d] = std::max(high[d], phase.highest() - (windows - 1));
      phases[d].push_back(phase);
    }
  }
  int64_t combinations = 1;
  for (const SmallVector<PoolGradPhase> &p : phases)
    combinations *= p.size();
  if (combinations > kMaxPoolGradPhases)
    return {};
  // Positions in no window keep a zero gradient; in a dimension with no
  // windows at all, every position does.
  Value zero = createF32Constant(b, loc, 0.0);
  Value result = createFilled(b, loc, inputType, input, zero);
  if (combinations == 0)
    return result;
  Value paddedGrad = padSpatial(b, loc, grad, low, high, zero);
  Value paddedWinners =
      winners
          ? padSpatial(b, loc, winners, low, high,
                       arith::ConstantIntOp::create(b, loc, b.getI32Type(), -1))
          : Value();
  bool unitStrides = llvm::all_of(w.stride, [](int64_t s) { return s == 1; });
  // Every combination of the dimensions' phases.
  SmallVector<size_t> choice(spatial, 0);
  while (true) {
    SmallVector<int64_t> offsets{0, 0},
        extents{ShapedType::kDynamic, inputType.getDimSize(1)},
        readExtents = extents, taps, spacings, positions{0, 0}, strides{1, 1};
    for (int64_t d = 0; d < spatial; ++d) {
      const PoolGradPhase &phase = phases[d][choice[d]];
      offsets.push_back(phase.first + low[d]);
      extents.push_back(phase.positions);
      readExtents.push_back(phase.positions + (phase.taps - 1) * phase.spacing);
      taps.push_back(phase.taps);
      spacings.push_back(phase.spacing);
      positions.push_back(phase.phase);
      strides.push_back(w.stride[d]);
    }
    SmallVector<Value> reads{sliceAt(b, loc, paddedGrad, offsets, readExtents)};
    if (paddedWinners)
      reads.push_back(sliceAt(b, loc, paddedWinners, offsets, readExtents));
    SmallVector<int64_t> ones(spatial, 1);
    PoolWindow tapsWindow{taps, ones, {}, spacings, w.countIncludePad};
    SmallVector<AffineMap> maps(
        reads.size(), getPoolInputMap(spatial, tapsWindow, b.getContext()));
    auto sum = [&](OpBuilder &nb, Location nl,
                   ValueRange args) -> SmallVector<Value> {
      Value contribution = args[0];
      if (paddedWinners) {
        // The tap's k, row-major over the kernel: sum over d of
        // (last_d - j_d * kStep_d) * (kernel_{d+1} * ...).
        int64_t base = 0, weight = 1;
        Value flat = createIndexConstant(nb, nl, 0);
        for (int64_t d = spatial - 1; d >= 0; --d) {
          const PoolGradPhase &phase = phases[d][choice[d]];
          base += phase.last * weight;
          flat = arith::AddIOp::create(
              nb, nl, flat,
              arith::MulIOp::create(
                  nb, nl, linalg::IndexOp::create(nb, nl, 2 + spatial + d),
                  createIndexConstant(nb, nl, phase.kStep * weight)));
          weight *= w.kernel[d];
        }
        Value k = arith::IndexCastOp::create(
            nb, nl, nb.getI32Type(),
            arith::SubIOp::create(nb, nl, createIndexConstant(nb, nl, base),
                                  flat));
        Value wins =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, args[1], k);
        contribution = arith::SelectOp::create(nb, nl, wins, contribution,
                                               createF32Constant(nb, nl, 0.0));
      }
      return {arith::AddFOp::create(nb, nl, args.back(), contribution)};
    };
    RankedTensorType phaseType = inputType.clone(extents);
    Value sums = buildWindowReductions(
        b, loc, reads, maps, taps,
        unitStrides ? result : createFilled(b, loc, phaseType, input, zero),
        sum)[0];
    if (unitStrides)
      return sums;
    result = insertIntoSlice(b, loc, sums, result, positions, strides);
    // The next combination, the last dimension fastest.
    int64_t d = spatial - 1;
    for (; d >= 0 && ++choice[d] == phases[d].size(); --d)
      choice[d] = 0;
    if (d < 0)
      return result;
  }
}

/// The input gradient by gathers, for strides of more phases than
/// buildPhasedPoolGrad makes: for each input position and kernel position,
/// the window (if any) holding it there, read with tensor.extract through
/// bounds checks. Scalar code, but one generic for any stride.
static Value buildGatheredPoolGrad(OpBuilder &builder, Location loc,
                                   Value input, Value grad, Value winners,
                                   const PoolWindow &w) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto gradType = cast<RankedTensorType>(grad.getType());
  int64_t spatial = inputType.getRank() - 2;
  auto gather = [&](OpBuilder &b, Location l,
                    ValueRange args) -> SmallVector<Value> {
    SmallVector<Value> indices{linalg::IndexOp::create(b, l, 0),
                               linalg::IndexOp::create(b, l, 1)};
    Value zero = createIndexConstant(b, l, 0);
    Value valid;
    for (int64_t d = 0; d < spatial; ++d) {
      // t = o * stride must be a multiple of the stride, and o a window.
      Value i = linalg::IndexOp::create(b, l, 2 + d);
      Value k = linalg::IndexOp::create(b, l, 2 + spatial + d);
      Value t = arith::SubIOp::create(
          b, l,
          arith::AddIOp::create(b, l, i,
                                createIndexConstant(b, l, w.padding[d])),
          arith::MulIOp::create(b, l, k,
                                createIndexConstant(b, l, w.dilation[d])));
      Value stride = createIndexConstant(b, l, w.stride[d]);
      Value o = arith::DivSIOp::create(b, l, t, stride);
      Value nonNegative =
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, t, zero);
      Value aligned =
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                arith::RemSIOp::create(b, l, t, stride), zero);
      Value inRange = arith::CmpIOp::create(
          b, l, arith::CmpIPredicate::slt, o,
          createIndexConstant(b, l, gradType.getDimSize(d + 2)));
      Value inside = arith::AndIOp::create(
          b, l, nonNegative, arith::AndIOp::create(b, l, aligned, inRange));
      // Out-of-range windows read window 0 and are discarded.
      indices.push_back(arith::SelectOp::create(b, l, inside, o, zero));
      valid = valid ? arith::AndIOp::create(b, l, valid, inside) : inside;
    }
    Value contribution = tensor::ExtractOp::create(b, l, grad, indices);
    if (winners) {
      Value winner = tensor::ExtractOp::create(b, l, winners, indices);
      Value wins = arith::CmpIOp::create(
          b, l, arith::CmpIPredicate::eq, winner,
          createFlatWindowIndex(b, l, w.kernel, 2 + spatial));
      valid = arith::AndIOp::create(b, l, valid, wins);
    }
    contribution = arith::SelectOp::create(b, l, valid, contribution,
                                           createF32Constant(b, l, 0.0));
    return {arith::AddFOp::create(b, l, args[0], contribution)};
  };
  Value init = createFilled(builder, loc, inputType, input,
                            createF32Constant(builder, loc, 0.0));
  return buildWindowReductions(builder, loc, {}, {}, w.kernel, init, gather)[0];
}

/// The gradient of each input position: for each kernel position k, the
/// gradient of the window o with o * stride + k * dilation = i + padding, if
/// there is one. avg divides each window's gradient by its divisor first;
/// max and min keep it only where k is the window's winner (`winners`,
/// searched here when not given).
static Value buildPoolGrad(OpBuilder &builder, PoolGradOp op, Value input,
                           Value grad, Value winners) {
  Location loc = op.getLoc();
  auto inputType = cast<RankedTensorType>(input.getType());
  auto gradType = cast<RankedTensorType>(grad.getType());
  PoolWindow window = PoolWindow::of(op);

  if (op.getKind() == PoolKind::avg)
    grad =
        divideByAvgPoolCounts(builder, loc, grad, inputType, gradType, window);
  else if (!winners)
    winners = buildPoolSearch(builder, loc, input, gradType, op.getKind(),
                              window)[1];
  if (hasDisjointWindows(inputType, gradType, window))
    return buildDisjointPoolGrad(builder, loc, input, grad, winners, window);
  if (Value phased =
          buildPhasedPoolGrad(builder, loc, input, grad, winners, window))
    return phased;
  return buildGatheredPoolGrad(builder, loc, input, grad, winners, window);
}

namespace {
struct PoolGradOpLowering : public OpConversionPattern<PoolGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PoolGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildPoolGrad(rewriter, op, adaptor.getInput(),
                                         adaptor.getResultGrad(), Value()));
    return success();
  }
};
} // namespace

void mlir::netc::lowerPoolsWithGradients(Operation *root) {
  SmallVector<std::pair<PoolOp, PoolGradOp>> pairs;
  root->walk([&](PoolGradOp grad) {
    if (grad.getKind() == PoolKind::avg)
      return;
    for (Operation *user : grad.getInput().getUsers()) {
      auto pool = dyn_cast<PoolOp>(user);
      if (pool && pool->getBlock() == grad->getBlock() &&
          pool->isBeforeInBlock(grad) &&
          pool.getType() == grad.getResultGrad().getType() &&
          pool.getKindAttr() == grad.getKindAttr() &&
          pool.getKernelSizeAttr() == grad.getKernelSizeAttr() &&
          pool.getStrideAttr() == grad.getStrideAttr() &&
          pool.getPaddingAttr() == grad.getPaddingAttr() &&
          pool.getDilationAttr() == grad.getDilationAttr() &&
          pool.getCeilModeAttr() == grad.getCeilModeAttr()) {
        pairs.emplace_back(pool, grad);
        return;
      }
    }
  });
  IRRewriter rewriter(root->getContext());
  llvm::SmallDenseMap<Operation *, Value> winnersOf;
  for (auto [pool, grad] : pairs) {
    Value &winners = winnersOf[pool];
    if (!winners) {
      rewriter.setInsertionPoint(pool);
      SmallVector<Value> search =
          buildPoolSearch(rewriter, pool.getLoc(), pool.getInput(),
                          cast<RankedTensorType>(pool.getType()),
                          pool.getKind(), PoolWindow::of(pool));
      rewriter.replaceAllUsesWith(pool.getResult(), search[0]);
      winners = search[1];
    }
    rewriter.setInsertionPoint(grad);
    rewriter.replaceOp(grad, buildPoolGrad(rewriter, grad, grad.getInput(),
                                           grad.getResultGrad(), winners));
  }
  for (auto &[pool, winners] : winnersOf)
    rewriter.eraseOp(pool);
}

//===----------------------------------------------------------------------===//
// AdaptiveAvgPoolGradOp
//===----------------------------------------------------------------------===//

namespace {
/// Input element i of an extent split into bins lies in the bins from
/// floor(i * bins / size) to ceil((i + 1) * bins / size) - 1. Each input
/// position sums over a window of the most bins any element lies in,
/// starting at its first bin, the gradients divided by their bin sizes; the
/// gradient is zero-padded so the window stays in bounds, and bins starting
/// past the element are masked.
struct AdaptiveAvgPoolGradOpLowering
    : public OpConversionPattern<AdaptiveAvgPoolGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdaptiveAvgPoolGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value grad = adaptor.getResultGrad();
    auto gradType = cast<RankedTensorType>(grad.getType());
    auto inputType = cast<RankedTensorType>(op.getType());
    int64_t spatial = inputType.getRank() - 2;

    SmallVector<SmallVector<int64_t>> binSizes(spatial);
    SmallVector<int64_t> window, low(spatial, 0), high;
    SmallVector<bool> masked;
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t size = inputType.getDimSize(d + 2);
      int64_t bins = gradType.getDimSize(d + 2);
      for (int64_t o = 0; o < bins; ++o) {
        auto [start, end] = adaptiveBin(o, size, bins);
        binSizes[d].push_back(end - start);
      }
      SmallVector<int64_t> binsPerElement;
      for (int64_t i = 0; i < size; ++i)
        binsPerElement.push_back(((i + 1) * bins + size - 1) / size -
                                 i * bins / size);
      int64_t widest = *llvm::max_element(binsPerElement);
      window.push_back(widest);
      // The last element's window reaches furthest.
      high.push_back((size - 1) * bins / size + widest - bins);
      masked.push_back(!llvm::all_equal(binsPerElement));
    }

    Value zero = createF32Constant(rewriter, loc, 0.0);
    Value scaled = divideByWindowCounts(rewriter, loc, grad, binSizes,
                                        /*perDimension=*/true);
    Value padded = padSpatial(rewriter, loc, scaled, low, high, zero);
    Value init = createFilled(rewriter, loc, inputType, grad, zero);

    // (n, c, i..., j...) -> (n, c, i * bins floordiv size + j).
    unsigned loops = 2 + 2 * spatial;
    SmallVector<AffineExpr> exprs{getAffineDimExpr(0, context),
                                  getAffineDimExpr(1, context)};
    for (int64_t d = 0; d < spatial; ++d)
      exprs.push_back(
          (getAffineDimExpr(2 + d, context) * gradType.getDimSize(d + 2))
              .floorDiv(inputType.getDimSize(d + 2)) +
          getAffineDimExpr(2 + spatial + d, context));

    Value result = buildWindowReduction(
        rewriter, loc, padded, AffineMap::get(loops, 0, exprs, context), window,
        init, [&](OpBuilder &b, Location l, Value element, Value accumulator) {
          // Keep bins o = first(i) + j that start at or before i.
          Value inBin;
          for (int64_t d = 0; d < spatial; ++d) {
            if (!masked[d])
              continue;
            int64_t size = inputType.getDimSize(d + 2);
            int64_t bins = gradType.getDimSize(d + 2);
            Value i = linalg::IndexOp::create(b, l, 2 + d);
            Value j = linalg::IndexOp::create(b, l, 2 + spatial + d);
            Value first = arith::DivUIOp::create(
                b, l,
                arith::MulIOp::create(b, l, i, createIndexConstant(b, l, bins)),
                createIndexConstant(b, l, size));
            Value o = arith::AddIOp::create(b, l, first, j);
            Value start = arith::DivUIOp::create(
                b, l,
                arith::MulIOp::create(b, l, o, createIndexConstant(b, l, size)),
                createIndexConstant(b, l, bins));
            Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ule,
                                                start, i);
            inBin = inBin ? arith::AndIOp::create(b, l, inBin, valid) : valid;
          }
          if (inBin)
            element = arith::SelectOp::create(b, l, inBin, element,
                                              createF32Constant(b, l, 0.0));
          return arith::AddFOp::create(b, l, accumulator, element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void mlir::netc::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<PoolOpLowering, AdaptiveAvgPoolOpLowering, PoolGradOpLowering,
               AdaptiveAvgPoolGradOpLowering>(patterns.getContext());
}
