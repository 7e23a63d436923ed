//===- TileAndVectorize.cpp - Apply each linalg op's strategy -------------===//
//
// Implements netc-tile-and-vectorize (see Passes.td): thread tiling with
// destination fusion, then the loop nest, then vectorization of the
// innermost tile with its accumulator hoisted into registers.
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"
#include "netc/CPU/Strategy.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCTILEANDVECTORIZE
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

/// Marks the loop around a tile vectorized along the filters until its
/// vector ops are unrolled.
static constexpr llvm::StringLiteral kLaneTileAttrName = "netc.lane_tile";

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

/// The stride of a `dim * stride` indexing expression (stride > 1).
static std::optional<std::pair<unsigned, int64_t>> stridedDim(AffineExpr expr) {
  auto product = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!product || product.getKind() != AffineExprKind::Mul)
    return std::nullopt;
  auto dim = dyn_cast<AffineDimExpr>(product.getLHS());
  auto stride = dyn_cast<AffineConstantExpr>(product.getRHS());
  if (!dim || !stride || stride.getValue() <= 1)
    return std::nullopt;
  return std::make_pair(dim.getPosition(), stride.getValue());
}

/// Inputs that `op` reads at `dim * stride` (a strided pooling or
/// convolution row) are replaced by stride-`stride` slices of them, read at
/// `dim`: the vectorizer takes only plain indexing maps.
static void sliceStridedReads(RewriterBase &rewriter, linalg::GenericOp op) {
  bool sliced = false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Location loc = op.getLoc();
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = maps[input->getOperandNumber()];
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || !map.getNumResults())
      continue;
    SmallVector<AffineExpr> plain;
    SmallVector<OpFoldResult> sizes, strides;
    bool strided = false;
    for (auto [d, expr] : llvm::enumerate(map.getResults())) {
      std::optional<std::pair<unsigned, int64_t>> s = stridedDim(expr);
      if (s && !ShapedType::isDynamic(ranges[s->first])) {
        strided = true;
        plain.push_back(rewriter.getAffineDimExpr(s->first));
        sizes.push_back(rewriter.getIndexAttr(ranges[s->first]));
        strides.push_back(rewriter.getIndexAttr(s->second));
        continue;
      }
      plain.push_back(expr);
      rewriter.setInsertionPoint(op);
      sizes.push_back(tensor::getMixedSize(rewriter, loc, input->get(), d));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    if (!strided)
      continue;
    rewriter.setInsertionPoint(op);
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    auto slice = tensor::ExtractSliceOp::create(rewriter, loc, input->get(),
                                                offsets, sizes, strides);
    sliced = true;
    maps[input->getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, plain, op.getContext());
    rewriter.modifyOpInPlace(op, [&] { input->set(slice); });
  }
  if (sliced)
    rewriter.modifyOpInPlace(op, [&] {
      op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
}

/// A vector read along the innermost dimension of a strided `slice` becomes
/// one read of the span it covers and a shuffle of every stride-th lane,
/// instead of a load per lane.
static void readStridedSliceSpans(RewriterBase &rewriter,
                                  tensor::ExtractSliceOp slice) {
  std::optional<int64_t> stride =
      getConstantIntValue(slice.getMixedStrides().back());
  if (!stride || slice.getSourceType().getRank() != slice.getType().getRank())
    return;
  // A block of rows is read a row at a time, each row as below.
  for (Operation *user : llvm::make_early_inc_range(slice->getUsers())) {
    auto read = dyn_cast<vector::TransferReadOp>(user);
    if (*stride == 1 || !read || read.getBase() != slice.getResult() ||
        read.getVectorType().getRank() != 2 || read.getMask() ||
        !read.getPermutationMap().isMinorIdentity())
      continue;
    rewriter.setInsertionPoint(read);
    Location loc = read.getLoc();
    VectorType block = read.getVectorType();
    auto rowType =
        VectorType::get(block.getShape().back(), block.getElementType());
    Value rows = ub::PoisonOp::create(rewriter, loc, block);
    for (int64_t r = 0; r < block.getDimSize(0); ++r) {
      SmallVector<Value> indices(read.getIndices());
      Value &rowIndex = indices.end()[-2];
      rowIndex = affine::makeComposedAffineApply(
          rewriter, loc, rewriter.getAffineDimExpr(0) + r, {rowIndex});
      Value row = vector::TransferReadOp::create(
          rewriter, loc, rowType, read.getBase(), indices, read.getPadding(),
          ArrayRef<bool>{read.isDimInBounds(1)});
      rows = vector::InsertOp::create(rewriter, loc, row, rows, r);
    }
    rewriter.replaceOp(read, rows);
  }
  for (Operation *user : llvm::make_early_inc_range(slice->getUsers())) {
    auto read = dyn_cast<vector::TransferReadOp>(user);
    if (!read || read.getBase() != slice.getResult() ||
        read.getVectorType().getRank() != 1 || read.getMask() ||
        !read.getPermutationMap().isMinorIdentity())
      continue;
    // The span must lie in the slice's source: the read, in the slice.
    int64_t lanes = read.getVectorType().getDimSize(0);
    std::optional<int64_t> first =
        getConstantIntValue(read.getIndices().back());
    int64_t extent = slice.getType().getShape().back();
    if (!first || ShapedType::isDynamic(extent) || *first + lanes > extent)
      continue;
    rewriter.setInsertionPoint(read);
    Location loc = read.getLoc();
    // Element i of the slice is element offset + i * stride of its source.
    SmallVector<Value> indices;
    for (auto [index, offset, step] :
         llvm::zip(read.getIndices(), slice.getMixedOffsets(),
                   slice.getMixedStrides())) {
      AffineExpr i, o, s;
      bindSymbols(rewriter.getContext(), i, o, s);
      indices.push_back(getValueOrCreateConstantIndexOp(
          rewriter, loc,
          affine::makeComposedFoldedAffineApply(rewriter, loc, o + i * s,
                                                {index, offset, step})));
    }
    auto spanType = VectorType::get({(lanes - 1) * *stride + 1},
                                    read.getVectorType().getElementType());
    Value span = vector::TransferReadOp::create(
        rewriter, loc, spanType, slice.getSource(), indices, read.getPadding(),
        ArrayRef<bool>{true});
    SmallVector<int64_t> everyStride;
    for (int64_t lane = 0; lane < lanes; ++lane)
      everyStride.push_back(lane * *stride);
    rewriter.replaceOpWithNewOp<vector::ShuffleOp>(read, span, span,
                                                   everyStride);
  }
}

/// `op` as a generic whose weights (input kLaneWeightsInput) are transposed
/// so that loop `lanes` indexes their last dimension (a convolution's
/// weights to (C, KH, KW, F)): a tile then loads a vector of filters
/// contiguously. The strategy chose `lanes` among the weights' dimensions.
static FailureOr<linalg::LinalgOp>
transposeWeightsForLanes(RewriterBase &rewriter, linalg::LinalgOp op,
                         unsigned lanes) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> generic =
      isa<linalg::GenericOp>(*op) ? cast<linalg::GenericOp>(*op)
                                  : linalg::generalizeNamedOp(rewriter, op);
  if (failed(generic))
    return failure();
  OpOperand *operand = generic->getDpsInputOperand(kLaneWeightsInput);
  AffineMap map = generic->getMatchingIndexingMap(operand);
  unsigned position = *map.getResultPosition(rewriter.getAffineDimExpr(lanes));
  if (position == map.getNumResults() - 1)
    return cast<linalg::LinalgOp>(generic->getOperation());
  SmallVector<int64_t> permutation;
  for (unsigned i = 0; i < map.getNumResults(); ++i)
    if (i != position)
      permutation.push_back(i);
  permutation.push_back(position);
  rewriter.setInsertionPoint(*generic);
  Location loc = generic->getLoc();
  Value source = operand->get();
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> results;
  for (int64_t i : permutation) {
    shape.push_back(type.getDimSize(i));
    results.push_back(map.getResult(i));
  }
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
  Value transposed =
      linalg::TransposeOp::create(rewriter, loc, source, empty, permutation)
          ->getResult(0);
  SmallVector<AffineMap> maps = generic->getIndexingMapsArray();
  maps[operand->getOperandNumber()] =
      AffineMap::get(map.getNumDims(), 0, results, generic->getContext());
  rewriter.modifyOpInPlace(*generic, [&] {
    operand->set(transposed);
    generic->setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
  });
  return cast<linalg::LinalgOp>(generic->getOperation());
}

