//===- Driver.h - What the netc commands do ---------------------*- C++ -*-===//
//
// The work behind `netc compile|inspect|run`, kept out of the tool so that the
// tool is argument parsing only. Diagnostics go through the MLIRContext; the
// caller installs the handler that prints them (file:line:col: error: ...).
//
//===----------------------------------------------------------------------===//
#ifndef NETC_DRIVER_DRIVER_H
#define NETC_DRIVER_DRIVER_H

#include "netc/Dialect/ModelSignature.h"

#include "netc-c/netc.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace mlir::netc {

/// How far `netc compile` goes, in pipeline order.
enum class EmitKind { Mlir, Linalg, LLVMIR, Object, Header };

/// Registers everything the driver's pipelines and translations need.
void registerDriverDialects(DialectRegistry &registry);

/// Reads the model file at `path` into `sourceMgr` and imports it; a `.mlir`
/// file is parsed as a module of netc models instead. Null, with the
/// problems reported, if the file cannot be read or is not a valid model.
OwningOpRef<ModuleOp> loadModel(StringRef path, llvm::SourceMgr &sourceMgr,
                                MLIRContext &context);

/// The signature of the one model `module` holds.
FailureOr<ModelSignature> getSignature(ModuleOp module);

/// How `compileModel` compiles.
struct CompileOptions {
  /// Also the training entry points (gradients, SGD and Adam steps).
  bool training = true;
  /// Threads that optimize and compile an object (0: one per core).
  unsigned threads = 0;
  /// Verify the IR after every pass, which names the pass that broke it;
  /// otherwise once, after the last (verification after each pass was a
  /// sixth of the compile time).
  bool verifyEachPass = false;
  /// f32 lanes of the vectors the CPU strategies are chosen for (0: the
  /// host's). Another width still runs on the host (LLVM splits or narrows
  /// the vectors): it tests the strategies another CPU would get.
  unsigned vectorWidth = 0;
};

/// Compiles an imported module as far as `emit` and writes the result
/// (IR text, object bytes or header) to `os`. MLIR's command-line pass
/// manager options (--mlir-print-ir-after-all, --mlir-timing) apply.
LogicalResult compileModel(ModuleOp module, EmitKind emit,
                           const CompileOptions &options,
                           llvm::raw_pwrite_stream &os);

/// Prints the per-layer table of `netc inspect`: output shape, parameter
/// count and FLOPs of each layer, then the totals.
void printLayerTable(ModuleOp module, llvm::raw_ostream &os);

/// What `netc run` reads and writes.
struct RunOptions {
  /// safetensors by PyTorch state_dict name; empty: PyTorch's default
  /// initialisation, seeded by `seed`.
  std::string weightsPath;
  uint64_t seed = 0;
  /// A .npy array of shape (N, *input shape), or an IDX image file (MNIST
  /// format, gzipped or not) whose first `count` images are normalised with
  /// `mean`/`stddev` and resized (nearest pixel) to the model's input.
  std::string inputPath;
  int64_t count = 64;
  float mean = 0.1307f, stddev = 0.3081f;
  /// The .npy to write the outputs to; empty: print a summary only.
  std::string outputPath;
};

/// Compiles `module` to an object, loads it into this process and runs its
/// forward pass on the input batch.
LogicalResult runModel(ModuleOp module, const RunOptions &options);

/// What `netc grad` reads and writes.
struct GradOptions {
  std::string weightsPath; ///< empty: default initialisation from `seed`
  uint64_t seed = 0;       ///< also the dropout seed
  std::string inputPath;   ///< .npy (N, *input shape)
  std::string targetPath;  ///< .npy labels (N) or targets (N, *output)
  std::string outputPath;  ///< safetensors of the gradients, by param name
  std::string inputGradPath; ///< optional .npy of the input gradient
};

/// Runs the compiled backward entry point on one batch, prints the loss and
/// writes the gradients.
LogicalResult gradModel(ModuleOp module, const GradOptions &options);

/// How `netc gradcheck` probes a model.
struct GradCheckOptions {
  uint64_t seed = 0;
  int64_t batch = 3;
  int64_t probes = 12;     ///< elements probed per tensor
  double step = 1e-3;      ///< finite-difference step
  double tolerance = 2e-2; ///< relative
};

/// Compares the compiled gradients with central finite differences of the
/// loss, on random parameters and data; fails if any probe disagrees.
LogicalResult gradCheckModel(ModuleOp module, const GradCheckOptions &options);

/// Optimizer options as given on the command line: the kind, and the
/// values given, which replace PyTorch's defaults for the kind or, when
/// resuming, the checkpoint's options.
struct OptimizerFlags {
  netc_optimizer_kind kind = NETC_OPTIMIZER_SGD;
  std::optional<double> lr, momentum, dampening, weightDecay, beta1, beta2,
      eps;
  std::optional<bool> nesterov;
};

/// What `netc train` trains on and how.
struct TrainOptions {
  /// IDX data: a folder with train-images-idx3-ubyte(.gz),
  /// train-labels-idx1-ubyte(.gz) and, for testing, the t10k- files.
  std::string dataDir;
  /// Or arrays: .npy input and targets, stepped through in order.
  std::string inputPath, targetPath;
  int64_t epochs = 1;
  int64_t batchSize = 64;
  int64_t steps = 0; ///< arrays: steps to take (0: one pass per epoch)
  float mean = 0.1307f, stddev = 0.3081f;
  OptimizerFlags optimizer;
  uint64_t seed = 0;
  std::string weightsPath;    ///< initial weights (else initialised)
  std::string checkpointPath; ///< written atomically every epoch
  int64_t checkpointEvery = 0;
  /// Continue from `checkpointPath`: its weights, optimizer state and
  /// options (but those given in `optimizer`), and its place in the data.
  bool resume = false;
  std::string outputPath; ///< the trained weights (safetensors)
  std::string plotPath;   ///< loss and accuracy per epoch (PNG)
};

/// Trains a model with the runtime's trainer over its compiled step.
LogicalResult trainModel(ModuleOp module, const TrainOptions &options);

} // namespace mlir::netc

#endif // NETC_DRIVER_DRIVER_H
