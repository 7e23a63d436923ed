//===- Strategy.cpp - How one linalg op becomes CPU code ------------------===//
//
// Every op with enough work runs its batch (or, without one, its first
// parallel loop) across threads, one image per iteration.
//
// Inside a thread's tile, ops that read every operand along the output's
// rows, contiguously or at a small stride (elementwise ops, optimizer
// updates, convolutions and pooling, the row-partial weight and bias
// gradients) are vectorized along the row: tiled to one row of owT outputs
// times fT of the `block` loop (the one the first input does not read, e.g.
// a convolution's filters), times, in a sum of products of two inputs, ohT
// of the `cross` loop (one the other input does not read, e.g. the output
// rows), and 1 on every other loop, reduction loops included. A
// convolution tile then computes
//   out[f, oh, ow] += w[f] * in[oh + kh, ow + kw]
// for one (channel, kernel offset) at a time: fT x ohT FMAs on vectors of
// output pixels from ohT row loads and fT weight loads, with the
// accumulators kept in registers across the reduction loops. The row is the
// contiguous dimension of NCHW, so no layout change is needed, and
// small-channel convolutions (1 input channel, 6-20 filters) vectorize as
// well as wide ones.
//
// Where the rows do not fill whole vectors but a convolution's filters do
// (12-pixel rows, 16 or 24 filters, on 8 lanes), the tile is vectorized
// along the filters instead (`laneStrategy`): k vectors of filters times p
// positions of a row, a register per position, each step a weight vector
// load per k and an input broadcast per p; the accumulators are read and
// written transposed once per tile.
//
// Ops that reduce along the rows every operand reads (a linear layer's dot
// products, a batch norm's and a softmax's sums) are vectorized along the
// reduction instead, on rows of at least 4 floats. Other ops (gathers,
// global pooling, weight flips) leave LLVM their thread tile's inner loops,
// with static trip counts.
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Strategy.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mlir::netc;

/// Ops with fewer iterations than this (a dynamic batch counted as 64) stay
/// on the calling thread: a fork costs more than they do.
static constexpr int64_t kMinThreadedWork = 1 << 14;
/// Dynamic extents (the batch) are assumed this large when weighing work.
static constexpr int64_t kAssumedBatch = 64;
/// The part of the vector registers that the accumulator of a convolution
/// tile may hold (16 of AVX-512's 32, 8 of AVX2's 16); the rest hold inputs
/// and broadcast weights.
static constexpr int64_t kAccumulatorShare = 2;
/// The part of the vector registers that a tile vectorized along the
/// filters may hold as accumulators (12 of AVX2's 16): its other operands
/// are a few weight vectors and one broadcast input at a time. 8 left
/// Zen 3 waiting on the FMAs' latency: inception trained 5% slower.
static constexpr std::pair<int64_t, int64_t> kLaneAccumulatorShare{3, 4};
/// About how many elements of a threaded row one thread's tile holds.
static constexpr int64_t kThreadChunk = 4096;
/// The shortest row tile that vectorizes: 4 f32, a 128-bit vector.
static constexpr int64_t kMinRowTile = 4;
/// Bytes of input a chunk of a batch reduction reads. A tile reads the part
/// of it in its channels, and the tiles of the same channels (other kernel
/// offsets and row pieces) run one after another: with 64 KiB that part
/// stays in the L1 cache (32-48 KiB) between them. Chunks of 256 KiB (in
/// L2) trained residual 1.23x, inception 1.09x, mnist_cnn 1.11x slower on
/// Zen 3; 16-64 KiB measured the same.
static constexpr int64_t kChunkBytes = 64 * 1024;
/// The largest stride at which a row is read in vectors: each vector of a
/// tile of t lanes comes from a read of (t - 1) * stride + 1.
static constexpr int64_t kMaxRowStride = 4;

DictionaryAttr CPUStrategy::toAttr(MLIRContext *context) const {
  Builder b(context);
  SmallVector<NamedAttribute> entries{
      b.getNamedAttr("threads", b.getDenseI64ArrayAttr(threadTiles)),
      b.getNamedAttr("loops", b.getDenseI64ArrayAttr(loopTiles))};
  if (!chunkTiles.empty())
    entries.push_back(
        b.getNamedAttr("chunks", b.getDenseI64ArrayAttr(chunkTiles)));
  if (vectorize)
    entries.push_back(b.getNamedAttr("vectorize", b.getUnitAttr()));
  if (laneLoop)
    entries.push_back(b.getNamedAttr("lanes", b.getI64IntegerAttr(*laneLoop)));
  return b.getDictionaryAttr(entries);
}

