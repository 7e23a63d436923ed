//===- Pipelines.cpp - The netc compilation pipeline ----------------------===//
//
// The whole pipeline, top to bottom, a reason for every pass. Each stage is
// registered as a textual pipeline so netc-opt can replay it alone.
//
//===----------------------------------------------------------------------===//

#include "netc/Pipelines/Pipelines.h"
#include "netc/CPU/Passes.h"
#include "netc/Codegen/Passes.h"
#include "netc/Conversion/Passes.h"
#include "netc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void netc::buildNetcToLinalgPipeline(OpPassManager &pm,
                                     const PipelineOptions &options) {
  // Reverse-mode gradients on the netc dialect, where every op knows its
  // gradient rule: the training function of each model.
  if (options.training)
    pm.addPass(createNetcAutodiff());
  // The C entry points wrap each model: from here on the model function is a
  // private callee and the entry point owns the ABI.
  pm.addPass(createNetcExportEntryPoints());
  // Layers become linalg on tensors: the form tiling and fusion work on.
  pm.addNestedPass<func::FuncOp>(createConvertNetcToLinalg());
  // Inline the model into its entry point and drop it, so bufferization sees
  // one function whose buffers all come from the caller. (After the
  // conversion: upstream ops have inliner interfaces, netc ops do not.)
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void netc::buildKernelsPipeline(OpPassManager &pm) {
  // Each linalg op, with the fills and broadcasts of its destination and the
  // views it reads through, becomes a kernel function the entry point calls.
  pm.addPass(createNetcOutlineKernels());
  // Identical kernels become one: a chain of 10,000 identical layers, and
  // the forward pass each training step repeats, compile once. Before the
  // cleanups, so that they see each kernel once, and after them, for
  // kernels they made equal.
  pm.addPass(createNetcDeduplicateKernels());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createNetcDeduplicateKernels());
}

void netc::buildCPUCodegenPipeline(OpPassManager &pm, unsigned vectorWidth) {
  // A strategy per op from its kind and shapes (CPU/Strategy.cpp), then
  // applied: batches across threads, convolutions vectorized along rows.
  // Each function on its own, so that the functions share the cores.
  OpPassManager &function = pm.nest<func::FuncOp>();
  function.addPass(createNetcSelectCPUStrategy({vectorWidth}));
  function.addPass(createNetcTileAndVectorize({vectorWidth}));
  // exp, log and tanh of vectors as polynomials, not a libm call per lane.
  function.addPass(createNetcApproximateVectorMath());
  function.addPass(createCanonicalizerPass());
  function.addPass(createCSEPass());
  // A tile's accumulators read and written a tile at a time, not a row at
  // a time: hoisting, and bufferization's conflict analysis, check every
  // read against every write.
  function.addPass(createNetcJoinTileTransfers());
  // Accumulators out of the reduction loops: they stay in registers ...
  function.addPass(createLoopInvariantSubsetHoistingPass());
  // ... a register per row, or per block of rows shorter than a register
  // that fill one together ...
  function.addPass(createNetcSplitCarriedTiles());
  // ... computed as one vector.
  function.addPass(createNetcPackRowsInVectors());
  function.addPass(createCanonicalizerPass());
}

void netc::buildBufferizePipeline(OpPassManager &pm) {
  // CSE shared one empty tensor among many destinations; a few each keep
  // buffer reuse and the in-place analysis below linear in the layers.
  pm.addNestedPass<func::FuncOp>(createNetcUnshareEmptyTensors());
  // Tensors to buffers across the module; results write straight into the
  // caller's output buffer (materialize_in_destination).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Folds what bufferization leaves behind (self-copies on subviews, casts,
  // loop-carried buffers). Cleanups run per function, on every core.
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createCSEPass());
  // A kernel's results are its destination arguments: the calls' results
  // become those buffers, and the kernels return nothing. Then, once the
  // kernel calls are gone from its results and its conditional result
  // folded, the same for the gradients function.
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  // The callers' write-backs of its results are now self-copies.
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  // Temporaries are heap allocated (most have the dynamic batch size): free
  // each one after its last use.
  pm.addNestedPass<func::FuncOp>(createNetcFreeTemporaries());
  // ... and then place them all in one allocation per call, by lifetime: one
  // malloc per step, not one per activation.
  pm.addNestedPass<func::FuncOp>(createNetcPlanBuffers());
  // Copies between strided views would call MLIR's runner library.
  pm.addNestedPass<func::FuncOp>(createNetcLowerStridedCopies());
}

