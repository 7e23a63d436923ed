//===- ExportEntryPoints.cpp - C entry points for each model --------------===//
//
// Implements netc-export-entry-points: a bare-pointer C function per model
// that views caller memory as the model's tensors (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"
#include "netc/Dialect/ModelSignature.h"

#include "mlir/IR/Builders.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCEXPORTENTRYPOINTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

/// Views the rank-0 pointer argument `base` as a contiguous row-major memref
/// of `shape`, whose first dimension may be the dynamic `batch`.
static Value viewAs(OpBuilder &b, Location loc, Value base,
                    ArrayRef<int64_t> shape, Value batch) {
  auto type = MemRefType::get(shape, b.getF32Type());
  SmallVector<OpFoldResult> sizes, strides(shape.size());
  for (int64_t d : shape)
    sizes.push_back(ShapedType::isDynamic(d) ? OpFoldResult(batch)
                                             : OpFoldResult(b.getIndexAttr(d)));
  int64_t stride = 1;
  for (int64_t i = shape.size() - 1; i >= 0; --i) {
    strides[i] = b.getIndexAttr(stride);
    if (i > 0)
      stride *= shape[i];
  }
  return memref::ReinterpretCastOp::create(b, loc, type, base,
                                           b.getIndexAttr(0), sizes, strides);
}

static Value toTensor(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  auto tensorType = RankedTensorType::get(type.getShape(), type.getElementType());
  return bufferization::ToTensorOp::create(b, loc, tensorType, memref,
                                           /*restrict=*/true,
                                           /*writable=*/false);
}

/// Builds `@<model>_forward(params, input, output, batch)`.
static void buildForwardEntry(OpBuilder &b, func::FuncOp model,
                              const ModelSignature &sig) {
  Location loc = model.getLoc();
  Type pointer = MemRefType::get({}, b.getF32Type());
  auto type = b.getFunctionType({pointer, pointer, pointer, b.getI64Type()}, {});
  auto entry = func::FuncOp::create(b, loc, sig.name + "_forward", type);
  Block *body = entry.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(body);

  Value batch = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           body->getArgument(3));
  Value params = toTensor(
      b, loc, viewAs(b, loc, body->getArgument(0), {sig.paramFloats}, batch));

  SmallVector<int64_t> inputShape{ShapedType::kDynamic};
  llvm::append_range(inputShape, sig.inputShape);
  SmallVector<Value> operands{
      toTensor(b, loc, viewAs(b, loc, body->getArgument(1), inputShape, batch))};
  for (const ParameterInfo &param : sig.params) {
    auto flatType = RankedTensorType::get({param.numel}, b.getF32Type());
    Value flat = tensor::ExtractSliceOp::create(
        b, loc, flatType, params, ValueRange(), ValueRange(), ValueRange(),
        b.getDenseI64ArrayAttr(param.offset),
        b.getDenseI64ArrayAttr(param.numel), b.getDenseI64ArrayAttr(1));
    if (param.shape.size() == 1) {
      operands.push_back(flat);
      continue;
    }
    ReassociationIndices all(param.shape.size());
    std::iota(all.begin(), all.end(), 0);
    operands.push_back(tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(param.shape, b.getF32Type()), flat,
        ArrayRef<ReassociationIndices>{all}));
  }
  auto call = func::CallOp::create(b, loc, model, operands);

  SmallVector<int64_t> outputShape{ShapedType::kDynamic};
  llvm::append_range(outputShape, sig.outputShape);
  Value output = viewAs(b, loc, body->getArgument(2), outputShape, batch);
  auto store = bufferization::MaterializeInDestinationOp::create(
      b, loc, call.getResult(0), output);
  store.setRestrict(true);
  store.setWritable(true);
  func::ReturnOp::create(b, loc);
}

namespace {
struct NetcExportEntryPoints
    : public netc::impl::NetcExportEntryPointsBase<NetcExportEntryPoints> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    for (func::FuncOp model : getModelFunctions(module)) {
      FailureOr<ModelSignature> sig = getModelSignature(model);
      if (failed(sig))
        return signalPassFailure();
      buildForwardEntry(b, model, *sig);
      model.setPrivate();
    }
  }
};
} // namespace
