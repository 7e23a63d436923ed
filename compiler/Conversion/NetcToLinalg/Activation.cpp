//===- Activation.cpp - netc activation ops to linalg ---------------------===//
//
// The elementwise activations become one elementwise linalg.generic each,
// built from their scalar formula. softmax and log_softmax reduce along
// their dimension twice (the maximum, then the sum of exp(x - max)) and
// finish with an elementwise generic, as torch computes them stably.
//
// Their gradients use torch's backward formulas: activation_grad is one
// elementwise generic; softmax_grad reduces along the dimension once and
// finishes elementwise.
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

//===----------------------------------------------------------------------===//
// ReluOp, LeakyReluOp, SigmoidOp, TanhOp
//===----------------------------------------------------------------------===//

namespace {
/// Lowers a one-input elementwise op through `scalar`, its formula on one
/// element.
template <typename OpTy>
struct ElementwiseLowering : public OpConversionPattern<OpTy> {
  using ScalarFn = Value (*)(OpTy, OpBuilder &, Location, Value);

  ElementwiseLowering(MLIRContext *context, ScalarFn scalar)
      : OpConversionPattern<OpTy>(context), scalar(scalar) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), adaptor.getInput(),
                             [&](OpBuilder &b, Location loc, ValueRange args) {
                               return scalar(op, b, loc, args[0]);
                             }));
    return success();
  }

  ScalarFn scalar;
};
} // namespace

/// max(x, 0); maximumf keeps NaN, as torch.relu does.
static Value reluScalar(ReluOp, OpBuilder &b, Location loc, Value x) {
  return arith::MaximumFOp::create(b, loc, x, createF32Constant(b, loc, 0.0));
}

/// x > 0 ? x : negative_slope * x.
static Value leakyReluScalar(LeakyReluOp op, OpBuilder &b, Location loc,
                             Value x) {
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                         createF32Constant(b, loc, 0.0));
  Value scaled = arith::MulFOp::create(
      b, loc, x,
      createF32Constant(b, loc, op.getNegativeSlope().convertToDouble()));
  return arith::SelectOp::create(b, loc, positive, x, scaled);
}

/// 1 / (1 + exp(-x)).
static Value sigmoidScalar(SigmoidOp, OpBuilder &b, Location loc, Value x) {
  Value one = createF32Constant(b, loc, 1.0);
  Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, exp));
}

static Value tanhScalar(TanhOp, OpBuilder &b, Location loc, Value x) {
  return math::TanhOp::create(b, loc, x);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp, LogSoftmaxOp
//===----------------------------------------------------------------------===//

/// Reduces along `dim` of the same-shaped `inputs` into a tensor without
/// that dimension, starting from `identity`. `extra` operands already have
/// the reduced shape and are read at the reduced position. `combine` gets
/// (input elements..., extra elements..., accumulator).
static Value reduceAlong(OpBuilder &b, Location loc, ValueRange inputs,
                         ValueRange extra, int64_t dim, Value identity,
                         BodyBuilder combine) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  shape.erase(shape.begin() + dim);
  auto reducedType = RankedTensorType::get(shape, type.getElementType());

  AffineMap reducedMap = b.getMultiDimIdentityMap(rank).dropResult(dim);
  SmallVector<Value> operands(inputs);
  llvm::append_range(operands, extra);
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  maps.append(extra.size() + 1, reducedMap);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  Value init = createFilled(b, loc, reducedType, inputs.front(), identity);
  return linalg::GenericOp::create(
             b, loc, reducedType, operands, init, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, combine(nb, nl, args));
             })
      .getResult(0);
}

namespace {
/// softmax: exp(x - max) / sum; log_softmax: x - max - log(sum), where sum
/// adds exp(x - max) along the dimension.
template <typename OpTy, bool isLog>
struct SoftmaxLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t dim = op.getDim();

