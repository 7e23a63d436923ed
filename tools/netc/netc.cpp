//===- netc.cpp - The netc command-line tool ------------------------------===//
//
//   netc compile model.json [--emit=mlir|linalg|llvm|obj|header] [-o FILE]
//   netc inspect model.json
//   netc run model.json --input X.npy|IMAGES-idx3-ubyte.gz
//            [--weights W.safetensors | --seed S] [--count N] [-o Y.npy]
//   netc train model.json --data DIR | --input X.npy --target T.npy ...
//   netc grad model.json --input X.npy --target T.npy -o G.safetensors
//   netc gradcheck model.json [--seed S]
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

static cl::OptionCategory trainCategory("netc train, grad and gradcheck options");

static cl::opt<std::string> targetPath(
    "target", cl::desc("train, grad: .npy of class labels (N) or targets "
                       "(N, *output shape), matching --input"),
    cl::value_desc("file"), cl::cat(trainCategory));

static cl::opt<std::string> inputGradPath(
    "input-grad", cl::desc("grad: also write the input's gradient (.npy)"),
    cl::value_desc("file"), cl::cat(trainCategory));

static cl::opt<std::string> dataDir(
    "data", cl::desc("train: folder of IDX files (train-images-idx3-ubyte.gz, "
                     "train-labels-..., t10k-... for testing)"),
    cl::value_desc("dir"), cl::cat(trainCategory));

static cl::opt<int64_t> epochs("epochs", cl::desc("train: epochs"), cl::init(1),
                               cl::cat(trainCategory));

static cl::opt<int64_t> batchSize("batch-size",
                                  cl::desc("train, gradcheck: batch size"),
                                  cl::init(64), cl::cat(trainCategory));

static cl::opt<int64_t> steps(
    "steps", cl::desc("train on arrays: steps to take (default: --epochs "
                      "passes)"),
    cl::init(0), cl::cat(trainCategory));

static cl::opt<netc_optimizer_kind> optimizerKind(
    "optimizer", cl::desc("train: the optimizer"),
    cl::init(NETC_OPTIMIZER_SGD),
    cl::values(clEnumValN(NETC_OPTIMIZER_SGD, "sgd", "torch.optim.SGD"),
               clEnumValN(NETC_OPTIMIZER_ADAM, "adam", "torch.optim.Adam"),
               clEnumValN(NETC_OPTIMIZER_ADAMW, "adamw", "torch.optim.AdamW")),
    cl::cat(trainCategory));

static cl::opt<double> lr("lr", cl::desc("train: learning rate"),
                          cl::cat(trainCategory));
static cl::opt<double> momentum("momentum", cl::desc("train: SGD momentum"),
                                cl::cat(trainCategory));
static cl::opt<double> dampening("dampening", cl::desc("train: SGD dampening"),
                                 cl::cat(trainCategory));
static cl::opt<bool> nesterov("nesterov", cl::desc("train: Nesterov momentum"),
                              cl::cat(trainCategory));
static cl::opt<double> weightDecay("weight-decay",
                                   cl::desc("train: weight decay"),
                                   cl::cat(trainCategory));
static cl::opt<double> beta1("beta1", cl::desc("train: Adam's beta1"),
                             cl::cat(trainCategory));
static cl::opt<double> beta2("beta2", cl::desc("train: Adam's beta2"),
                             cl::cat(trainCategory));
static cl::opt<double> adamEps("eps", cl::desc("train: Adam's eps"),
                               cl::cat(trainCategory));

static cl::opt<float> mean("mean",
                           cl::desc("train, run: normalisation mean of IDX "
                                    "images (Fashion-MNIST: 0.2860)"),
                           cl::init(0.1307f), cl::cat(trainCategory));
static cl::opt<float> stddev("std",
                             cl::desc("train, run: normalisation standard "
                                      "deviation (Fashion-MNIST: 0.3530)"),
                             cl::init(0.3081f), cl::cat(trainCategory));

static cl::opt<std::string> checkpointPath(
    "checkpoint", cl::desc("train: checkpoint file, written atomically every "
                           "epoch (safetensors with optimizer state)"),
    cl::value_desc("file"), cl::cat(trainCategory));
static cl::opt<int64_t> checkpointEvery(
    "checkpoint-every", cl::desc("train: also checkpoint every N batches"),
    cl::init(0), cl::cat(trainCategory));
