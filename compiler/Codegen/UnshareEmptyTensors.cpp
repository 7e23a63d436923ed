//===- UnshareEmptyTensors.cpp - One tensor.empty per use -----------------===//
//
// Implements netc-unshare-empty-tensors (see Passes.td): keeps one-shot
// bufferization linear in the number of layers.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCUNSHAREEMPTYTENSORS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
struct NetcUnshareEmptyTensors
    : public netc::impl::NetcUnshareEmptyTensorsBase<NetcUnshareEmptyTensors> {
  using Base::Base;

  void runOnOperation() override {
    OpBuilder builder(&getContext());
    Block &body = getOperation().getBody().front();
    getOperation().walk([&](tensor::EmptyOp empty) {
      // Uses in program order (of the top-level ops that hold them), then
      // each group of usesPerEmptyTensor after the first gets a clone placed
      // before its first user (the sizes dominate the original, so they
      // dominate there too).
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          empty->getUses(), [](OpOperand &use) { return &use; });
      auto topLevel = [&](OpOperand *use) {
        return body.findAncestorOpInBlock(*use->getOwner());
      };
      if (uses.size() <= usesPerEmptyTensor ||
          !llvm::all_of(uses, [&](OpOperand *u) { return topLevel(u); }))
        return;
      llvm::stable_sort(uses, [&](OpOperand *a, OpOperand *b) {
        return topLevel(a)->isBeforeInBlock(topLevel(b));
      });
      Value shared;
      for (auto [i, use] : llvm::enumerate(uses)) {
        if (i < usesPerEmptyTensor)
          continue;
        if (i % usesPerEmptyTensor == 0) {
          builder.setInsertionPoint(topLevel(use));
          shared = builder.clone(*empty)->getResult(0);
        }
        use->set(shared);
      }
    });
  }
};
} // namespace
