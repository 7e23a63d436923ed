//===- Convolution.cpp - netc convolution ops to linalg -------------------===//
//
// netc.conv becomes: the input padded as its padding_mode says (copied into
// a filled tensor for zeros/constant; for reflect/replicate/circular, each
// border then copied from the positions it repeats), an init holding the
// broadcast bias (or zeros), then the named linalg convolution for the case
// (plain, depthwise, 2-d grouped) or one linalg.generic that handles any
// rank and any groups.
//
// Its gradients reuse those pieces: conv_input_grad is the transposed
// convolution (the same convolution builders run on the result gradient
// spread out by the stride, with the flipped weight), over the unpadded
// input's positions for zero and constant padding, else over the padded
// input's, followed by the adjoint of the copying padding; conv_weight_grad
// correlates the input, padded as the forward pass padded it, with the result
// gradient; channel_sum is a linalg.reduce.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "PopulatePatterns.h"

#include "netc/Dialect/NetcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::netc;

//===----------------------------------------------------------------------===//
// Padding
//===----------------------------------------------------------------------===//

/// Maps a position `i` of a padded dimension (already shifted so that the
/// input starts at 0) to the input position torch reads for it. The
/// verifier bounds the padding (reflect: < size, circular: <= size), so one
/// reflection or wrap suffices.
static Value sourceIndex(OpBuilder &b, Location loc, PaddingMode mode, Value i,
                         int64_t size) {
  Value zero = createIndexConstant(b, loc, 0);
  Value last = createIndexConstant(b, loc, size - 1);
  switch (mode) {
  case PaddingMode::replicate:
    return arith::MaxSIOp::create(
        b, loc, arith::MinSIOp::create(b, loc, i, last), zero);
  case PaddingMode::reflect: {
    // Mirror without repeating the edge: last - |last - |i||.
    auto abs = [&](Value x) {
      return arith::MaxSIOp::create(b, loc, x,
                                    arith::SubIOp::create(b, loc, zero, x));
    };
    return arith::SubIOp::create(
        b, loc, last, abs(arith::SubIOp::create(b, loc, last, abs(i))));
  }
  case PaddingMode::circular: {
    Value n = createIndexConstant(b, loc, size);
    return arith::RemSIOp::create(b, loc, arith::AddIOp::create(b, loc, i, n),
                                  n);
  }
  case PaddingMode::zeros:
  case PaddingMode::constant:
    break;
  }
  llvm_unreachable("constant padding modes copy no input position");
}

/// Pads by copying, one spatial dimension at a time over the whole extent of
/// the others (so that the corners repeat borders already made): the input
/// into the interior, then each border from the positions it repeats.
/// Replicate broadcasts the edge, reflect reads the positions past the edge
/// in reverse, circular copies the other end. Nothing is gathered.
static Value copyPad(OpBuilder &b, Location loc, Value input, PaddingMode mode,
                     ArrayRef<int64_t> low, ArrayRef<int64_t> high) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape()), interior{0, 0};
  for (auto [d, lo, hi] : llvm::enumerate(low, high)) {
    shape[d + 2] += lo + hi;
    interior.push_back(lo);
  }
  auto paddedType = type.clone(shape);
  Value padded = insertIntoSlice(
      b, loc, input, createEmpty(b, loc, paddedType, input), interior);
  for (int64_t d = 2; d < rank; ++d) {
    int64_t lo = low[d - 2], hi = high[d - 2], size = type.getDimSize(d);
    // The `count` positions from `first` on along d repeat those from
    // `source` on (replicate: the one at `source`).
    auto makeBorder = [&](int64_t first, int64_t count, int64_t source) {
      if (count == 0)
        return;
      SmallVector<int64_t> borderShape(shape), borderAt(rank, 0),
          sourceShape(shape), sourceAt(rank, 0);
      borderShape[d] = count;
      borderAt[d] = first;
      sourceShape[d] = mode == PaddingMode::replicate ? 1 : count;
      sourceAt[d] = source;
      Value border = sliceAt(b, loc, padded, sourceAt, sourceShape);
      if (mode != PaddingMode::circular) {
        SmallVector<AffineExpr> exprs;
        for (int64_t i = 0; i < rank; ++i) {
          AffineExpr e = getAffineDimExpr(i, context);
          if (i == d)
            e = mode == PaddingMode::replicate
                    ? getAffineConstantExpr(0, context)
                    : count - 1 - e;
          exprs.push_back(e);
        }
        border = buildParallelGeneric(
            b, loc, paddedType.clone(borderShape), border, border,
            AffineMap::get(rank, 0, exprs, context),
            [](OpBuilder &, Location, ValueRange args) { return args[0]; });
      }
      padded = insertIntoSlice(b, loc, border, padded, borderAt);
    };
    switch (mode) {
    case PaddingMode::replicate:
      makeBorder(0, lo, lo);
      makeBorder(lo + size, hi, lo + size - 1);
      break;
    case PaddingMode::reflect:
      makeBorder(0, lo, lo + 1);
      makeBorder(lo + size, hi, lo + size - 1 - hi);
      break;
    case PaddingMode::circular:
      makeBorder(0, lo, size);
      makeBorder(lo + size, hi, lo);
      break;
    case PaddingMode::zeros:
    case PaddingMode::constant:
      llvm_unreachable("constant padding modes are filled");
    }
  }
  return padded;
}

