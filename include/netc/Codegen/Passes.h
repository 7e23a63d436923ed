//===- Passes.h - netc code generation passes -------------------*- C++ -*-===//
#ifndef NETC_CODEGEN_PASSES_H
#define NETC_CODEGEN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::netc {
/// Marks the private functions netc-outline-kernels creates.
inline constexpr llvm::StringLiteral kKernelAttr = "netc.kernel";
/// The sizes of the arena netc-plan-buffers allocates: bytes, and bytes per
/// sample of the batch.
inline constexpr llvm::StringLiteral kArenaFixedBytesAttr = "netc.fixed_bytes";
inline constexpr llvm::StringLiteral kArenaBytesPerSampleAttr =
    "netc.bytes_per_sample";
/// The most samples of a range that netc-export-entry-points' training
/// entry points compute apart (one thread runs the gradients function on
/// it, another on the next range).
inline constexpr int64_t kMaxSamplesPerRange = 16;

#define GEN_PASS_DECL
#include "netc/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

#endif // NETC_CODEGEN_PASSES_H
