//===- TileAndVectorize.cpp - Apply each linalg op's strategy -------------===//
//
// Implements netc-tile-and-vectorize (see Passes.td): thread tiling with
// destination fusion, then the loop nest, then vectorization of the
// innermost tile with its accumulator hoisted into registers.
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"
#include "netc/CPU/Strategy.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCTILEANDVECTORIZE
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

static bool anyTiled(ArrayRef<int64_t> tiles) {
  return llvm::any_of(tiles, [](int64_t t) { return t != 0; });
}

/// Tiles `op` into an scf.forall by `tiles`, fusing into each tile the
/// producers of its destination that nothing else uses (the fill or bias
/// broadcast an accumulation starts from). Returns the tiled op.
static FailureOr<linalg::LinalgOp> tileOnThreads(RewriterBase &rewriter,
                                                 linalg::LinalgOp op,
                                                 ArrayRef<int64_t> tiles) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  llvm::SmallPtrSet<Operation *, 2> fusable;
  for (Value init : op.getDpsInits())
    if (init.hasOneUse() && init.getDefiningOp<linalg::LinalgOp>())
      fusable.insert(init.getDefiningOp());
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!isDestination || !fusable.contains(producer.getOwner()))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(*op), options);
  if (failed(result))
    return failure();
  for (OpResult r : op->getResults())
    rewriter.replaceAllUsesWith(r, result->replacements.lookup(r));
  // Fused producers were cloned with their own strategy: the tile is theirs.
  for (Operation *fused : result->tiledAndFusedOps)
    fused->removeAttr(kStrategyAttrName);
  return cast<linalg::LinalgOp>(result->tiledAndFusedOps.front());
}

/// Vectorizes the innermost tile `op`: drops its unit loops and vectorizes
/// what is left. (The pipeline's loop-invariant-subset-hoisting then moves
/// the accumulator's reads and writes out of the reduction loops.)
static LogicalResult vectorizeTile(RewriterBase &rewriter,
                                   linalg::LinalgOp op) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> generic =
      isa<linalg::GenericOp>(*op) ? cast<linalg::GenericOp>(*op)
                                  : linalg::generalizeNamedOp(rewriter, op);
  if (failed(generic))
    return op->emitOpError("could not be generalized for vectorization");
  linalg::ControlDropUnitDims control;
  control.rankReductionStrategy = linalg::ControlDropUnitDims::
      RankReductionStrategy::ExtractInsertSlice;
  FailureOr<linalg::DropUnitDimsResult> dropped =
      linalg::dropUnitDims(rewriter, *generic, control);
  Operation *compact = *generic;
  if (succeeded(dropped)) {
    rewriter.replaceOp(*generic, dropped->replacements);
    compact = dropped->resultOp.getOperation();
  }
  // A tile the vectorizer declines stays a loop nest for LLVM.
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, compact);
  if (succeeded(vectorized))
    rewriter.replaceOp(compact, vectorized->replacements);
  return success();
}

/// Applies `strategy` to `op`.
static LogicalResult applyStrategy(RewriterBase &rewriter, linalg::LinalgOp op,
                                   const CPUStrategy &strategy) {
  if (anyTiled(strategy.threadTiles)) {
    FailureOr<linalg::LinalgOp> tiled =
        tileOnThreads(rewriter, op, strategy.threadTiles);
    if (failed(tiled))
      return op->emitOpError("could not be tiled across threads");
    op = *tiled;
  }
  if (!anyTiled(strategy.loopTiles))
    return success();
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(
      getAsIndexOpFoldResult(op->getContext(), strategy.loopTiles));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(*op), tiling);
  if (failed(result))
    return op->emitOpError("could not be tiled");
  rewriter.replaceOp(op, result->replacements);
  auto tile = cast<linalg::LinalgOp>(result->tiledOps.front());
  if (!strategy.vectorize)
    return success();
  return vectorizeTile(rewriter, tile);
}

/// The shape each vector op is unrolled to: one row (the innermost
/// dimension), so that a tile's accumulator is one register row per filter
/// and a broadcast weight is one scalar load.
static std::optional<SmallVector<int64_t>> rowShape(Operation *op) {
  VectorType type;
  if (auto unrollable = dyn_cast<VectorUnrollOpInterface>(op))
    if (std::optional<SmallVector<int64_t>> shape =
            unrollable.getShapeForUnroll())
      type = VectorType::get(*shape, Float32Type::get(op->getContext()));
  if (!type || type.getRank() < 2)
    return std::nullopt;
  SmallVector<int64_t> row(type.getRank(), 1);
  row.back() = type.getShape().back();
  return row;
}

/// Unrolls the n-d vectors of vectorized tiles into rows and drops their
/// leading unit dimensions.
static LogicalResult unrollToRows(func::FuncOp func) {
  MLIRContext *context = func.getContext();
  RewritePatternSet unroll(context);
  vector::populateVectorUnrollPatterns(
      unroll, vector::UnrollVectorOptions().setNativeShapeFn(rowShape));
  if (failed(applyPatternsGreedily(func, std::move(unroll))))
    return failure();
  // Broadcast reads become a read of the row and a broadcast, before the
  // unit dimensions go (after, they would be 0-d reads).
  RewritePatternSet permutations(context);
  vector::populateVectorTransferPermutationMapLoweringPatterns(permutations);
  if (failed(applyPatternsGreedily(func, std::move(permutations))))
    return failure();
  RewritePatternSet castAway(context);
  vector::populateCastAwayVectorLeadingOneDimPatterns(castAway);
  return applyPatternsGreedily(func, std::move(castAway));
}

namespace {
struct NetcTileAndVectorize
    : public netc::impl::NetcTileAndVectorizeBase<NetcTileAndVectorize> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kStrategyAttrName))
        ops.push_back(op);
    });
    // Consumers first, so that a destination producer is fused into its
    // consumer's tiles before its own strategy would tile it apart.
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : llvm::reverse(ops)) {
      if (op->use_empty() && op.hasPureTensorSemantics()) {
        rewriter.eraseOp(op); // fused into all its consumers
        continue;
      }
      CPUStrategy strategy = *CPUStrategy::of(op);
      op->removeAttr(kStrategyAttrName);
      if (failed(applyStrategy(rewriter, op, strategy)))
        return signalPassFailure();
    }
    if (failed(unrollToRows(getOperation())))
      return signalPassFailure();
  }
};
} // namespace
