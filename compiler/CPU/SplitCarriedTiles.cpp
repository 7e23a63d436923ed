//===- SplitCarriedTiles.cpp - A loop-carried tile as its rows ------------===//
//
// Implements netc-split-carried-tiles (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"

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

/// Carries iter_arg `index` of `loop` in the shape its body uses, where the
/// body only reshapes it (a tile vectorized along the filters reads its
/// transposed accumulators as columns x pieces x lanes) and yields a value
/// reshaped back: the reshapes move out of the loop, where its rows can be
/// split. Returns the loop, replaced if it changed.
scf::ForOp carryInUsedShape(RewriterBase &rewriter, scf::ForOp loop,
                            unsigned index) {
  BlockArgument arg = loop.getRegionIterArgs()[index];
  auto type = dyn_cast<VectorType>(arg.getType());
  if (!type || type.getRank() < 2 || !arg.hasOneUse())
    return loop;
  auto use = dyn_cast<vector::ShapeCastOp>(*arg.getUsers().begin());
  auto yielded =
      loop.getYieldedValues()[index].getDefiningOp<vector::ShapeCastOp>();
  if (!use || !yielded ||
      yielded.getSource().getType() != use.getResult().getType())
    return loop;
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value init = vector::ShapeCastOp::create(rewriter, loc, use.getType(),
                                           loop.getInitArgs()[index]);
  Value body = yielded.getSource();
  auto reshaped = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return SmallVector<Value>{body};
      }));
  rewriter.replaceOp(use, reshaped.getRegionIterArgs().back());
  BlockArgument carried = reshaped.getRegionIterArgs()[index];
  auto yield = cast<scf::YieldOp>(reshaped.getBody()->getTerminator());
  rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(index, carried); });
  rewriter.eraseOp(yielded);
  rewriter.setInsertionPoint(reshaped);
  Value poison = ub::PoisonOp::create(rewriter, loc, carried.getType());
  rewriter.modifyOpInPlace(
      reshaped, [&] { reshaped.getInitsMutable()[index].set(poison); });
  rewriter.setInsertionPointAfter(reshaped);
  Value back = vector::ShapeCastOp::create(rewriter, loc, carried.getType(),
                                           reshaped.getResults().back());
  rewriter.replaceAllUsesWith(reshaped.getResult(index), back);
  return reshaped;
}

/// Whether `transfer` moves a 2-d tile transposed (a lane tile's
/// accumulators, netc-join-tile-transfers) in bounds at constant indices.
bool isTransposedTile(VectorTransferOpInterface transfer) {
  auto tile = dyn_cast<RankedTensorType>(transfer.getBase().getType());
  return tile && tile.hasStaticShape() && tile.getRank() == 2 &&
         transfer.getVectorType().getRank() == 2 && !transfer.getMask() &&
         transfer.getPermutationMap() ==
             AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                          transfer->getContext()) &&
         transfer.isDimInBounds(0) && transfer.isDimInBounds(1);
}

/// The indices of row `first` of a tile read at `origin`.
SmallVector<Value> blockIndices(RewriterBase &rewriter, Location loc,
                                ValueRange origin, int64_t first) {
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  return {
      affine::makeComposedAffineApply(rewriter, loc, d0 + first, {origin[0]}),
      origin[1]};
}

/// A transposed tile read whose columns the loops carry as pieces of
/// `lanes` (vector<columns x pieces x lanes>) becomes, for each block of
/// `lanes` rows, a read of the rows and a transpose in registers: where the
/// 2-d read would be transposed whole (rows of tens of lanes that LLVM
/// shuffles as odd-sized vectors) or read lane by lane (a load and an
/// insert per lane, that took a third longer to compile).
void readTransposedTileByBlocks(RewriterBase &rewriter,
                                vector::TransferReadOp read) {
  if (!isTransposedTile(read) || !read->hasOneUse())
    return;
  auto columns = dyn_cast<vector::ShapeCastOp>(*read->getUsers().begin());
  if (!columns || columns.getResultVectorType().getRank() != 3)
    return;
  VectorType type = columns.getResultVectorType();
  int64_t width = type.getDimSize(0), lanes = type.getDimSize(2);
  Type element = type.getElementType();
  rewriter.setInsertionPoint(columns);
  Location loc = read.getLoc();
  Value pieces = ub::PoisonOp::create(rewriter, loc, type);
  for (int64_t block = 0; block < type.getDimSize(1); ++block) {
    Value rows = vector::TransferReadOp::create(
        rewriter, loc, VectorType::get({lanes, width}, element), read.getBase(),
        blockIndices(rewriter, loc, read.getIndices(), block * lanes),
        read.getPadding(), ArrayRef<bool>{true, true});
    Value transposed = vector::TransposeOp::create(rewriter, loc, rows,
                                                   ArrayRef<int64_t>{1, 0});
    for (int64_t column = 0; column < width; ++column)
      pieces = vector::InsertOp::create(
          rewriter, loc,
          vector::ExtractOp::create(rewriter, loc, transposed, column), pieces,
          ArrayRef<int64_t>{column, block});
  }
  rewriter.replaceOp(columns, pieces);
  rewriter.eraseOp(read);
}

/// The same for a transposed tile write of such pieces: per block, a
/// transpose and a write of its rows.
void writeTransposedTileByBlocks(RewriterBase &rewriter,
                                 vector::TransferWriteOp write) {
  if (!isTransposedTile(write))
    return;
  auto columns = write.getVector().getDefiningOp<vector::ShapeCastOp>();
  if (!columns || columns.getSourceVectorType().getRank() != 3)
    return;
  VectorType type = columns.getSourceVectorType();
  int64_t width = type.getDimSize(0), lanes = type.getDimSize(2);
  Type element = type.getElementType();
  rewriter.setInsertionPoint(write);
  Location loc = write.getLoc();
  Value tile = write.getBase();
  for (int64_t block = 0; block < type.getDimSize(1); ++block) {
    Value blockColumns = ub::PoisonOp::create(
        rewriter, loc, VectorType::get({width, lanes}, element));
    for (int64_t column = 0; column < width; ++column)
      blockColumns = vector::InsertOp::create(
          rewriter, loc,
          vector::ExtractOp::create(rewriter, loc, columns.getSource(),
                                    ArrayRef<int64_t>{column, block}),
          blockColumns, column);
    Value rows = vector::TransposeOp::create(rewriter, loc, blockColumns,
                                             ArrayRef<int64_t>{1, 0});
    tile = vector::TransferWriteOp::create(
               rewriter, loc, rows, tile,
               blockIndices(rewriter, loc, write.getIndices(), block * lanes),
               ArrayRef<bool>{true, true})
               .getResult();
  }
  rewriter.replaceOp(write, tile);
  if (columns->use_empty())
    rewriter.eraseOp(columns);
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
        loop = carryInUsedShape(rewriter, loop, index);
        std::optional<CarriedTile> tile = carriedTile(loop, index);
        if (tile)
          loop = splitCarriedTile(rewriter, loop, *tile);
      }
    }
    SmallVector<vector::TransferReadOp> reads;
    SmallVector<vector::TransferWriteOp> writes;
    getOperation().walk([&](Operation *op) {
      if (auto read = dyn_cast<vector::TransferReadOp>(op))
        reads.push_back(read);
      if (auto write = dyn_cast<vector::TransferWriteOp>(op))
        writes.push_back(write);
    });
    for (vector::TransferReadOp read : reads)
      readTransposedTileByBlocks(rewriter, read);
    for (vector::TransferWriteOp write : writes)
      writeTransposedTileByBlocks(rewriter, write);
  }
};

} // namespace