/// Vectorizes the innermost tile `op`: drops its unit loops and vectorizes
/// what is left. (The pipeline's loop-invariant-subset-hoisting then moves
/// the accumulator's reads and writes out of the reduction loops.) A tile
/// `alongLanes` is vectorized along the loop its weights end with.
static LogicalResult vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp op,
                                   bool alongLanes) {
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
  sliceStridedReads(rewriter, cast<linalg::GenericOp>(compact));
  // A tile vectorized along its filters: the filter loop innermost, so
  // that vectorization makes it the lanes.
  if (alongLanes) {
    auto tile = cast<linalg::GenericOp>(compact);
    AffineMap map =
        tile.getMatchingIndexingMap(tile.getDpsInputOperand(kLaneWeightsInput));
    unsigned lanes = cast<AffineDimExpr>(map.getResults().back()).getPosition();
    SmallVector<unsigned> order;
    for (unsigned i = 0; i < tile.getNumLoops(); ++i)
      if (i != lanes)
        order.push_back(i);
    order.push_back(lanes);
    FailureOr<linalg::GenericOp> interchanged =
        linalg::interchangeGenericOp(rewriter, tile, order);
    if (failed(interchanged))
      return op->emitOpError("could not put the lane loop innermost");
    compact = *interchanged;
    // Its vector ops are unrolled a register of filters at a time.
    if (Operation *loop = compact->getParentOp();
        !isa<FunctionOpInterface>(loop))
      loop->setAttr(kLaneTileAttrName, rewriter.getUnitAttr());
  }
  // A tile the vectorizer declines stays a loop nest for LLVM.
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, compact);
  if (succeeded(vectorized))
    rewriter.replaceOp(compact, vectorized->replacements);
  return success();
}

