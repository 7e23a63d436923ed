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

/// Joins the chain of row writes that starts at `first` (each writing into
/// the result of the one before), if it covers its tensor, into one write.
/// Returns the tensor the chain writes into, or null.
Value joinWrites(RewriterBase &rewriter, vector::TransferWriteOp first) {
  SmallVector<vector::TransferWriteOp> chain{first};
  SmallVector<SmallVector<int64_t>> rows{*rowOf(first)};
  while (true) {
    Value result = chain.back().getResult();
    if (!result.hasOneUse())
      break;
    auto next = dyn_cast<vector::TransferWriteOp>(*result.getUsers().begin());
    if (!next || next.getBase() != result ||
        next->getBlock() != first->getBlock())
      break;
    std::optional<SmallVector<int64_t>> row = rowOf(next);
    if (!row)
      break;
    chain.push_back(next);
    rows.push_back(*row);
  }
  auto tensor = cast<RankedTensorType>(first.getBase().getType());
  if (chain.size() < 2 || !coversEveryRow(tensor, rows))
    return nullptr;

  vector::TransferWriteOp last = chain.back();
  rewriter.setInsertionPoint(last);
  Location loc = last.getLoc();
  Value tile = ub::PoisonOp::create(rewriter, loc, tileVector(tensor));
  for (auto [write, row] : llvm::zip_equal(chain, rows))
    tile =
        vector::InsertOp::create(rewriter, loc, write.getVector(), tile, row);
  SmallVector<bool> inBounds(tensor.getRank(), true);
  rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
      last, tile, first.getBase(), origin(rewriter, loc, tensor), inBounds);
  for (vector::TransferWriteOp write :
       llvm::reverse(ArrayRef(chain).drop_back()))
    rewriter.eraseOp(write);
  return first.getBase();
}

/// Joins the row reads of `tensor` in one block, if they cover it, into one
/// read placed before the first of them.
void joinReads(RewriterBase &rewriter, Value tensor) {
  SmallVector<vector::TransferReadOp> reads;
  SmallVector<SmallVector<int64_t>> rows;
  for (Operation *user : tensor.getUsers()) {
    auto read = dyn_cast<vector::TransferReadOp>(user);
    if (!read)
      continue;
    std::optional<SmallVector<int64_t>> row = rowOf(read);
    if (!row ||
        (!reads.empty() && (read->getBlock() != reads.front()->getBlock() ||
                            read.getPadding() != reads.front().getPadding())))
      return;
    reads.push_back(read);
    rows.push_back(*row);
  }
  auto type = cast<RankedTensorType>(tensor.getType());
  if (reads.size() < 2 || !coversEveryRow(type, rows))
    return;
  vector::TransferReadOp earliest = *llvm::min_element(
      reads, [](vector::TransferReadOp a, vector::TransferReadOp b) {
        return a->isBeforeInBlock(b);
      });
  rewriter.setInsertionPoint(earliest);
  SmallVector<bool> inBounds(type.getRank(), true);
  Location loc = earliest.getLoc();
  Value tile = vector::TransferReadOp::create(
      rewriter, loc, tileVector(type), tensor, origin(rewriter, loc, type),
      earliest.getPadding(), inBounds);
  for (auto [read, row] : llvm::zip_equal(reads, rows))
    rewriter.replaceOpWithNewOp<vector::ExtractOp>(read, tile, row);
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
  }
};

} // namespace
