//===- LowerStridedCopies.cpp - memref.copy of strided views to linalg ----===//
//
// Implements netc-lower-strided-copies (see Passes.td): the generated object
// must not depend on MLIR's runner library.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCLOWERSTRIDEDCOPIES
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
struct NetcLowerStridedCopies
    : public netc::impl::NetcLowerStridedCopiesBase<NetcLowerStridedCopies> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](memref::CopyOp copy) {
      auto source = cast<MemRefType>(copy.getSource().getType());
      auto target = cast<MemRefType>(copy.getTarget().getType());
      // Identity layouts on both sides lower to llvm.memcpy.
      if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
        return;
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};
} // namespace