std::optional<CPUStrategy> CPUStrategy::of(Operation *op) {
  auto dict = op->getAttrOfType<DictionaryAttr>(kStrategyAttrName);
  if (!dict)
    return std::nullopt;
  auto threads = dict.getAs<DenseI64ArrayAttr>("threads");
  auto loops = dict.getAs<DenseI64ArrayAttr>("loops");
  if (!threads || !loops)
    return std::nullopt;
  CPUStrategy strategy;
  strategy.threadTiles = llvm::to_vector(threads.asArrayRef());
  strategy.loopTiles = llvm::to_vector(loops.asArrayRef());
  if (auto chunks = dict.getAs<DenseI64ArrayAttr>("chunks"))
    strategy.chunkTiles = llvm::to_vector(chunks.asArrayRef());
  strategy.vectorize = dict.contains("vectorize");
  if (auto lanes = dict.getAs<IntegerAttr>("lanes"))
    strategy.laneLoop = lanes.getInt();
  return strategy;
}

CPUTarget CPUTarget::host() {
  // Read once: the passes ask for every function they run on, and each
  // reading runs cpuid a dozen times.
  static const CPUTarget target = [] {
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    if (features.lookup("avx512f"))
      return CPUTarget{16};
    if (features.lookup("avx2"))
      return CPUTarget{8};
    return CPUTarget{4};
  }();
  return target;
}

/// The largest divisor of `n` that is at most `limit` (at least 1).
static int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// The loop that runs across threads: the dynamic (batch) parallel loop, or
/// the first parallel loop of extent > 1 when the op has enough work.
static std::optional<unsigned> threadedLoop(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto iterators = op.getIteratorTypesArray();
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= ShapedType::isDynamic(r) ? kAssumedBatch : r;
  if (work < kMinThreadedWork)
    return std::nullopt;
  // Each thread's slice of an operand must be a box: the loop is read as
  // is wherever it is read (not flipped, shifted or divided).
  auto readsPlainly = [&](unsigned loop) {
    for (AffineMap map : op.getIndexingMapsArray())
      for (AffineExpr e : map.getResults())
        if (e.isFunctionOfDim(loop) && !isa<AffineDimExpr>(e))
          return false;
    return true;
  };
  auto parallel = [&](unsigned i) {
    return iterators[i] == utils::IteratorType::parallel && readsPlainly(i);
  };
  for (auto [i, r] : llvm::enumerate(ranges))
    if (ShapedType::isDynamic(r) && parallel(i))
      return i;
  for (auto [i, r] : llvm::enumerate(ranges))
    if (r > 1 && parallel(i))
      return i;
  return std::nullopt;
}

/// How an op vectorizes along its output rows: the loop of the output's
/// innermost dimension (`row`), and the loop whose tile shares each loaded
/// row of the first input that reads rows (`block`: a parallel loop of the
/// output that this input does not read, e.g. a convolution's filters).
struct RowLoops {
  unsigned row;
  std::optional<unsigned> block;
  /// In a product of two inputs summed into the output, a parallel loop of
  /// the output that the other input does not read (a convolution's output
  /// rows, a weight gradient's filters): tiled together with `block`, each
  /// loaded row or weight serves several accumulators.
  std::optional<unsigned> cross;
};

/// The stride at which `expr` reads loop `row`: `row * stride` (stride 1
/// for `row` itself), plus terms that do not involve it.
static std::optional<int64_t> rowStride(AffineExpr expr, unsigned row) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr))
    return dim.getPosition() == row ? std::optional<int64_t>(1) : std::nullopt;
  auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!binary)
    return std::nullopt;
  AffineExpr lhs = binary.getLHS(), rhs = binary.getRHS();
  if (binary.getKind() == AffineExprKind::Mul) {
    auto dim = dyn_cast<AffineDimExpr>(lhs);
    auto stride = dyn_cast<AffineConstantExpr>(rhs);
    if (dim && stride && dim.getPosition() == row && stride.getValue() > 0)
      return stride.getValue();
    return std::nullopt;
  }
  if (binary.getKind() != AffineExprKind::Add)
    return std::nullopt;
  if (!rhs.isFunctionOfDim(row))
    return rowStride(lhs, row);
  if (!lhs.isFunctionOfDim(row))
    return rowStride(rhs, row);
  return std::nullopt;
}

