//===- ExportEntryPoints.cpp - C entry points for each model --------------===//
//
// Implements netc-export-entry-points: bare-pointer C functions per model
// that view caller memory as the model's tensors (see Passes.td), call the
// model (or its training function) and write the results back.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"
#include "netc/Dialect/ModelSignature.h"
#include "netc/Dialect/NetcOps.h"
#include "netc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCEXPORTENTRYPOINTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
/// Builds the body of one entry point: caller pointers arrive as rank-0
/// memrefs (plain pointers under the bare-pointer convention) and are viewed
/// as the tensors the model works on.
class EntryPointBuilder {
public:
  EntryPointBuilder(OpBuilder &b, func::FuncOp callee,
                    const ModelSignature &sig)
      : b(b), loc(callee.getLoc()), sig(sig),
        module(callee->getParentOfType<ModuleOp>()) {}

  /// Creates `name(arguments...)` at the end of the module and positions the
  /// builder in its body; `batchArg` is the index of the i64 batch-size
  /// argument.
  func::FuncOp create(StringRef name, ArrayRef<Type> arguments,
                      unsigned batchArg) {
    b.setInsertionPointToEnd(module.getBody());
    auto entry = func::FuncOp::create(b, loc, name,
                                      b.getFunctionType(arguments, {}));
    // The C ABI: every memref argument is a plain pointer (convert-func-to-
    // llvm's per-function bare-pointer convention).
    entry->setAttr("llvm.bareptr", b.getUnitAttr());
    body = entry.addEntryBlock();
    b.setInsertionPointToStart(body);
    batch = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                       body->getArgument(batchArg));
    return entry;
  }

  Value arg(unsigned i) { return body->getArgument(i); }

  /// Views the pointer argument `pointer` as a contiguous row-major memref of
  /// `shape` (element type `elementType`), whose first dimension may be the
  /// dynamic batch.
  Value view(Value pointer, ArrayRef<int64_t> shape) {
    auto type = MemRefType::get(
        shape, cast<MemRefType>(pointer.getType()).getElementType());
    SmallVector<OpFoldResult> sizes, strides(shape.size());
    for (int64_t d : shape)
      sizes.push_back(ShapedType::isDynamic(d)
                          ? OpFoldResult(batch)
                          : OpFoldResult(b.getIndexAttr(d)));
    int64_t stride = 1;
    for (int64_t i = shape.size() - 1; i >= 0; --i) {
      strides[i] = b.getIndexAttr(stride);
      if (i > 0)
        stride *= shape[i];
    }
    return memref::ReinterpretCastOp::create(b, loc, type, pointer,
                                             b.getIndexAttr(0), sizes, strides);
  }

  /// The tensor a memref holds, read only.
  Value read(Value memref) {
    auto type = cast<MemRefType>(memref.getType());
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
        memref, /*restrict=*/true, /*writable=*/false);
  }

  /// Writes `tensor` into `memref`.
  void write(Value tensor, Value memref) {
    auto store =
        bufferization::MaterializeInDestinationOp::create(b, loc, tensor, memref);
    store.setRestrict(true);
    store.setWritable(true);
  }

  /// Shapes of a batch of samples of `sample` shape.
  SmallVector<int64_t> batched(ArrayRef<int64_t> sample) {
    SmallVector<int64_t> shape{ShapedType::kDynamic};
    llvm::append_range(shape, sample);
    return shape;
  }

  /// The whole parameter-layout buffer at `pointer`, as a tensor.
  Value readPacked(Value pointer) {
    return read(view(pointer, {sig.paramFloats}));
  }

  /// Each parameter's tensor, sliced out of a packed buffer tensor.
  SmallVector<Value> unpack(Value packed) {
    SmallVector<Value> params;
    for (const ParameterInfo &param : sig.params) {
      auto flatType = RankedTensorType::get({param.numel}, b.getF32Type());
      Value flat = tensor::ExtractSliceOp::create(
          b, loc, flatType, packed, ValueRange(), ValueRange(), ValueRange(),
          b.getDenseI64ArrayAttr(param.offset),
          b.getDenseI64ArrayAttr(param.numel), b.getDenseI64ArrayAttr(1));
      if (param.shape.size() == 1) {
        params.push_back(flat);
        continue;
      }
      params.push_back(tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(param.shape, b.getF32Type()), flat,
          ArrayRef<ReassociationIndices>{allDims(param.shape.size())}));
    }
    return params;
  }

  /// `base` (a packed buffer tensor) with each parameter's slot replaced by
  /// the matching value of `values`.
  Value pack(Value base, ValueRange values) {
    Value packed = base;
    for (auto [param, value] : llvm::zip(sig.params, values)) {
      Value flat = value;
      if (param.shape.size() != 1)
        flat = tensor::CollapseShapeOp::create(
            b, loc, value,
            ArrayRef<ReassociationIndices>{allDims(param.shape.size())});
      packed = tensor::InsertSliceOp::create(
          b, loc, flat, packed, ValueRange(), ValueRange(), ValueRange(),
          b.getDenseI64ArrayAttr(param.offset),
          b.getDenseI64ArrayAttr(param.numel), b.getDenseI64ArrayAttr(1));
    }
    return packed;
  }

  /// A zero-filled packed buffer tensor (the gaps between parameters are
  /// zeros rather than garbage).
  Value zeroPacked() {
    auto type = RankedTensorType::get({sig.paramFloats}, b.getF32Type());
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    Value empty = tensor::EmptyOp::create(b, loc, type, ValueRange());
    return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  }

  /// Loads the `count` f32 hyper-parameters at `pointer`.
  SmallVector<Value> loadScalars(Value pointer, int64_t count) {
    Value array = view(pointer, {count});
    SmallVector<Value> values;
    for (int64_t i = 0; i < count; ++i) {
      Value index = arith::ConstantIndexOp::create(b, loc, i);
      values.push_back(memref::LoadOp::create(b, loc, array, index));
    }
    return values;
  }

  /// Calls `callee` and returns its results.
  ValueRange call(func::FuncOp callee, ValueRange operands) {
    return func::CallOp::create(b, loc, callee, operands).getResults();
  }

  void finish() { func::ReturnOp::create(b, loc); }

  OpBuilder &b;
  Location loc;
  const ModelSignature &sig;
  ModuleOp module;
  Block *body = nullptr;
  Value batch;