/// The input of a convolution-like op (netc.conv, netc.conv_weight_grad)
/// padded as its padding_mode, padding_low/high and padding_value say.
template <typename OpTy>
static Value padConvInput(OpBuilder &b, Location loc, OpTy op, Value input) {
  ArrayRef<int64_t> low = op.getPaddingLow(), high = op.getPaddingHigh();
  switch (op.getPaddingMode()) {
  case PaddingMode::zeros:
    return padSpatial(b, loc, input, low, high, createF32Constant(b, loc, 0.0));
  case PaddingMode::constant:
    return padSpatial(
        b, loc, input, low, high,
        createF32Constant(b, loc, op.getPaddingValue().convertToDouble()));
  case PaddingMode::reflect:
  case PaddingMode::replicate:
  case PaddingMode::circular:
    if (isZeroPadding(low, high))
      return input;
    return copyPad(b, loc, input, op.getPaddingMode(), low, high);
  }
  llvm_unreachable("unknown padding mode");
}

//===----------------------------------------------------------------------===//
// Reshaping helpers for grouped and depthwise convolutions
//===----------------------------------------------------------------------===//

/// Splits dimension `dim` of `value` into (outer, size / outer).
static Value splitDim(OpBuilder &b, Location loc, Value value, int64_t dim,
                      int64_t outer) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] /= outer;
  shape.insert(shape.begin() + dim, outer);
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    if (d < dim)
      groups.push_back({d});
    else if (d == dim)
      groups.push_back({d, d + 1});
    else
      groups.push_back({d + 1});
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      groups);
}

/// Merges dimensions `dim` and `dim + 1` of `value`.
static Value mergeDims(OpBuilder &b, Location loc, Value value, int64_t dim) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    if (d == dim + 1)
      continue;
    if (d == dim)
      groups.push_back({d, d + 1});
    else
      groups.push_back({d});
  }
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

/// Whether a convolution with kernel extents `kernel` reads input position
/// o * `stride` for output o and nothing around it (1x1, stride 1): its
/// spatial dimensions can then be merged into one, whose long rows vectorize
/// where short ones (a 4x4 image's rows of 4) would fill a quarter of a
/// vector.
static bool isPointwise(ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride) {
  return kernel.size() > 1 &&
         llvm::all_of(kernel, [](int64_t k) { return k == 1; }) &&
         llvm::all_of(stride, [](int64_t s) { return s == 1; });
}

/// The reassociation that merges dimensions 2 and up into one.
static SmallVector<ReassociationIndices> spatialGroups(int64_t rank) {
  ReassociationIndices spatial;
  for (int64_t d = 2; d < rank; ++d)
    spatial.push_back(d);
  return {{0}, {1}, spatial};
}

