//===- CheckAllocations.cpp - A failed malloc stops with a message --------===//

#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCCHECKALLOCATIONS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// The runtime function a failed allocation calls (netc.h).
constexpr llvm::StringLiteral kOutOfMemoryFunction = "netc_out_of_memory";

struct NetcCheckAllocations
    : public netc::impl::NetcCheckAllocationsBase<NetcCheckAllocations> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::CallOp> mallocs;
    module.walk([&](LLVM::CallOp call) {
      if (call.getCallee() == StringRef("malloc") && call.getNumResults() == 1)
        mallocs.push_back(call);
    });
    if (mallocs.empty())
      return;

    OpBuilder b(module.getContext());
    auto outOfMemory =
        module.lookupSymbol<LLVM::LLVMFuncOp>(kOutOfMemoryFunction);
    if (!outOfMemory) {
      b.setInsertionPointToStart(module.getBody());
      outOfMemory = LLVM::LLVMFuncOp::create(
          b, module.getLoc(), kOutOfMemoryFunction,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(&getContext()),
                                      {b.getI64Type()}));
      // LLVM then keeps the test out of the hot path.
      outOfMemory.setPassthroughAttr(b.getArrayAttr(
          {b.getStringAttr("noreturn"), b.getStringAttr("cold")}));
    }
    for (LLVM::CallOp call : mallocs) {
      Location loc = call.getLoc();
      Block *before = call->getBlock();
      Block *after = before->splitBlock(call->getNextNode());
      Block *fail = b.createBlock(after);
      b.setInsertionPointToEnd(before);
      Value null = LLVM::ZeroOp::create(b, loc, call.getResult().getType());
      Value failed = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                          call.getResult(), null);
      LLVM::CondBrOp::create(b, loc, failed, fail, after);
      b.setInsertionPointToStart(fail);
      LLVM::CallOp::create(b, loc, outOfMemory, call.getArgOperands());
      LLVM::UnreachableOp::create(b, loc);
    }
  }
};
} // namespace
