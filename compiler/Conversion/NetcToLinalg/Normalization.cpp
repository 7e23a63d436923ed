//===- Normalization.cpp - netc normalization ops to linalg ---------------===//
//
// Batch normalization, as torch's CPU kernel computes it: the statistics and
// affine parameters fold into a per-channel scale = invstd * w and
// shift = b - mean * scale, then y = x * scale + shift elementwise, both
// fused multiply-adds. At inference the statistics are the running ones; in
// training they are the batch's, reduced over every dimension but the
// channel in two passes (the mean, then the sum of squared deviations from
// it), each accumulated in f64 as torch's kernel does, and the running
// statistics are updated from them. netc.dropout is the identity at
// inference; netc.dropout_train draws its mask from a counter-based hash.
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

/// The (C) type of the per-channel tensors of an (N, C, ...) tensor.
static RankedTensorType getChannelType(Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  return RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
}

/// The dimensions batch normalization reduces: all but the channel.
static SmallVector<int64_t> getNonChannelDims(Value input) {
  auto rank = cast<RankedTensorType>(input.getType()).getRank();
  SmallVector<int64_t> dims{0};
  llvm::append_range(dims, llvm::seq<int64_t>(2, rank));
  return dims;
}

/// `value` (f32) widened to f64.
static Value extendToF64(OpBuilder &b, Location loc, Value value) {
  return arith::ExtFOp::create(b, loc, b.getF64Type(), value);
}

/// `value` (f64) rounded to f32.
static Value truncateToF32(OpBuilder &b, Location loc, Value value) {
  return arith::TruncFOp::create(b, loc, b.getF32Type(), value);
}

/// Per-channel f64 sums of the f32 terms `termsOf` makes from the elements
/// of (N, C, ...) `inputs`, read elementwise, and of per-channel
/// `channelInputs`: one (C) f64 tensor per term. torch's CPU kernels
/// accumulate these reductions in f64 (acc_type<float> is double); an f32
/// accumulator over a batch's thousands of elements per channel drifts from
/// theirs by many ulps, more than the rest of the step's rounding.
static SmallVector<Value> buildChannelSums(OpBuilder &b, Location loc,
                                           ValueRange inputs,
                                           ValueRange channelInputs,
                                           unsigned numSums,
                                           MultiBodyBuilder termsOf) {
  unsigned rank = cast<RankedTensorType>(inputs.front().getType()).getRank();
  AffineMap channel = getChannelMap(rank, b.getContext());
  SmallVector<Value> operands(inputs);
  llvm::append_range(operands, channelInputs);
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  maps.append(channelInputs.size(), channel);
  auto sumType = getChannelType(inputs.front()).clone(b.getF64Type());
  Value zeros =
      createFilled(b, loc, sumType, Value(),
                   arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0)));
  return buildGeneric(
      b, loc, operands, maps, SmallVector<Value>(numSums, zeros), channel,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        SmallVector<Value> sums;
        for (auto [term, sum] :
             llvm::zip_equal(termsOf(nb, l, args.drop_back(numSums)),
                             args.take_back(numSums)))
          sums.push_back(
              arith::AddFOp::create(nb, l, sum, extendToF64(nb, l, term)));
        return sums;
      });
}

/// An all-parallel linalg.generic over per-channel `inputs` (any element
/// type) with `numResults` f32 (C) results, the elements `body` returns.
static SmallVector<Value> buildPerChannel(OpBuilder &b, Location loc,
                                          ValueRange inputs,
                                          unsigned numResults,
                                          MultiBodyBuilder body) {
  auto type =
      cast<RankedTensorType>(inputs.front().getType()).clone(b.getF32Type());
  Value empty = createEmpty(b, loc, type, Value());
  return buildGeneric(
      b, loc, inputs,
      SmallVector<AffineMap>(inputs.size(), b.getMultiDimIdentityMap(1)),
      SmallVector<Value>(numResults, empty), b.getMultiDimIdentityMap(1), body);
}