/// The row loops of `op` when every operand is read along its innermost
/// dimension contiguously, at a small stride (a strided pooling or
/// convolution, whose vectors are every stride-th lane of a contiguous
/// read), or not at all, by a parallel loop that writes the output's
/// innermost dimension, and the body gathers nothing.
static std::optional<RowLoops> rowLoops(linalg::LinalgOp op,
                                        std::optional<unsigned> threaded) {
  if (op.getNumDpsInits() == 0 || op->getNumResults() != op.getNumDpsInits() ||
      op.getRank(op.getDpsInitOperand(0)) == 0)
    return std::nullopt;
  bool gathers = false;
  op->walk([&](tensor::ExtractOp) { gathers = true; });
  if (gathers)
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&init) != outMap)
      return std::nullopt;
  auto rowDim = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!rowDim)
    return std::nullopt;
  unsigned row = rowDim.getPosition();
  auto iterators = op.getIteratorTypesArray();
  if (iterators[row] != utils::IteratorType::parallel)
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (op.getRank(input) == 0)
      continue;
    AffineExpr last = op.getMatchingIndexingMap(input).getResults().back();
    if (last.isFunctionOfDim(row)) {
      std::optional<int64_t> stride = rowStride(last, row);
      if (!stride || *stride > kMaxRowStride)
        return std::nullopt;
    }
    for (AffineExpr e : op.getMatchingIndexingMap(input).getResults().drop_back())
      if (e.isFunctionOfDim(row))
        return std::nullopt;
  }
  RowLoops loops{row, std::nullopt, std::nullopt};
  OpOperand *streamed = nullptr;
  for (OpOperand *input : op.getDpsInputOperands())
    if (!streamed && op.getMatchingIndexingMap(input).isFunctionOfDim(row))
      streamed = input;
  if (!streamed)
    return loops;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap firstIn = op.getMatchingIndexingMap(streamed);
  for (AffineExpr e : outMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (d == row || (threaded && d == *threaded) ||
        firstIn.isFunctionOfDim(d) || ranges[d] <= 1)
      continue;
    if (!loops.block || ranges[d] > ranges[*loops.block])
      loops.block = d;
  }
  SmallVector<OpOperand *> read;
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.getRank(input) != 0)
      read.push_back(input);
  if (!loops.block || read.size() != 2 || op.getNumReductionLoops() == 0)
    return loops;
  AffineMap other = op.getMatchingIndexingMap(read[read[0] == streamed]);
  for (AffineExpr e : outMap.getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    if (d == row || d == *loops.block || other.isFunctionOfDim(d) ||
        ShapedType::isDynamic(ranges[d]) || ranges[d] <= 1)
      continue;
    if (!loops.cross || ranges[d] > ranges[*loops.cross])
      loops.cross = d;
  }
  return loops;
}

/// The extent of the vectorized tile's dimension next to the row: that of
/// the innermost output dimension but the row whose tile (the thread's
/// when the loops leave it whole) is more than 1.
static int64_t innerRows(linalg::LinalgOp op, const CPUStrategy &strategy) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (AffineExpr e : llvm::reverse(out.getResults().drop_back())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    int64_t extent = strategy.loopTiles[d]     ? strategy.loopTiles[d]
                     : strategy.threadTiles[d] ? strategy.threadTiles[d]
                                               : ranges[d];
    if (extent != 1)
      return extent;
  }
  return 1;
}