private:
  static ReassociationIndices allDims(int64_t rank) {
    ReassociationIndices all(rank);
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
};
} // namespace

/// Pointer types of the entry points: rank-0 memrefs, bare pointers in C.
static Type pointerTo(Type elementType) {
  return MemRefType::get({}, elementType);
}

/// `void <m>_forward(const float *params, const float *input, float *output,
/// int64_t batch)`.
static void buildForward(OpBuilder &b, func::FuncOp model,
                         const ModelSignature &sig) {
  EntryPointBuilder e(b, model, sig);
  Type f32 = pointerTo(b.getF32Type());
  e.create(sig.name + "_forward", {f32, f32, f32, b.getI64Type()}, 3);
  SmallVector<Value> operands{e.read(e.view(e.arg(1), e.batched(sig.inputShape)))};
  llvm::append_range(operands, e.unpack(e.readPacked(e.arg(0))));
  Value output = e.call(model, operands)[0];
  e.write(output, e.view(e.arg(2), e.batched(sig.outputShape)));
  e.finish();
}

namespace {
/// The operands of a training function and its results, split.
struct TrainingCall {
  Value loss;
  SmallVector<Value> paramResults; ///< gradients, or updated buffers
  Value inputGrad;
  SmallVector<Value> params;       ///< the parameters it was called with
};
} // namespace

/// Calls `train` with the entry point's params/input/target/seed arguments.
static TrainingCall callTraining(EntryPointBuilder &e, func::FuncOp train,
                                 Value params, unsigned inputArg,
                                 unsigned targetArg, unsigned seedArg) {
  const ModelSignature &sig = e.sig;
  auto targetType = cast<RankedTensorType>(train.getArgumentTypes()[1]);
  SmallVector<int64_t> targetShape(targetType.getShape());
  TrainingCall result;
  result.params = e.unpack(params);
  SmallVector<Value> operands{
      e.read(e.view(e.arg(inputArg), e.batched(sig.inputShape))),
      e.read(e.view(e.arg(targetArg), targetShape)), e.arg(seedArg)};
  llvm::append_range(operands, result.params);
  ValueRange results = e.call(train, operands);
  result.loss = results.front();
  result.paramResults = llvm::to_vector(results.slice(1, sig.params.size()));
  result.inputGrad = results.back();
  return result;
}

/// `void <m>_backward(const float *params, const float *input,
/// const T *target, int64_t batch, uint64_t seed, float *grads, float *loss,
/// float *input_grad)`; `input_grad` may be NULL.
static void buildBackward(OpBuilder &b, func::FuncOp train,
                          const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, train, sig);
  Type f32 = pointerTo(b.getF32Type()), i64 = b.getI64Type();
  e.create(sig.name + "_backward",
           {f32, f32, pointerTo(targetElement), i64, i64, f32, f32, f32}, 3);
  TrainingCall t = callTraining(e, train, e.readPacked(e.arg(0)), 1, 2, 4);
  e.write(e.pack(e.zeroPacked(), t.paramResults),
          e.view(e.arg(5), {sig.paramFloats}));
  e.write(t.loss, e.arg(6));
  // The input gradient is written only where the caller asks for it.
  Value address = memref::ExtractAlignedPointerAsIndexOp::create(b, e.loc,
                                                                 e.arg(7));
  Value zero = arith::ConstantIndexOp::create(b, e.loc, 0);
  Value wanted = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne,
                                       address, zero);
  auto ifWanted = scf::IfOp::create(b, e.loc, wanted, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifWanted.thenBlock());
    e.write(t.inputGrad, e.view(e.arg(7), e.batched(sig.inputShape)));
  }
  e.finish();
}