/// y = x * scale + shift with scale = invstd * w and shift = b - mean *
/// scale per channel (w and b optional), as torch's CPU kernel applies batch
/// normalization: its build contracts both multiply-adds into FMAs, so they
/// are math.fma here. `invStdOf` gives the invstd from the element of
/// `stat`.
static Value
applyBatchNorm(OpBuilder &b, Location loc, Value input, Value mean, Value stat,
               Value weight, Value bias,
               function_ref<Value(OpBuilder &, Location, Value)> invStdOf) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<Value> stats{mean, stat};
  if (weight)
    stats.push_back(weight);
  if (bias)
    stats.push_back(bias);
  SmallVector<Value> folded = buildPerChannel(
      b, loc, stats, 2, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value invStd = invStdOf(nb, l, args[1]);
        Value scale =
            weight ? arith::MulFOp::create(nb, l, invStd, args[2]) : invStd;
        Value negMean = arith::NegFOp::create(nb, l, args[0]);
        Value shift =
            bias ? math::FmaOp::create(nb, l, negMean, scale,
                                       args[weight ? 3 : 2])
                       .getResult()
                 : arith::MulFOp::create(nb, l, negMean, scale).getResult();
        return SmallVector<Value>{scale, shift};
      });

  AffineMap channel = getChannelMap(type.getRank(), b.getContext());
  return buildParallelGeneric(
      b, loc, type, input, ValueRange{input, folded[0], folded[1]},
      {b.getMultiDimIdentityMap(type.getRank()), channel, channel},
      [](OpBuilder &nb, Location l, ValueRange args) -> Value {
        return math::FmaOp::create(nb, l, args[0], args[1], args[2]);
      });
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

namespace {
/// Normalizes with the running statistics: invstd = 1 / sqrt(var + eps).
struct BatchNormOpLowering : public OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    double eps = op.getEps().convertToDouble();
    Value result = applyBatchNorm(
        rewriter, op.getLoc(), adaptor.getInput(), adaptor.getRunningMean(),
        adaptor.getRunningVar(), adaptor.getWeight(), adaptor.getBias(),
        [&](OpBuilder &b, Location l, Value var) -> Value {
          return arith::DivFOp::create(
              b, l, createF32Constant(b, l, 1.0),
              math::SqrtOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, var,
                                        createF32Constant(b, l, eps))));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// BatchNormTrainOp
//===----------------------------------------------------------------------===//

/// Normalizes with the batch statistics over n = N * spatial elements per
/// channel, in the precisions of torch's CPU kernel: mean = sum(x) / n and
/// the sum of squares s = sum((x - mean)^2) accumulate in f64 (the terms in
/// f32) and are stored as f32; invstd = 1 / sqrt(s / n + eps) in f64. The
/// running statistics become m * mean + (1 - m) * running_mean and
/// m * s / (n - 1) + (1 - m) * running_var in f32 (torch's order; n = 1
/// divides by zero, where torch raises an error).
struct BatchNormTrainOpLowering : public OpConversionPattern<BatchNormTrainOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormTrainOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    Value count =
        createCountF32(rewriter, loc, input, getNonChannelDims(input));
    Value count64 = extendToF64(rewriter, loc, count);

    Value sum = buildChannelSums(rewriter, loc, input, {}, 1,
                                 [](OpBuilder &, Location, ValueRange args) {
                                   return SmallVector<Value>{args[0]};
                                 })[0];
    Value mean = buildPerChannel(
        rewriter, loc, sum, 1, [&](OpBuilder &b, Location l, ValueRange args) {
          return SmallVector<Value>{truncateToF32(
              b, l, arith::DivFOp::create(b, l, args[0], count64))};
        })[0];
    Value squares =
        buildChannelSums(rewriter, loc, input, mean, 1,
                         [](OpBuilder &b, Location l, ValueRange args) {
                           Value centered =
                               arith::SubFOp::create(b, l, args[0], args[1]);
                           return SmallVector<Value>{
                               arith::MulFOp::create(b, l, centered, centered)};
                         })[0];

