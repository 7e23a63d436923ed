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

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::netc {

/// How far `netc compile` goes, in pipeline order.
enum class EmitKind { Mlir, Linalg, LLVMIR, Object, Header };

/// Registers everything the driver's pipelines and translations need.
void registerDriverDialects(DialectRegistry &registry);

/// Reads the model file at `path` into `sourceMgr` and imports it. Null, with
/// the problems reported, if the file cannot be read or is not a valid model.
OwningOpRef<ModuleOp> loadModel(StringRef path, llvm::SourceMgr &sourceMgr,
                                MLIRContext &context);

/// The signature of the one model `module` holds.
FailureOr<ModelSignature> getSignature(ModuleOp module);

/// Compiles an imported module as far as `emit` and writes the result
/// (IR text, object bytes or header) to `os`; with `training`, the training
/// entry points too. MLIR's command-line pass manager options
/// (--mlir-print-ir-after-all, --mlir-timing) apply.
LogicalResult compileModel(ModuleOp module, EmitKind emit, bool training,
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

} // namespace mlir::netc

#endif // NETC_DRIVER_DRIVER_H
