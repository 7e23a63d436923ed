//===- ObjectEmitter.h - LLVM dialect to a native object --------*- C++ -*-===//
//
// The last stage of the pipeline: translate the LLVM dialect to LLVM IR,
// optimize it at O3 for the host CPU and emit a relocatable object, all in
// process through llvm::TargetMachine. The object is compiled in parts on
// parallel threads and linked back into one with lld.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CODEGEN_OBJECTEMITTER_H
#define NETC_CODEGEN_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>

namespace mlir::netc {

/// A target machine for the CPU this process runs on. The CPU is named by
/// LLVM's host detection but its features come from the CPU itself: under a
/// hypervisor LLVM may misname the CPU (a Sapphire Rapids reads as
/// "rocketlake"), while the detected feature list is right. Null with
/// `error` set if the host target is unavailable.
std::unique_ptr<llvm::TargetMachine> createHostTargetMachine(std::string &error);

/// Translates `module` (LLVM dialect only) to LLVM IR for `machine` and runs
/// LLVM's O3 pipeline on it. Emits an error on `module` and returns null on
/// failure.
std::unique_ptr<llvm::Module> translateAndOptimize(ModuleOp module,
                                                   llvm::LLVMContext &context,
                                                   llvm::TargetMachine &machine);

/// How many parts object emission splits a module into. Fixed, not the
/// thread count, so that the object is the same on every machine.
constexpr unsigned kObjectParts = 4;

/// Emits `module` (LLVM dialect only) for the host CPU as one relocatable,
/// position-independent object: its functions optimized and compiled in
/// kObjectParts parts on up to `threads` threads (0: one per core), then
/// linked (`ld.lld -r`, through temporary files; without a writable
/// temporary directory, in one part). Emits an error on `module` on
/// failure.
LogicalResult emitObject(ModuleOp module, unsigned threads,
                         llvm::raw_pwrite_stream &os);

} // namespace mlir::netc

#endif // NETC_CODEGEN_OBJECTEMITTER_H
