//===- netc.cpp - The netc command-line tool ------------------------------===//
//
//   netc compile model.json [--emit=mlir|linalg|llvm|obj|header] [-o FILE]
//   netc inspect model.json [-o FILE]
//   netc run model.json --input X.npy|IMAGES-idx3-ubyte.gz
//            [--weights W.safetensors | --seed S] [--count N] [-o Y.npy]
//   netc train model.json --data DIR | --input X.npy --target T.npy ...
//   netc grad model.json --input X.npy --target T.npy -o G.safetensors
//   netc gradcheck model.json [--seed S]
//   netc --version | --cflags | --libs
//
// Argument parsing, option checks and dispatch only; the work is in
// compiler/Driver.
//
//===----------------------------------------------------------------------===//

#include "netc/Driver/Driver.h"
#include "netc/Frontend/ModelDiagnostics.h"
#include "netc/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>

using namespace mlir;
using namespace mlir::netc;
namespace cl = llvm::cl;

// One category per command: `netc <command> --help` shows its options only
// (LLVM's and MLIR's own stay behind --help-hidden). An option several
// commands take is in each of their categories.
static cl::OptionCategory compileCategory("netc compile options");
static cl::OptionCategory inspectCategory("netc inspect options");
static cl::OptionCategory runCategory("netc run options");
static cl::OptionCategory trainCategory("netc train options");
static cl::OptionCategory gradCategory("netc grad options");
static cl::OptionCategory gradCheckCategory("netc gradcheck options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.json>"),
                                      cl::Required, cl::cat(compileCategory),
                                      cl::cat(inspectCategory),
                                      cl::cat(runCategory),
                                      cl::cat(trainCategory),
                                      cl::cat(gradCategory),
                                      cl::cat(gradCheckCategory));

static cl::opt<std::string> outputPath(
    "o",
    cl::desc("Output file. compile: default <name>.o or <name>.h for obj and "
             "header, stdout for IR; inspect: the table (default stdout); "
             "run: the outputs as .npy (default: a summary on stdout); "
             "train: the trained weights (.safetensors); grad: the "
             "gradients (.safetensors, required)"),
    cl::value_desc("file"), cl::cat(compileCategory), cl::cat(inspectCategory),
    cl::cat(runCategory), cl::cat(trainCategory), cl::cat(gradCategory));

static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce (default: obj)"),
    cl::init(EmitKind::Object),
    cl::values(clEnumValN(EmitKind::Mlir, "mlir", "the imported netc dialect"),
               clEnumValN(EmitKind::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(EmitKind::LLVMIR, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "a native object file"),
               clEnumValN(EmitKind::Header, "header", "the model's C header")),
    cl::cat(compileCategory));

static cl::opt<bool> training(
    "training",
    cl::desc("Also emit the training entry points (gradients, SGD and Adam "
             "steps); --training=false for inference only (default: true)"),
    cl::init(true), cl::cat(compileCategory));

static cl::opt<unsigned> compileThreads(
    "jobs",
    cl::desc("Threads that optimize and compile the object (default: one "
             "per core); the object is the same for any count"),
    cl::init(0), cl::cat(compileCategory));
static cl::alias compileThreadsShort("j", cl::aliasopt(compileThreads),
                                     cl::desc("Alias for --jobs"),
                                     cl::cat(compileCategory));

static cl::opt<unsigned> vectorWidth(
    "vector-width",
    cl::desc("Choose the code-generation strategies for vectors of this many "
             "f32 lanes: 4, 8 or 16 (default: the host's, 16 with AVX-512, 8 "
             "with AVX2). The object still runs on this CPU: it tests the "
             "code another CPU would get"),
    cl::init(0), cl::cat(compileCategory));

static cl::opt<bool> verifyEachPass(
    "verify-each",
    cl::desc("Verify the IR after every pass, not only after the last: "
             "slower, and names the pass that produced invalid IR"),
    cl::init(false), cl::cat(compileCategory));

static cl::opt<std::string> weightsPath(
    "weights",
    cl::desc("safetensors file of the parameters, by PyTorch state_dict name "
             "(default: PyTorch's initialisation, seeded by --seed)"),
    cl::value_desc("file"), cl::cat(runCategory), cl::cat(trainCategory),
    cl::cat(gradCategory));

