//===- PackRowsInVectors.cpp - Short rows of a tile as one vector ---------===//
//
// Implements netc-pack-rows-in-vectors (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCPACKROWSINVECTORS
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {

/// A block of rows left by netc-tile-and-vectorize's unrolling: a static
/// 2-d vector.
bool isRowBlock(Type type) {
  auto vector = dyn_cast<VectorType>(type);
  return vector && vector.getRank() == 2 && !vector.isScalable();
}

VectorType packed(Type block) {
  auto vector = cast<VectorType>(block);
  return VectorType::get(vector.getNumElements(), vector.getElementType());
}

Value shapeCast(OpBuilder &builder, Location loc, Value value, Type type) {
  return vector::ShapeCastOp::create(builder, loc, type, value);
}

/// An elementwise op on blocks of rows (or a scalar broadcast to one) done
/// on the packed vector, between shape casts that canonicalization folds
/// against those of its neighbours.
void packElementwise(RewriterBase &rewriter, Operation *op) {
  bool broadcast = isa<vector::BroadcastOp>(op) &&
                   !isa<VectorType>(op->getOperand(0).getType());
  if ((!op->hasTrait<OpTrait::Elementwise>() && !broadcast) ||
      op->getNumResults() != 1 || op->getNumRegions() != 0 ||
      !isRowBlock(op->getResult(0).getType()))
    return;
  Type block = op->getResult(0).getType();
  if (!broadcast && llvm::any_of(op->getOperandTypes(), [&](Type t) {
        return !isRowBlock(t) || cast<VectorType>(t).getShape() !=
                                     cast<VectorType>(block).getShape();
      }))
    return;
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();
  SmallVector<Value> operands;
  for (Value operand : op->getOperands())
    operands.push_back(broadcast ? operand
                                 : shapeCast(rewriter, loc, operand,
                                             packed(operand.getType())));
  Operation *packedOp =
      rewriter.create(loc, op->getName().getIdentifier(), operands,
                      TypeRange{packed(block)}, op->getAttrs());
  rewriter.replaceOp(op,
                     shapeCast(rewriter, loc, packedOp->getResult(0), block));
}

/// Blocks of rows that `loop` carries, carried packed.
void packCarried(RewriterBase &rewriter, scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [index, arg] : llvm::enumerate(loop.getRegionIterArgs())) {
    Type block = arg.getType();
    if (!isRowBlock(block))
      continue;
    Type vector = packed(block);
    Location loc = loop.getLoc();
    OpResult result = loop->getResult(index);
    rewriter.setInsertionPoint(loop);
    Value init = shapeCast(rewriter, loc, loop.getInitArgs()[index], vector);
    rewriter.setInsertionPoint(yield);
    Value next = shapeCast(rewriter, loc, yield.getOperand(index), vector);
    rewriter.modifyOpInPlace(loop, [&] {
      loop.getInitsMutable()[index].set(init);
      arg.setType(vector);
      result.setType(vector);
    });
    rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(index, next); });
    rewriter.setInsertionPointToStart(loop.getBody());
    Value argBlock = shapeCast(rewriter, loc, arg, block);
    rewriter.replaceAllUsesExcept(arg, argBlock, argBlock.getDefiningOp());
    rewriter.setInsertionPointAfter(loop);
    Value resultBlock = shapeCast(rewriter, loc, result, block);
    rewriter.replaceAllUsesExcept(result, resultBlock,
                                  resultBlock.getDefiningOp());
  }
}

struct NetcPackRowsInVectors
    : public netc::impl::NetcPackRowsInVectorsBase<NetcPackRowsInVectors> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      if (auto loop = dyn_cast<scf::ForOp>(op))
        packCarried(rewriter, loop);
      else
        packElementwise(rewriter, op);
    }
  }
};

} // namespace