/// `value` (N, C, *spatial) with its spatial dimensions merged into one.
static Value mergeSpatial(OpBuilder &b, Location loc, Value value) {
  return tensor::CollapseShapeOp::create(
      b, loc, value,
      spatialGroups(cast<RankedTensorType>(value.getType()).getRank()));
}

/// The inverse of mergeSpatial: `value` reshaped to `type`.
static Value splitSpatial(OpBuilder &b, Location loc, Value value,
                          RankedTensorType type) {
  return tensor::ExpandShapeOp::create(b, loc, type, value,
                                       spatialGroups(type.getRank()));
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

/// The strides, dilations and groups of a convolution on an already padded
/// input: the forward op's, or those of the transposed convolution that
/// computes its input gradient.
struct ConvStrides {
  ArrayRef<int64_t> stride, dilation;
  int64_t groups;
};

/// Creates the named convolution `NamedOp` with the given strides and
/// dilations.
template <typename NamedOp>
static Value createNamedConv(OpBuilder &b, Location loc, const ConvStrides &cs,
                             Value input, Value weight, Value init) {
  return NamedOp::create(b, loc, init.getType(), ValueRange{input, weight},
                         init, b.getI64TensorAttr(cs.stride),
                         b.getI64TensorAttr(cs.dilation))
      ->getResult(0);
}

/// The convolution as one linalg.generic, any spatial rank and any groups.
/// Loops (n, f, o_1..o_s, c, k_1..k_s), c running over one group's input
/// channels: out[n, f, o] += in[n, g(f) * C/G + c, o * stride + k * dilation]
/// * w[f, c, k] with g(f) = f floordiv (F/G).
static Value buildGenericConv(OpBuilder &b, Location loc, const ConvStrides &cs,
                              Value input, Value weight, Value init) {
  MLIRContext *context = b.getContext();
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = weightType.getRank() - 2;
  int64_t groupFilters = weightType.getDimSize(0) / cs.groups;
  int64_t groupChannels = weightType.getDimSize(1);
  int64_t loops = 3 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  AffineExpr n = dim(0), f = dim(1), c = dim(2 + spatial);

  SmallVector<AffineExpr> inExprs{n,
                                  f.floorDiv(groupFilters) * groupChannels + c};
  SmallVector<AffineExpr> weightExprs{f, c}, outExprs{n, f};
  for (int64_t d = 0; d < spatial; ++d) {
    AffineExpr o = dim(2 + d), k = dim(3 + spatial + d);
    inExprs.push_back(o * cs.stride[d] + k * cs.dilation[d]);
    weightExprs.push_back(k);
    outExprs.push_back(o);
  }
  SmallVector<AffineMap> maps{AffineMap::get(loops, 0, inExprs, context),
                              AffineMap::get(loops, 0, weightExprs, context),
                              AffineMap::get(loops, 0, outExprs, context)};
  SmallVector<utils::IteratorType> iterators(2 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(1 + spatial, utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{input, weight}, init, maps, iterators,
      [](OpBuilder &nb, Location nl, ValueRange args) {
        Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, args[2], product)});
      });
  return generic.getResult(0);
}

