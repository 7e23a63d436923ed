//===- Passes.h - netc passes on the netc dialect ---------------*- C++ -*-===//
#ifndef NETC_TRANSFORMS_PASSES_H
#define NETC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::netc {
/// Function attribute naming, on a training function, the model it trains.
inline constexpr llvm::StringLiteral kTrainOfAttrName = "netc.train_of";

#define GEN_PASS_DECL
#include "netc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "netc/Transforms/Passes.h.inc"
} // namespace mlir::netc

#endif // NETC_TRANSFORMS_PASSES_H
