//===- Optimizer.cpp - netc optimizer updates to linalg -------------------===//
//
// Each update is one elementwise linalg.generic with a result per updated
// tensor. The hyper-parameters are runtime f32 scalars captured in the body,
// and torch's branches (weight decay, momentum, nesterov, the first step,
// decoupled decay) become selects on them, so one compiled step serves every
// setting. The arithmetic follows torch's single-tensor code operation by
// operation, so the results agree with torch.optim to the rounding of each
// operation.
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

/// Whether the f32 `flag` is set (nonzero).
static Value isSet(OpBuilder &b, Location loc, Value flag) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, flag,
                               createF32Constant(b, loc, 0.0));
}

/// `a + alpha * x`: torch's `a.add(x, alpha=alpha)`.
static Value addScaled(OpBuilder &b, Location loc, Value a, Value alpha,
                       Value x) {
  return arith::AddFOp::create(b, loc, a,
                               arith::MulFOp::create(b, loc, alpha, x));
}

/// `1 - x`.
static Value oneMinus(OpBuilder &b, Location loc, Value x) {
  return arith::SubFOp::create(b, loc, createF32Constant(b, loc, 1.0), x);
}

/// A generic over same-typed `tensors`, read elementwise, with `numResults`
/// results of their type. It runs on the tensors flattened to one dimension:
/// an update is elementwise, and one long row vectorizes and threads where a
/// filter's 5-wide rows would not.
static SmallVector<Value> buildUpdate(OpBuilder &b, Location loc,
                                      ValueRange tensors, unsigned numResults,
                                      MultiBodyBuilder body) {
  auto type = cast<RankedTensorType>(tensors.front().getType());
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.front().push_back(d);
  bool flatten = type.getRank() > 1 && type.hasStaticShape();
  SmallVector<Value> flat;
  for (Value t : tensors)
    flat.push_back(
        flatten ? tensor::CollapseShapeOp::create(b, loc, t, all).getResult()
                : t);
  auto flatType = cast<RankedTensorType>(flat.front().getType());
  AffineMap identity = b.getMultiDimIdentityMap(flatType.getRank());
  Value empty = createEmpty(b, loc, flatType, flat.front());
  SmallVector<Value> results =
      buildGeneric(b, loc, flat, SmallVector<AffineMap>(flat.size(), identity),
                   SmallVector<Value>(numResults, empty), identity, body);
  if (flatten)
    for (Value &r : results)
      r = tensor::ExpandShapeOp::create(b, loc, type, r, all);
  return results;
}

namespace {
//===----------------------------------------------------------------------===//
// SgdUpdateOp
//===----------------------------------------------------------------------===//

/// torch.optim.SGD's `_single_tensor_sgd`:
///   d_p = grad + weight_decay * p              (weight_decay != 0)
///   buf = first_step ? d_p : momentum * buf + (1 - dampening) * d_p
///   d_p = nesterov ? d_p + momentum * buf : buf  (both momentum != 0)
///   p = p - lr * d_p
/// Without momentum torch keeps no buffer: it passes through unchanged.
struct SgdUpdateOpLowering : public OpConversionPattern<SgdUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SgdUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lr = adaptor.getLr(), momentum = adaptor.getMomentum();
    Value weightDecay = adaptor.getWeightDecay();
    // Scalar conditions and coefficients, computed once outside the loop.
    Value hasDecay = isSet(rewriter, loc, weightDecay);
    Value hasMomentum = isSet(rewriter, loc, momentum);
    Value nesterov = isSet(rewriter, loc, adaptor.getNesterov());
    Value firstStep = isSet(rewriter, loc, adaptor.getFirstStep());
    Value undamped = oneMinus(rewriter, loc, adaptor.getDampening());

