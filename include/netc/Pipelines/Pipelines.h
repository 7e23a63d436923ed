//===- Pipelines.h - The netc compilation pipeline --------------*- C++ -*-===//
//
// The stages a model goes through, in order. `netc compile --emit=` only
// chooses where to stop; each stage is also a textual pipeline netc-opt runs.
//
//   netc dialect --(netc-to-linalg-pipeline)--> linalg on tensors
//                --(netc-kernels-pipeline)----> one kernel function per op
//                --(netc-cpu-codegen-pipeline)> tiled, vectorized kernels
//                --(netc-bufferize-pipeline)--> loops/linalg on memrefs
//                --(netc-to-llvm-pipeline)----> LLVM dialect
//                --(ObjectEmitter)------------> LLVM IR, native object
//
//===----------------------------------------------------------------------===//
#ifndef NETC_PIPELINES_PIPELINES_H
#define NETC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::netc {

struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  Option<bool> training{
      *this, "training",
      llvm::cl::desc("Also derive the gradients and emit the training entry "
                     "points (backward, SGD and Adam steps)"),
      llvm::cl::init(false)};
  Option<unsigned> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of the vectors the CPU strategies are chosen "
                     "for (0: the host's)"),
      llvm::cl::init(0)};
};

/// Derives the training functions (when `options.training`), exports each
/// model's C entry points and lowers netc ops to linalg on tensors.
void buildNetcToLinalgPipeline(OpPassManager &pm,
                               const PipelineOptions &options);

/// Moves each linalg op into a kernel function and makes identical kernels
/// one, so that what follows compiles each distinct kernel once.
void buildKernelsPipeline(OpPassManager &pm);

struct CPUCodegenOptions : public PassPipelineOptions<CPUCodegenOptions> {
  Option<unsigned> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of the target's vectors (0: the host's)"),
      llvm::cl::init(0)};
};

/// The CPU code-generation stage on linalg on tensors: a strategy per op,
/// then tiling across threads, loop tiling and vectorization, for vectors of
/// `vectorWidth` f32 lanes (0: the host's).
void buildCPUCodegenPipeline(OpPassManager &pm, unsigned vectorWidth = 0);

/// Turns tensors into buffers: one-shot bufferization across functions, then
/// explicit deallocation of every temporary.
void buildBufferizePipeline(OpPassManager &pm);

/// Lowers the bufferized program to the LLVM dialect with the bare-pointer
/// calling convention the generated header declares.
void buildLowerToLLVMPipeline(OpPassManager &pm);

/// All of the above, netc dialect to LLVM dialect.
void buildNetcToLLVMPipeline(OpPassManager &pm, const PipelineOptions &options);

/// Registers the stages above as textual pipelines (netc-to-linalg-pipeline,
/// netc-kernels-pipeline, netc-cpu-codegen-pipeline, netc-bufferize-pipeline, netc-to-llvm-pipeline, netc-compile-pipeline).
void registerPipelines();

} // namespace mlir::netc

#endif // NETC_PIPELINES_PIPELINES_H