static cl::opt<std::string> inputPath(
    "input",
    cl::desc("run: a .npy array of shape (N, *input shape), or an IDX image "
             "file (MNIST format, .gz or not) fitted to the input; train, "
             "grad: a .npy array of shape (N, *input shape)"),
    cl::value_desc("file"), cl::cat(runCategory), cl::cat(trainCategory),
    cl::cat(gradCategory));

static cl::opt<uint64_t> seed(
    "seed",
    cl::desc("Seed of the parameter initialisation (without --weights), of "
             "dropout, of the shuffle and of gradcheck's data (default: 0)"),
    cl::init(0), cl::cat(runCategory), cl::cat(trainCategory),
    cl::cat(gradCategory), cl::cat(gradCheckCategory));

static cl::opt<int64_t> imageCount(
    "count", cl::desc("How many images of an IDX input to run (default: 64)"),
    cl::init(64), cl::cat(runCategory));

static cl::opt<std::string> targetPath(
    "target",
    cl::desc(".npy of class labels (N; integers or whole floats) or targets "
             "(N, *output shape), matching --input"),
    cl::value_desc("file"), cl::cat(trainCategory), cl::cat(gradCategory));

static cl::opt<std::string> inputGradPath(
    "input-grad", cl::desc("Also write the input's gradient (.npy)"),
    cl::value_desc("file"), cl::cat(gradCategory));

static cl::opt<std::string> dataDir(
    "data",
    cl::desc("Folder of IDX files (train-images-idx3-ubyte(.gz), "
             "train-labels-..., and t10k-... for testing)"),
    cl::value_desc("dir"), cl::cat(trainCategory));

static cl::opt<int64_t> epochs("epochs",
                               cl::desc("Epochs to train in all, a resumed "
                                        "run's done ones included (default: "
                                        "1)"),
                               cl::init(1), cl::cat(trainCategory));

static cl::opt<int64_t> batchSize(
    "batch-size", cl::desc("Batch size (default: train 64, gradcheck 3)"),
    cl::init(64), cl::cat(trainCategory), cl::cat(gradCheckCategory));

static cl::opt<int64_t> steps(
    "steps",
    cl::desc("Training on arrays: steps to take (default: --epochs passes)"),
    cl::init(0), cl::cat(trainCategory));

static cl::opt<netc_optimizer_kind> optimizerKind(
    "optimizer", cl::desc("The optimizer (default: sgd)"),
    cl::init(NETC_OPTIMIZER_SGD),
    cl::values(clEnumValN(NETC_OPTIMIZER_SGD, "sgd", "torch.optim.SGD"),
               clEnumValN(NETC_OPTIMIZER_ADAM, "adam", "torch.optim.Adam"),
               clEnumValN(NETC_OPTIMIZER_ADAMW, "adamw", "torch.optim.AdamW")),
    cl::cat(trainCategory));

static cl::opt<double> lr("lr",
                          cl::desc("Learning rate (default: SGD 0.01, Adam "
                                   "1e-3)"),
                          cl::cat(trainCategory));
static cl::opt<double> momentum("momentum",
                                cl::desc("SGD momentum (default: 0)"),
                                cl::cat(trainCategory));
static cl::opt<double> dampening("dampening",
                                 cl::desc("SGD dampening (default: 0)"),
                                 cl::cat(trainCategory));
static cl::opt<bool> nesterov("nesterov",
                              cl::desc("SGD with Nesterov momentum"),
                              cl::cat(trainCategory));
static cl::opt<double>
    weightDecay("weight-decay",
                cl::desc("Weight decay (default: 0, AdamW 1e-2)"),
                cl::cat(trainCategory));
static cl::opt<double> beta1("beta1",
                             cl::desc("Adam's beta1 (default: 0.9)"),
                             cl::cat(trainCategory));
static cl::opt<double> beta2("beta2",
                             cl::desc("Adam's beta2 (default: 0.999)"),
                             cl::cat(trainCategory));
static cl::opt<double> adamEps("eps", cl::desc("Adam's eps (default: 1e-8)"),
                               cl::cat(trainCategory));

