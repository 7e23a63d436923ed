//===- ObjectEmitter.cpp - LLVM dialect to a native object ----------------===//

#include "netc/Codegen/ObjectEmitter.h"
#include "netc/Codegen/PartitionModule.h"

#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "lld/Common/Driver.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <list>
#include <mutex>

LLD_HAS_DRIVER(elf)

using namespace mlir;
using namespace mlir::netc;

std::unique_ptr<llvm::TargetMachine>
netc::createHostTargetMachine(std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (feature.second ? "+" : "-") + feature.first().str();
  }
  // A multiply feeding an add becomes one FMA: the vectorized convolutions'
  // inner step. (One rounding instead of two: within the parity tolerances.)
  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features, options,
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

/// Without AVX-512, LLVM's loop vectorizer gives a loop of fewer than 16
/// iterations no scalar tail: it masks the last vector's stores instead
/// (vmaskmovps), which Zen 3 runs microcoded. The fills and bias broadcasts
/// fused into a convolution's or a pooling's thread tile, 12 floats a row,
/// took a third of residual's max pooling that way. Loops of 4 iterations
/// or more get a vector body and a scalar tail instead: batch-64 inference
/// of residual +12%, of inception +21% (Zen 3). LLVM has no API for it but
/// its option, set once for the process. AVX-512's masked stores are cheap.
static void vectorizeShortLoopsWithScalarTails() {
  static const bool once = [] {
    if (llvm::sys::getHostCPUFeatures().lookup("avx512f"))
      return true;
    auto &options = llvm::cl::getRegisteredOptions();
    auto minTripCount = options.find("vectorizer-min-trip-count");
    if (minTripCount != options.end())
      minTripCount->second->addOccurrence(0, "vectorizer-min-trip-count", "4");
    return true;
  }();
  (void)once;
}

/// LLVM's O3 pipeline without its loop unroller: netc-tile-and-vectorize
/// already unrolled what pays (a tile's rows); LLVM's unroller multiplied
/// the remaining loops (pooling windows, copies) into code that compiled a
/// third slower and ran no faster (batch-1 latency 3-15% slower).
static void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  vectorizeShortLoopsWithScalarTails();
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopInterleaving = true;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, modules);
}

/// `module` translated to LLVM IR for `machine`, not yet optimized.
static std::unique_ptr<llvm::Module> translate(ModuleOp module,
                                               llvm::LLVMContext &context,
                                               llvm::TargetMachine &machine) {
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "netc");
  if (!llvmModule) {
    emitError(module.getLoc(),
              "failed to translate the LLVM dialect to LLVM IR");
    return nullptr;
  }
  // MLIR's translation sets neither; the optimizer needs both to vectorize
  // for the right registers.
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  return llvmModule;
}

std::unique_ptr<llvm::Module>
netc::translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                           llvm::TargetMachine &machine) {
  std::unique_ptr<llvm::Module> llvmModule =
      translate(module, context, machine);
  if (llvmModule)
    optimize(*llvmModule, machine);
  return llvmModule;
}

/// Optimizes `module` and compiles it to a relocatable object in `object`.
static LogicalResult compile(llvm::Module &module, llvm::TargetMachine &machine,
                             llvm::raw_pwrite_stream &object,
                             std::string &error) {
  optimize(module, machine);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, object, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  codegen.run(module);
  return success();
}

/// Compiles one part, given as bitcode, in a context of its own: LLVM runs
/// one thread per context.
static LogicalResult compilePart(StringRef bitcode,
                                 SmallVectorImpl<char> &object,
                                 std::string &error) {
  llvm::LLVMContext context;
  llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "netc-part"), context);
  if (!part) {
    error = llvm::toString(part.takeError());
    return failure();
  }
  std::unique_ptr<llvm::TargetMachine> machine = createHostTargetMachine(error);
  if (!machine)
    return failure();
  llvm::raw_svector_ostream os(object);
  return compile(**part, *machine, os, error);
}

