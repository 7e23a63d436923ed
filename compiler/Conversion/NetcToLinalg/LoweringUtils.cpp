//===- LoweringUtils.cpp - Builders shared by netc-to-linalg --------------===//
//
// Implements the helpers of LoweringUtils.h. Shapes are static but for the
// batch, so every size, pad and divisor is known here and emitted as a
// constant; only the batch extent is read at run time (tensor.dim).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::netc;

Value mlir::netc::createF32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value mlir::netc::createF32Infinity(OpBuilder &b, Location loc, bool negative) {
  return arith::ConstantOp::create(
      b, loc,
      b.getFloatAttr(b.getF32Type(),
                     APFloat::getInf(APFloat::IEEEsingle(), negative)));
}

Value mlir::netc::createIndexConstant(OpBuilder &b, Location loc,
                                      int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value mlir::netc::createEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                              Value batchSource) {
  SmallVector<Value> dynamicSizes;
  if (type.getRank() > 0 && type.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, batchSource, 0));
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamicSizes);
}

Value mlir::netc::createFilled(OpBuilder &b, Location loc,
                               RankedTensorType type, Value batchSource,
                               Value value) {
  Value empty = createEmpty(b, loc, type, batchSource);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value mlir::netc::createBiasInit(OpBuilder &b, Location loc,
                                 RankedTensorType type, Value batchSource,
                                 Value bias) {
  if (!bias)
    return createFilled(b, loc, type, batchSource,
                        createF32Constant(b, loc, 0.0));
  SmallVector<int64_t> broadcastDims{0};
  for (int64_t d = 2; d < type.getRank(); ++d)
    broadcastDims.push_back(d);
  Value empty = createEmpty(b, loc, type, batchSource);
  return linalg::BroadcastOp::create(b, loc, bias, empty, broadcastDims)
      .getResult()
      .front();
}

AffineMap mlir::netc::getChannelMap(unsigned rank, MLIRContext *context) {
  return AffineMap::get(rank, 0, getAffineDimExpr(1, context));
}

Value mlir::netc::buildParallelGeneric(OpBuilder &b, Location loc,
                                       RankedTensorType type, Value batchSource,
                                       ValueRange inputs,
                                       ArrayRef<AffineMap> inputMaps,
                                       BodyBuilder body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, type, batchSource);
  auto generic = linalg::GenericOp::create(
      b, loc, type, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                body(nested, nestedLoc, args));
      });
  return generic.getResult(0);
}

Value mlir::netc::buildElementwise(OpBuilder &b, Location loc,
                                   ValueRange inputs, BodyBuilder body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  SmallVector<AffineMap> maps(inputs.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return buildParallelGeneric(b, loc, type, inputs.front(), inputs, maps, body);
}

SmallVector<Value> mlir::netc::buildGeneric(OpBuilder &b, Location loc,
                                            ValueRange inputs,
                                            ArrayRef<AffineMap> inputMaps,
                                            ValueRange inits,
                                            AffineMap outputMap,
                                            MultiBodyBuilder body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(inits.size(), outputMap);
  SmallVector<utils::IteratorType> iterators(outputMap.getNumDims(),
                                             utils::IteratorType::reduction);
  for (AffineExpr result : outputMap.getResults())
    iterators[cast<AffineDimExpr>(result).getPosition()] =
        utils::IteratorType::parallel;
  auto generic = linalg::GenericOp::create(
      b, loc, inits.getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                body(nested, nestedLoc, args));
      });
  return SmallVector<Value>(generic.getResults());
}

Value mlir::netc::createCountF32(OpBuilder &b, Location loc, Value tensor,
                                 ArrayRef<int64_t> dims) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t staticCount = 1;
  for (int64_t d : dims)
    if (!type.isDynamicDim(d))
      staticCount *= type.getDimSize(d);
  Value count;
  for (int64_t d : dims) {
    if (!type.isDynamicDim(d))
      continue;
    Value extent = tensor::DimOp::create(b, loc, tensor, d);
    count = count ? arith::MulIOp::create(b, loc, count, extent) : extent;
  }
  if (!count || staticCount != 1) {
    Value constant = createIndexConstant(b, loc, staticCount);
    count = count ? arith::MulIOp::create(b, loc, constant, count) : constant;
  }
  Value asInt = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), count);
  return arith::UIToFPOp::create(b, loc, b.getF32Type(), asInt);
}

bool mlir::netc::isZeroPadding(ArrayRef<int64_t> low, ArrayRef<int64_t> high) {
  auto isZero = [](int64_t p) { return p == 0; };
  return llvm::all_of(low, isZero) && llvm::all_of(high, isZero);
}

Value mlir::netc::insertIntoSlice(OpBuilder &b, Location loc, Value source,
                                  Value dest, ArrayRef<int64_t> offsets,
                                  ArrayRef<int64_t> strides) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> offsetValues, sizes, strideValues;
  for (auto [d, offset] : llvm::enumerate(offsets)) {
    offsetValues.push_back(b.getIndexAttr(offset));
    strideValues.push_back(b.getIndexAttr(strides.empty() ? 1 : strides[d]));
    sizes.push_back(
        type.isDynamicDim(d)
            ? OpFoldResult(tensor::DimOp::create(b, loc, source, d).getResult())
            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  }
  Value slice = tensor::ExtractSliceOp::create(b, loc, type, dest, offsetValues,
                                               sizes, strideValues);
  Value copied = linalg::CopyOp::create(b, loc, source, slice).getResult(0);
  return tensor::InsertSliceOp::create(b, loc, copied, dest, offsetValues,
                                       sizes, strideValues);
}

