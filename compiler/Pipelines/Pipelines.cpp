//===- Pipelines.cpp - The netc compilation pipeline ----------------------===//
//
// The whole pipeline, top to bottom, a reason for every pass. Passes are
// named as on the mlir-opt command line so a stage can be replayed by hand.
//
//===----------------------------------------------------------------------===//

#include "netc/Pipelines/Pipelines.h"
#include "netc/Codegen/Passes.h"
#include "netc/Conversion/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// Appends one textual pass (with options) to `pm`; the strings are fixed
/// here, so a parse failure is a bug in this file.
static void addPass(OpPassManager &pm, StringRef pass) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(pass, pm, os)))
    llvm::report_fatal_error(llvm::Twine("netc pipeline: ") + error);
}

void netc::buildNetcToLinalgPipeline(OpPassManager &pm) {
  // The C entry points wrap each model: from here on the model function is a
  // private callee and the entry point owns the ABI.
  pm.addPass(createNetcExportEntryPoints());
  // Layers become linalg on tensors: the form tiling and fusion work on.
  // First, because netc ops have no inliner interface but linalg's have.
  addPass(pm, "func.func(convert-netc-to-linalg)");
  // Inline the model into its entry point and drop it, so bufferization sees
  // one function whose buffers all come from the caller.
  addPass(pm, "inline");
  addPass(pm, "symbol-dce");
  addPass(pm, "canonicalize");
  addPass(pm, "cse");
}

void netc::buildBufferizePipeline(OpPassManager &pm) {
  // Tensors to buffers across the module; results write straight into the
  // caller's output buffer (materialize_in_destination).
  addPass(pm, "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map}");
  // Temporaries of dynamic batch size are heap allocated: free each one.
  addPass(pm, "buffer-deallocation-pipeline");
  // Folds self-copies on subviews that would otherwise need memrefCopy from
  // MLIR's runner library at link time.
  addPass(pm, "canonicalize");
  addPass(pm, "cse");
  addPass(pm, "canonicalize");
}

void netc::buildLowerToLLVMPipeline(OpPassManager &pm) {
  // Structured ops to loops, loops to branches.
  addPass(pm, "func.func(convert-linalg-to-loops)");
  addPass(pm, "lower-affine");
  addPass(pm, "convert-scf-to-cf");
  // Subview/reinterpret_cast metadata to plain arithmetic before LLVM.
  addPass(pm, "expand-strided-metadata");
  addPass(pm, "lower-affine");
  addPass(pm, "finalize-memref-to-llvm");
  // exp/tanh/log become libm calls (expf, tanhf, logf): exact to the ulp,
  // as PyTorch's parity requires.
  addPass(pm, "convert-math-to-libm");
  addPass(pm, "convert-math-to-llvm");
  addPass(pm, "convert-arith-to-llvm");
  addPass(pm, "convert-index-to-llvm");
  // Static rank-0 memref arguments become plain pointers: the entry points
  // are `void f(const float *, ..., int64_t batch)` in C.
  addPass(pm, "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}");
  addPass(pm, "convert-cf-to-llvm");
  addPass(pm, "convert-ub-to-llvm");
  addPass(pm, "reconcile-unrealized-casts");
}

void netc::buildNetcToLLVMPipeline(OpPassManager &pm) {
  buildNetcToLinalgPipeline(pm);
  buildBufferizePipeline(pm);
  buildLowerToLLVMPipeline(pm);
}

void netc::registerPipelines() {
  PassPipelineRegistration<>(
      "netc-to-linalg-pipeline",
      "Export entry points and lower netc ops to linalg on tensors",
      buildNetcToLinalgPipeline);
  PassPipelineRegistration<>("netc-bufferize-pipeline",
                             "Bufferize and free temporaries",
                             buildBufferizePipeline);
  PassPipelineRegistration<>("netc-to-llvm-pipeline",
                             "Lower bufferized code to the LLVM dialect",
                             buildLowerToLLVMPipeline);
  PassPipelineRegistration<>("netc-compile-pipeline",
                             "netc dialect to the LLVM dialect",
                             buildNetcToLLVMPipeline);
}
