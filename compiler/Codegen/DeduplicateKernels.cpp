//===- DeduplicateKernels.cpp - One function per distinct kernel ----------===//
//
// Implements netc-deduplicate-kernels (see Passes.td): code generation and
// LLVM see each distinct kernel once, however many layers call it.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "llvm/ADT/Hashing.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCDEDUPLICATEKERNELS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// A hash that kernels with equal bodies share: each op's name, attributes
/// and types, in order (not which values it reads).
llvm::hash_code bodyHash(func::FuncOp kernel) {
  llvm::hash_code hash = hash_value(kernel.getFunctionType());
  kernel.getBody().walk([&](Operation *op) {
    hash = llvm::hash_combine(
        hash, OperationEquivalence::computeHash(
                  op, OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::ignoreHashValue,
                  OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

/// Whether `a` and `b` compute the same thing: the same signature, function
/// attributes (but the name) and body, locations aside.
bool sameKernel(func::FuncOp a, func::FuncOp b) {
  auto attributesButName = [](func::FuncOp kernel) {
    NamedAttrList attributes(kernel->getAttrDictionary());
    attributes.erase(kernel.getSymNameAttrName());
    return attributes.getDictionary(kernel.getContext());
  };
  return a.getFunctionType() == b.getFunctionType() &&
         attributesButName(a) == attributesButName(b) &&
         OperationEquivalence::isRegionEquivalentTo(
             &a.getBody(), &b.getBody(), OperationEquivalence::IgnoreLocations);
}

struct NetcDeduplicateKernels
    : public netc::impl::NetcDeduplicateKernelsBase<NetcDeduplicateKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<llvm::hash_code, SmallVector<func::FuncOp, 1>> kernelsByHash;
    DenseMap<StringAttr, FlatSymbolRefAttr> replacement;
    for (auto kernel : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (!kernel->hasAttr(netc::kKernelAttr))
        continue;
      SmallVector<func::FuncOp, 1> &candidates = kernelsByHash[bodyHash(kernel)];
      auto first = llvm::find_if(candidates, [&](func::FuncOp candidate) {
        return sameKernel(candidate, kernel);
      });
      if (first == candidates.end()) {
        candidates.push_back(kernel);
        continue;
      }
      replacement[kernel.getSymNameAttr()] =
          FlatSymbolRefAttr::get(first->getSymNameAttr());
      kernel.erase();
    }
    if (replacement.empty())
      return;
    module.walk([&](func::CallOp call) {
      auto it = replacement.find(call.getCalleeAttr().getAttr());
      if (it != replacement.end())
        call.setCalleeAttr(it->second);
    });
  }
};
} // namespace