/// Accumulates the convolution of the padded `input` (N, C, *spatial) with
/// `weight` (F, C / groups, *kernel) into `init` (N, F, *out) with the named
/// linalg op for the case (plain, depthwise, 2-d grouped), else one generic.
static Value buildConvolution(OpBuilder &b, Location loc, const ConvStrides &cs,
                              Value input, Value weight, Value init) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = weightType.getRank() - 2;
  int64_t channels = cast<RankedTensorType>(input.getType()).getDimSize(1);
  int64_t filters = weightType.getDimSize(0);

  if (isPointwise(weightType.getShape().drop_front(2), cs.stride)) {
    int64_t one = 1;
    Value merged = buildConvolution(
        b, loc, {one, one, cs.groups}, mergeSpatial(b, loc, input),
        mergeSpatial(b, loc, weight), mergeSpatial(b, loc, init));
    return splitSpatial(b, loc, merged, cast<RankedTensorType>(init.getType()));
  }

  if (cs.groups == 1) {
    switch (spatial) {
    case 1:
      return createNamedConv<linalg::Conv1DNcwFcwOp>(b, loc, cs, input, weight,
                                                     init);
    case 2:
      return createNamedConv<linalg::Conv2DNchwFchwOp>(b, loc, cs, input,
                                                       weight, init);
    default:
      return createNamedConv<linalg::Conv3DNcdhwFcdhwOp>(b, loc, cs, input,
                                                         weight, init);
    }
  }
  if (cs.groups == channels && filters == channels) {
    // Depthwise: the (C, 1, *k) weight is the named op's (C, *k).
    Value depthwise = mergeDims(b, loc, weight, 0);
    switch (spatial) {
    case 1:
      return createNamedConv<linalg::DepthwiseConv1DNcwCwOp>(b, loc, cs, input,
                                                             depthwise, init);
    case 2:
      return createNamedConv<linalg::DepthwiseConv2DNchwChwOp>(
          b, loc, cs, input, depthwise, init);
    default:
      return createNamedConv<linalg::DepthwiseConv3DNcdhwCdhwOp>(
          b, loc, cs, input, depthwise, init);
    }
  }
  if (spatial == 2) {
    // Grouped 2-d: (N, G, C/G, H, W) x (G, F/G, C/G, kh, kw), then the
    // group and per-group filter dimensions merge back into F.
    Value grouped = createNamedConv<linalg::Conv2DNgchwGfchwOp>(
        b, loc, cs, splitDim(b, loc, input, 1, cs.groups),
        splitDim(b, loc, weight, 0, cs.groups),
        splitDim(b, loc, init, 1, cs.groups));
    return mergeDims(b, loc, grouped, 1);
  }
  return buildGenericConv(b, loc, cs, input, weight, init);
}

