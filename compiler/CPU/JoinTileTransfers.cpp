//===- JoinTileTransfers.cpp - One transfer per tile, not one per row -----===//
//
// Implements netc-join-tile-transfers (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"

#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCJOINTILETRANSFERS
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {

/// The row that a transfer of one whole row of a static tensor (or one
/// block of its two innermost dimensions, netc::packsRows) reads or writes,
/// in bounds, at constant indices: its leading indices. None for any other
/// transfer.
std::optional<SmallVector<int64_t>> rowOf(VectorTransferOpInterface transfer) {
  auto tensor = dyn_cast<RankedTensorType>(transfer.getBase().getType());
  VectorType vector = transfer.getVectorType();
  int64_t rank = vector.getRank();
  if (!tensor || !tensor.hasStaticShape() || rank > 2 ||
      tensor.getRank() <= rank ||
      vector.getShape() != tensor.getShape().take_back(rank) ||
      !transfer.getPermutationMap().isMinorIdentity() || transfer.getMask() ||
      llvm::any_of(llvm::seq(rank),
                   [&](int64_t d) { return !transfer.isDimInBounds(d); }))
    return std::nullopt;
  SmallVector<int64_t> row;
  for (Value index : transfer.getIndices()) {
    APInt value;
    if (!matchPattern(index, m_ConstantInt(&value)))
      return std::nullopt;
    row.push_back(value.getSExtValue());
  }
  if (llvm::any_of(ArrayRef(row).take_back(rank),
                   [](int64_t i) { return i != 0; }))
    return std::nullopt;
  row.resize(row.size() - rank);
  return row;
}

/// Whether `rows` name every row (or block) of `tensor` once.
bool coversEveryRow(RankedTensorType tensor,
                    ArrayRef<SmallVector<int64_t>> rows) {
  ArrayRef<int64_t> leading = tensor.getShape().take_front(rows[0].size());
  int64_t count = ShapedType::getNumElements(leading);
  SmallVector<int64_t> strides = computeStrides(leading);
  llvm::SmallDenseSet<int64_t> seen;
  for (ArrayRef<int64_t> row : rows) {
    if (row.size() != leading.size())
      return false;
    seen.insert(linearize(row, strides));
  }
  return int64_t(rows.size()) == count && int64_t(seen.size()) == count;
}

/// The tile's shape as one vector: the tensor's.
VectorType tileVector(RankedTensorType tensor) {
  return VectorType::get(tensor.getShape(), tensor.getElementType());
}

/// The indices of a tensor's first element, a zero created at the start of
/// the function: hoisting moves a transfer out of a loop only if its
/// indices are defined outside it (canonicalization merges the zeros).
SmallVector<Value> origin(RewriterBase &rewriter, Location loc,
                          RankedTensorType tensor) {
  OpBuilder::InsertionGuard guard(rewriter);
  Region *body = rewriter.getInsertionBlock()->getParent();
  while (!isa<FunctionOpInterface>(body->getParentOp()))
    body = body->getParentRegion();
  rewriter.setInsertionPointToStart(&body->front());
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  return SmallVector<Value>(tensor.getRank(), zero);
}

/// A transfer of the tile and the part of it that the transfer moves (a
/// row's position, or a column piece).
template <typename Transfer, typename Part>
using PartTransfers = SmallVector<std::pair<Transfer, Part>>;

/// The chain of writes that starts at `first`, each writing a part
/// (`partOf`) into the result of the one before, in one block.
template <typename Part, typename PartOf>
PartTransfers<vector::TransferWriteOp, Part>
writeChain(vector::TransferWriteOp first, PartOf partOf) {
  PartTransfers<vector::TransferWriteOp, Part> chain{{first, *partOf(first)}};
  while (true) {
    Value result = chain.back().first.getResult();
    if (!result.hasOneUse())
      break;
    auto next = dyn_cast<vector::TransferWriteOp>(*result.getUsers().begin());
    if (!next || next.getBase() != result ||
        next->getBlock() != first->getBlock())
      break;
    std::optional<Part> part = partOf(next);
    if (!part)
      break;
    chain.push_back({next, *part});
  }
  return chain;
}

/// The reads of `tensor`, each of a part (`partOf`), all in one block with
/// one padding; none if any read is of something else.
template <typename Part, typename PartOf>
std::optional<PartTransfers<vector::TransferReadOp, Part>>
partReads(Value tensor, PartOf partOf) {
  PartTransfers<vector::TransferReadOp, Part> reads;
  for (Operation *user : tensor.getUsers()) {
    auto read = dyn_cast<vector::TransferReadOp>(user);
    if (!read)
      continue;
    std::optional<Part> part = partOf(read);
    if (!part || (!reads.empty() &&
                  (read->getBlock() != reads.front().first->getBlock() ||
                   read.getPadding() != reads.front().first.getPadding())))
      return std::nullopt;
    reads.push_back({read, *part});
  }
  return reads;
}

/// The first of `reads` in their block.
template <typename Part>
vector::TransferReadOp
earliest(const PartTransfers<vector::TransferReadOp, Part> &reads) {
  return llvm::min_element(reads,
                           [](const auto &a, const auto &b) {
                             return a.first->isBeforeInBlock(b.first);
                           })
      ->first;
}

/// The parts of `transfers`.
template <typename Transfer, typename Part>
SmallVector<Part> partsOf(const PartTransfers<Transfer, Part> &transfers) {
  return llvm::to_vector(llvm::make_second_range(transfers));
}

/// Erases the writes of `chain` but the last.
template <typename Part>
void eraseAllButLast(
    RewriterBase &rewriter,
    const PartTransfers<vector::TransferWriteOp, Part> &chain) {
  for (const auto &write : llvm::reverse(ArrayRef(chain).drop_back()))
    rewriter.eraseOp(write.first);
}

using Row = SmallVector<int64_t>;

/// Joins the chain of row writes that starts at `first` (each writing into
/// the result of the one before), if it covers its tensor, into one write.
/// Returns the tensor the chain writes into, or null.
Value joinWrites(RewriterBase &rewriter, vector::TransferWriteOp first) {
  auto chain = writeChain<Row>(first, rowOf);
  auto tensor = cast<RankedTensorType>(first.getBase().getType());
  if (chain.size() < 2 || !coversEveryRow(tensor, partsOf(chain)))
    return nullptr;

  vector::TransferWriteOp last = chain.back().first;
  rewriter.setInsertionPoint(last);
  Location loc = last.getLoc();
  Value tile = ub::PoisonOp::create(rewriter, loc, tileVector(tensor));
  for (auto [write, row] : chain)
    tile =
        vector::InsertOp::create(rewriter, loc, write.getVector(), tile, row);
  SmallVector<bool> inBounds(tensor.getRank(), true);
  rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
      last, tile, first.getBase(), origin(rewriter, loc, tensor), inBounds);
  eraseAllButLast(rewriter, chain);
  return first.getBase();
}