/// Tiles for the `block` and `cross` loops of extents `blockRange` and
/// `crossRange` (divisors of them) with at most `budget` accumulators: the
/// pair that loads least per FMA (a tile of b x c accumulators loads about
/// b + c rows or weights a step), then the larger; then, where the cross
/// loop runs across threads in chunks of its tile (`crossThreaded`), the
/// smaller cross tile, which leaves the threads more chunks to share.
/// (Residual's and inception's weight gradients of 20 filters: 10 chunks of
/// 2 rather than 5 of 4, which 2 threads split 3 to 2.)
static std::pair<int64_t, int64_t> blockTiles(int64_t blockRange,
                                              int64_t crossRange,
                                              int64_t budget,
                                              bool crossThreaded = false) {
  std::pair<int64_t, int64_t> best{1, 1};
  auto better = [&](int64_t b, int64_t c, std::pair<int64_t, int64_t> than) {
    // Compares b*c / (b+c) with cross-multiplication to stay exact.
    int64_t lhs = b * c * (than.first + than.second);
    int64_t rhs = than.first * than.second * (b + c);
    if (lhs != rhs)
      return lhs > rhs;
    if (b * c != than.first * than.second)
      return b * c > than.first * than.second;
    return crossThreaded && c < than.second;
  };
  for (int64_t b = 1; b <= std::min(blockRange, budget); ++b)
    for (int64_t c = 1; c <= std::min(crossRange, budget / b); ++c)
      if (blockRange % b == 0 && crossRange % c == 0 && better(b, c, best))
        best = {b, c};
  return best;
}

/// The reduction loop that every operand reads along its innermost
/// dimension (or not at all), as a linear layer's dot products do, or a
/// batch norm's sums over each channel's rows (whose mean is read once per
/// row).
static std::optional<unsigned> contiguousReduction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() == 0)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  std::optional<unsigned> reduction;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (op.getRank(input) == 0)
      continue;
    auto last = dyn_cast<AffineDimExpr>(
        op.getMatchingIndexingMap(input).getResults().back());
    if (!last ||
        iterators[last.getPosition()] != utils::IteratorType::reduction)
      continue;
    if (reduction && last.getPosition() != *reduction)
      return std::nullopt;
    reduction = last.getPosition();
  }
  if (!reduction)
    return std::nullopt;
  // Inputs it does not end with must not read it at all: each is one value
  // for the whole vector.
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.isFunctionOfDim(*reduction) &&
        (op.getRank(input) == 0 ||
         map.getResults().back() !=
             getAffineDimExpr(*reduction, op->getContext())))
      return std::nullopt;
  }
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults())
      if (e.isFunctionOfDim(*reduction) && !isa<AffineDimExpr>(e))
        return std::nullopt;
  return reduction;
}

// Rows of 8 on 16 lanes would fill half of each register: 2 of them fill
// one (4 rows of 4 likewise), for one FMA where there were two. Their rows
// are loaded apart and joined in registers (a lane insert per row), where
// the output's rows are contiguous they are stored as one.
bool mlir::netc::packsRows(int64_t rows, int64_t rowLength,
                           const CPUTarget &target) {
  int64_t lanes = target.vectorWidth;
  return rows > 1 && rowLength < lanes && lanes % rowLength == 0 &&
         (rows * rowLength) % lanes == 0;
}

/// Chunks of the batch for an op that sums over it (a weight gradient):
/// every tile of the result reads every image, and the images' inputs (for
/// residual's second weight gradient, 17 KB an image) would be read again
/// from memory by each tile, where a chunk of them stays in cache.
static SmallVector<int64_t> batchChunks(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [loop, range] : llvm::enumerate(ranges)) {
    if (iterators[loop] != utils::IteratorType::reduction ||
        !ShapedType::isDynamic(range))
      continue;
    int64_t bytesPerImage = 0;
    for (OpOperand *input : op.getDpsInputOperands()) {
      auto type = dyn_cast<RankedTensorType>(input->get().getType());
      if (!type)
        continue;
      int64_t elements = 1;
      for (int64_t size : type.getShape())
        if (!ShapedType::isDynamic(size))
          elements *= size;
      bytesPerImage += elements * type.getElementTypeBitWidth() / 8;
    }
    int64_t chunk = kChunkBytes / std::max<int64_t>(bytesPerImage, 1);
    if (chunk >= kAssumedBatch)
      return {};
    SmallVector<int64_t> chunks(ranges.size(), 0);
    chunks[loop] = std::max<int64_t>(chunk, 1);
    return chunks;
  }
  return {};
}

