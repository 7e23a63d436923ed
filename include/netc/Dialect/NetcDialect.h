//===- NetcDialect.h - The netc dialect -------------------------*- C++ -*-===//
#ifndef NETC_DIALECT_NETCDIALECT_H
#define NETC_DIALECT_NETCDIALECT_H

#include "mlir/IR/Dialect.h"

#include "netc/Dialect/NetcOpsDialect.h.inc"

namespace mlir::netc {
/// Unit attribute marking the func.func that holds an imported model.
inline constexpr llvm::StringLiteral kModelAttrName = "netc.model";
/// Argument attribute holding a parameter's PyTorch state_dict name.
inline constexpr llvm::StringLiteral kParamAttrName = "netc.param";
/// The loss a model trains with: "cross_entropy" or "mse".
inline constexpr llvm::StringLiteral kLossAttrName = "netc.loss";
/// Cross entropy's label smoothing, an f32 in [0, 1].
inline constexpr llvm::StringLiteral kLabelSmoothingAttrName =
    "netc.label_smoothing";
/// How the loss combines its terms, a #netc<reduction> (mean or sum).
inline constexpr llvm::StringLiteral kLossReductionAttrName =
    "netc.loss_reduction";
} // namespace mlir::netc

#endif // NETC_DIALECT_NETCDIALECT_H