static cl::opt<float> mean("mean",
                           cl::desc("Normalisation mean of IDX images "
                                    "(default: MNIST's 0.1307; Fashion-MNIST: "
                                    "0.2860)"),
                           cl::init(0.1307f), cl::cat(runCategory),
                           cl::cat(trainCategory));
static cl::opt<float> stddev("std",
                             cl::desc("Normalisation standard deviation of "
                                      "IDX images (default: MNIST's 0.3081; "
                                      "Fashion-MNIST: 0.3530)"),
                             cl::init(0.3081f), cl::cat(runCategory),
                             cl::cat(trainCategory));

static cl::opt<std::string> checkpointPath(
    "checkpoint",
    cl::desc("Checkpoint file, written atomically every epoch (safetensors "
             "with the optimizer state)"),
    cl::value_desc("file"), cl::cat(trainCategory));
static cl::opt<int64_t> checkpointEvery(
    "checkpoint-every",
    cl::desc("Also checkpoint every N batches (default: 0, epochs only)"),
    cl::init(0), cl::cat(trainCategory));
static cl::opt<bool> resume(
    "resume",
    cl::desc("Continue from --checkpoint; optimizer options given on the "
             "command line replace the checkpoint's"),
    cl::cat(trainCategory));
static cl::opt<std::string>
    plotPath("plot", cl::desc("Write the loss and accuracy per epoch (PNG)"),
             cl::value_desc("file"), cl::cat(trainCategory));

static cl::opt<int64_t>
    probes("probes", cl::desc("Elements probed per tensor (default: 12)"),
           cl::init(12), cl::cat(gradCheckCategory));
static cl::opt<double> fdStep("step",
                              cl::desc("Finite-difference step (default: "
                                       "1e-3); an element that disagrees "
                                       "is measured again at a tenth of it, "
                                       "in case the step crossed a kink"),
                              cl::init(1e-3), cl::cat(gradCheckCategory));
static cl::opt<double>
    tolerance("tolerance", cl::desc("Relative tolerance (default: 2e-2)"),
              cl::init(2e-2), cl::cat(gradCheckCategory));

static constexpr const char *kUsage =
    "netc: a compiler for convolutional networks\n\n"
    "usage: netc compile <model.json> [--emit=mlir|linalg|llvm|obj|header] "
    "[-o FILE]\n"
    "       netc inspect <model.json> [-o FILE]\n"
    "       netc run <model.json> --input X.npy|IMAGES.idx.gz "
    "[--weights W.safetensors | --seed S] [-o Y.npy]\n"
    "       netc train <model.json> --data DIR [--epochs N] [--batch-size B] "
    "[--lr LR] [--momentum M] [--checkpoint F [--resume]] [--plot P.png] "
    "[-o W.safetensors]\n"
    "       netc train <model.json> --input X.npy --target T.npy [--steps N] "
    "...\n"
    "       netc grad <model.json> --input X.npy --target T.npy "
    "[--weights W.safetensors] -o G.safetensors\n"
    "       netc gradcheck <model.json> [--seed S]\n"
    "       netc --version | --cflags | --libs\n\n"
    "`netc <command> --help` lists a command's options; --help-hidden adds\n"
    "MLIR's and LLVM's (--mlir-print-ir-after-all, --mlir-timing, ...).\n"
    "A C program links a compiled model with\n"
    "  cc $(netc --cflags) app.c model.o $(netc --libs)\n";

namespace {
/// A command: its options and what `netc <command> --help` says of it.
struct Command {
  StringRef name;
  cl::OptionCategory *options;
  const char *overview;
};
} // namespace

static const Command kCommands[] = {
    {"compile", &compileCategory,
     "netc compile: a model to a native object (with its training steps), "
     "its C header, or the IR of a stage\n"},
    {"inspect", &inspectCategory,
     "netc inspect: per-layer output shapes, parameters and FLOPs\n"},
    {"run", &runCategory,
     "netc run: the forward pass on .npy or IDX inputs\n"},
    {"train", &trainCategory,
     "netc train: trains on an IDX dataset (epochs, checkpoints, plots) or "
     "steps through .npy arrays\n"},
    {"grad", &gradCategory,
     "netc grad: the loss's gradients for one batch, as safetensors\n"},
    {"gradcheck", &gradCheckCategory,
     "netc gradcheck: the compiled gradients against finite differences\n"},
};

