//===- Loss.cpp - netc loss ops and their gradients to linalg -------------===//
//
// The losses reduce to a 0-d tensor in f32; with reduction mean they divide
// by the element count read at run time (the batch is dynamic), with sum
// they keep the sum, as torch's `reduction=`. cross_entropy computes torch's
// stable log_softmax along the classes (the row maximum, then the log of the
// sum of exp(z - max)); its gradient and mse_loss_grad are one elementwise
// generic each.
//
// A label is never used as an address: each class index c is compared with
// it. A label outside [0, C) (torch raises an error) is clamped into range
// first, so the loss and its gradient still describe one and the same
// target.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::netc;

/// The log-sum-exp of each row of (N, C) `logits`, `max + log(sum(exp(z -
/// max)))` as torch's log_softmax computes it: log_softmax is then
/// `z - lse`, softmax `exp(z - lse)`.
static Value buildRowLogSumExp(OpBuilder &b, Location loc, Value logits) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(logits.getType());
  auto rowType = RankedTensorType::get({type.getDimSize(0)}, b.getF32Type());
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, context));

  Value max = buildGeneric(
      b, loc, logits, identity,
      createFilled(b, loc, rowType, logits,
                   createF32Infinity(b, loc, /*negative=*/true)),
      row, [](OpBuilder &nb, Location nl, ValueRange args) {
        return SmallVector<Value>{
            arith::MaximumFOp::create(nb, nl, args[0], args[1])};
      })[0];
  Value sum = buildGeneric(
      b, loc, ValueRange{logits, max}, {identity, row},
      createFilled(b, loc, rowType, logits, createF32Constant(b, loc, 0.0)),
      row, [](OpBuilder &nb, Location nl, ValueRange args) {
        Value shifted = arith::SubFOp::create(nb, nl, args[0], args[1]);
        return SmallVector<Value>{arith::AddFOp::create(
            nb, nl, args[2], math::ExpOp::create(nb, nl, shifted))};
      })[0];
  return buildElementwise(b, loc, ValueRange{max, sum},
                          [](OpBuilder &nb, Location nl, ValueRange args) {
                            return arith::AddFOp::create(
                                       nb, nl, args[0],
                                       math::LogOp::create(nb, nl, args[1]))
                                .getResult();
                          });
}

/// Whether the class index of the current (n, c) iteration is `label`,
/// clamped into [0, `numClasses`) (see the file comment).
static Value isLabelClass(OpBuilder &b, Location loc, Value label,
                          int64_t numClasses) {
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  Value last =
      arith::ConstantIntOp::create(b, loc, b.getI32Type(), numClasses - 1);
  Value clamped = arith::MinSIOp::create(
      b, loc, arith::MaxSIOp::create(b, loc, label, zero), last);
  Value c = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                       linalg::IndexOp::create(b, loc, 1));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, c, clamped);
}

/// A 0-d f32 tensor filled with zero: the init of a sum to a scalar.
static Value createZeroScalar(OpBuilder &b, Location loc) {
  return createFilled(b, loc, RankedTensorType::get({}, b.getF32Type()),
                      Value(), createF32Constant(b, loc, 0.0));
}

//===----------------------------------------------------------------------===//
// CrossEntropyOp
//===----------------------------------------------------------------------===//

namespace {
/// torch's CrossEntropyLoss with label smoothing s: the batch means (or
/// sums) of the negative log-likelihood, nll = -logp[label], and of smooth =
/// -sum_c logp[c], combined as (1 - s) * nll + (s / C) * smooth. Both sums
/// come from one reduction over (n, c); without smoothing only nll is
/// summed.
struct CrossEntropyOpLowering : public OpConversionPattern<CrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CrossEntropyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value logits = adaptor.getLogits(), labels = adaptor.getLabels();
    int64_t numClasses =
        cast<RankedTensorType>(logits.getType()).getDimSize(1);
    double smoothing = op.getLabelSmoothing().convertToDouble();
    bool smooth = smoothing != 0.0;
    bool mean = op.getReduction() == LossReduction::mean;