namespace {
struct ConvOpLowering : public OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = padConvInput(rewriter, loc, op, adaptor.getInput());
    Value init =
        createBiasInit(rewriter, loc, cast<RankedTensorType>(op.getType()),
                       adaptor.getInput(), adaptor.getBias());
    rewriter.replaceOp(op,
                       buildConvolution(rewriter, loc,
                                        {op.getStride(), op.getDilation(),
                                         static_cast<int64_t>(op.getGroups())},
                                        input, adaptor.getWeight(), init));
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// ConvInputGradOp
//===----------------------------------------------------------------------===//

/// Accumulates the stride-1 convolution of `input` with `weight` into
/// `init` (buildConvolution) where only `input`'s rows (first spatial
/// dimension) in `nonzero` = [first, end) may be nonzero (none: where they
/// are not known). Where a quarter or more of what
/// the kernel rows meet is zero rows (the input gradient of a valid 5x5
/// convolution of an 8-row result: its rows padded by 4 zeros on each
/// side), each kernel row is a convolution of its own, on the output rows
/// whose window holds nonzero rows, accumulated into those rows.
static Value
buildRowBandedConvolution(OpBuilder &b, Location loc, const ConvStrides &cs,
                          Value input, Value weight, Value init,
                          std::optional<std::pair<int64_t, int64_t>> nonzero) {
  if (!nonzero)
    return buildConvolution(b, loc, cs, input, weight, init);
  int64_t first = nonzero->first, end = nonzero->second;
  auto initType = cast<RankedTensorType>(init.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t rows = initType.getDimSize(2), kernelRows = weightType.getDimSize(2);
  int64_t dilation = cs.dilation[0];
  auto band = [&](int64_t k) -> std::pair<int64_t, int64_t> {
    return {std::max<int64_t>(0, first - k * dilation),
            std::min<int64_t>(rows, end - k * dilation)};
  };
  int64_t met = 0;
  for (int64_t k = 0; k < kernelRows; ++k) {
    auto [low, high] = band(k);
    met += std::max<int64_t>(0, high - low);
  }
  if (3 * rows * kernelRows < 4 * met)
    return buildConvolution(b, loc, cs, input, weight, init);

  auto shapeWithRows = [](RankedTensorType type, int64_t rows) {
    SmallVector<int64_t> shape(type.getShape());
    shape[2] = rows;
    return shape;
  };
  auto atRow = [&](int64_t row) {
    SmallVector<int64_t> offsets(initType.getRank(), 0);
    offsets[2] = row;
    return offsets;
  };
  auto inputType = cast<RankedTensorType>(input.getType());
  Value acc = init;
  for (int64_t k = 0; k < kernelRows; ++k) {
    auto [low, high] = band(k);
    if (low >= high)
      continue;
    Value rowsIn = sliceAt(b, loc, input, atRow(low + k * dilation),
                           shapeWithRows(inputType, high - low));
    Value kernelRow =
        sliceAt(b, loc, weight, atRow(k), shapeWithRows(weightType, 1));
    auto rowsOut = cast<tensor::ExtractSliceOp>(
        sliceAt(b, loc, acc, atRow(low), shapeWithRows(initType, high - low))
            .getDefiningOp());
    Value sum = buildConvolution(b, loc, cs, rowsIn, kernelRow, rowsOut);
    acc = tensor::InsertSliceOp::create(
        b, loc, sum, acc, rowsOut.getMixedOffsets(), rowsOut.getMixedSizes(),
        rowsOut.getMixedStrides());
  }
  return acc;
}

/// The gradient of the padded input (N, C, *padded) from the result gradient
/// `dy` (N, F, *out): the transposed convolution
///   dxp[n, c, p] = sum over f in c's group and o * stride + k * dilation = p
///                  of dy[n, f, o] * w[f, c mod C/G, k],
/// computed as a stride-1 convolution (dilation kept) with the weight flipped
/// and, per group, transposed to (C, F/G, *kernel), of `dy` spread out by the
/// stride after halo = (kernel - 1) * dilation zeros: element o at
/// halo + o * stride of a zero tensor of extent padded + halo. Padded
/// positions past the last window (stride not dividing) read only zeros.
/// With `interiorOnly`, only the unpadded input's positions are computed
/// (the convolution of the window of the spread gradient that they read):
/// zero and constant padding copy no input element, so the border's
/// gradient would be dropped. For a 3x3 kernel with padding 1 on a 4x4
/// input that is 16 positions instead of 36.
static Value buildInputGrad(OpBuilder &b, Location loc, ConvInputGradOp op,
                            Value dy, Value weight, bool interiorOnly) {
  MLIRContext *context = b.getContext();
  auto dyType = cast<RankedTensorType>(dy.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  auto inputType = cast<RankedTensorType>(op.getType());
  int64_t spatial = inputType.getRank() - 2;
  int64_t groups = op.getGroups();
  int64_t channels = inputType.getDimSize(1);
  int64_t filters = weightType.getDimSize(0);
  int64_t groupChannels = weightType.getDimSize(1);
  int64_t groupFilters = filters / groups;

  SmallVector<int64_t> spreadShape{ShapedType::kDynamic, filters},
      paddedShape{ShapedType::kDynamic, channels}, offsets{0, 0}, strides{1, 1};
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t padded = inputType.getDimSize(d + 2) + op.getPaddingLow()[d] +
                     op.getPaddingHigh()[d];
    int64_t halo = (weightType.getDimSize(d + 2) - 1) * op.getDilation()[d];
    spreadShape.push_back(padded + halo);
    paddedShape.push_back(padded);
    offsets.push_back(halo);
    strides.push_back(op.getStride()[d]);
  }
  Value zero = createF32Constant(b, loc, 0.0);
  Value spread = dy;
  if (ArrayRef<int64_t>(spreadShape) != dyType.getShape())
    spread = insertIntoSlice(
        b, loc, dy,
        createFilled(b, loc, RankedTensorType::get(spreadShape, b.getF32Type()),
                     dy, zero),
        offsets, strides);

  // wt[c, f, k] = w[(c floordiv C/G) * F/G + f, c mod C/G, kernel - 1 - k].
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  SmallVector<int64_t> flippedShape{channels, groupFilters};
  SmallVector<AffineExpr> weightExprs{
      dim(0).floorDiv(groupChannels) * groupFilters + dim(1),
      dim(0) % groupChannels};
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t kernel = weightType.getDimSize(d + 2);
    flippedShape.push_back(kernel);
    weightExprs.push_back(kernel - 1 - dim(d + 2));
  }
  Value flipped = buildParallelGeneric(
      b, loc, RankedTensorType::get(flippedShape, b.getF32Type()), weight,
      weight, AffineMap::get(spatial + 2, 0, weightExprs, context),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });

