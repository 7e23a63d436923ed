//===- FreeTemporaries.cpp - Free buffers after their last use ------------===//
//
// Implements netc-free-temporaries (see Passes.td): a memref.dealloc after
// the last use of each buffer a function allocates, in linear time.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCFREETEMPORARIES
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// The op of `block` that holds the last use of `buffer` or of a view of it;
/// null when the function returns the buffer (its caller owns it), and null
/// with an error when the buffer leaves its block in another way.
static Operation *lastUseInBlock(memref::AllocOp alloc, Block &block,
                                 bool &failed) {
  Operation *last = alloc;
  SmallVector<Value> aliases{alloc.getResult()};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == alias) {
        aliases.push_back(user->getResult(0));
        continue;
      }
      if (isa<func::ReturnOp>(user))
        return nullptr;
      // A callee only borrows its operands; anything else that yields a
      // memref or passes one out of a region could let the buffer escape.
      if ((user->hasTrait<OpTrait::IsTerminator>() ||
           llvm::any_of(user->getResultTypes(),
                        llvm::IsaPred<BaseMemRefType>)) &&
          !isa<CallOpInterface>(user)) {
        InFlightDiagnostic error = alloc.emitOpError(
            "cannot be freed by netc-free-temporaries: it leaves its block");
        error.attachNote(user->getLoc()) << "through this use";
        failed = true;
        return nullptr;
      }
      Operation *holder = block.findAncestorOpInBlock(*user);
      if (!holder) {
        alloc.emitOpError("is used outside the block that allocates it");
        failed = true;
        return nullptr;
      }
      if (last->isBeforeInBlock(holder))
        last = holder;
    }
  }
  return last;
}

struct NetcFreeTemporaries
    : public netc::impl::NetcFreeTemporariesBase<NetcFreeTemporaries> {
  using Base::Base;

  void runOnOperation() override {
    // A buffer a call returns may alias any of its operands: which buffers
    // it keeps alive is unknown. Kernels return nothing once bufferized.
    WalkResult calls = getOperation().walk([&](CallOpInterface call) {
      if (llvm::any_of(call->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        call->emitOpError("returns a buffer, which netc-free-temporaries "
                          "cannot track");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (calls.wasInterrupted())
      return signalPassFailure();
    OpBuilder builder(&getContext());
    WalkResult result = getOperation().walk([&](memref::AllocOp alloc) {
      bool failed = false;
      Operation *last = lastUseInBlock(alloc, *alloc->getBlock(), failed);
      if (failed)
        return WalkResult::interrupt();
      if (!last)
        return WalkResult::advance();
      builder.setInsertionPointAfter(last);
      memref::DeallocOp::create(builder, alloc.getLoc(), alloc.getResult());
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
