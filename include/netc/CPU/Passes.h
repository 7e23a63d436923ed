//===- Passes.h - netc CPU code generation passes ---------------*- C++ -*-===//
#ifndef NETC_CPU_PASSES_H
#define NETC_CPU_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::netc {
#define GEN_PASS_DECL
#include "netc/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

#endif // NETC_CPU_PASSES_H
