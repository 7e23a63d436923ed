//===- Convolution.cpp - netc convolution ops to linalg -------------------===//
//
// netc.conv becomes: the input padded as its padding_mode says (copied into
// a filled tensor for zeros/constant, a gather linalg.generic for reflect/
// replicate/circular), an init holding the broadcast bias (or zeros), then the
// named linalg convolution for the case (plain, depthwise, 2-d grouped) or one
// linalg.generic that handles any rank and any groups.
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
  llvm_unreachable("constant padding modes are not gathered");
}

/// Pads by gathering from the input: each padded element extracts the input
/// element `sourceIndex` names.
static Value gatherPad(OpBuilder &b, Location loc, Value input,
                       PaddingMode mode, ArrayRef<int64_t> low,
                       ArrayRef<int64_t> high) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  for (auto [d, lo, hi] : llvm::enumerate(low, high))
    shape[d + 2] += lo + hi;
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return buildParallelGeneric(
      b, loc, paddedType, input, /*inputs=*/{}, /*inputMaps=*/{},
      [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
        SmallVector<Value> indices;
        for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
          Value i = linalg::IndexOp::create(nb, nl, d);
          if (d >= 2) {
            Value shifted = arith::SubIOp::create(
                nb, nl, i, createIndexConstant(nb, nl, low[d - 2]));
            i = sourceIndex(nb, nl, mode, shifted, type.getDimSize(d));
          }
          indices.push_back(i);
        }
        return tensor::ExtractOp::create(nb, nl, input, indices);
      });
}

static Value padConvInput(OpBuilder &b, Location loc, ConvOp op, Value input) {
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
    return gatherPad(b, loc, input, op.getPaddingMode(), low, high);
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

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

/// Creates the named convolution `NamedOp` with the op's strides and
/// dilations.
template <typename NamedOp>
static Value createNamedConv(OpBuilder &b, Location loc, ConvOp op, Value input,
                             Value weight, Value init) {
  return NamedOp::create(b, loc, init.getType(), ValueRange{input, weight},
                         init, b.getI64TensorAttr(op.getStride()),
                         b.getI64TensorAttr(op.getDilation()))
      ->getResult(0);
}

/// The convolution as one linalg.generic, any spatial rank and any groups.
/// Loops (n, f, o_1..o_s, c, k_1..k_s), c running over one group's input
/// channels: out[n, f, o] += in[n, g(f) * C/G + c, o * stride + k * dilation]
/// * w[f, c, k] with g(f) = f floordiv (F/G).
static Value buildGenericConv(OpBuilder &b, Location loc, ConvOp op,
                              Value input, Value weight, Value init) {
  MLIRContext *context = b.getContext();
  auto weightType = cast<RankedTensorType>(weight.getType());
  int64_t spatial = weightType.getRank() - 2;
  int64_t groupFilters = weightType.getDimSize(0) / op.getGroups();
  int64_t groupChannels = weightType.getDimSize(1);
  int64_t loops = 3 + 2 * spatial;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, context); };
  AffineExpr n = dim(0), f = dim(1), c = dim(2 + spatial);

  SmallVector<AffineExpr> inExprs{n,
                                  f.floorDiv(groupFilters) * groupChannels + c};
  SmallVector<AffineExpr> weightExprs{f, c}, outExprs{n, f};
  for (int64_t d = 0; d < spatial; ++d) {
    AffineExpr o = dim(2 + d), k = dim(3 + spatial + d);
    inExprs.push_back(o * op.getStride()[d] + k * op.getDilation()[d]);
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

namespace {
struct ConvOpLowering : public OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value weight = adaptor.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    int64_t spatial = resultType.getRank() - 2;
    int64_t groups = op.getGroups();
    int64_t channels =
        cast<RankedTensorType>(adaptor.getInput().getType()).getDimSize(1);
    int64_t filters = weightType.getDimSize(0);

    Value input = padConvInput(rewriter, loc, op, adaptor.getInput());
    Value init = createBiasInit(rewriter, loc, resultType, adaptor.getInput(),
                                adaptor.getBias());

    Value result;
    if (groups == 1) {
      switch (spatial) {
      case 1:
        result = createNamedConv<linalg::Conv1DNcwFcwOp>(rewriter, loc, op,
                                                         input, weight, init);
        break;
      case 2:
        result = createNamedConv<linalg::Conv2DNchwFchwOp>(rewriter, loc, op,
                                                           input, weight, init);
        break;
      default:
        result = createNamedConv<linalg::Conv3DNcdhwFcdhwOp>(
            rewriter, loc, op, input, weight, init);
        break;
      }
    } else if (groups == channels && filters == channels) {
      // Depthwise: the (C, 1, *k) weight is the named op's (C, *k).
      Value depthwise = mergeDims(rewriter, loc, weight, 0);
      switch (spatial) {
      case 1:
        result = createNamedConv<linalg::DepthwiseConv1DNcwCwOp>(
            rewriter, loc, op, input, depthwise, init);
        break;
      case 2:
        result = createNamedConv<linalg::DepthwiseConv2DNchwChwOp>(
            rewriter, loc, op, input, depthwise, init);
        break;
      default:
        result = createNamedConv<linalg::DepthwiseConv3DNcdhwCdhwOp>(
            rewriter, loc, op, input, depthwise, init);
        break;
      }
    } else if (spatial == 2) {
      // Grouped 2-d: (N, G, C/G, H, W) x (G, F/G, C/G, kh, kw), then the
      // group and per-group filter dimensions merge back into F.
      Value grouped = createNamedConv<linalg::Conv2DNgchwGfchwOp>(
          rewriter, loc, op, splitDim(rewriter, loc, input, 1, groups),
          splitDim(rewriter, loc, weight, 0, groups),
          splitDim(rewriter, loc, init, 1, groups));
      result = mergeDims(rewriter, loc, grouped, 1);
    } else {
      result = buildGenericConv(rewriter, loc, op, input, weight, init);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void mlir::netc::populateConvolutionPatterns(RewritePatternSet &patterns) {
  patterns.add<ConvOpLowering>(patterns.getContext());
}
