//===- SplitCarriedTiles.cpp - A loop-carried tile as its rows ------------===//
//
// Implements netc-split-carried-tiles (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCSPLITCARRIEDTILES
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {

/// The row (or block of rows, netc::packsRows) of a static position of
/// `positionRank` indices into an n-d vector, linearized; none for a
/// dynamic position or one of another rank.
std::optional<int64_t> rowIndex(VectorType tile, unsigned positionRank,
                                ArrayRef<OpFoldResult> at) {
  if (at.size() != positionRank)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> row = getConstantIntValues(at);
  if (!row)
    return std::nullopt;
  return linearize(*row, computeStrides(tile.getShape().take_front(at.size())));
}

/// How a loop carries a tile that its body only reads and writes by rows.
struct CarriedTile {
  unsigned iterArg;
  VectorType type;
  /// The rank of the positions of its rows (rank - 1 for rows of lanes).
  unsigned positionRank;
  /// The body's row reads of the carried tile.
  SmallVector<vector::ExtractOp> reads;
  /// The value the body yields for each row.
  SmallVector<Value> yielded;
};

/// The tile that `loop` carries in iter_arg `index`, if every use of it in
/// the body extracts a row and the body yields a chain of row inserts that
/// covers the tile (its intermediate tiles used by nothing else).
std::optional<CarriedTile> carriedTile(scf::ForOp loop, unsigned index) {
  BlockArgument arg = loop.getRegionIterArgs()[index];
  auto type = dyn_cast<VectorType>(arg.getType());
  if (!type || type.getRank() < 2 || type.isScalable())
    return std::nullopt;
  auto firstInsert =
      loop.getYieldedValues()[index].getDefiningOp<vector::InsertOp>();
  if (!firstInsert || firstInsert.getMixedPosition().empty() ||
      firstInsert.getMixedPosition().size() >= size_t(type.getRank()))
    return std::nullopt;
  unsigned positionRank = firstInsert.getMixedPosition().size();
  CarriedTile tile{index, type, positionRank, {}, {}};
  for (Operation *user : arg.getUsers()) {
    auto read = dyn_cast<vector::ExtractOp>(user);
    if (!read || !rowIndex(type, positionRank, read.getMixedPosition()))
      return std::nullopt;
    tile.reads.push_back(read);
  }
  int64_t rows =
      ShapedType::getNumElements(type.getShape().take_front(positionRank));
  tile.yielded.assign(rows, nullptr);
  int64_t found = 0;
  Value chain = loop.getYieldedValues()[index];
  while (found < rows) {
    auto insert = chain.getDefiningOp<vector::InsertOp>();
    if (!insert || !chain.hasOneUse())
      return std::nullopt;
    std::optional<int64_t> row =
        rowIndex(type, positionRank, insert.getMixedPosition());
    if (!row)
      return std::nullopt;
    // A later insert of the same row overwrote this one.
    if (!tile.yielded[*row]) {
      tile.yielded[*row] = insert.getValueToStore();
      ++found;
    }
    chain = insert.getDest();
  }
  return tile;
}

/// The positions of a tile's rows, in row-major order (that of rowIndex).
StaticTileOffsetRange rowPositions(VectorType tile, unsigned positionRank) {
  return StaticTileOffsetRange(tile.getShape().take_front(positionRank),
                               SmallVector<int64_t>(positionRank, 1));
}

/// The rows of `tile`, extracted at `builder`'s insertion point.
SmallVector<Value> extractRows(OpBuilder &builder, Location loc, Value tile,
                               unsigned positionRank) {
  SmallVector<Value> rows;
  for (SmallVector<int64_t> position :
       rowPositions(cast<VectorType>(tile.getType()), positionRank))
    rows.push_back(vector::ExtractOp::create(builder, loc, tile, position));
  return rows;
}

/// `rows` inserted into a tile of `type` at `builder`'s insertion point.
Value insertRows(OpBuilder &builder, Location loc, VectorType type,
                 unsigned positionRank, ValueRange rows) {
  Value tile = ub::PoisonOp::create(builder, loc, type);
  for (auto [row, position] :
       llvm::zip_equal(rows, rowPositions(type, positionRank)))
    tile = vector::InsertOp::create(builder, loc, row, tile, position);
  return tile;
}

/// Carries `tile` through `loop` as its rows: one iter_arg per row. The
/// tile's own iter_arg is left starting from poison and yielding itself,
/// for canonicalization to drop; its initial tile is then read only by
/// row, and a loop around this one can split it too.
scf::ForOp splitCarriedTile(RewriterBase &rewriter, scf::ForOp loop,
                            CarriedTile &tile) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits = extractRows(
      rewriter, loc, loop.getInitArgs()[tile.iterArg], tile.positionRank);
  auto split = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return SmallVector<Value>(tile.yielded);
      }));
  ValueRange rows = split.getRegionIterArgs().take_back(inits.size());
  VectorType type = tile.type;
  for (vector::ExtractOp read : tile.reads)
    rewriter.replaceOp(
        read,
        rows[*rowIndex(type, tile.positionRank, read.getMixedPosition())]);
  BlockArgument carried = split.getRegionIterArgs()[tile.iterArg];
  auto yield = cast<scf::YieldOp>(split.getBody()->getTerminator());
  rewriter.modifyOpInPlace(yield,
                           [&] { yield->setOperand(tile.iterArg, carried); });
  rewriter.setInsertionPoint(split);
  Value poison = ub::PoisonOp::create(rewriter, loc, type);
  rewriter.modifyOpInPlace(
      split, [&] { split.getInitsMutable()[tile.iterArg].set(poison); });

  rewriter.setInsertionPointAfter(split);
  Value joined = insertRows(rewriter, loc, type, tile.positionRank,
                            split.getResults().take_back(inits.size()));
  rewriter.replaceAllUsesWith(split.getResult(tile.iterArg), joined);
  return split;
}

struct NetcSplitCarriedTiles
    : public netc::impl::NetcSplitCarriedTilesBase<NetcSplitCarriedTiles> {
  using Base::Base;

  void runOnOperation() override {
    // Inner loops first: the rows an inner loop takes from the tile become
    // the row reads that let the loop around it split it too.
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      for (unsigned index = 0; index < loop.getNumRegionIterArgs(); ++index) {
        std::optional<CarriedTile> tile = carriedTile(loop, index);
        if (tile)
          loop = splitCarriedTile(rewriter, loop, *tile);
      }
    }
  }
};

} // namespace
