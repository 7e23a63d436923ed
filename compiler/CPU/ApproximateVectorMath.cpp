//===- ApproximateVectorMath.cpp - Vector exp/log/tanh as polynomials -----===//
//
// Implements netc-approximate-vector-math (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCAPPROXIMATEVECTORMATH
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

/// A splat constant like `like`'s type.
static Value splat(OpBuilder &b, Location loc, Value like, float value) {
  auto type = cast<VectorType>(like.getType());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
}

/// The polynomials lose the subnormal range (exp's results below 2^-126,
/// log's arguments there), where libm stays exact. Around them: exp(x) =
/// exp(x / 2)^2 there (x / 2 is exact, the square rounds once to the
/// subnormal), and log(x) = log(x * 2^23) - 23 ln 2 (the product is exact
/// and normal).
static Value guardSubnormals(OpBuilder &b, Operation *op) {
  Location loc = op->getLoc();
  Value x = op->getOperand(0);
  auto lessThan = [&](float bound) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                 splat(b, loc, x, bound));
  };
  if (isa<math::ExpOp>(op)) {
    Value tiny = lessThan(-87.0f);
    Value half = arith::MulFOp::create(b, loc, x, splat(b, loc, x, 0.5f));
    Value e = math::ExpOp::create(
        b, loc, arith::SelectOp::create(b, loc, tiny, half, x));
    return arith::SelectOp::create(b, loc, tiny,
                                   arith::MulFOp::create(b, loc, e, e), e);
  }
  Value subnormal = lessThan(0x1p-126f);
  Value scaled = arith::MulFOp::create(b, loc, x, splat(b, loc, x, 0x1p23f));
  Value l = math::LogOp::create(
      b, loc, arith::SelectOp::create(b, loc, subnormal, scaled, x));
  Value shifted = arith::SubFOp::create(
      b, loc, l, splat(b, loc, x, 23.0f * 0.693147180559945309f));
  return arith::SelectOp::create(b, loc, subnormal, shifted, l);
}

namespace {
struct NetcApproximateVectorMath
    : public netc::impl::NetcApproximateVectorMathBase<
          NetcApproximateVectorMath> {
  void runOnOperation() override {
    auto approximated = [](StringRef name) {
      name.consume_front("math.");
      return name == "exp" || name == "log" || name == "tanh";
    };
    auto isVectorMath = [](Operation *op) {
      return isa<math::ExpOp, math::LogOp, math::TanhOp>(op) &&
             isa<VectorType>(op->getResult(0).getType());
    };
    SmallVector<Operation *> guarded;
    getOperation().walk([&](Operation *op) {
      if (isVectorMath(op) && !isa<math::TanhOp>(op))
        guarded.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : guarded) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, guardSubnormals(rewriter, op));
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isVectorMath(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, approximated);
    // Only these ops and what their rewrites create: the approximations
    // build on one another (tanh on exp) but nothing else changes.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