  SmallVector<int64_t> ones(spatial, 1);
  ConvStrides transposed{ones, op.getDilation(), groups};
  // The rows of the window that hold `dy` (the rest are zeros): along the
  // first spatial dimension, where `dy` is not spread out by a stride and
  // that dimension is not the rows themselves (1-d).
  auto rowsOfDy =
      [&](int64_t windowOffset) -> std::optional<std::pair<int64_t, int64_t>> {
    if (spatial < 2 || op.getStride()[0] != 1)
      return std::nullopt;
    int64_t first = offsets[2] - windowOffset;
    return std::make_pair(first, first + dyType.getDimSize(2));
  };
  if (!interiorOnly) {
    Value init = createFilled(
        b, loc, RankedTensorType::get(paddedShape, b.getF32Type()), dy, zero);
    return buildRowBandedConvolution(b, loc, transposed, spread, flipped, init,
                                     rowsOfDy(0));
  }
  // Input position i is padded position i + low: the window of `spread`
  // from low on, of extent input + halo.
  SmallVector<int64_t> windowOffsets{0, 0},
      windowShape{ShapedType::kDynamic, filters};
  for (int64_t d = 0; d < spatial; ++d) {
    windowOffsets.push_back(op.getPaddingLow()[d]);
    windowShape.push_back(inputType.getDimSize(d + 2) + offsets[d + 2]);
  }
  Value window = sliceAt(b, loc, spread, windowOffsets, windowShape);
  return buildRowBandedConvolution(b, loc, transposed, window, flipped,
                                   createFilled(b, loc, inputType, dy, zero),
                                   rowsOfDy(windowOffsets[2]));
}

/// A copy of the window of `value` at `offsets` shaped like `type`, in a
/// tensor of its own (a copy loop from the view, not a strided memref.copy).
static Value cropAt(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type, ArrayRef<int64_t> offsets) {
  Value window = sliceAt(b, loc, value, offsets, type.getShape());
  return linalg::CopyOp::create(b, loc, window,
                                createEmpty(b, loc, type, value))
      .getResult(0);
}

/// Adds onto `acc` (the gradient with spatial dimension `dim` unpadded) the
/// gradients of the `count` padded positions of `grad` from `first` on along
/// `dim`, each onto the input position sourceIndex says it was copied from
/// (`low` is the padding before the input). `count` is one side's padding,
/// so this is a short window reduction per input element.
static Value addBorderGrad(OpBuilder &b, Location loc, PaddingMode mode,
                           Value grad, Value acc, int64_t dim, int64_t first,
                           int64_t count, int64_t low) {
  if (count == 0)
    return acc;
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(acc.getType());
  int64_t rank = type.getRank(), size = type.getDimSize(dim);
  SmallVector<int64_t> shape(type.getShape()), offsets(rank, 0);
  shape[dim] = count;
  offsets[dim] = first;
  Value border = sliceAt(b, loc, grad, offsets, shape);
  // Loops (n, c, *spatial, t): the border is read at t along `dim`.
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(getAffineDimExpr(d == dim ? rank : d, context));
  return buildWindowReduction(
      b, loc, border, AffineMap::get(rank + 1, 0, exprs, context), {count}, acc,
      [&](OpBuilder &nb, Location nl, Value element, Value sum) {
        Value t = linalg::IndexOp::create(nb, nl, rank);
        Value shifted = arith::AddIOp::create(
            nb, nl, t, createIndexConstant(nb, nl, first - low));
        Value source = sourceIndex(nb, nl, mode, shifted, size);
        Value hit =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, source,
                                  linalg::IndexOp::create(nb, nl, dim));
        return arith::SelectOp::create(
            nb, nl, hit, arith::AddFOp::create(nb, nl, sum, element), sum);
      });
}