static cl::opt<bool> resume("resume",
                            cl::desc("train: continue from --checkpoint"),
                            cl::cat(trainCategory));
static cl::opt<std::string> plotPath(
    "plot", cl::desc("train: write the loss and accuracy per epoch (PNG)"),
    cl::value_desc("file"), cl::cat(trainCategory));

static cl::opt<int64_t> probes("probes",
                               cl::desc("gradcheck: elements probed per tensor"),
                               cl::init(12), cl::cat(trainCategory));
static cl::opt<double> fdStep("step",
                              cl::desc("gradcheck: finite-difference step"),
                              cl::init(1e-3), cl::cat(trainCategory));
static cl::opt<double> tolerance("tolerance",
                                 cl::desc("gradcheck: relative tolerance"),
                                 cl::init(2e-2), cl::cat(trainCategory));

static constexpr const char *kUsage =
    "netc: a compiler for convolutional networks\n\n"
    "usage: netc compile <model.json> [--emit=mlir|linalg|llvm|obj|header] "
    "[-o FILE]\n"
    "       netc inspect <model.json>\n"
    "       netc train <model.json> --data DIR [--epochs N] [--batch-size B] "
    "[--lr LR] [--momentum M] [--checkpoint F [--resume]] [--plot P.png] "
    "[-o W.safetensors]\n"
    "       netc grad <model.json> --input X.npy --target T.npy "
    "[--weights W.safetensors] -o G.safetensors\n"
    "       netc gradcheck <model.json> [--seed S]\n"
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

/// The optimizer of the command line: PyTorch's defaults for the kind, with
/// the options given replacing them.
static netc_optimizer_options optimizerOptions() {
  netc_optimizer_options options = netc_optimizer_options_default(optimizerKind);
  auto set = [](cl::opt<double> &flag, double &field) {
    if (flag.getNumOccurrences())
      field = flag;
  };
  set(lr, options.lr);
  set(momentum, options.momentum);
  set(dampening, options.dampening);
  set(weightDecay, options.weight_decay);
  set(beta1, options.beta1);
  set(beta2, options.beta2);
  set(adamEps, options.eps);
  options.nesterov = nesterov;
  return options;
}

static int trainCommand(ModuleOp module) {
  if (dataDir.empty() == inputPath.empty()) {
    llvm::errs() << "netc train: give either --data DIR or --input X.npy "
                    "--target T.npy\n";
    return 1;
  }
  TrainOptions options;
  options.dataDir = dataDir;
  options.inputPath = inputPath;
  options.targetPath = targetPath;
  options.epochs = epochs;
  options.batchSize = batchSize;
  options.steps = steps;
  options.mean = mean;
  options.stddev = stddev;
  options.optimizer = optimizerOptions();
  options.seed = seed;
  options.weightsPath = weightsPath;
  options.checkpointPath = checkpointPath;
  options.checkpointEvery = checkpointEvery;
  options.resume = resume;
  options.outputPath = outputPath;
  options.plotPath = plotPath;
  return failed(trainModel(module, options));
}

static int gradCommand(ModuleOp module) {
  if (inputPath.empty() || targetPath.empty() || outputPath.empty()) {
    llvm::errs() << "netc grad: --input, --target and -o are required\n";
    return 1;
  }
  GradOptions options;
  options.weightsPath = weightsPath;
  options.seed = seed;
  options.inputPath = inputPath;
  options.targetPath = targetPath;
  options.outputPath = outputPath;
  options.inputGradPath = inputGradPath;
  return failed(gradModel(module, options));
}

static int gradCheckCommand(ModuleOp module) {
  GradCheckOptions options;
  options.seed = seed;
  if (batchSize.getNumOccurrences())
    options.batch = batchSize;
  options.probes = probes;
  options.step = fdStep;
  options.tolerance = tolerance;
  return failed(gradCheckModel(module, options));
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2 || StringRef(argv[1]) == "--help" || StringRef(argv[1]) == "-h") {
    llvm::outs() << kUsage;
    return argc < 2;
  }
  StringRef command = argv[1];
  if (!llvm::is_contained({"compile", "inspect", "run", "train", "grad",
                           "gradcheck"},
                          command)) {
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
  if (command == "train")
    return trainCommand(*module);
  if (command == "grad")
    return gradCommand(*module);
  if (command == "gradcheck")
    return gradCheckCommand(*module);
  return runCommand(*module);
}
