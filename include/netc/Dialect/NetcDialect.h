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
} // namespace mlir::netc

#endif // NETC_DIALECT_NETCDIALECT_H
