//===- Shape.cpp - netc shape ops to linalg -------------------------------===//
//
// flatten and reshape are tensor.collapse_shape/expand_shape (no data moves);
// concat copies each input into its slice of the result; the residual add is
// linalg.add, the elementwise product (dropout's gradient) linalg.mul.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <numeric>

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// FlattenOp
//===----------------------------------------------------------------------===//

namespace {
struct FlattenOpLowering : public OpConversionPattern<FlattenOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(FlattenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // I64Attr getters return uint64_t; the bounds may be negative.
    int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
    auto start = static_cast<int64_t>(op.getStartDim());
    auto end = static_cast<int64_t>(op.getEndDim());
    if (start < 0)
      start += rank;
    if (end < 0)
      end += rank;
    if (start == end) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < rank; ++d) {
      if (d > start && d <= end)
        groups.back().push_back(d);
      else
        groups.push_back({d});
    }
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), adaptor.getInput(), groups);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

/// Groups dimension 0 alone and all the others together: the reassociation
/// between (N, ...) and (N, elements per sample).
static SmallVector<ReassociationIndices> batchAndSample(int64_t rank) {
  ReassociationIndices sample(rank - 1);
  std::iota(sample.begin(), sample.end(), 1);
  return {{0}, sample};
}

struct ReshapeOpLowering : public OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Through (N, elements per sample): collapse, then expand; either step
    // is skipped when that side is already rank 2.
    Location loc = op.getLoc();
    Value value = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(value.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (inputType == resultType) {
      rewriter.replaceOp(op, value);
      return success();
    }
    if (inputType.getRank() > 2)
      value = tensor::CollapseShapeOp::create(
          rewriter, loc, value, batchAndSample(inputType.getRank()));
    if (resultType.getRank() > 2)
      value =
          tensor::ExpandShapeOp::create(rewriter, loc, resultType, value,
                                        batchAndSample(resultType.getRank()));
    rewriter.replaceOp(op, value);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

struct ConcatOpLowering : public OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getInputs().size() == 1) {
      rewriter.replaceOp(op, adaptor.getInputs().front());
      return success();
    }
    // Each input is copied into its slice of the result (insertIntoSlice),
    // which bufferizes in place, unlike tensor.concat.
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value result =
        createEmpty(rewriter, loc, type, adaptor.getInputs().front());
    SmallVector<int64_t> offsets(type.getRank(), 0);
    for (Value input : adaptor.getInputs()) {
      result = insertIntoSlice(rewriter, loc, input, result, offsets);
      offsets[op.getDim()] +=
          cast<RankedTensorType>(input.getType()).getDimSize(op.getDim());
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// AddOp, MulOp
//===----------------------------------------------------------------------===//

/// An elementwise netc op on two same-shaped tensors as the linalg named op
/// `LinalgOp`.
template <typename OpTy, typename LinalgOp>
struct BinaryLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = createEmpty(rewriter, op.getLoc(), type, adaptor.getLhs());
    auto result =
        LinalgOp::create(rewriter, op.getLoc(), type,
                         ValueRange{adaptor.getLhs(), adaptor.getRhs()}, init);
    rewriter.replaceOp(op, result->getResults());
    return success();
  }
};
} // namespace

void mlir::netc::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<FlattenOpLowering, ReshapeOpLowering, ConcatOpLowering,
               BinaryLowering<AddOp, linalg::AddOp>,
               BinaryLowering<MulOp, linalg::MulOp>>(patterns.getContext());
}