    SmallVector<Value> results = buildUpdate(
        rewriter, loc,
        ValueRange{adaptor.getParam(), adaptor.getGrad(),
                   adaptor.getMomentumBuffer()},
        2, [&](OpBuilder &b, Location l, ValueRange args) {
          Value param = args[0], grad = args[1], buf = args[2];
          Value dp = arith::SelectOp::create(
              b, l, hasDecay, addScaled(b, l, grad, weightDecay, param), grad);
          Value decayed = addScaled(
              b, l, arith::MulFOp::create(b, l, buf, momentum), undamped, dp);
          Value newBuf = arith::SelectOp::create(
              b, l, hasMomentum,
              arith::SelectOp::create(b, l, firstStep, dp, decayed), buf);
          Value step = arith::SelectOp::create(
              b, l, nesterov, addScaled(b, l, dp, momentum, newBuf), newBuf);
          step = arith::SelectOp::create(b, l, hasMomentum, step, dp);
          Value newParam = arith::SubFOp::create(
              b, l, param, arith::MulFOp::create(b, l, lr, step));
          return SmallVector<Value>{newParam, newBuf};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// AdamUpdateOp
//===----------------------------------------------------------------------===//

/// torch.optim.Adam's `_single_tensor_adam` (decoupled = 0) and AdamW's
/// (decoupled = 1):
///   grad = grad + weight_decay * p         (Adam, weight_decay != 0)
///   p = p * (1 - lr * weight_decay)        (AdamW)
///   m = m * beta1 + (1 - beta1) * grad
///   v = v * beta2 + (1 - beta2) * grad * grad
///   denom = sqrt(v) / sqrt(bias_correction2) + eps
///   p = p - (lr / bias_correction1) * m / denom
struct AdamUpdateOpLowering : public OpConversionPattern<AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value beta1 = adaptor.getBeta1(), beta2 = adaptor.getBeta2();
    Value eps = adaptor.getEps(), weightDecay = adaptor.getWeightDecay();
    // Scalar conditions and coefficients, computed once outside the loop.
    Value decoupled = isSet(rewriter, loc, adaptor.getDecoupled());
    Value hasDecay = isSet(rewriter, loc, weightDecay);
    Value paramDecay = oneMinus(
        rewriter, loc,
        arith::MulFOp::create(rewriter, loc, adaptor.getLr(), weightDecay));
    Value avgWeight = oneMinus(rewriter, loc, beta1);
    Value sqWeight = oneMinus(rewriter, loc, beta2);
    Value correction2Sqrt =
        math::SqrtOp::create(rewriter, loc, adaptor.getBiasCorrection2());
    Value stepSize = arith::DivFOp::create(rewriter, loc, adaptor.getLr(),
                                           adaptor.getBiasCorrection1());

    SmallVector<Value> results = buildUpdate(
        rewriter, loc,
        ValueRange{adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
                   adaptor.getExpAvgSq()},
        3, [&](OpBuilder &b, Location l, ValueRange args) {
          Value param = args[0], grad = args[1], avg = args[2],
                avgSq = args[3];
          Value decayedGrad = arith::SelectOp::create(
              b, l, hasDecay, addScaled(b, l, grad, weightDecay, param), grad);
          grad = arith::SelectOp::create(b, l, decoupled, grad, decayedGrad);
          param = arith::SelectOp::create(
              b, l, decoupled, arith::MulFOp::create(b, l, param, paramDecay),
              param);
          Value newAvg = addScaled(b, l, arith::MulFOp::create(b, l, avg, beta1),
                                   avgWeight, grad);
          Value newAvgSq = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, avgSq, beta2),
              arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, sqWeight, grad), grad));
          Value denom = arith::AddFOp::create(
              b, l,
              arith::DivFOp::create(b, l, math::SqrtOp::create(b, l, newAvgSq),
                                    correction2Sqrt),
              eps);
          Value newParam = arith::SubFOp::create(
              b, l, param,
              arith::DivFOp::create(
                  b, l, arith::MulFOp::create(b, l, stepSize, newAvg), denom));
          return SmallVector<Value>{newParam, newAvg, newAvgSq};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void mlir::netc::populateOptimizerPatterns(RewritePatternSet &patterns) {
  patterns.add<SgdUpdateOpLowering, AdamUpdateOpLowering>(
      patterns.getContext());
}
