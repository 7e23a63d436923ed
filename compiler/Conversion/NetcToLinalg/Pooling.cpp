//===- Pooling.cpp - netc pooling ops to linalg ---------------------------===//
//
// netc.pool pads the input with its reduction's identity (-inf for max, +inf
// for min, 0 for avg), adding the high padding ceil_mode needs for its last
// partial window, then reduces each window: the NCHW/NCW named pooling op
// where MLIR has one (max and sum in 1-d and 2-d), a shared window-reduction
// generic otherwise (min, 3-d). avg divides the sums by torch's per-position
// divisor. netc.adaptive_avg_pool reduces over the largest bin with a mask.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"
#include "netc/Dialect/ShapeRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// PoolOp
//===----------------------------------------------------------------------===//

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
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t spatial = resultType.getRank() - 2;
    PoolKind kind = op.getKind();
    ArrayRef<int64_t> kernel = op.getKernelSize(), stride = op.getStride(),
                      padding = op.getPadding(), dilation = op.getDilation();

    // The high side gets, beyond the padding, whatever the last (ceil_mode)
    // window reaches past the padded input.
    SmallVector<int64_t> high;
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t in = inputType.getDimSize(d + 2);
      int64_t reach = (resultType.getDimSize(d + 2) - 1) * stride[d] +
                      dilation[d] * (kernel[d] - 1) + 1;
      high.push_back(padding[d] +
                     std::max<int64_t>(0, reach - (in + 2 * padding[d])));
    }
    Value identity =
        kind == PoolKind::avg
            ? createF32Constant(rewriter, loc, 0.0)
            : createF32Infinity(rewriter, loc, kind == PoolKind::max);
    Value padded = padSpatial(rewriter, loc, input, padding, high, identity);
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
    else {
      // (n, c, o..., k...) -> (n, c, o * stride + k * dilation).
      unsigned loops = 2 + 2 * spatial;
      SmallVector<AffineExpr> exprs{getAffineDimExpr(0, context),
                                    getAffineDimExpr(1, context)};
      for (int64_t d = 0; d < spatial; ++d)
        exprs.push_back(getAffineDimExpr(2 + d, context) * stride[d] +
                        getAffineDimExpr(2 + spatial + d, context) *
                            dilation[d]);
      reduced = buildWindowReduction(
          rewriter, loc, padded, AffineMap::get(loops, 0, exprs, context),
          kernel, init,
          [&](OpBuilder &b, Location l, Value element, Value accumulator) {
            return combinePool(b, l, kind, element, accumulator);
          });
    }

    if (kind == PoolKind::avg) {
      SmallVector<SmallVector<int64_t>> counts(spatial);
      for (int64_t d = 0; d < spatial; ++d)
        for (int64_t o = 0, e = resultType.getDimSize(d + 2); o < e; ++o)
          counts[d].push_back(avgPoolCount(o, inputType.getDimSize(d + 2),
                                           kernel[d], stride[d], padding[d],
                                           op.getCountIncludePad()));
      reduced = divideByWindowCounts(rewriter, loc, reduced, counts,
                                     /*perDimension=*/false);
    }
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

void mlir::netc::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<PoolOpLowering, AdaptiveAvgPoolOpLowering>(
      patterns.getContext());
}