    Value lse = buildRowLogSumExp(rewriter, loc, logits);
    AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, context));
    SmallVector<Value> inits{createZeroScalar(rewriter, loc)};
    if (smooth)
      inits.push_back(createZeroScalar(rewriter, loc));
    SmallVector<Value> sums = buildGeneric(
        rewriter, loc, ValueRange{logits, labels, lse},
        {rewriter.getMultiDimIdentityMap(2), row, row}, inits,
        AffineMap::get(2, 0, {}, context),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value logp = arith::SubFOp::create(b, l, args[0], args[2]);
          Value nll = arith::SelectOp::create(
              b, l, isLabelClass(b, l, args[1], numClasses), logp,
              createF32Constant(b, l, 0.0));
          SmallVector<Value> updated{arith::SubFOp::create(b, l, args[3], nll)};
          if (smooth)
            updated.push_back(arith::SubFOp::create(b, l, args[4], logp));
          return updated;
        });

    Value batch =
        mean ? createCountF32(rewriter, loc, logits, {0}) : Value();
    auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
    Value loss = buildParallelGeneric(
        rewriter, loc, scalarType, Value(), sums,
        SmallVector<AffineMap>(sums.size(), AffineMap::get(context)),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          auto reduce = [&](Value sum) -> Value {
            return mean ? arith::DivFOp::create(b, l, sum, batch) : sum;
          };
          Value nll = reduce(args[0]);
          if (!smooth)
            return nll;
          Value smoothed = reduce(args[1]);
          return arith::AddFOp::create(
              b, l,
              arith::MulFOp::create(b, l,
                                    createF32Constant(b, l, 1.0 - smoothing),
                                    nll),
              arith::MulFOp::create(
                  b, l, smoothed,
                  createF32Constant(b, l, smoothing / numClasses)));
        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// CrossEntropyGradOp
//===----------------------------------------------------------------------===//

/// (softmax(z) - target) * (loss_grad / N), without the / N for reduction
/// sum, target = (1 - s) on the label plus s / C everywhere.
struct CrossEntropyGradOpLowering
    : public OpConversionPattern<CrossEntropyGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CrossEntropyGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value logits = adaptor.getLogits();
    auto type = cast<RankedTensorType>(logits.getType());
    int64_t numClasses = type.getDimSize(1);
    double smoothing = op.getLabelSmoothing().convertToDouble();
    bool mean = op.getReduction() == LossReduction::mean;

    Value lse = buildRowLogSumExp(rewriter, loc, logits);
    Value batch =
        mean ? createCountF32(rewriter, loc, logits, {0}) : Value();
    AffineMap row = AffineMap::get(2, 0, getAffineDimExpr(0, context));
    Value grad = buildParallelGeneric(
        rewriter, loc, type, logits,
        ValueRange{logits, adaptor.getLabels(), lse, adaptor.getLossGrad()},
        {rewriter.getMultiDimIdentityMap(2), row, row,
         AffineMap::get(2, 0, {}, context)},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value softmax = math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, args[0], args[2]));
          Value onLabel = createF32Constant(
              b, l, 1.0 - smoothing + smoothing / numClasses);
          Value offLabel = createF32Constant(b, l, smoothing / numClasses);
          Value target = arith::SelectOp::create(
              b, l, isLabelClass(b, l, args[1], numClasses), onLabel,
              offLabel);
          Value scale =
              mean ? arith::DivFOp::create(b, l, args[3], batch) : args[3];
          return arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, softmax, target), scale);
        });
    rewriter.replaceOp(op, grad);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MseLossOp
//===----------------------------------------------------------------------===//

/// sum((x - t)^2), divided by numel for reduction mean.
struct MseLossOpLowering : public OpConversionPattern<MseLossOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MseLossOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value sum = buildGeneric(
        rewriter, loc, ValueRange{input, adaptor.getTarget()},
        {identity, identity}, createZeroScalar(rewriter, loc),
        AffineMap::get(rank, 0, {}, context),
        [](OpBuilder &b, Location l, ValueRange args) {
          Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
          return SmallVector<Value>{arith::AddFOp::create(
              b, l, args[2], arith::MulFOp::create(b, l, diff, diff))};
        })[0];
    if (op.getReduction() == LossReduction::sum) {
      rewriter.replaceOp(op, sum);
      return success();
    }

    Value count = createCountF32(rewriter, loc, input,
                                 llvm::to_vector(llvm::seq<int64_t>(0, rank)));
    Value loss = buildElementwise(
        rewriter, loc, sum,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::DivFOp::create(b, l, args[0], count);
        });
    rewriter.replaceOp(op, loss);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MseLossGradOp
//===----------------------------------------------------------------------===//

/// norm * (x - t) * loss_grad in torch's order, norm = 2 / numel for
/// reduction mean and 2 for sum.
struct MseLossGradOpLowering : public OpConversionPattern<MseLossGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MseLossGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    Value norm;
    if (op.getReduction() == LossReduction::mean) {
      Value count = createCountF32(
          rewriter, loc, input, llvm::to_vector(llvm::seq<int64_t>(0, rank)));
      norm = arith::DivFOp::create(
          rewriter, loc, createF32Constant(rewriter, loc, 2.0), count);
    } else {
      norm = createF32Constant(rewriter, loc, 2.0);
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value grad = buildParallelGeneric(
        rewriter, loc, type, input,
        ValueRange{input, adaptor.getTarget(), adaptor.getLossGrad()},
        {identity, identity, AffineMap::get(rank, 0, {}, rewriter.getContext())},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value diff = arith::SubFOp::create(b, l, args[0], args[1]);
          return arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, norm, diff), args[2]);
        });
    rewriter.replaceOp(op, grad);
    return success();
  }
};
} // namespace

void mlir::netc::populateLossPatterns(RewritePatternSet &patterns) {
  patterns.add<CrossEntropyOpLowering, CrossEntropyGradOpLowering,
               MseLossOpLowering, MseLossGradOpLowering>(
      patterns.getContext());
}
