//===- EntryPointABI.h - The C ABI of a compiled model ----------*- C++ -*-===//
//
// The one description of the functions a compiled model exports: their
// names, their arguments in order with C types, which pointers may be NULL,
// and what they return. netc-export-entry-points builds the functions from
// it, netc-guard-entry-points checks their arguments by it, the header
// emitter declares them from it, and the driver looks them up by it.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CODEGEN_ENTRYPOINTABI_H
#define NETC_CODEGEN_ENTRYPOINTABI_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::netc {

/// How an argument is passed from C.
enum class ABIType {
  ConstFloats, ///< const float *
  Floats,      ///< float *
  Target,      ///< const int32_t *labels or const float *target
  Batch,       ///< int64_t, the number of samples
  Seed,        ///< uint64_t
  SgdHparams,  ///< const float[NETC_SGD_HPARAMS]
  AdamHparams, ///< const float[NETC_ADAM_HPARAMS]
};

/// What a pointer argument points to: which sizes make it empty, so that it
/// may be NULL.
enum class ABIExtent {
  None,       ///< not a pointer
  Samples,    ///< `batch` samples: empty when the batch is 0
  Parameters, ///< a parameter-layout buffer: empty without parameters
  Fixed,      ///< never empty (a loss, hyper-parameters)
};

struct ABIArgument {
  const char *name;
  ABIType type;
  ABIExtent extent;
  /// A pointer the caller may pass as NULL (the computation it feeds is
  /// skipped); every other one must be non-NULL unless what it points to
  /// is empty.
  bool optional = false;

  bool isPointer() const { return extent != ABIExtent::None; }
};

/// One exported function: `int <model>_<suffix>(arguments...)`, returning a
/// netc_status.
struct EntryPointABI {
  const char *suffix;
  ArrayRef<ABIArgument> arguments;
  /// The smallest batch it takes: 1 for the training steps, whose loss is
  /// a mean over the batch (of none, NaN parameters).
  int64_t minBatch;

  /// The position of the argument `name`, which must exist.
  unsigned index(StringRef name) const;
  /// "<model>_<suffix>".
  std::string symbol(StringRef model) const;
};

/// The entry point `<model>_<suffix>`, or null.
const EntryPointABI *lookupEntryPointABI(StringRef suffix);
const EntryPointABI &getEntryPointABI(StringRef suffix);

/// The MLIR type of an argument inside the compiled module: pointers are
/// rank-0 memrefs (bare pointers in the C ABI), of `targetElement` for the
/// target; integers are i64.
Type getABIArgumentType(Builder &b, const ABIArgument &argument,
                        Type targetElement);
/// The argument as a C parameter declaration: "const float *input".
std::string formatCParameter(const ABIArgument &argument, bool classification);

/// The attribute that marks a function built for an entry point, naming
/// its suffix; netc-guard-entry-points turns it into the exported function.
inline constexpr llvm::StringLiteral kEntryPointAttrName = "netc.entry_point";
/// The size of the model's parameter buffer in floats, on such a function.
inline constexpr llvm::StringLiteral kParamFloatsAttrName = "netc.param_floats";
/// The bytes of the largest per-sample array it is passed (an input, an
/// output, a target), on such a function.
inline constexpr llvm::StringLiteral kSampleBytesAttrName = "netc.sample_bytes";
/// The runtime function the exported functions report a bad argument
/// through: `int netc_entry_point_error(int status, const char *message)`.
inline constexpr llvm::StringLiteral kEntryPointErrorFunction =
    "netc_entry_point_error";

} // namespace mlir::netc

#endif // NETC_CODEGEN_ENTRYPOINTABI_H
