//===- Linear.cpp - netc linear ops to linalg -----------------------------===//
//
// netc.linear becomes one linalg.matmul whose indexing maps read the
// (out, in) weight transposed, accumulating into the broadcast bias.
// netc.matmul (the linear gradients) is one linalg.matmul too, its
// transposes likewise in the maps.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

namespace {
struct LinearOpLowering : public OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = createBiasInit(rewriter, loc, resultType, adaptor.getInput(),
                                adaptor.getBias());

    // y[m, n] += x[m, k] * w[n, k]: the weight's transpose is in the map,
    // not materialised.
    AffineExpr m = getAffineDimExpr(0, context),
               n = getAffineDimExpr(1, context),
               k = getAffineDimExpr(2, context);
    SmallVector<AffineMap> maps{AffineMap::get(3, 0, {m, k}, context),
                                AffineMap::get(3, 0, {n, k}, context),
                                AffineMap::get(3, 0, {m, n}, context)};
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, resultType,
        ValueRange{adaptor.getInput(), adaptor.getWeight()}, init);
    matmul.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    rewriter.replaceOp(op, matmul->getResults());
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

namespace {
struct MatmulOpLowering : public OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto resultType = cast<RankedTensorType>(op.getType());
    bool transposeLhs = op.getTransposeLhs(),
         transposeRhs = op.getTransposeRhs();

    // The result's rows come from the lhs, its columns from the rhs; either
    // may be the dynamic batch (with transpose_lhs the batch is contracted
    // instead, and the result is static).
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, lhs, transposeLhs ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, rhs, transposeRhs ? 0 : 1));
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                resultType.getElementType(), dynamicSizes);
    Value init =
        linalg::FillOp::create(rewriter, loc,
                               createF32Constant(rewriter, loc, 0.0), empty)
            .getResult(0);

    // c[m, n] += a[m, k] * b[k, n], a and b read transposed as flagged.
    AffineExpr m = getAffineDimExpr(0, context),
               n = getAffineDimExpr(1, context),
               k = getAffineDimExpr(2, context);
    auto operandMap = [&](AffineExpr row, AffineExpr column, bool transpose) {
      return transpose ? AffineMap::get(3, 0, {column, row}, context)
                       : AffineMap::get(3, 0, {row, column}, context);
    };
    SmallVector<AffineMap> maps{operandMap(m, k, transposeLhs),
                                operandMap(k, n, transposeRhs),
                                AffineMap::get(3, 0, {m, n}, context)};
    auto matmul = linalg::MatmulOp::create(rewriter, loc, resultType,
                                           ValueRange{lhs, rhs}, init);
    matmul.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    rewriter.replaceOp(op, matmul->getResults());
    return success();
  }
};
} // namespace

void mlir::netc::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearOpLowering, MatmulOpLowering>(patterns.getContext());
}