/// Shows `command`'s options only in --help: other commands' options are
/// hidden altogether, LLVM's and MLIR's are left to --help-hidden, and an
/// option several commands share is listed under this command's heading.
static void showOptionsOf(const Command &command) {
  auto &options = cl::getRegisteredOptions();
  llvm::DenseMap<cl::Option *, cl::OptionHidden> shownBefore;
  for (auto &entry : options)
    shownBefore[entry.second] = entry.second->getOptionHiddenFlag();
  // Hides (ReallyHidden) all but this command's options and --help/--version.
  cl::HideUnrelatedOptions(*command.options);
  auto isNetcCategory = [](cl::OptionCategory *category) {
    return llvm::any_of(kCommands, [&](const Command &c) {
      return c.options == category;
    });
  };
  for (auto &entry : options) {
    cl::Option *option = entry.second;
    if (llvm::is_contained(option->Categories, command.options))
      option->Categories.assign({command.options});
    else if (!llvm::any_of(option->Categories, isNetcCategory) &&
             shownBefore[option] == cl::NotHidden &&
             option->getOptionHiddenFlag() == cl::ReallyHidden)
      option->setHiddenFlag(cl::Hidden);
  }
}

//===----------------------------------------------------------------------===//
// Option checks: every number a command reads, before any work
//===----------------------------------------------------------------------===//

namespace {
/// Reports bad options as "netc <command>: ..." and remembers that one was.
class OptionChecker {
public:
  explicit OptionChecker(StringRef command) : command(command) {}

  void atLeast(const cl::opt<int64_t> &option, int64_t min) {
    if (option < min)
      fail(llvm::formatv("--{0} must be at least {1}, got {2}",
                         option.ArgStr, min, option.getValue()));
  }
  template <typename T>
  void positiveFinite(const cl::opt<T> &option) {
    if (!std::isfinite(option.getValue()) || !(option.getValue() > 0))
      fail(llvm::formatv("--{0} must be a finite number above 0, got {1}",
                         option.ArgStr, option.getValue()));
  }
  template <typename T>
  void finite(const cl::opt<T> &option) {
    if (!std::isfinite(option.getValue()))
      fail(llvm::formatv("--{0} must be a finite number, got {1}",
                         option.ArgStr, option.getValue()));
  }
  /// Options that `command` does not take but were given.
  void unused(ArrayRef<const cl::Option *> options, StringRef why) {
    for (const cl::Option *option : options)
      if (option->getNumOccurrences())
        fail(llvm::formatv("-{0}{1} {2}",
                           option->ArgStr.size() > 1 ? "-" : "",
                           option->ArgStr, why));
  }
  void fail(const Twine &message) {
    llvm::errs() << "netc " << command << ": error: " << message << "\n";
    ok = false;
  }

  bool ok = true;

private:
  StringRef command;
};
} // namespace

/// Whether a --mlir-print-ir-* option was given.
static bool printsIR() {
  for (const auto &entry : cl::getRegisteredOptions())
    if (entry.first.starts_with("mlir-print-ir") &&
        entry.second->getNumOccurrences() > 0)
      return true;
  return false;
}