/// `strategy` (its thread tiles chosen) with `op`'s row loops tiled for row
/// tiles of `rowTile` lanes, vectorized.
static CPUStrategy tileRows(linalg::LinalgOp op, CPUStrategy strategy,
                            const RowLoops &rows,
                            std::optional<unsigned> threaded, int64_t rowTile,
                            const CPUTarget &target) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t row = ranges[rows.row];
  SmallVector<int64_t> &tiles = strategy.loopTiles;
  tiles.assign(op.getNumLoops(), 1);
  if (threaded)
    tiles[*threaded] = 0;
  // A long row that is the only loop worth threading (an optimizer update
  // over a flattened tensor) goes to the threads in chunks of row tiles.
  if (threaded && rows.row == *threaded)
    strategy.threadTiles[rows.row] =
        rowTile *
        largestDivisorAtMost(row / rowTile,
                             std::max<int64_t>(1, kThreadChunk / rowTile));
  tiles[rows.row] = rowTile;
  if (rows.block) {
    auto tileBlock = [&](int64_t budget) {
      if (rows.cross) {
        auto [blockTile, crossTile] =
            blockTiles(ranges[*rows.block], ranges[*rows.cross], budget,
                       threaded && *rows.cross == *threaded);
        tiles[*rows.block] = blockTile;
        // Across threads, the cross loop goes in chunks of its tile.
        if (threaded && *rows.cross == *threaded)
          strategy.threadTiles[*threaded] = crossTile;
        else
          tiles[*rows.cross] = crossTile;
      } else {
        tiles[*rows.block] = largestDivisorAtMost(ranges[*rows.block], budget);
      }
    };
    int64_t registersPerRow = llvm::divideCeil(rowTile, target.vectorWidth);
    int64_t budget = std::max<int64_t>(
        1, target.vectorRegisters() / kAccumulatorShare / registersPerRow);
    tileBlock(budget);
    // Rows packed several to a register hold as many more accumulators,
    // if the larger tile still packs.
    int64_t rowsPerRegister = target.vectorWidth / rowTile;
    if (packsRows(innerRows(op, strategy), rowTile, target) &&
        rowsPerRegister > 1) {
      CPUStrategy smaller = strategy;
      tileBlock(budget * rowsPerRegister);
      if (!packsRows(innerRows(op, strategy), rowTile, target))
        strategy = smaller;
    }
  }
  strategy.chunkTiles = batchChunks(op);
  strategy.vectorize = true;
  return strategy;
}

/// A tile vectorized along the filters (`CPUStrategy::laneLoop`) for an op
/// whose rows do not fill whole vectors but whose filters do: a sum of
/// products of two inputs, the second (the weights) read by the filters and
/// not by the row. Its tile is k vectors of filters times p positions of the
/// row, k * p accumulators; each step loads k weight vectors and broadcasts
/// p inputs. Residual's and inception's 12-pixel rows otherwise fill one
/// and a half AVX2 registers, or pack rows of 4 two to a register with an
/// insert per load.
static std::optional<CPUStrategy>
laneStrategy(linalg::LinalgOp op, CPUStrategy strategy, const RowLoops &rows,
             std::optional<unsigned> threaded, const CPUTarget &target) {
  if (!rows.block || !rows.cross || op.getNumReductionLoops() == 0 ||
      op.getNumDpsInputs() != 2)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t lanes = target.vectorWidth;
  int64_t row = ranges[rows.row], filters = ranges[*rows.block];
  if (filters % lanes != 0 || row % lanes == 0)
    return std::nullopt;
  // The weights index the filters by one of their dimensions (so that a
  // transpose makes it their last) and do not read the row.
  AffineMap weights =
      op.getMatchingIndexingMap(op.getDpsInputOperand(kLaneWeightsInput));
  if (!weights.getResultPosition(
          getAffineDimExpr(*rows.block, op->getContext())) ||
      weights.isFunctionOfDim(rows.row))
    return std::nullopt;
  auto [vectors, positions] =
      blockTiles(filters / lanes, row,
                 target.vectorRegisters() * kLaneAccumulatorShare.first /
                     kLaneAccumulatorShare.second);
  SmallVector<int64_t> &tiles = strategy.loopTiles;
  tiles.assign(op.getNumLoops(), 1);
  if (threaded)
    tiles[*threaded] = 0;
  tiles[*rows.block] = vectors * lanes;
  tiles[rows.row] = positions;
  strategy.chunkTiles = batchChunks(op);
  strategy.vectorize = true;
  strategy.laneLoop = *rows.block;
  return strategy;
}