namespace {
/// Temporary files, removed when this goes out of scope: lld reads and
/// writes files.
class TemporaryFiles {
public:
  /// A new empty file's path, or null if none can be created.
  const char *create() {
    int fd;
    SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("netc-part", "o", fd, path))
      return nullptr;
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    paths.push_back(path.str().str());
    removers.emplace_back(paths.back());
    return paths.back().c_str();
  }

private:
  std::list<std::string> paths;
  std::list<llvm::FileRemover> removers;
};
} // namespace

/// Links relocatable `objects` into one at `output` (`ld.lld -r`, in
/// process).
static LogicalResult linkRelocatable(ArrayRef<SmallVector<char, 0>> objects,
                                     const char *output, TemporaryFiles &files,
                                     llvm::raw_pwrite_stream &os,
                                     std::string &error) {
  SmallVector<const char *> args{"ld.lld", "-r", "-o", output};
  for (const SmallVector<char, 0> &object : objects) {
    const char *path = files.create();
    std::error_code ec;
    if (path) {
      llvm::raw_fd_ostream file(path, ec);
      if (!ec) {
        file.write(object.data(), object.size());
        file.close();
        ec = file.error();
      }
    }
    if (!path || ec) {
      error = "cannot write a temporary file: " +
              (ec ? ec.message() : std::string("cannot create it"));
      return failure();
    }
    args.push_back(path);
  }

  // lld runs one link at a time per process.
  static std::mutex lldMutex;
  std::string messages;
  llvm::raw_string_ostream messageStream(messages);
  lld::Result result;
  {
    std::lock_guard<std::mutex> lock(lldMutex);
    result = lld::lldMain(args, messageStream, messageStream,
                          {{lld::Gnu, &lld::elf::link}});
  }
  if (result.retCode != 0) {
    error = "linking the object's parts failed: " + messages;
    return failure();
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> linked =
      llvm::MemoryBuffer::getFile(output, /*IsText=*/false);
  if (!linked) {
    error = "cannot read the linked object: " + linked.getError().message();
    return failure();
  }
  os << (*linked)->getBuffer();
  return success();
}

LogicalResult netc::emitObject(ModuleOp module, unsigned threads,
                               llvm::raw_pwrite_stream &os) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createHostTargetMachine(error);
  if (!machine)
    return emitError(module.getLoc(), "no native target: ") << error;
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translate(module, context, *machine);
  if (!llvmModule)
    return failure();

  // Without a writable temporary directory, lld has nowhere to join parts:
  // the module compiles as one, on one thread.
  TemporaryFiles files;
  const char *linkedPath = files.create();
  SmallVector<std::unique_ptr<llvm::Module>> parts;
  if (linkedPath)
    parts = partitionModule(*llvmModule, kObjectParts);
  if (parts.empty()) {
    if (failed(compile(*llvmModule, *machine, os, error)))
      return emitError(module.getLoc(), error);
    return success();
  }

  SmallVector<SmallVector<char, 0>> bitcodes(parts.size());
  for (auto [part, bitcode] : llvm::zip_equal(parts, bitcodes)) {
    llvm::raw_svector_ostream bitcodeStream(bitcode);
    llvm::WriteBitcodeToFile(*part, bitcodeStream);
  }
  parts.clear();
  llvmModule.reset();

  SmallVector<SmallVector<char, 0>> objects(bitcodes.size());
  SmallVector<std::string> errors(bitcodes.size());
  SmallVector<LogicalResult> results(bitcodes.size(), failure());
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    for (size_t i = 0; i < bitcodes.size(); ++i)
      pool.async([&, i] {
        StringRef bitcode(bitcodes[i].data(), bitcodes[i].size());
        results[i] = compilePart(bitcode, objects[i], errors[i]);
      });
    pool.wait();
  }
  for (auto [result, partError] : llvm::zip_equal(results, errors))
    if (failed(result))
      return emitError(module.getLoc(), partError);
  if (failed(linkRelocatable(objects, linkedPath, files, os, error)))
    return emitError(module.getLoc(), error);
  return success();
}