    // invstd and the running statistics, per channel.
    double eps = op.getEps().convertToDouble();
    double momentum = op.getMomentum().convertToDouble();
    SmallVector<Value> stats = buildPerChannel(
        rewriter, loc,
        ValueRange{mean, squares, adaptor.getRunningMean(),
                   adaptor.getRunningVar()},
        3, [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = args[0], squares = truncateToF32(b, l, args[1]);
          Value var =
              arith::DivFOp::create(b, l, extendToF64(b, l, squares), count64);
          Value invStd = arith::DivFOp::create(
              b, l, arith::ConstantOp::create(b, l, b.getF64FloatAttr(1.0)),
              math::SqrtOp::create(
                  b, l,
                  arith::AddFOp::create(b, l, var,
                                        arith::ConstantOp::create(
                                            b, l, b.getF64FloatAttr(eps)))));
          Value unbiased = arith::DivFOp::create(
              b, l, squares,
              arith::SubFOp::create(b, l, count, createF32Constant(b, l, 1.0)));
          Value m = createF32Constant(b, l, momentum);
          Value keep = createF32Constant(b, l, 1.0 - momentum);
          auto update = [&](Value batchStat, Value running) -> Value {
            return arith::AddFOp::create(
                b, l, arith::MulFOp::create(b, l, m, batchStat),
                arith::MulFOp::create(b, l, keep, running));
          };
          return SmallVector<Value>{truncateToF32(b, l, invStd),
                                    update(mean, args[2]),
                                    update(unbiased, args[3])};
        });

    Value result = applyBatchNorm(
        rewriter, loc, input, mean, stats[0], adaptor.getWeight(),
        adaptor.getBias(),
        [](OpBuilder &, Location, Value invStd) { return invStd; });
    rewriter.replaceOp(op, {result, stats[1], stats[2], mean, stats[0]});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// BatchNormGradOp
//===----------------------------------------------------------------------===//

/// torch's CPU backward in training mode, per channel over n elements:
/// sum = sum(dy), dotp = sum((x - mean) * dy) (one reduction, in f64 with
/// f32 terms), then dx = ((dy - sum / n - (x - mean) * k) * invstd) * w with
/// k = dotp * invstd * invstd / n in f32; dw = dotp * invstd, db = sum. This
/// is w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat the
/// normalized input.
struct BatchNormGradOpLowering : public OpConversionPattern<BatchNormGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BatchNormGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), resultGrad = adaptor.getResultGrad();
    Value mean = adaptor.getBatchMean(), invStd = adaptor.getBatchInvstd();
    Value weight = adaptor.getWeight();
    Value count =
        createCountF32(rewriter, loc, input, getNonChannelDims(input));
    Value count64 = extendToF64(rewriter, loc, count);

    SmallVector<Value> sums = buildChannelSums(
        rewriter, loc, ValueRange{input, resultGrad}, mean, 2,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], dy = args[1], mean = args[2];
          Value centered = arith::SubFOp::create(b, l, x, mean);
          return SmallVector<Value>{dy,
                                    arith::MulFOp::create(b, l, centered, dy)};
        });

    // Per channel: k, the mean of dy, dw and db.
    SmallVector<Value> terms = buildPerChannel(
        rewriter, loc, ValueRange{sums[1], sums[0], invStd}, 4,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value dotp = args[0], sum = args[1], invStd = args[2];
          Value k = arith::DivFOp::create(
              b, l,
              arith::MulFOp::create(
                  b, l,
                  arith::MulFOp::create(b, l, truncateToF32(b, l, dotp),
                                        invStd),
                  invStd),
              count);
          Value gradMean =
              truncateToF32(b, l, arith::DivFOp::create(b, l, sum, count64));
          Value weightGrad = truncateToF32(
              b, l,
              arith::MulFOp::create(b, l, dotp, extendToF64(b, l, invStd)));
          return SmallVector<Value>{k, gradMean, weightGrad,
                                    truncateToF32(b, l, sum)};
        });

    auto type = cast<RankedTensorType>(input.getType());
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    AffineMap channel = getChannelMap(type.getRank(), rewriter.getContext());
    SmallVector<Value> operands{input,    resultGrad, mean,
                                terms[0], terms[1],   invStd};
    if (weight)
      operands.push_back(weight);
    SmallVector<AffineMap> maps{identity, identity};
    maps.append(operands.size() - 2, channel);
    Value inputGrad = buildParallelGeneric(
        rewriter, loc, type, input, operands, maps,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0], dy = args[1], mean = args[2], k = args[3],
                gradMean = args[4], invStd = args[5];
          Value projection = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, x, mean), k);
          Value centeredGrad = arith::SubFOp::create(
              b, l, arith::SubFOp::create(b, l, dy, gradMean), projection);
          Value grad = arith::MulFOp::create(b, l, centeredGrad, invStd);
          return weight ? arith::MulFOp::create(b, l, grad, args[6]) : grad;
        });
    rewriter.replaceOp(op, {inputGrad, terms[2], terms[3]});
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
    // The inference form; training graphs use netc.dropout_train.
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// DropoutTrainOp
//===----------------------------------------------------------------------===//