/// Tiles `op` by `tiles` into an scf.for nest. Returns the tiled op.
static FailureOr<linalg::LinalgOp> tileInLoops(RewriterBase &rewriter,
                                               linalg::LinalgOp op,
                                               ArrayRef<int64_t> tiles) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), tiles));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(*op), tiling);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  return cast<linalg::LinalgOp>(result->tiledOps.front());
}

/// Applies `strategy` to `op`: its thread tiles, then its chunks of the
/// batch, then its loop tiles, then vectorization of the innermost tile.
static LogicalResult applyStrategy(RewriterBase &rewriter, linalg::LinalgOp op,
                                   const CPUStrategy &strategy) {
  if (strategy.laneLoop) {
    FailureOr<linalg::LinalgOp> transposed =
        transposeWeightsForLanes(rewriter, op, *strategy.laneLoop);
    if (failed(transposed))
      return op->emitOpError("could not be generalized to transpose its "
                             "weights");
    op = *transposed;
  }
  struct Level {
    ArrayRef<int64_t> tiles;
    bool onThreads;
    StringRef failure;
  };
  for (const Level &level :
       {Level{strategy.threadTiles, true, "could not be tiled across threads"},
        Level{strategy.chunkTiles, false, "could not be tiled in chunks"},
        Level{strategy.loopTiles, false, "could not be tiled"}}) {
    if (!anyTiled(level.tiles))
      continue;
    FailureOr<linalg::LinalgOp> tiled =
        level.onThreads ? tileOnThreads(rewriter, op, level.tiles)
                        : tileInLoops(rewriter, op, level.tiles);
    if (failed(tiled))
      return op->emitOpError(level.failure);
    op = *tiled;
  }
  if (!anyTiled(strategy.loopTiles) || !strategy.vectorize)
    return success();
  return vectorizeTile(rewriter, op, strategy.laneLoop.has_value());
}

/// Whether `op` is in a tile vectorized along its filters.
static bool isInLaneTile(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp())
    if (parent->hasAttr(kLaneTileAttrName))
      return true;
  return false;
}

/// The shape each vector op is unrolled to: one row (the innermost
/// dimension), so that a tile's accumulator is one register row per filter
/// and a broadcast weight is one scalar load; or the block of the two
/// innermost dimensions where its short rows fill whole registers together.
static std::optional<SmallVector<int64_t>> rowShape(Operation *op,
                                                    const CPUTarget &target) {
  VectorType type;
  if (auto unrollable = dyn_cast<VectorUnrollOpInterface>(op))
    if (std::optional<SmallVector<int64_t>> shape =
            unrollable.getShapeForUnroll())
      type = VectorType::get(*shape, Float32Type::get(op->getContext()));
  if (!type || type.getRank() < 2)
    return std::nullopt;
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> row(type.getRank(), 1);
  row.back() = shape.back();
  // A tile vectorized along the filters: a register of filters per
  // position (LLVM would widen 3 registers' worth to 4).
  if (isInLaneTile(op) && shape.back() % target.vectorWidth == 0) {
    row.back() = target.vectorWidth;
    return row;
  }
  if (packsRows(shape.end()[-2], shape.back(), target))
    row.end()[-2] = shape.end()[-2];
  return row;
}

/// Unrolls the n-d vectors of vectorized tiles into rows (or blocks of
/// rows) and drops their leading unit dimensions.
static LogicalResult unrollToRows(func::FuncOp func, const CPUTarget &target) {
  MLIRContext *context = func.getContext();
  RewritePatternSet unroll(context);
  vector::populateVectorUnrollPatterns(
      unroll, vector::UnrollVectorOptions().setNativeShapeFn(
                  [&](Operation *op) { return rowShape(op, target); }));
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
    CPUTarget target = vectorWidth ? CPUTarget{vectorWidth} : CPUTarget::host();
    if (failed(unrollToRows(getOperation(), target)))
      return signalPassFailure();
    getOperation().walk(
        [](Operation *op) { op->removeAttr(kLaneTileAttrName); });
    SmallVector<tensor::ExtractSliceOp> slices;
    getOperation().walk(
        [&](tensor::ExtractSliceOp slice) { slices.push_back(slice); });
    for (tensor::ExtractSliceOp slice : slices)
      readStridedSliceSpans(rewriter, slice);
    // A row's slice of a tile's slice as one slice: bufferization's
    // analysis walks these chains, and took a fifth less time without them.
    RewritePatternSet merge(&getContext());
    tensor::populateMergeConsecutiveInsertExtractSlicePatterns(merge);
    if (failed(applyPatternsGreedily(getOperation(), std::move(merge))))
      return signalPassFailure();
  }
};
} // namespace
