//===- Compiler.cpp - netc compile ----------------------------------------===//
//
// Import, run the pipeline as far as the requested output, write it.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/HeaderEmitter.h"
#include "netc/Codegen/ObjectEmitter.h"
#include "netc/Codegen/Passes.h"
#include "netc/Driver/Driver.h"
#include "netc/Frontend/ModelImporter.h"
#include "netc/InitAll.h"
#include "netc/Pipelines/Pipelines.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::netc;

void mlir::netc::registerDriverDialects(DialectRegistry &registry) {
  // The pipeline creates ops of most upstream dialects (linalg, bufferization,
  // memref, scf, cf, llvm, ...) and needs their interface models.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  netc::registerAllDialects(registry);
}

OwningOpRef<ModuleOp> mlir::netc::loadModel(StringRef path,
                                            llvm::SourceMgr &sourceMgr,
                                            MLIRContext &context) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code error = file.getError()) {
    emitError(UnknownLoc::get(&context))
        << "cannot read model file '" << path << "': " << error.message();
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  if (!path.ends_with(".mlir"))
    return importModel(sourceMgr, context);
  // A module in the netc dialect, such as the frontend prints: tests
  // compile single ops this way, through the same pipeline and object
  // emission as models.
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

FailureOr<ModelSignature> mlir::netc::getSignature(ModuleOp module) {
  SmallVector<func::FuncOp> models = getModelFunctions(module);
  if (models.size() != 1)
    return module.emitError("expected one netc model, found ")
           << models.size();
  return getModelSignature(models.front());
}

/// Runs `pm` on `module`, verifying the IR after each pass or after the
/// last.
static LogicalResult runVerified(PassManager &pm, ModuleOp module,
                                 bool verifyEachPass) {
  pm.enableVerifier(verifyEachPass);
  if (failed(pm.run(module)))
    return failure();
  return verifyEachPass ? success() : verify(module);
}

/// Runs `build` on `module` with the command line's pass-manager options.
static LogicalResult runPipeline(ModuleOp module, const CompileOptions &compile,
                                 void (*build)(OpPassManager &,
                                               const PipelineOptions &)) {
  PassManager pm(module->getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  PipelineOptions options;
  options.training = compile.training;
  options.vectorWidth = compile.vectorWidth;
  build(pm, options);
  return runVerified(pm, module, compile.verifyEachPass);
}

/// Bounds the memory one SGD step allocates: compiles a copy of `module`
/// through bufferization and adds up what the step allocates: the arena
/// where netc-plan-buffers placed its buffers (their peak), and any buffer
/// outside it (all live at once at worst), the batch-sized ones per sample.
static LogicalResult measureTrainingMemory(ModuleOp module, StringRef name,
                                           bool verifyEachPass,
                                           TrainingSignature &training) {
  OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
  PassManager pm(module->getContext());
  applyDefaultTimingPassManagerCLOptions(pm);
  PipelineOptions options;
  options.training = true;
  buildNetcToLinalgPipeline(pm, options);
  buildKernelsPipeline(pm);
  buildBufferizePipeline(pm);
  if (failed(runVerified(pm, *copy, verifyEachPass)))
    return failure();
  // The step holds its own buffers while the gradients function it calls
  // holds its.
  auto step = copy->lookupSymbol<func::FuncOp>((name + "_sgd_step").str());
  auto gradients =
      copy->lookupSymbol<func::FuncOp>((name + "_gradients").str());
  if (!step || !gradients)
    return module.emitError("no training step to measure");
  auto measure = [&](memref::AllocOp alloc, TrainingSignature &training) {
    // Not the input gradient's, which a step does not compute.
    if (!isa<func::FuncOp>(alloc->getParentOp()))
      return;
    // netc-plan-buffers' arena: the peak of the buffers it holds.
    auto arenaFixed = alloc->getAttrOfType<IntegerAttr>(kArenaFixedBytesAttr);
    auto arenaPerSample =
        alloc->getAttrOfType<IntegerAttr>(kArenaBytesPerSampleAttr);
    if (arenaFixed && arenaPerSample) {
      training.fixedBytes += arenaFixed.getInt();
      training.bytesPerSample += arenaPerSample.getInt();
      return;
    }
    MemRefType type = alloc.getType();
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    bool perSample = false;
    for (int64_t d : type.getShape()) {
      if (ShapedType::isDynamic(d))
        perSample = true;
      else
        bytes *= d;
    }
    (perSample ? training.bytesPerSample : training.fixedBytes) += bytes;
  };
  step.walk([&](memref::AllocOp alloc) { measure(alloc, training); });
  TrainingSignature gradientsMemory;
  gradients.walk(
      [&](memref::AllocOp alloc) { measure(alloc, gradientsMemory); });
  training.bytesPerSample += gradientsMemory.bytesPerSample;
  training.fixedBytes += gradientsMemory.fixedBytes;
  // Where the step shares ranges of samples out among its threads, each
  // thread's call holds fixed-size buffers of its own: at most one range
  // per kMaxSamplesPerRange samples, and one more, at once. (The step's own
  // buffers of a slot per range are counted per sample.)
  bool ranges = false;
  step.walk([&](scf::ForallOp) { ranges = true; });
  if (ranges)
    training.bytesPerSample +=
        llvm::divideCeil(gradientsMemory.fixedBytes, kMaxSamplesPerRange);
  return success();
}

LogicalResult mlir::netc::compileModel(ModuleOp module, EmitKind emit,
                                       const CompileOptions &options,
                                       llvm::raw_pwrite_stream &os) {
  if (emit == EmitKind::Header) {
    SmallVector<func::FuncOp> models = getModelFunctions(module);
    FailureOr<ModelSignature> signature = getSignature(module);
    if (failed(signature))
      return failure();
    std::optional<TrainingSignature> trainingSignature;
    if (options.training) {
      trainingSignature = getTrainingSignature(models.front());
      if (failed(measureTrainingMemory(module, signature->name,
                                       options.verifyEachPass,
                                       *trainingSignature)))
        return failure();
    }
    emitHeader(*signature, trainingSignature, os);
    return success();
  }
  if (emit == EmitKind::Mlir) {
    module.print(os);
    return success();
  }
  if (emit == EmitKind::Linalg) {
    if (failed(runPipeline(module, options, buildNetcToLinalgPipeline)))
      return failure();
    module.print(os);
    return success();
  }
  if (failed(runPipeline(module, options, buildNetcToLLVMPipeline)))
    return failure();
  if (emit == EmitKind::Object)
    return emitObject(module, options.threads, os);

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createHostTargetMachine(error);
  if (!machine)
    return module.emitError("no native target: ") << error;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateAndOptimize(module, llvmContext, *machine);
  if (!llvmModule)
    return failure();
  llvmModule->print(os, nullptr);
  return success();
}