    Value max =
        reduceAlong(rewriter, loc, input, {}, dim,
                    createF32Infinity(rewriter, loc, /*negative=*/true),
                    [](OpBuilder &b, Location l, ValueRange args) -> Value {
                      return arith::MaximumFOp::create(b, l, args[0], args[1]);
                    });
    Value sum = reduceAlong(
        rewriter, loc, input, max, dim, createF32Constant(rewriter, loc, 0.0),
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          return arith::AddFOp::create(b, l, args[2],
                                       math::ExpOp::create(b, l, shifted));
        });

    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    AffineMap reduced = identity.dropResult(dim);
    Value result = buildParallelGeneric(
        rewriter, loc, type, input, ValueRange{input, max, sum},
        {identity, reduced, reduced},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          if (isLog)
            return arith::SubFOp::create(b, l, shifted,
                                         math::LogOp::create(b, l, args[2]));
          return arith::DivFOp::create(b, l, math::ExpOp::create(b, l, shifted),
                                       args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// ActivationGradOp
//===----------------------------------------------------------------------===//

/// torch's backward of activation `kind` from `value` (the activation's
/// input for relu and leaky_relu, its result for sigmoid and tanh) and the
/// result gradient `g`.
static Value activationGradScalar(ActivationGradOp op, OpBuilder &b,
                                  Location loc, Value value, Value g) {
  switch (op.getKind()) {
  case ActivationKind::relu: {
    // threshold_backward: x <= 0 ? 0 : g, so a NaN input passes g through.
    Value zero = createF32Constant(b, loc, 0.0);
    Value cut =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, value, zero);
    return arith::SelectOp::create(b, loc, cut, zero, g);
  }
  case ActivationKind::leaky_relu: {
    // leaky_relu_backward: x > 0 ? g : g * negative_slope.
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, value,
                              createF32Constant(b, loc, 0.0));
    Value scaled = arith::MulFOp::create(
        b, loc, g,
        createF32Constant(b, loc, op.getNegativeSlope().convertToDouble()));
    return arith::SelectOp::create(b, loc, positive, g, scaled);
  }
  case ActivationKind::sigmoid: {
    // sigmoid_backward: g * (1 - y) * y.
    Value complement =
        arith::SubFOp::create(b, loc, createF32Constant(b, loc, 1.0), value);
    return arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, g, complement), value);
  }
  case ActivationKind::tanh: {
    // tanh_backward: g * (1 - y * y).
    Value square = arith::MulFOp::create(b, loc, value, value);
    return arith::MulFOp::create(
        b, loc, g,
        arith::SubFOp::create(b, loc, createF32Constant(b, loc, 1.0), square));
  }
  }
  llvm_unreachable("unknown activation kind");
}

namespace {
struct ActivationGradOpLowering : public OpConversionPattern<ActivationGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ActivationGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(),
                ValueRange{adaptor.getValue(), adaptor.getResultGrad()},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  return activationGradScalar(op, b, loc, args[0], args[1]);
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// SoftmaxGradOp
//===----------------------------------------------------------------------===//

/// torch's softmax and log_softmax backward from the result y and its
/// gradient g: y * (g - sum(g * y)) and g - exp(y) * sum(g), the sums along
/// the dimension.
struct SoftmaxGradOpLowering : public OpConversionPattern<SoftmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SoftmaxGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value y = adaptor.getResult(), g = adaptor.getResultGrad();
    auto type = cast<RankedTensorType>(y.getType());
    int64_t dim = op.getDim();
    bool isLog = op.getLog();

    Value zero = createF32Constant(rewriter, loc, 0.0);
    Value sum =
        isLog
            ? reduceAlong(rewriter, loc, g, {}, dim, zero,
                          [](OpBuilder &b, Location l, ValueRange args) {
                            return arith::AddFOp::create(b, l, args[1], args[0])
                                .getResult();
                          })
            : reduceAlong(rewriter, loc, ValueRange{g, y}, {}, dim, zero,
                          [](OpBuilder &b, Location l, ValueRange args) {
                            Value product =
                                arith::MulFOp::create(b, l, args[0], args[1]);
                            return arith::AddFOp::create(b, l, args[2], product)
                                .getResult();
                          });

    AffineMap identity = rewriter.getMultiDimIdentityMap(type.getRank());
    Value result = buildParallelGeneric(
        rewriter, loc, type, y, ValueRange{y, g, sum},
        {identity, identity, identity.dropResult(dim)},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value yElement = args[0], gElement = args[1], total = args[2];
          if (isLog)
            return arith::SubFOp::create(
                b, l, gElement,
                arith::MulFOp::create(b, l, math::ExpOp::create(b, l, yElement),
                                      total));
          return arith::MulFOp::create(
              b, l, yElement, arith::SubFOp::create(b, l, gElement, total));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void mlir::netc::populateActivationPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseLowering<ReluOp>>(context, reluScalar);
  patterns.add<ElementwiseLowering<LeakyReluOp>>(context, leakyReluScalar);
  patterns.add<ElementwiseLowering<SigmoidOp>>(context, sigmoidScalar);
  patterns.add<ElementwiseLowering<TanhOp>>(context, tanhScalar);
  patterns.add<SoftmaxLowering<SoftmaxOp, /*isLog=*/false>,
               SoftmaxLowering<LogSoftmaxOp, /*isLog=*/true>>(context);
  patterns.add<ActivationGradOpLowering, SoftmaxGradOpLowering>(context);
}
