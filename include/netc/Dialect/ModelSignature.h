//===- ModelSignature.h - What a compiled model looks like from C -*- C++ -*-===//
//
// The C-visible contract of a model function: its per-sample input and output
// shapes and the packed parameter buffer. The entry-point export, the header
// emitter, `netc inspect` and `netc run` all read it from here, so the buffer
// layout is decided in exactly one place.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_DIALECT_MODELSIGNATURE_H
#define NETC_DIALECT_MODELSIGNATURE_H

#include "netc/Dialect/ShapeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::netc {

/// Parameters start on 64-byte boundaries so vector loads of them are
/// aligned; the gaps are never read.
inline constexpr int64_t kParamAlignmentFloats = 16;

/// How PyTorch initialises a parameter of the layer kind that uses it.
enum class ParamInit { Zeros, Ones, Uniform };

/// One parameter (or buffer, such as a batch norm's running mean).
struct ParameterInfo {
  std::string name;   ///< PyTorch state_dict name, e.g. "conv1.weight".
  Shape shape;        ///< Full shape, as in PyTorch.
  int64_t offset = 0; ///< Offset in the packed buffer, in floats.
  int64_t numel = 0;  ///< Number of elements.
  unsigned argIndex = 0; ///< Argument of the model function it binds to.
  ParamInit init = ParamInit::Zeros;
  float initBound = 0;   ///< Uniform in [-initBound, initBound].
  bool isBuffer = false; ///< Running statistics: state, not trained.
};

struct ModelSignature {
  std::string name;   ///< The model's name: a C identifier.
  Shape inputShape;   ///< Per-sample input shape (no batch dimension).
  Shape outputShape;  ///< Per-sample output shape (no batch dimension).
  std::vector<ParameterInfo> params;
  int64_t paramFloats = 0; ///< Size of the packed buffer, in floats.
};

/// What a model trains with, as its training entry points see it.
struct TrainingSignature {
  /// Cross entropy against int32 labels (N); otherwise the squared error
  /// against float targets shaped like the output.
  bool classification = true;
  float labelSmoothing = 0.0f;
  /// Whether the loss sums its terms (torch's reduction="sum") rather than
  /// averaging them.
  bool sumReduction = false;
  /// Bytes of temporaries one training step allocates at most: `fixedBytes`
  /// plus `bytesPerSample` times the batch size. Zero when not measured.
  int64_t fixedBytes = 0;
  int64_t bytesPerSample = 0;
};

/// Why `name` cannot name a model, or an empty string if it can. The
/// generated header declares `<name>_forward`, `<NAME>_INPUT_FLOATS`, ...
/// beside netc.h's `netc_*` and `NETC_*`, so a name must be a C identifier
/// that neither C nor netc reserves.
std::string checkModelName(StringRef name);

/// The functions of `module` that hold models (marked `netc.model`).
SmallVector<func::FuncOp> getModelFunctions(ModuleOp module);

/// Reads the signature of a model function; emits an error on `model` and
/// fails if it is not of the form the frontend produces.
FailureOr<ModelSignature> getModelSignature(func::FuncOp model);

/// Reads the loss of a model function (`netc.loss`).
TrainingSignature getTrainingSignature(func::FuncOp model);

} // namespace mlir::netc

#endif // NETC_DIALECT_MODELSIGNATURE_H