/// `void <m>_sgd_step(float *params, float *momentum, const float *input,
/// const T *target, int64_t batch, uint64_t seed, const float *hparams,
/// float *loss)`: one torch.optim.SGD step, in place.
static void buildSgdStep(OpBuilder &b, func::FuncOp train,
                         const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, train, sig);
  Type f32 = pointerTo(b.getF32Type()), i64 = b.getI64Type();
  e.create(sig.name + "_sgd_step",
           {f32, f32, f32, pointerTo(targetElement), i64, i64, f32, f32}, 4);
  Value params = e.readPacked(e.arg(0));
  Value momentum = e.readPacked(e.arg(1));
  TrainingCall t = callTraining(e, train, params, 2, 3, 5);
  // lr, momentum, dampening, weight_decay, nesterov, first_step (netc.h).
  SmallVector<Value> h = e.loadScalars(e.arg(6), 6);
  SmallVector<Value> buffers = e.unpack(momentum);
  SmallVector<Value> newParams, newBuffers;
  for (auto [info, param, result, buffer] :
       llvm::zip(sig.params, t.params, t.paramResults, buffers)) {
    if (info.isBuffer) {
      newParams.push_back(result);
      newBuffers.push_back(buffer);
      continue;
    }
    auto update = SgdUpdateOp::create(b, e.loc, param, result, buffer, h[0],
                                      h[1], h[2], h[3], h[4], h[5]);
    newParams.push_back(update.getNewParam());
    newBuffers.push_back(update.getNewMomentumBuffer());
  }
  e.write(e.pack(params, newParams), e.view(e.arg(0), {sig.paramFloats}));
  e.write(e.pack(momentum, newBuffers), e.view(e.arg(1), {sig.paramFloats}));
  e.write(t.loss, e.arg(7));
  e.finish();
}

/// `void <m>_adam_step(float *params, float *exp_avg, float *exp_avg_sq,
/// const float *input, const T *target, int64_t batch, uint64_t seed,
/// const float *hparams, float *loss)`: one torch.optim.Adam/AdamW step.
static void buildAdamStep(OpBuilder &b, func::FuncOp train,
                          const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, train, sig);
  Type f32 = pointerTo(b.getF32Type()), i64 = b.getI64Type();
  e.create(sig.name + "_adam_step",
           {f32, f32, f32, f32, pointerTo(targetElement), i64, i64, f32, f32},
           5);
  Value params = e.readPacked(e.arg(0));
  Value expAvg = e.readPacked(e.arg(1));
  Value expAvgSq = e.readPacked(e.arg(2));
  TrainingCall t = callTraining(e, train, params, 3, 4, 6);
  // lr, beta1, beta2, eps, weight_decay, decoupled, bias corrections (netc.h).
  SmallVector<Value> h = e.loadScalars(e.arg(7), 8);
  SmallVector<Value> ms = e.unpack(expAvg), vs = e.unpack(expAvgSq);
  SmallVector<Value> newParams, newMs, newVs;
  for (auto [info, param, result, m, v] :
       llvm::zip(sig.params, t.params, t.paramResults, ms, vs)) {
    if (info.isBuffer) {
      newParams.push_back(result);
      newMs.push_back(m);
      newVs.push_back(v);
      continue;
    }
    auto update = AdamUpdateOp::create(b, e.loc, param, result, m, v, h[0],
                                       h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
    newParams.push_back(update.getNewParam());
    newMs.push_back(update.getNewExpAvg());
    newVs.push_back(update.getNewExpAvgSq());
  }
  e.write(e.pack(params, newParams), e.view(e.arg(0), {sig.paramFloats}));
  e.write(e.pack(expAvg, newMs), e.view(e.arg(1), {sig.paramFloats}));
  e.write(e.pack(expAvgSq, newVs), e.view(e.arg(2), {sig.paramFloats}));
  e.write(t.loss, e.arg(8));
  e.finish();
}

namespace {
struct NetcExportEntryPoints
    : public netc::impl::NetcExportEntryPointsBase<NetcExportEntryPoints> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    for (func::FuncOp model : getModelFunctions(module)) {
      FailureOr<ModelSignature> sig = getModelSignature(model);
      if (failed(sig))
        return signalPassFailure();
      buildForward(b, model, *sig);
      model.setPrivate();
    }
    // Training functions (netc-autodiff) get the training entry points.
    for (auto train : llvm::to_vector(module.getOps<func::FuncOp>())) {
      auto of = train->getAttrOfType<FlatSymbolRefAttr>(kTrainOfAttrName);
      if (!of)
        continue;
      auto model = module.lookupSymbol<func::FuncOp>(of);
      FailureOr<ModelSignature> sig = getModelSignature(model);
      if (failed(sig))
        return signalPassFailure();
      Type target =
          cast<RankedTensorType>(train.getArgumentTypes()[1]).getElementType();
      buildBackward(b, train, *sig, target);
      buildSgdStep(b, train, *sig, target);
      buildAdamStep(b, train, *sig, target);
    }
  }
};
} // namespace
