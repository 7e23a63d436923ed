//===- Passes.h - netc conversion passes ------------------------*- C++ -*-===//
#ifndef NETC_CONVERSION_PASSES_H
#define NETC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::netc {
#define GEN_PASS_DECL
#include "netc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "netc/Conversion/Passes.h.inc"
} // namespace mlir::netc

#endif // NETC_CONVERSION_PASSES_H