void netc::buildLowerToLLVMPipeline(OpPassManager &pm) {
  // Kernels take pointers and sizes, not memref descriptors: far less IR
  // per call to lower and translate.
  pm.addPass(createNetcBarePointerKernels());
  // One op per distinct offset, view and constant, before segments clone
  // what each of them reads.
  pm.addPass(createCSEPass());
  // A long function becomes a chain of calls to segments of it: what
  // follows, and LLVM's optimizer, take time quadratic in a function's
  // length.
  pm.addPass(createNetcOutlineSegments());
  // Thread tiles become OpenMP parallel loops (libomp at run time).
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // The exported functions check their arguments and return a status
  // (EntryPointABI.h); each calls its computation once the checks pass.
  pm.addPass(createNetcGuardEntryPoints());
  // At batch 1 a thread loop has one iteration: run it on the calling
  // thread rather than wake the others.
  pm.addNestedPass<func::FuncOp>(createNetcSerializeSingleIterationLoops());
  // Structured ops left unvectorized become loops; n-d vector transfers
  // become 1-d ones.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Dot products' multi-reductions to per-row vector.reduction.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerReduction));
  // The conversions that need no module-wide view run per function, on
  // every core; the rest (malloc and function declarations, OpenMP's
  // runtime calls) on the module.
  OpPassManager &perFunction = pm.nest<func::FuncOp>();
  VectorTransferToSCFOptions transfers;
  transfers.enableFullUnroll();
  perFunction.addPass(createConvertVectorToSCFPass(transfers));
  perFunction.addPass(createLowerAffinePass());
  // Subview/reinterpret_cast metadata to plain arithmetic before LLVM; the
  // memref lowering before scf-to-cf, which would leave OpenMP regions with
  // several blocks that memref.alloca_scope cannot hold.
  perFunction.addPass(memref::createExpandStridedMetadataPass());
  perFunction.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  OpPassManager &toLLVM = pm.nest<func::FuncOp>();
  toLLVM.addPass(createSCFToControlFlowPass());
  // Vector sums (a dot product's, a softmax's) as trees of vector adds, not
  // one add per lane in order: the same tree every run, so results stay
  // bit-identical from run to run.
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.reassociateFPReductions = true;
  // A transpose (a lane tile's accumulators, netc-split-carried-tiles) as
  // one shuffle, which LLVM lowers to unpack/permute sequences, rather than
  // an extract and an insert per element.
  vectorToLLVM.vectorTransposeLowering =
      vector::VectorTransposeLowering::Shuffle1D;
  toLLVM.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Scalar math (vector exp/log/tanh are polynomials by now) becomes LLVM
  // intrinsics: code generation makes fma an instruction and exp, log and
  // tanh libm calls (expf, logf, tanhf).
  toLLVM.addPass(createConvertMathToLLVMPass());
  toLLVM.addPass(createArithToLLVMConversionPass());
  toLLVM.addPass(createConvertIndexToLLVMPass());
  // The entry points (marked llvm.bareptr) take their static rank-0 memref
  // arguments as plain pointers: `void f(const float *, ..., int64_t batch)`
  // in C. Segments pass memref descriptors.
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  OpPassManager &cleanup = pm.nest<LLVM::LLVMFuncOp>();
  cleanup.addPass(createUBToLLVMConversionPass());
  cleanup.addPass(createReconcileUnrealizedCastsPass());
  // A malloc that fails stops the process with a message rather than let a
  // kernel write through a null pointer.
  pm.addPass(createNetcCheckAllocations());
}

void netc::buildNetcToLLVMPipeline(OpPassManager &pm,
                                   const PipelineOptions &options) {
  buildNetcToLinalgPipeline(pm, options);
  buildKernelsPipeline(pm);
  buildCPUCodegenPipeline(pm, options.vectorWidth);
  buildBufferizePipeline(pm);
  buildLowerToLLVMPipeline(pm);
}

void netc::registerPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "netc-to-linalg-pipeline",
      "Derive gradients, export entry points and lower netc ops to linalg on "
      "tensors",
      buildNetcToLinalgPipeline);
  PassPipelineRegistration<>("netc-kernels-pipeline",
                             "Outline each linalg op as a kernel function and "
                             "deduplicate the kernels",
                             buildKernelsPipeline);
  PassPipelineRegistration<CPUCodegenOptions>(
      "netc-cpu-codegen-pipeline",
      "Tile, thread and vectorize linalg on tensors",
      [](OpPassManager &pm, const CPUCodegenOptions &options) {
        buildCPUCodegenPipeline(pm, options.vectorWidth);
      });
  PassPipelineRegistration<>("netc-bufferize-pipeline",
                             "Bufferize and free temporaries",
                             buildBufferizePipeline);
  PassPipelineRegistration<>("netc-to-llvm-pipeline",
                             "Lower bufferized code to the LLVM dialect",
                             buildLowerToLLVMPipeline);
  PassPipelineRegistration<PipelineOptions>(
      "netc-compile-pipeline", "netc dialect to the LLVM dialect",
      buildNetcToLLVMPipeline);
}