CPUStrategy mlir::netc::selectCPUStrategy(linalg::LinalgOp op,
                                          const CPUTarget &target) {
  unsigned loops = op.getNumLoops();
  CPUStrategy strategy;
  strategy.threadTiles.assign(loops, 0);
  strategy.loopTiles.assign(loops, 0);
  std::optional<unsigned> threaded = threadedLoop(op);
  if (threaded)
    strategy.threadTiles[*threaded] = 1;
  if (isa<linalg::FillOp, linalg::CopyOp, linalg::BroadcastOp>(*op))
    return strategy;

  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  std::optional<RowLoops> rows = rowLoops(op, threaded);
  if (!rows) {
    // Dot products: one vector of the reduction at a time per output.
    // Rows shorter than a vector on narrower vectors, down to 128 bits.
    std::optional<unsigned> reduction = contiguousReduction(op);
    if (!reduction || ShapedType::isDynamic(ranges[*reduction]) ||
        ranges[*reduction] < kMinRowTile)
      return strategy;
    strategy.loopTiles.assign(loops, 1);
    if (threaded)
      strategy.loopTiles[*threaded] = 0;
    strategy.loopTiles[*reduction] =
        ranges[*reduction] <= 64 * target.vectorWidth
            ? ranges[*reduction]
            : largestDivisorAtMost(ranges[*reduction], 32 * target.vectorWidth);
    strategy.vectorize = true;
    return strategy;
  }
  if (ShapedType::isDynamic(ranges[rows->row]) ||
      (rows->block && ShapedType::isDynamic(ranges[*rows->block])))
    return strategy;
  if (std::optional<CPUStrategy> lanes =
          laneStrategy(op, strategy, *rows, threaded, target))
    return *lanes;
  // A row longer than four vectors is cut into pieces that divide it: one
  // or two whole vectors when it is a whole number of them.
  int64_t row = ranges[rows->row];
  int64_t rowTile = row;
  if (row > 4 * target.vectorWidth)
    rowTile = row % target.vectorWidth == 0
                  ? target.vectorWidth *
                        largestDivisorAtMost(row / target.vectorWidth, 2)
                  : largestDivisorAtMost(row, 2 * target.vectorWidth);
  // A tile longer than a vector but not a power-of-two number of them (a
  // 24-pixel row: 16 + 8, or 3 x 8) makes LLVM assemble its vectors element
  // by element through the stack: take its largest divisor that fits in one
  // vector instead (24 -> 12, 28 -> 14; lenet's step 1.2x faster than with
  // power-of-two pieces, 28 -> 4, on AVX-512).
  if (rowTile > target.vectorWidth &&
      (rowTile % target.vectorWidth != 0 ||
       !llvm::isPowerOf2_64(rowTile / target.vectorWidth))) {
    int64_t piece = largestDivisorAtMost(row, target.vectorWidth);
    if (piece >= kMinRowTile)
      rowTile = piece;
  }
  // Rows shorter than a vector still vectorize, on narrower vectors: the
  // 4-pixel rows of a residual block after two poolings run 4x faster on
  // 128-bit lanes than as scalar loops. Shorter rows stay loops.
  if (rowTile < kMinRowTile)
    return strategy;
  CPUStrategy rowStrategy =
      tileRows(op, strategy, *rows, threaded, rowTile, target);
  // Where a piece of 5-7 lanes would be assembled from narrower loads, a
  // power-of-two piece whose rows pack into whole registers fills every
  // lane: residual's 12-pixel rows as 4 + 4 + 4 rather than 6 + 6 on AVX2,
  // its training step 1.15x faster, inception's 1.5x. The packed rows must
  // fill a power-of-two number of registers: LLVM assembles a vector of 3
  // (a weight gradient's 6 filters x 4 pixels) element by element.
  int64_t powerOfTwoPiece = int64_t(1) << llvm::countr_zero(uint64_t(row));
  powerOfTwoPiece = std::min(powerOfTwoPiece, target.vectorWidth);
  if (!target.loadsOddRowsCheaply() && !llvm::isPowerOf2_64(rowTile) &&
      powerOfTwoPiece >= kMinRowTile && powerOfTwoPiece < rowTile) {
    CPUStrategy packed =
        tileRows(op, strategy, *rows, threaded, powerOfTwoPiece, target);
    int64_t packedRows = innerRows(op, packed);
    if (packsRows(packedRows, powerOfTwoPiece, target) &&
        llvm::isPowerOf2_64(packedRows * powerOfTwoPiece / target.vectorWidth))
      rowStrategy = packed;
  }
  return rowStrategy;
}