/// Checks the options of `command`; false (after printing why) if any is
/// out of range or does not go with the others.
static bool checkOptions(StringRef command) {
  OptionChecker check(command);
  if (command == "run") {
    check.atLeast(imageCount, 1);
  } else if (command == "train") {
    check.atLeast(epochs, 1);
    check.atLeast(batchSize, 1);
    check.atLeast(steps, 0);
    check.atLeast(checkpointEvery, 0);
    if (dataDir.empty() == inputPath.empty())
      check.fail("give either --data DIR or --input X.npy --target T.npy");
    if (!inputPath.empty() && targetPath.empty())
      check.fail("--input needs --target");
    if (!dataDir.empty())
      check.unused({&targetPath, &steps}, "goes with --input, not --data");
    else
      check.unused({&plotPath, &checkpointPath, &checkpointEvery, &resume},
                   "goes with --data, not with --input arrays");
    if (resume && checkpointPath.empty())
      check.fail("--resume needs --checkpoint FILE");
    if (resume && !weightsPath.empty())
      check.fail("--resume continues from the checkpoint's weights; "
                 "--weights cannot go with it");
  } else if (command == "grad") {
    if (inputPath.empty() || targetPath.empty() || outputPath.empty())
      check.fail("--input, --target and -o are required");
  } else if (command == "gradcheck") {
    check.atLeast(batchSize, 1);
    check.atLeast(probes, 1);
    check.positiveFinite(fdStep);
    check.positiveFinite(tolerance);
  }
  if (command == "run" || command == "train") {
    check.finite(mean);
    check.positiveFinite(stddev);
  }
  if (command == "run" && inputPath.empty())
    check.fail("--input is required");
  return check.ok;
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

/// The default output of `compile` for binary kinds: `<model name>.o`.
static std::string defaultOutput(StringRef model, EmitKind emit) {
  if (emit == EmitKind::Object)
    return (model + ".o").str();
  if (emit == EmitKind::Header)
    return (model + ".h").str();
  return "-";
}

/// Opens `path` ("-" for stdout) for writing, or reports why not.
static std::unique_ptr<llvm::ToolOutputFile> openOutput(StringRef command,
                                                        StringRef path) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(path, &error);
  if (!output)
    llvm::errs() << "netc " << command << ": error: " << error << "\n";
  return output;
}

static int compileCommand(ModuleOp module) {
  if (vectorWidth != 0 && vectorWidth != 4 && vectorWidth != 8 &&
      vectorWidth != 16) {
    llvm::errs() << "netc compile: error: --vector-width must be 4, 8 or 16, "
                    "not "
                 << vectorWidth << "\n";
    return 1;
  }
  std::string path = outputPath;
  if (path.empty()) {
    FailureOr<ModelSignature> sig = getSignature(module);
    if (failed(sig))
      return 1;
    path = defaultOutput(sig->name, emitKind);
  }
  std::unique_ptr<llvm::ToolOutputFile> output = openOutput("compile", path);
  CompileOptions options;
  options.training = training;
  options.threads = compileThreads;
  options.verifyEachPass = verifyEachPass;
  options.vectorWidth = vectorWidth;
  if (!output || failed(compileModel(module, emitKind, options, output->os())))
    return 1;
  output->keep();
  return 0;
}

static int inspectCommand(ModuleOp module) {
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutput("inspect", outputPath.empty() ? "-" : outputPath.getValue());
  if (!output)
    return 1;
  printLayerTable(module, output->os());
  output->keep();
  return 0;
}

static int runCommand(ModuleOp module) {
  RunOptions options;
  options.weightsPath = weightsPath;
  options.seed = seed;
  options.inputPath = inputPath;
  options.count = imageCount;
  options.mean = mean;
  options.stddev = stddev;
  options.outputPath = outputPath;
  return failed(runModel(module, options));
}

/// The optimizer flags given on the command line.
static OptimizerFlags optimizerFlags() {
  auto given = [](const cl::opt<double> &flag) {
    return flag.getNumOccurrences() ? std::optional<double>(flag.getValue())
                                    : std::nullopt;
  };
  OptimizerFlags flags;
  flags.kind = optimizerKind;
  flags.lr = given(lr);
  flags.momentum = given(momentum);
  flags.dampening = given(dampening);
  flags.weightDecay = given(weightDecay);
  flags.beta1 = given(beta1);
  flags.beta2 = given(beta2);
  flags.eps = given(adamEps);
  if (nesterov.getNumOccurrences())
    flags.nesterov = nesterov.getValue();
  return flags;
}

