//===- LinkedModel.h - A compiled model linked into this process -*- C++ -*-===//
//
// What `netc run`, `netc train` and `netc grad` execute: the object `netc
// compile` would write, linked into the netc process by ORC's JIT linker (no
// interpreter), described to the runtime by a netc_model_info.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_DRIVER_LINKEDMODEL_H
#define NETC_DRIVER_LINKEDMODEL_H

#include "netc/Dialect/ModelSignature.h"

#include "netc-c/netc.h"

#include "llvm/ExecutionEngine/Orc/LLJIT.h"

#include <memory>
#include <vector>

namespace mlir::netc {

class LinkedModel {
public:
  /// Compiles `module` to an object (with the training entry points when
  /// `training`) and links it. Reports failures as diagnostics.
  static FailureOr<std::unique_ptr<LinkedModel>> create(ModuleOp module,
                                                        bool training);

  const ModelSignature &signature() const { return sig; }
  const TrainingSignature &training() const { return trainingSig; }
  /// The runtime's description of the model (strings owned by this object).
  const netc_model_info &info() const { return modelInfo; }

  /// The entry point `<model>_<suffix>` ("forward", "sgd_step", ...).
  template <typename Fn>
  FailureOr<Fn> lookup(StringRef suffix, Location loc) {
    FailureOr<void *> address = lookupAddress(suffix, loc);
    if (failed(address))
      return failure();
    return reinterpret_cast<Fn>(*address);
  }

  /// The entry points a netc_trainer needs.
  FailureOr<netc_model_entry_points> entryPoints(Location loc);

  /// Elements of one sample of the input, the output and the target.
  int64_t inputSize() const;
  int64_t outputSize() const;

private:
  LinkedModel(const ModelSignature &sig, const TrainingSignature &training);
  FailureOr<void *> lookupAddress(StringRef suffix, Location loc);

  ModelSignature sig;
  TrainingSignature trainingSig;
  std::vector<netc_param_info> params;
  netc_model_info modelInfo{};
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace mlir::netc

#endif // NETC_DRIVER_LINKEDMODEL_H
