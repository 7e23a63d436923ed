//===- PartitionModule.h - LLVM IR in parts to compile at once  -*- C++ -*-===//
//
// Object emission optimizes and compiles a model's LLVM IR in parts, one
// thread each, and links the parts' objects into one: LLVM's passes run on
// one module at a time on one thread.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CODEGEN_PARTITIONMODULE_H
#define NETC_CODEGEN_PARTITIONMODULE_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace mlir::netc {

/// Copies `module` into at most `maxParts` modules (in its context) that
/// share its function bodies out, balanced by instruction count, and that
/// link back into one object: each holds its own copy of the private
/// constants it reads, and a local function called from another part
/// becomes external with hidden visibility (in `module` too). The parts
/// depend only on `module`, not on timing. Empty if the module does not
/// split (fewer than two groups of functions, or globals such as llvm.used
/// or comdats that must stay whole).
llvm::SmallVector<std::unique_ptr<llvm::Module>>
partitionModule(llvm::Module &module, unsigned maxParts);

} // namespace mlir::netc

#endif // NETC_CODEGEN_PARTITIONMODULE_H