Value mlir::netc::sliceAt(OpBuilder &b, Location loc, Value value,
                          ArrayRef<int64_t> offsets, ArrayRef<int64_t> shape) {
  SmallVector<OpFoldResult> offsetValues, sizes,
      strides(shape.size(), b.getIndexAttr(1));
  for (auto [d, offset, size] : llvm::enumerate(offsets, shape)) {
    offsetValues.push_back(b.getIndexAttr(offset));
    sizes.push_back(
        ShapedType::isDynamic(size)
            ? OpFoldResult(tensor::DimOp::create(b, loc, value, d).getResult())
            : OpFoldResult(b.getIndexAttr(size)));
  }
  auto type = cast<RankedTensorType>(value.getType());
  return tensor::ExtractSliceOp::create(b, loc, type.clone(shape), value,
                                        offsetValues, sizes, strides);
}

Value mlir::netc::padSpatial(OpBuilder &b, Location loc, Value input,
                             ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                             Value value) {
  if (isZeroPadding(low, high))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape()), offsets{0, 0};
  for (auto [d, lo, hi] : llvm::enumerate(low, high)) {
    shape[d + 2] += lo + hi;
    offsets.push_back(lo);
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  Value filled = createFilled(b, loc, paddedType, input, value);
  return insertIntoSlice(b, loc, input, filled, offsets);
}

Value mlir::netc::buildWindowReduction(
    OpBuilder &b, Location loc, Value input, AffineMap inputMap,
    ArrayRef<int64_t> window, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  return buildWindowReductions(
             b, loc, input, inputMap, window, init,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               return SmallVector<Value>{combine(nb, nl, args[0], args[1])};
             })
      .front();
}

SmallVector<Value>
mlir::netc::buildWindowReductions(OpBuilder &b, Location loc, ValueRange inputs,
                                  ArrayRef<AffineMap> inputMaps,
                                  ArrayRef<int64_t> window, ValueRange inits,
                                  MultiBodyBuilder combine) {
  MLIRContext *context = b.getContext();
  unsigned outRank = cast<RankedTensorType>(inits.front().getType()).getRank();
  unsigned loops = outRank + window.size();

  SmallVector<AffineExpr> outExprs, windowExprs;
  for (unsigned i = 0; i < outRank; ++i)
    outExprs.push_back(getAffineDimExpr(i, context));
  for (unsigned i = outRank; i < loops; ++i)
    windowExprs.push_back(getAffineDimExpr(i, context));
  // A window operand goes last among the inputs: only its shape is used, to
  // bound the k loops, which the output map leaves as reductions.
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::get(loops, 0, windowExprs, context));
  SmallVector<Value> operands(inputs);
  operands.push_back(tensor::EmptyOp::create(b, loc, window, b.getF32Type()));
  return buildGeneric(
      b, loc, operands, maps, inits,
      AffineMap::get(loops, 0, outExprs, context),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> combineArgs(args.take_front(inputs.size()));
        llvm::append_range(combineArgs, args.drop_front(inputs.size() + 1));
        return combine(nb, nl, combineArgs);
      });
}

Value mlir::netc::divideByWindowCounts(OpBuilder &b, Location loc, Value sums,
                                       ArrayRef<SmallVector<int64_t>> counts,
                                       bool perDimension) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(sums.getType());
  unsigned rank = type.getRank();

  // Per spatial dimension: a uniform count, or the index of its table among
  // the generic's inputs.
  SmallVector<Value> inputs{sums};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<std::optional<int64_t>> uniform;
  SmallVector<unsigned> tableArg;
  for (auto [d, perPosition] : llvm::enumerate(counts)) {
    if (llvm::all_equal(perPosition)) {
      uniform.push_back(perPosition.front());
      tableArg.push_back(0);
      continue;
    }
    uniform.push_back(std::nullopt);
    tableArg.push_back(inputs.size());
    SmallVector<float> values(perPosition.begin(), perPosition.end());
    auto tableType = RankedTensorType::get(
        {static_cast<int64_t>(values.size())}, b.getF32Type());
    inputs.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tableType, ArrayRef<float>(values))));
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(d + 2, context)));
  }

  bool trivial = llvm::all_of(
      uniform, [](std::optional<int64_t> c) { return c && *c == 1; });
  if (trivial)
    return sums;

  return buildParallelGeneric(
      b, loc, type, sums, inputs, maps,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value result = args[0];
        if (perDimension) {
          for (auto [count, arg] : llvm::zip(uniform, tableArg)) {
            if (count == 1)
              continue;
            Value divisor =
                count ? createF32Constant(nb, nl, *count) : args[arg];
            result = arith::DivFOp::create(nb, nl, result, divisor);
          }
          return result;
        }
        // torch divides once by the product of the counts; the counts are
        // small integers, so the product is exact in f32.
        int64_t constantPart = 1;
        for (std::optional<int64_t> count : uniform)
          constantPart *= count.value_or(1);
        Value divisor;
        if (constantPart != 1)
          divisor = createF32Constant(nb, nl, constantPart);
        for (auto [count, arg] : llvm::zip(uniform, tableArg))
          if (!count)
            divisor = divisor
                          ? arith::MulFOp::create(nb, nl, divisor, args[arg])
                          : args[arg];
        return arith::DivFOp::create(nb, nl, result, divisor);
      });
}
