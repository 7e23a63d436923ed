//===- Strategy.h - How one linalg op becomes CPU code ----------*- C++ -*-===//
//
// The per-op decision of the CPU code-generation stage, kept apart from the
// passes that apply it: which loops run on threads, how the rest is tiled,
// whether the innermost tile is vectorized.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CPU_STRATEGY_H
#define NETC_CPU_STRATEGY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::netc {

/// The input of an op vectorized along its filters (CPUStrategy::laneLoop)
/// that holds the weights: a convolution's second.
inline constexpr unsigned kLaneWeightsInput = 1;

/// The name of the attribute that carries a strategy on its op.
inline constexpr llvm::StringLiteral kStrategyAttrName = "netc.strategy";

struct CPUStrategy {
  /// Tile sizes of the scf.forall over threads, one per loop (0: untiled).
  SmallVector<int64_t> threadTiles;
  /// Tile sizes of the scf.for nest inside a thread's tile (0: untiled).
  SmallVector<int64_t> loopTiles;
  /// Tile sizes of an scf.for around that nest (0: untiled; empty: none):
  /// a reduction over the batch in chunks of images whose inputs stay in
  /// cache while every tile of the result reads them.
  SmallVector<int64_t> chunkTiles;
  /// Whether the innermost tile is vectorized.
  bool vectorize = false;
  /// The loop whose tile is the vector lanes, where it is not the output's
  /// innermost (row) loop: a convolution's filters, for rows that do not
  /// fill vectors. The tile's accumulator is read and written transposed,
  /// once per tile; the weights (input kLaneWeightsInput) are transposed
  /// to make that loop their contiguous dimension.
  std::optional<unsigned> laneLoop;

  DictionaryAttr toAttr(MLIRContext *context) const;
  /// The strategy `op` carries, if any.
  static std::optional<CPUStrategy> of(Operation *op);
};

/// What the strategy is chosen for.
struct CPUTarget {
  /// f32 lanes of one vector register.
  int64_t vectorWidth;
  /// Vector registers: 32 with AVX-512's 16 lanes, 16 with AVX2's and
  /// SSE's narrower ones.
  int64_t vectorRegisters() const { return vectorWidth >= 16 ? 32 : 16; }
  /// Whether rows whose length is not a power of two load cheaply enough
  /// to be vectors of their own: AVX-512 loads a row of 12 as 256 bits plus
  /// a 128-bit insert; AVX2 a row of 6 as 128 + 64 bits and an insert, 2
  /// lanes an instruction, half of what two rows of 4 packed in a register
  /// load.
  bool loadsOddRowsCheaply() const { return vectorWidth >= 16; }
  /// The host's: 16 lanes with AVX-512, 8 with AVX2, else 4.
  static CPUTarget host();
};

/// The strategy for `op` on `target`.
CPUStrategy selectCPUStrategy(linalg::LinalgOp op, const CPUTarget &target);

/// Whether a vectorized tile's `rows` rows of `rowLength` lanes (its two
/// innermost dimensions) are computed as one vector rather than a vector per
/// row: rows shorter than a register, that fill whole registers together.
bool packsRows(int64_t rows, int64_t rowLength, const CPUTarget &target);

} // namespace mlir::netc

#endif // NETC_CPU_STRATEGY_H
