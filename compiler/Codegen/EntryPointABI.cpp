//===- EntryPointABI.cpp - The C ABI of a compiled model ------------------===//

#include "netc/Codegen/EntryPointABI.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::netc;

namespace {
using T = ABIType;
using E = ABIExtent;

const ABIArgument kForward[] = {{"params", T::ConstFloats, E::Parameters},
                                {"input", T::ConstFloats, E::Samples},
                                {"output", T::Floats, E::Samples},
                                {"batch", T::Batch, E::None}};

const ABIArgument kBackward[] = {
    {"params", T::ConstFloats, E::Parameters},
    {"input", T::ConstFloats, E::Samples},
    {"target", T::Target, E::Samples},
    {"batch", T::Batch, E::None},
    {"seed", T::Seed, E::None},
    {"grads", T::Floats, E::Parameters},
    {"loss", T::Floats, E::Fixed},
    {"input_grad", T::Floats, E::Samples, /*optional=*/true}};

const ABIArgument kSgdStep[] = {{"params", T::Floats, E::Parameters},
                                {"momentum", T::Floats, E::Parameters},
                                {"input", T::ConstFloats, E::Samples},
                                {"target", T::Target, E::Samples},
                                {"batch", T::Batch, E::None},
                                {"seed", T::Seed, E::None},
                                {"hparams", T::SgdHparams, E::Fixed},
                                {"loss", T::Floats, E::Fixed}};

const ABIArgument kAdamStep[] = {{"params", T::Floats, E::Parameters},
                                 {"exp_avg", T::Floats, E::Parameters},
                                 {"exp_avg_sq", T::Floats, E::Parameters},
                                 {"input", T::ConstFloats, E::Samples},
                                 {"target", T::Target, E::Samples},
                                 {"batch", T::Batch, E::None},
                                 {"seed", T::Seed, E::None},
                                 {"hparams", T::AdamHparams, E::Fixed},
                                 {"loss", T::Floats, E::Fixed}};

const EntryPointABI kEntryPoints[] = {{"forward", kForward, /*minBatch=*/0},
                                      {"backward", kBackward, 1},
                                      {"sgd_step", kSgdStep, 1},
                                      {"adam_step", kAdamStep, 1}};
} // namespace

unsigned EntryPointABI::index(StringRef name) const {
  for (auto [i, argument] : llvm::enumerate(arguments))
    if (name == argument.name)
      return i;
  llvm_unreachable("no such entry point argument");
}

std::string EntryPointABI::symbol(StringRef model) const {
  return (model + "_" + suffix).str();
}

const EntryPointABI *mlir::netc::lookupEntryPointABI(StringRef suffix) {
  for (const EntryPointABI &abi : kEntryPoints)
    if (suffix == abi.suffix)
      return &abi;
  return nullptr;
}

const EntryPointABI &mlir::netc::getEntryPointABI(StringRef suffix) {
  const EntryPointABI *abi = lookupEntryPointABI(suffix);
  assert(abi && "no such entry point");
  return *abi;
}

Type mlir::netc::getABIArgumentType(Builder &b, const ABIArgument &argument,
                                    Type targetElement) {
  switch (argument.type) {
  case T::ConstFloats:
  case T::Floats:
  case T::SgdHparams:
  case T::AdamHparams:
    return MemRefType::get({}, b.getF32Type());
  case T::Target:
    return MemRefType::get({}, targetElement);
  case T::Batch:
  case T::Seed:
    return b.getI64Type();
  }
  llvm_unreachable("unknown ABIType");
}

std::string mlir::netc::formatCParameter(const ABIArgument &argument,
                                         bool classification) {
  std::string name = argument.name;
  switch (argument.type) {
  case T::ConstFloats:
    return "const float *" + name;
  case T::Floats:
    return "float *" + name;
  case T::Target:
    return classification ? "const int32_t *labels" : "const float *target";
  case T::Batch:
    return "int64_t " + name;
  case T::Seed:
    return "uint64_t " + name;
  case T::SgdHparams:
    return "const float " + name + "[NETC_SGD_HPARAMS]";
  case T::AdamHparams:
    return "const float " + name + "[NETC_ADAM_HPARAMS]";
  }
  llvm_unreachable("unknown ABIType");
}
