//===- Normalization.cpp - netc normalization ops to linalg ---------------===//
//
// netc.batch_norm folds its running statistics and affine parameters into a
// per-channel scale and shift, as torch's CPU kernel does, then applies
// x * scale + shift elementwise. netc.dropout is the identity at inference.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

namespace {
struct BatchNormOpLowering : public OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    Value weight = adaptor.getWeight(), bias = adaptor.getBias();

    // scale = w / sqrt(var + eps), shift = b - mean * scale, per channel.
    SmallVector<Value> stats{adaptor.getRunningMean(), adaptor.getRunningVar()};
    if (weight)
      stats.push_back(weight);
    if (bias)
      stats.push_back(bias);
    auto channelType =
        RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
    Value empty = tensor::EmptyOp::create(rewriter, loc, channelType.getShape(),
                                          channelType.getElementType());
    SmallVector<AffineMap> maps(stats.size() + 2,
                                rewriter.getMultiDimIdentityMap(1));
    double eps = op.getEps().convertToDouble();
    auto folded = linalg::GenericOp::create(
        rewriter, loc, TypeRange{channelType, channelType}, stats,
        ValueRange{empty, empty}, maps, {utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = args[0], var = args[1];
          Value invStd = arith::DivFOp::create(
              b, l, createF32Constant(b, l, 1.0),
              math::SqrtOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, var,
                                        createF32Constant(b, l, eps))));
          Value scale =
              weight ? arith::MulFOp::create(b, l, invStd, args[2]) : invStd;
          Value meanScale = arith::MulFOp::create(b, l, mean, scale);
          Value shift =
              bias
                  ? arith::SubFOp::create(b, l, args[weight ? 3 : 2], meanScale)
                  : arith::NegFOp::create(b, l, meanScale).getResult();
          linalg::YieldOp::create(b, l, ValueRange{scale, shift});
        });

    AffineMap channel = getChannelMap(type.getRank(), rewriter.getContext());
    Value result = buildParallelGeneric(
        rewriter, loc, type, input,
        ValueRange{input, folded.getResult(0), folded.getResult(1)},
        {rewriter.getMultiDimIdentityMap(type.getRank()), channel, channel},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, args[0], args[1]), args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// DropoutOp
//===----------------------------------------------------------------------===//

struct DropoutOpLowering : public OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Compiled models run inference only.
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};
} // namespace

void mlir::netc::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormOpLowering, DropoutOpLowering>(patterns.getContext());
}
