//===- netc.cpp - The netc command-line tool ------------------------------===//
//
//   netc compile model.json [--emit=mlir|linalg|llvm|obj|header] [-o FILE]
//   netc inspect model.json
//   netc run model.json --input X.npy|IMAGES-idx3-ubyte.gz
//            [--weights W.safetensors | --seed S] [--count N] [-o Y.npy]
//
// Argument parsing and dispatch only; the work is in compiler/Driver.
//
//===----------------------------------------------------------------------===//

#include "netc/Driver/Driver.h"
#include "netc/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::netc;
namespace cl = llvm::cl;

static cl::OptionCategory netcCategory("netc options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                                      cl::Required, cl::cat(netcCategory));

static cl::opt<std::string> outputPath(
    "o", cl::desc("Output file (compile: default stdout, or <name>.o/.h for "
                  "obj/header; run: the .npy to write)"),
    cl::value_desc("file"), cl::cat(netcCategory));

static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("compile: what to produce"), cl::init(EmitKind::Object),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "the imported netc dialect"),
               clEnumValN(EmitKind::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(EmitKind::LLVMIR, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "a native object file"),
               clEnumValN(EmitKind::Header, "header", "the model's C header")),
    cl::cat(netcCategory));

static cl::opt<bool> training(
    "training",
    cl::desc("compile: also emit the training entry points (gradients, SGD "
             "and Adam steps); --training=false for inference only"),
    cl::init(true), cl::cat(netcCategory));

static cl::opt<std::string> weightsPath(
    "weights", cl::desc("run: safetensors file of the parameters, by PyTorch "
                        "state_dict name"),
    cl::value_desc("file"), cl::cat(netcCategory));

static cl::opt<std::string> inputPath(
    "input",
    cl::desc("run: a .npy float array of shape (N, *input shape), or an IDX "
             "image file (MNIST format, .gz or not) fitted to the input"),
    cl::value_desc("file"), cl::cat(netcCategory));

static cl::opt<uint64_t> seed(
    "seed", cl::desc("run: seed of PyTorch's default initialisation, used "
                     "when no --weights are given"),
    cl::init(0), cl::cat(netcCategory));

static cl::opt<int64_t> imageCount(
    "count", cl::desc("run: how many images of an IDX input to run"),
    cl::init(64), cl::cat(netcCategory));

static constexpr const char *kUsage =
    "netc: a compiler for convolutional networks\n\n"
    "usage: netc compile <model.json> [--emit=mlir|linalg|llvm|obj|header] "
    "[-o FILE]\n"
    "       netc inspect <model.json>\n"
    "       netc run <model.json> --input X.npy|IMAGES.idx.gz "
    "[--weights W.safetensors | --seed S] [-o Y.npy]\n";

/// The default output of `compile` for binary kinds: `<model name>.o`.
static std::string defaultOutput(StringRef model, EmitKind emit) {
  if (emit == EmitKind::Object)
    return (model + ".o").str();
  if (emit == EmitKind::Header)
    return (model + ".h").str();
  return "-";
}

static int compileCommand(ModuleOp module) {
  std::string path = outputPath;
  if (path.empty()) {
    FailureOr<ModelSignature> sig = getSignature(module);
    if (failed(sig))
      return 1;
    path = defaultOutput(sig->name, emitKind);
  }
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output) {
    llvm::errs() << "netc: " << error << "\n";
    return 1;
  }
  if (failed(compileModel(module, emitKind, training, output->os())))
    return 1;
  output->keep();
  return 0;
}

static int runCommand(ModuleOp module) {
  if (inputPath.empty()) {
    llvm::errs() << "netc run: --input is required\n";
    return 1;
  }
  RunOptions options;
  options.weightsPath = weightsPath;
  options.seed = seed;
  options.inputPath = inputPath;
  options.count = imageCount;
  options.outputPath = outputPath;
  return failed(runModel(module, options));
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2 || StringRef(argv[1]) == "--help" || StringRef(argv[1]) == "-h") {
    llvm::outs() << kUsage;
    return argc < 2;
  }
  StringRef command = argv[1];
  if (command != "compile" && command != "inspect" && command != "run") {
    llvm::errs() << "netc: unknown command '" << command << "'\n\n" << kUsage;
    return 1;
  }

  // MLIR's own flags (--mlir-print-ir-after-all, --mlir-timing, ...); pass
  // names in --mlir-print-ir-after=<pass> need the passes registered.
  mlir::registerAllPasses();
  netc::registerAllPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  // The command word is not an option: parse what follows it.
  std::string programName = ("netc " + command).str();
  argv[1] = programName.data();
  if (!cl::ParseCommandLineOptions(argc - 1, argv + 1, kUsage, &llvm::errs()))
    return 1;

  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Pass IR printing needs the passes to run in order on one thread.
  context.disableMultithreading();

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = loadModel(modelPath, sourceMgr, context);
  if (!module)
    return 1;

  if (command == "compile")
    return compileCommand(*module);
  if (command == "inspect") {
    printLayerTable(*module, llvm::outs());
    return 0;
  }
  return runCommand(*module);
}