/// Joins the row reads of `tensor` in one block, if they cover it, into one
/// read placed before the first of them.
void joinReads(RewriterBase &rewriter, Value tensor) {
  std::optional<PartTransfers<vector::TransferReadOp, Row>> reads =
      partReads<Row>(tensor, rowOf);
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!reads || reads->size() < 2 || !coversEveryRow(type, partsOf(*reads)))
    return;
  vector::TransferReadOp first = earliest(*reads);
  rewriter.setInsertionPoint(first);
  SmallVector<bool> inBounds(type.getRank(), true);
  Location loc = first.getLoc();
  Value tile = vector::TransferReadOp::create(
      rewriter, loc, tileVector(type), tensor, origin(rewriter, loc, type),
      first.getPadding(), inBounds);
  for (auto [read, row] : *reads)
    rewriter.replaceOpWithNewOp<vector::ExtractOp>(read, tile, row);
}

/// A piece of one column of a static 2-d tile, as a tile vectorized along
/// its filters reads and writes its accumulators: `lanes` rows from row
/// `first` of column `column`, a vector<lanes x 1>.
struct ColumnPiece {
  int64_t first, lanes, column;
};

/// The column piece that `transfer` reads or writes, in bounds, at constant
/// indices, whose lanes divide the tile's rows; none for any other transfer.
std::optional<ColumnPiece> pieceOf(VectorTransferOpInterface transfer) {
  auto tensor = dyn_cast<RankedTensorType>(transfer.getBase().getType());
  VectorType vector = transfer.getVectorType();
  if (!tensor || !tensor.hasStaticShape() || tensor.getRank() != 2 ||
      vector.getRank() != 2 || vector.getDimSize(1) != 1 ||
      tensor.getDimSize(1) == 1 ||
      tensor.getDimSize(0) % vector.getDimSize(0) != 0 ||
      !transfer.getPermutationMap().isMinorIdentity() || transfer.getMask() ||
      !transfer.isDimInBounds(0) || !transfer.isDimInBounds(1))
    return std::nullopt;
  APInt first, column;
  if (!matchPattern(transfer.getIndices()[0], m_ConstantInt(&first)) ||
      !matchPattern(transfer.getIndices()[1], m_ConstantInt(&column)))
    return std::nullopt;
  int64_t lanes = vector.getDimSize(0);
  if (first.getSExtValue() % lanes != 0)
    return std::nullopt;
  return ColumnPiece{first.getSExtValue(), lanes, column.getSExtValue()};
}

/// Whether `pieces`, all of one size, cover `tile` once.
bool coversEveryPiece(RankedTensorType tile, ArrayRef<ColumnPiece> pieces) {
  int64_t lanes = pieces.front().lanes;
  int64_t count = tile.getDimSize(0) / lanes * tile.getDimSize(1);
  llvm::SmallDenseSet<int64_t> seen;
  for (const ColumnPiece &piece : pieces) {
    if (piece.lanes != lanes)
      return false;
    seen.insert(piece.column * tile.getDimSize(0) + piece.first);
  }
  return int64_t(pieces.size()) == count && int64_t(seen.size()) == count;
}