/// The adjoint of a copying padConvInput (reflect, replicate, circular):
/// the input gradient `type` from the padded input gradient, each border
/// element's gradient added onto the element it was copied from, one
/// spatial dimension at a time (the padding is separable, so its adjoint is
/// too; corners fold twice).
static Value unpadInputGrad(OpBuilder &b, Location loc, ConvInputGradOp op,
                            Value grad, RankedTensorType type) {
  ArrayRef<int64_t> low = op.getPaddingLow(), high = op.getPaddingHigh();
  if (isZeroPadding(low, high))
    return grad;
  PaddingMode mode = op.getPaddingMode();
  int64_t rank = type.getRank();
  for (int64_t d = 2; d < rank; ++d) {
    int64_t lo = low[d - 2], hi = high[d - 2];
    if (lo == 0 && hi == 0)
      continue;
    auto gradType = cast<RankedTensorType>(grad.getType());
    SmallVector<int64_t> shape(gradType.getShape()), offsets(rank, 0);
    shape[d] = type.getDimSize(d);
    offsets[d] = lo;
    Value folded = cropAt(
        b, loc, grad, RankedTensorType::get(shape, b.getF32Type()), offsets);
    folded = addBorderGrad(b, loc, mode, grad, folded, d, /*first=*/0,
                           /*count=*/lo, lo);
    grad = addBorderGrad(b, loc, mode, grad, folded, d,
                         /*first=*/lo + type.getDimSize(d), /*count=*/hi, lo);
  }
  return grad;
}

namespace {
struct ConvInputGradOpLowering : public OpConversionPattern<ConvInputGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvInputGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    PaddingMode mode = op.getPaddingMode();
    if (mode == PaddingMode::zeros || mode == PaddingMode::constant) {
      rewriter.replaceOp(op, buildInputGrad(rewriter, loc, op,
                                            adaptor.getResultGrad(),
                                            adaptor.getWeight(),
                                            /*interiorOnly=*/true));
      return success();
    }
    Value padded = buildInputGrad(rewriter, loc, op, adaptor.getResultGrad(),
                                  adaptor.getWeight(), /*interiorOnly=*/false);
    rewriter.replaceOp(op,
                       unpadInputGrad(rewriter, loc, op, padded,
                                      cast<RankedTensorType>(op.getType())));
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// ConvWeightGradOp
//===----------------------------------------------------------------------===//

/// dw[f, c, k] = sum over n and o of dy[n, f, o]
///   * in[n, g(f) * C/G + c, o * stride + k * dilation], g(f) = f floordiv
/// (F/G): the forward contraction with the weight as its result. Computed
/// in two steps so that the big one reads both operands along their rows:
/// per output column r (the last spatial dimension), partial[f, c, k, r]
/// sums over n and the other output positions (loops (f, c, k_1..k_s, r,
/// n, o_1..o_{s-1}), r parallel: it vectorizes along rows like the forward
/// convolution), then a linalg.reduce sums the columns.
static Value buildWeightGrad(OpBuilder &b, Location loc, RankedTensorType type,
                             const ConvStrides &cs, Value input, Value dy) {
  MLIRContext *context = b.getContext();
  int64_t spatial = type.getRank() - 2;
  if (isPointwise(type.getShape().drop_front(2), cs.stride)) {
    int64_t one = 1;
    auto mergedType =
        RankedTensorType::get(type.getShape().take_front(3), b.getF32Type());
    Value merged =
        buildWeightGrad(b, loc, mergedType, {one, one, cs.groups},
                        mergeSpatial(b, loc, input), mergeSpatial(b, loc, dy));
    return splitSpatial(b, loc, merged, type);
  }
  int64_t groupFilters = type.getDimSize(0) / cs.groups;
  int64_t groupChannels = type.getDimSize(1);
  int64_t columns = cast<RankedTensorType>(dy.getType()).getShape().back();
  int64_t loops = 3 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  AffineExpr f = dim(0), c = dim(1), column = dim(2 + spatial),
             n = dim(3 + spatial);
  // The output position along spatial dimension d: loop 4 + spatial + d for
  // all but the last, which is the column.
  auto position = [&](int64_t d) {
    return d == spatial - 1 ? column : dim(4 + spatial + d);
  };

  AffineExpr channel =
      cs.groups == 1 ? c : f.floorDiv(groupFilters) * groupChannels + c;
  SmallVector<AffineExpr> inExprs{n, channel};
  SmallVector<AffineExpr> dyExprs{n, f}, outExprs{f, c};
  for (int64_t d = 0; d < spatial; ++d) {
    AffineExpr k = dim(2 + d), o = position(d);
    inExprs.push_back(o * cs.stride[d] + k * cs.dilation[d]);
    dyExprs.push_back(o);
    outExprs.push_back(k);
  }
  outExprs.push_back(column);
  // dy first: a tile shares its row of dy among several channels.
  SmallVector<AffineMap> maps{AffineMap::get(loops, 0, dyExprs, context),
                              AffineMap::get(loops, 0, inExprs, context),
                              AffineMap::get(loops, 0, outExprs, context)};
  SmallVector<utils::IteratorType> iterators(3 + spatial,
                                             utils::IteratorType::parallel);
  iterators.append(spatial, utils::IteratorType::reduction);
  SmallVector<int64_t> partialShape(type.getShape());
  partialShape.push_back(columns);
  Value zero = createF32Constant(b, loc, 0.0);
  Value init = createFilled(
      b, loc, RankedTensorType::get(partialShape, b.getF32Type()), dy, zero);
  auto partial = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{dy, input}, init, maps, iterators,
      [](OpBuilder &nb, Location nl, ValueRange args) {
        Value product = arith::MulFOp::create(nb, nl, args[1], args[0]);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, args[2], product)});
      });
  auto reduce = linalg::ReduceOp::create(
      b, loc, partial.getResult(0), createFilled(b, loc, type, dy, zero),
      ArrayRef<int64_t>{type.getRank()},
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, args[0], args[1])});
      });
  return reduce.getResult(0);
}