static int trainCommand(ModuleOp module) {
  TrainOptions options;
  options.dataDir = dataDir;
  options.inputPath = inputPath;
  options.targetPath = targetPath;
  options.epochs = epochs;
  options.batchSize = batchSize;
  options.steps = steps;
  options.mean = mean;
  options.stddev = stddev;
  options.optimizer = optimizerFlags();
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

//===----------------------------------------------------------------------===//
// Queries that need no model
//===----------------------------------------------------------------------===//

static void printVersion(llvm::raw_ostream &os) {
  os << "netc " << NETC_VERSION << " (LLVM and MLIR " << LLVM_VERSION_STRING
     << ")\n";
}

/// The install prefix of this netc: bin/netc's parent, which holds
/// include/netc-c/netc.h and lib/libnetc_runtime.so (the build tree is laid
/// out the same way). Empty, after saying why, if netc.h is not there.
static std::string findPrefix(const char *argv0) {
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&findPrefix));
  SmallString<256> prefix(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(exe)));
  SmallString<256> header(prefix);
  llvm::sys::path::append(header, "include", "netc-c", "netc.h");
  if (!llvm::sys::fs::exists(header)) {
    llvm::errs() << "netc: error: cannot find " << header
                 << " beside this netc (" << exe << ")\n";
    return "";
  }
  return prefix.str().str();
}

/// Answers `netc --version`, `--cflags` and `--libs` (the last two may go
/// together); returns the exit code.
static int printQueries(int argc, char **argv) {
  std::string prefix;
  for (int i = 1; i < argc; ++i) {
    StringRef query = argv[i];
    if (query == "--version") {
      printVersion(llvm::outs());
      continue;
    }
    if (query != "--cflags" && query != "--libs") {
      llvm::errs() << "netc: error: '" << query
                   << "' does not go with --version, --cflags and --libs\n";
      return 1;
    }
    if (prefix.empty() && (prefix = findPrefix(argv[0])).empty())
      return 1;
    // Quoted for the shell in $(netc --cflags) only where needed.
    auto path = [&](StringRef sub) {
      SmallString<256> dir(prefix);
      llvm::sys::path::append(dir, sub);
      return dir.str().str();
    };
    if (query == "--cflags")
      llvm::outs() << "-I" << path("include") << "\n";
    else
      llvm::outs() << "-L" << path("lib") << " -Wl,-rpath," << path("lib")
                   << " -lnetc_runtime -L" NETC_OPENMP_LIBDIR
                      " -Wl,-rpath," NETC_OPENMP_LIBDIR " -lomp -lm\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc < 2 || StringRef(argv[1]) == "--help" ||
      StringRef(argv[1]) == "-h") {
    llvm::outs() << kUsage;
    return argc < 2;
  }
  if (StringRef(argv[1]).starts_with("--"))
    return printQueries(argc, argv);
  const Command *found = llvm::find_if(
      kCommands, [&](const Command &c) { return c.name == argv[1]; });
  if (found == std::end(kCommands)) {
    llvm::errs() << "netc: error: unknown command '" << argv[1] << "'\n\n"
                 << kUsage;
    return 1;
  }
  StringRef command = found->name;

  // MLIR's own flags (--mlir-print-ir-after-all, --mlir-timing, ...); pass
  // names in --mlir-print-ir-after=<pass> need the passes registered. They
  // work for every command but are listed by --help-hidden only.
  mlir::registerAllPasses();
  netc::registerAllPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  showOptionsOf(*found);
  cl::SetVersionPrinter(printVersion);
  // The command word is not an option: parse what follows it.
  std::string programName = ("netc " + command).str();
  argv[1] = programName.data();
  if (!cl::ParseCommandLineOptions(argc - 1, argv + 1, found->overview,
                                   &llvm::errs()))
    return 1;
  if (!checkOptions(command))
    return 1;

  DialectRegistry registry;
  registerDriverDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Function passes run in parallel (--mlir-disable-threading turns it
  // off), except when IR is printed after passes: that needs them in order.
  if (printsIR())
    context.disableMultithreading();

  llvm::SourceMgr sourceMgr;
  ModelDiagnosticHandler diagnostics(sourceMgr, &context, programName,
                                     llvm::errs());
  OwningOpRef<ModuleOp> module = loadModel(modelPath, sourceMgr, context);
  if (!module)
    return 1;

  if (command == "compile")
    return compileCommand(*module);
  if (command == "inspect")
    return inspectCommand(*module);
  if (command == "train")
    return trainCommand(*module);
  if (command == "grad")
    return gradCommand(*module);
  if (command == "gradcheck")
    return gradCheckCommand(*module);
  return runCommand(*module);
}