/// The splitmix64 finalizer (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", 2014) on i64 `z`: a bijection whose
/// every output bit depends on every input bit.
static Value buildSplitMix64(OpBuilder &b, Location loc, Value z) {
  auto constant = [&](uint64_t value) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(),
                                        static_cast<int64_t>(value));
  };
  auto xorShift = [&](Value v, uint64_t shift) -> Value {
    return arith::XOrIOp::create(
        b, loc, v, arith::ShRUIOp::create(b, loc, v, constant(shift)));
  };
  z = arith::MulIOp::create(b, loc, xorShift(z, 30),
                            constant(0xBF58476D1CE4E5B9ULL));
  z = arith::MulIOp::create(b, loc, xorShift(z, 27),
                            constant(0x94D049BB133111EBULL));
  return xorShift(z, 31);
}

namespace {
/// The mask is counter-based: element i of stream s under seed k draws
/// bits = splitmix64(key + i * 0x9E3779B97F4A7C15) with
/// key = splitmix64(k ^ splitmix64(s)), the splitmix64 generator's i-th
/// output from state key; i is the row-major linear index of the element.
/// Its top 24 bits make a uniform u in [0, 1), exact in f32, and the
/// element is kept iff u >= p: probability 1 - p to within 2^-24. So a mask
/// depends on nothing but (seed, stream, index), not on the batch size nor
/// on the order the loops run in.
struct DropoutTrainOpLowering : public OpConversionPattern<DropoutTrainOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DropoutTrainOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    double p = op.getP().convertToDouble();
    if (p == 0.0) {
      // Every element kept, unscaled.
      rewriter.replaceOp(
          op, {input, createFilled(rewriter, loc, type, input,
                                   createF32Constant(rewriter, loc, 1.0))});
      return success();
    }

    Type i64 = rewriter.getI64Type();
    Value stream = buildSplitMix64(
        rewriter, loc,
        arith::ConstantIntOp::create(rewriter, loc, i64, op.getStream()));
    Value key = buildSplitMix64(
        rewriter, loc,
        arith::XOrIOp::create(rewriter, loc, adaptor.getSeed(), stream));
    Value empty = createEmpty(rewriter, loc, type, input);
    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<Value> results = buildGeneric(
        rewriter, loc, input, identity, ValueRange{empty, empty}, identity,
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Row-major linear index; only the batch extent is dynamic, and
          // it is not needed.
          Value linear = linalg::IndexOp::create(b, l, 0);
          for (int64_t d = 1; d < type.getRank(); ++d)
            linear = arith::AddIOp::create(
                b, l,
                arith::MulIOp::create(
                    b, l, linear,
                    createIndexConstant(b, l, type.getDimSize(d))),
                linalg::IndexOp::create(b, l, d));
          Value counter = arith::IndexCastUIOp::create(b, l, i64, linear);
          Value golden = arith::ConstantIntOp::create(
              b, l, i64, static_cast<int64_t>(0x9E3779B97F4A7C15ULL));
          Value bits = buildSplitMix64(
              b, l,
              arith::AddIOp::create(
                  b, l, key, arith::MulIOp::create(b, l, counter, golden)));
          Value top = arith::ShRUIOp::create(
              b, l, bits, arith::ConstantIntOp::create(b, l, i64, 40));
          Value uniform = arith::MulFOp::create(
              b, l, arith::UIToFPOp::create(b, l, b.getF32Type(), top),
              createF32Constant(b, l, 0x1p-24));
          Value keep =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, uniform,
                                    createF32Constant(b, l, p));
          Value mask = arith::SelectOp::create(
              b, l, keep, createF32Constant(b, l, 1.0 / (1.0 - p)),
              createF32Constant(b, l, 0.0));
          return SmallVector<Value>{arith::MulFOp::create(b, l, args[0], mask),
                                    mask};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void mlir::netc::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns
      .add<BatchNormOpLowering, BatchNormTrainOpLowering,
           BatchNormGradOpLowering, DropoutOpLowering, DropoutTrainOpLowering>(
          patterns.getContext());
}