/// The tile's columns as one vector: a transposed transfer's, its pieces
/// indexed [column, first / lanes] (vector<columns x pieces x lanes>).
VectorType columnsVector(RankedTensorType tile, int64_t lanes) {
  return VectorType::get(
      {tile.getDimSize(1), tile.getDimSize(0) / lanes, lanes},
      tile.getElementType());
}

/// The transposed transfer's vector: vector<columns x rows>.
VectorType transposedVector(RankedTensorType tile) {
  return VectorType::get({tile.getDimSize(1), tile.getDimSize(0)},
                         tile.getElementType());
}

AffineMap transposition(MLIRContext *context) {
  return AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, context);
}

SmallVector<int64_t> piecePosition(const ColumnPiece &piece) {
  return {piece.column, piece.first / piece.lanes};
}

/// Joins the chain of column-piece writes that starts at `first`, if it
/// covers its tile, into one transposed write. Returns the tile, or null.
Value joinColumnWrites(RewriterBase &rewriter, vector::TransferWriteOp first) {
  auto chain = writeChain<ColumnPiece>(first, pieceOf);
  auto tile = cast<RankedTensorType>(first.getBase().getType());
  if (chain.size() < 2 || !coversEveryPiece(tile, partsOf(chain)))
    return nullptr;

  vector::TransferWriteOp last = chain.back().first;
  rewriter.setInsertionPoint(last);
  Location loc = last.getLoc();
  int64_t lanes = chain.front().second.lanes;
  auto laneVector = VectorType::get(lanes, tile.getElementType());
  Value columns =
      ub::PoisonOp::create(rewriter, loc, columnsVector(tile, lanes));
  for (auto [write, piece] : chain) {
    Value flat = vector::ShapeCastOp::create(rewriter, loc, laneVector,
                                             write.getVector());
    columns = vector::InsertOp::create(rewriter, loc, flat, columns,
                                       piecePosition(piece));
  }
  Value transposed = vector::ShapeCastOp::create(
      rewriter, loc, transposedVector(tile), columns);
  rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
      last, transposed, first.getBase(), origin(rewriter, loc, tile),
      transposition(rewriter.getContext()), ArrayRef<bool>{true, true});
  eraseAllButLast(rewriter, chain);
  return first.getBase();
}

/// Joins the column-piece reads of `tile` in one block, if they cover it,
/// into one transposed read placed before the first of them.
void joinColumnReads(RewriterBase &rewriter, Value tile) {
  std::optional<PartTransfers<vector::TransferReadOp, ColumnPiece>> reads =
      partReads<ColumnPiece>(tile, pieceOf);
  auto type = cast<RankedTensorType>(tile.getType());
  if (!reads || reads->size() < 2 || !coversEveryPiece(type, partsOf(*reads)))
    return;
  vector::TransferReadOp first = earliest(*reads);
  rewriter.setInsertionPoint(first);
  Location loc = first.getLoc();
  Value transposed = vector::TransferReadOp::create(
      rewriter, loc, transposedVector(type), tile, origin(rewriter, loc, type),
      transposition(rewriter.getContext()), first.getPadding(),
      /*mask=*/Value(), rewriter.getBoolArrayAttr({true, true}));
  Value columns = vector::ShapeCastOp::create(
      rewriter, loc, columnsVector(type, reads->front().second.lanes),
      transposed);
  for (auto [read, piece] : *reads) {
    rewriter.setInsertionPoint(read);
    Value lanes = vector::ExtractOp::create(rewriter, read.getLoc(), columns,
                                            piecePosition(piece));
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, read.getVectorType(),
                                                     lanes);
  }
}

struct NetcJoinTileTransfers
    : public netc::impl::NetcJoinTileTransfersBase<NetcJoinTileTransfers> {
  using Base::Base;

  void runOnOperation() override {
    // Chains start at a row write whose tensor no row write produced.
    SmallVector<vector::TransferWriteOp> firsts;
    getOperation().walk([&](vector::TransferWriteOp write) {
      auto previous = write.getBase().getDefiningOp<vector::TransferWriteOp>();
      if (rowOf(write) && !(previous && rowOf(previous)))
        firsts.push_back(write);
    });
    IRRewriter rewriter(&getContext());
    for (vector::TransferWriteOp first : firsts)
      if (Value tensor = joinWrites(rewriter, first))
        joinReads(rewriter, tensor);
    // The same for the column pieces of tiles vectorized along the filters.
    SmallVector<vector::TransferWriteOp> columnFirsts;
    getOperation().walk([&](vector::TransferWriteOp write) {
      auto previous = write.getBase().getDefiningOp<vector::TransferWriteOp>();
      if (pieceOf(write) && !(previous && pieceOf(previous)))
        columnFirsts.push_back(write);
    });
    for (vector::TransferWriteOp first : columnFirsts)
      if (Value tile = joinColumnWrites(rewriter, first))
        joinColumnReads(rewriter, tile);
  }
};

} // namespace
