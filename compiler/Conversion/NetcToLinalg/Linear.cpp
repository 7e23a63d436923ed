//===- Linear.cpp - netc linear ops to linalg -----------------------------===//
//
// netc.linear becomes one linalg.matmul whose indexing maps read the
// (out, in) weight transposed, accumulating into the broadcast bias.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

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

void mlir::netc::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearOpLowering>(patterns.getContext());
}