namespace {
struct ConvWeightGradOpLowering : public OpConversionPattern<ConvWeightGradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvWeightGradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = padConvInput(rewriter, loc, op, adaptor.getInput());
    rewriter.replaceOp(
        op, buildWeightGrad(rewriter, loc, cast<RankedTensorType>(op.getType()),
                            {op.getStride(), op.getDilation(),
                             static_cast<int64_t>(op.getGroups())},
                            input, adaptor.getResultGrad()));
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// ChannelSumOp
//===----------------------------------------------------------------------===//

/// Sums `input` over `dims` into zeros of `type`.
static Value buildSum(OpBuilder &b, Location loc, Value input,
                      RankedTensorType type, ArrayRef<int64_t> dims) {
  Value init =
      createFilled(b, loc, type, input, createF32Constant(b, loc, 0.0));
  return linalg::ReduceOp::create(
             b, loc, input, init, dims,
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   ValueRange{arith::AddFOp::create(nb, nl, args[0], args[1])});
             })
      .getResult(0);
}

namespace {
/// Sums over every dimension but the channel, in two steps like the weight
/// gradient: per column r (the last dimension), partial[c, r] sums over the
/// batch and the other positions (it vectorizes along rows, with the
/// accumulator in registers), then the columns are summed.
struct ChannelSumOpLowering : public OpConversionPattern<ChannelSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ChannelSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    SmallVector<int64_t> dims{0};
    for (int64_t d = 2; d < rank - 1; ++d)
      dims.push_back(d);
    if (rank == 2) {
      rewriter.replaceOp(op, buildSum(rewriter, loc, input, type, {0}));
      return success();
    }
    auto partialType =
        RankedTensorType::get({type.getDimSize(0), inputType.getShape().back()},
                              type.getElementType());
    Value partial = buildSum(rewriter, loc, input, partialType, dims);
    rewriter.replaceOp(op, buildSum(rewriter, loc, partial, type, {1}));
    return success();
  }
};
} // namespace

void mlir::netc::populateConvolutionPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvOpLowering, ConvInputGradOpLowering,
               ConvWeightGradOpLowering, ChannelSumOpLowering>(
      patterns.getContext());
}
