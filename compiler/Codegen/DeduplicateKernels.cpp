//===- DeduplicateKernels.cpp - One function per distinct kernel ----------===//
//
// Implements netc-deduplicate-kernels (see Passes.td): code generation and
// LLVM see each distinct kernel once, however many layers call it.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "llvm/ADT/StringMap.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCDEDUPLICATEKERNELS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// The text of `kernel` under a fixed name: equal for kernels that compute
/// the same thing (locations are not printed).
std::string printedBody(func::FuncOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string name = kernel.getSymName().str();
  kernel.setSymName("kernel");
  kernel->print(os, OpPrintingFlags().useLocalScope());
  kernel.setSymName(name);
  return text;
}

struct NetcDeduplicateKernels
    : public netc::impl::NetcDeduplicateKernelsBase<NetcDeduplicateKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<StringAttr> firstWithBody;
    DenseMap<StringAttr, FlatSymbolRefAttr> replacement;
    for (auto kernel : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (!kernel->hasAttr(netc::kKernelAttr))
        continue;
      auto [first, inserted] =
          firstWithBody.try_emplace(printedBody(kernel), kernel.getSymNameAttr());
      if (inserted)
        continue;
      replacement[kernel.getSymNameAttr()] =
          FlatSymbolRefAttr::get(first->second);
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
