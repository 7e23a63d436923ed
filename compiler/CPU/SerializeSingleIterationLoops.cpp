//===- SerializeSingleIterationLoops.cpp - No fork for one iteration ------===//
//
// Implements netc-serialize-single-iteration-loops (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCSERIALIZESINGLEITERATIONLOOPS
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
struct NetcSerializeSingleIterationLoops
    : public netc::impl::NetcSerializeSingleIterationLoopsBase<
          NetcSerializeSingleIterationLoops> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](omp::ParallelOp parallel) {
      if (parallel.getIfExpr())
        return;
      omp::LoopNestOp nest;
      parallel.walk([&](omp::LoopNestOp found) {
        nest = found;
        return WalkResult::interrupt();
      });
      if (!nest)
        return;
      auto definedBefore = [&](Value value) {
        return !parallel->isAncestor(value.getParentBlock()->getParentOp());
      };
      if (!llvm::all_of(nest->getOperands(), definedBefore))
        return;
      // Some loop of the nest runs at least two iterations: ub - lb > step.
      OpBuilder b(parallel);
      Location loc = parallel.getLoc();
      Value more;
      for (auto [lower, upper, step] :
           llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                     nest.getLoopSteps())) {
        Value span = arith::SubIOp::create(b, loc, upper, lower);
        Value twoOrMore = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sgt, span, step);
        more = more ? arith::OrIOp::create(b, loc, more, twoOrMore).getResult()
                    : twoOrMore;
      }
      parallel.getIfExprMutable().assign(more);
    });
  }
};
} // namespace
