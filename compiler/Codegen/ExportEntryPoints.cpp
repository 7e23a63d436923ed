//===- ExportEntryPoints.cpp - C entry points for each model --------------===//
//
// Implements netc-export-entry-points: bare-pointer C functions per model
// that view caller memory as the model's tensors (see Passes.td), call the
// model (or its training function) and write the results back.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/EntryPointABI.h"
#include "netc/Codegen/Outlining.h"
#include "netc/Codegen/Passes.h"
#include "netc/Dialect/ModelSignature.h"
#include "netc/Dialect/NetcOps.h"
#include "netc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCEXPORTENTRYPOINTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
/// A run of floats of the packed parameter buffer.
struct PackedRange {
  int64_t offset;
  int64_t numel;
};

/// The runs of the packed buffer that an optimizer updates, each as one flat
/// tensor: the trained parameters with the padding that aligns each of them
/// (nothing reads it). So a model without buffers takes one elementwise
/// kernel per optimizer rather than one per parameter shape, and that
/// kernel's length is a multiple of 16: it vectorizes in whole vectors.
SmallVector<PackedRange> trainedRanges(const ModelSignature &sig) {
  SmallVector<PackedRange> ranges;
  for (const ParameterInfo &param : sig.params) {
    if (param.isBuffer)
      continue;
    int64_t end =
        llvm::alignTo(param.offset + param.numel, kParamAlignmentFloats);
    if (!ranges.empty() &&
        ranges.back().offset + ranges.back().numel == param.offset)
      ranges.back().numel = end - ranges.back().offset;
    else
      ranges.push_back({param.offset, end - param.offset});
  }
  return ranges;
}

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

  /// Creates the exported function `entryPoint` of the model (its target
  /// pointer to `targetElement`), marked for netc-guard-entry-points.
  func::FuncOp create(const EntryPointABI &entryPoint, Type targetElement) {
    SmallVector<Type> arguments;
    for (const ABIArgument &argument : entryPoint.arguments)
      arguments.push_back(getABIArgumentType(b, argument, targetElement));
    func::FuncOp function = create(entryPoint.symbol(sig.name), arguments,
                                   entryPoint.index("batch"));
    function->setAttr(kEntryPointAttrName, b.getStringAttr(entryPoint.suffix));
    function->setAttr(kParamFloatsAttrName,
                      b.getI64IntegerAttr(sig.paramFloats));
    int64_t sampleFloats =
        std::max(ShapedType::getNumElements(sig.inputShape),
                 ShapedType::getNumElements(sig.outputShape));
    function->setAttr(
        kSampleBytesAttrName,
        b.getI64IntegerAttr(sampleFloats * int64_t(sizeof(float))));
    abi = &entryPoint;
    return function;
  }

  Value arg(unsigned i) { return body->getArgument(i); }
  /// The exported function's argument `name`.
  Value arg(StringRef name) { return arg(abi->index(name)); }

  /// Views the pointer argument `pointer` as a contiguous row-major memref of
  /// `shape` (element type `elementType`), whose first dimension may be the
  /// dynamic batch; with `firstSample`, from that sample of the batch on.
  Value view(Value pointer, ArrayRef<int64_t> shape,
             Value firstSample = nullptr) {
    Type elementType = cast<MemRefType>(pointer.getType()).getElementType();
    SmallVector<OpFoldResult> sizes;
    for (int64_t d : shape)
      sizes.push_back(ShapedType::isDynamic(d)
                          ? OpFoldResult(batch)
                          : OpFoldResult(b.getIndexAttr(d)));
    // Row-major; the outermost stride (a sample's element count) is the
    // only one the dynamic batch would enter, and it is never read.
    SmallVector<int64_t> staticStrides = rowMajorStrides(shape);
    SmallVector<OpFoldResult> strides =
        getAsIndexOpFoldResult(b.getContext(), staticStrides);
    if (!firstSample)
      return memref::ReinterpretCastOp::create(
          b, loc, MemRefType::get(shape, elementType), pointer,
          b.getIndexAttr(0), sizes, strides);
    Value offset = arith::MulIOp::create(
        b, loc, firstSample,
        arith::ConstantIndexOp::create(b, loc, staticStrides.front()));
    auto type = MemRefType::get(shape, elementType,
                                StridedLayoutAttr::get(b.getContext(),
                                                       ShapedType::kDynamic,
                                                       staticStrides));
    return memref::ReinterpretCastOp::create(b, loc, type, pointer, offset,
                                             sizes, strides);
  }

  /// Views the buffer at `pointer` as a row-major memref of `shape` from
  /// element `slot * numel(shape)` on: slot `slot` of an array of them.
  Value slot(Value pointer, ArrayRef<int64_t> shape, Value slot) {
    Type elementType = cast<MemRefType>(pointer.getType()).getElementType();
    SmallVector<int64_t> strides = rowMajorStrides(shape);
    int64_t numel = shape.empty() ? 1 : strides.front() * shape.front();
    Value offset = arith::MulIOp::create(
        b, loc, slot, arith::ConstantIndexOp::create(b, loc, numel));
    auto type = MemRefType::get(
        shape, elementType,
        StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, strides));
    return memref::ReinterpretCastOp::create(
        b, loc, type, pointer, offset,
        getAsIndexOpFoldResult(b.getContext(), shape),
        getAsIndexOpFoldResult(b.getContext(), strides));
  }

  /// `arg(i)`, an i64, as an index.
  Value indexArg(unsigned i) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), arg(i));
  }

  /// The tensor a memref holds, read only.
  Value read(Value memref) {
    auto type = cast<MemRefType>(memref.getType());
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
        memref, /*restrict=*/true, /*writable=*/false);
  }

  /// The tensor a memref holds, to be overwritten in place.
  Value output(Value memref) {
    auto type = cast<MemRefType>(memref.getType());
    return bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
        memref, /*restrict=*/true, /*writable=*/true);
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
      Value flat = slice(packed, {param.offset, param.numel});
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

  /// `packed` with the slot of `param` replaced by `value`.
  Value packOne(Value packed, const ParameterInfo &param, Value value) {
    Value flat = value;
    if (param.shape.size() != 1)
      flat = tensor::CollapseShapeOp::create(
          b, loc, value,
          ArrayRef<ReassociationIndices>{allDims(param.shape.size())});
    return insert(packed, {param.offset, param.numel}, flat);
  }

  /// The floats [offset, offset + numel) of a packed buffer tensor.
  Value slice(Value packed, const PackedRange &range) {
    return tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({range.numel}, b.getF32Type()), packed,
        ValueRange(), ValueRange(), ValueRange(),
        b.getDenseI64ArrayAttr(range.offset),
        b.getDenseI64ArrayAttr(range.numel), b.getDenseI64ArrayAttr(1));
  }

  /// `packed` with the floats of `range` replaced by `flat`.
  Value insert(Value packed, const PackedRange &range, Value flat) {
    return tensor::InsertSliceOp::create(
        b, loc, flat, packed, ValueRange(), ValueRange(), ValueRange(),
        b.getDenseI64ArrayAttr(range.offset),
        b.getDenseI64ArrayAttr(range.numel), b.getDenseI64ArrayAttr(1));
  }

  /// `packed` with each buffer's slot (running statistics, not trained)
  /// replaced by its value in `results`.
  Value packBuffers(Value packed, ValueRange results) {
    for (auto [param, result] : llvm::zip(sig.params, results))
      if (param.isBuffer)
        packed = packOne(packed, param, result);
    return packed;
  }

  /// `tensor` filled with zeros.
  Value zeroFilled(Value tensor) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    return linalg::FillOp::create(b, loc, zero, tensor).getResult(0);
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
  /// The exported function being built, if it is one.
  const EntryPointABI *abi = nullptr;
  Value batch;

private:
  /// The strides of a contiguous row-major `shape`.
  static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
    return strides;
  }

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

/// `<m>_forward_samples(params, input, output, count, first)`: the forward
/// pass of `count` samples from sample `first` of the batch on.
static func::FuncOp buildForwardSamples(OpBuilder &b, func::FuncOp model,
                                        const ModelSignature &sig) {
  EntryPointBuilder e(b, model, sig);
  Type f32 = pointerTo(b.getF32Type());
  Type i64 = b.getI64Type();
  func::FuncOp samples =
      e.create(sig.name + "_forward_samples", {f32, f32, f32, i64, i64}, 3);
  markOutlined(samples);
  Value first = e.indexArg(4);
  SmallVector<Value> operands{
      e.read(e.view(e.arg(1), e.batched(sig.inputShape), first))};
  llvm::append_range(operands, e.unpack(e.readPacked(e.arg(0))));
  Value output = e.call(model, operands)[0];
  e.write(output, e.view(e.arg(2), e.batched(sig.outputShape), first));
  e.finish();
  return samples;
}

/// libomp's `int omp_get_max_threads(void)`, declared once per module.
static func::FuncOp getMaxThreadsFunction(OpBuilder &b, ModuleOp module) {
  StringRef name = "omp_get_max_threads";
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto function = func::FuncOp::create(b, module.getLoc(), name,
                                       b.getFunctionType({}, {b.getI32Type()}));
  function.setPrivate();
  return function;
}

/// `void <m>_forward(const float *params, const float *input, float *output,
/// int64_t batch)`: the batch split into contiguous ranges of samples, the
/// threads sharing them out, each running the whole forward pass on a
/// range (`<m>_forward_samples`). Every layer computes each sample on its
/// own, so the threads do not wait for each other between layers (that
/// was a sixth of residual's batch-64 inference); the kernels' own thread
/// loops, nested in this one, run on the thread that calls them.
static void buildForward(OpBuilder &b, func::FuncOp model,
                         const ModelSignature &sig) {
  func::FuncOp samples = buildForwardSamples(b, model, sig);
  EntryPointBuilder e(b, model, sig);
  e.create(getEntryPointABI("forward"), Type());
  Location loc = e.loc;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // A batch of no samples, or a negative count, has no range to run.
  e.batch = arith::MaxSIOp::create(b, loc, e.batch, zero);
  Value threads = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      e.call(getMaxThreadsFunction(b, e.module), {})[0]);
  // At least a range per thread, and ranges of at most 16 samples, whose
  // activations stay in cache from one layer to the next (+2-5% over one
  // range per thread, measured on residual at batch 64).
  Value perThread = arith::MinUIOp::create(b, loc, e.batch, threads);
  Value cacheSized = arith::CeilDivUIOp::create(
      b, loc, e.batch, arith::ConstantIndexOp::create(b, loc, 16));
  Value ranges = arith::MaxUIOp::create(b, loc, perThread, cacheSized);
  Type i64 = b.getI64Type();
  auto callSamples = [&](Value count, Value first) {
    auto call = func::CallOp::create(
        b, loc, samples,
        ValueRange{e.arg("params"), e.arg("input"), e.arg("output"),
                   arith::IndexCastOp::create(b, loc, i64, count),
                   arith::IndexCastOp::create(b, loc, i64, first)});
    // One copy of the forward pass, not one per call.
    call.setNoInline(true);
  };
  // One range (a batch of one, or one thread) is called directly: a
  // parallel region of one iteration still costs a microsecond.
  Value single =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ranges, one);
  auto ifSingle = scf::IfOp::create(b, loc, single, /*withElseRegion=*/true);
  b.setInsertionPointToStart(ifSingle.thenBlock());
  callSamples(e.batch, zero);
  b.setInsertionPointToStart(ifSingle.elseBlock());
  auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{ranges},
                                      ValueRange(), std::nullopt);
  b.setInsertionPointToStart(forall.getBody());
  // Range t is samples [t * batch / ranges, (t + 1) * batch / ranges).
  auto boundary = [&](Value t) {
    return arith::DivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, t, e.batch), ranges);
  };
  Value t = forall.getInductionVar(0);
  Value first = boundary(t);
  Value end = boundary(arith::AddIOp::create(b, loc, t, one));
  callSamples(arith::SubIOp::create(b, loc, end, first), first);
  b.setInsertionPointAfter(ifSingle);
  e.finish();
}

/// The ops of `body` (in order) that only compute `value`: moving them
/// under a condition loses nothing else. `kept` are the values the block
/// goes on to use; ops whose results no one uses count as computing it too.
static SmallVector<Operation *> opsOnlyFor(Block &body, Value value,
                                           ArrayRef<Value> kept) {
  llvm::SmallPtrSet<Operation *, 16> only;
  llvm::DenseSet<Value> keptSet(kept.begin(), kept.end());
  for (Operation &op : llvm::reverse(body)) {
    bool onlyFor = llvm::all_of(op.getResults(), [&](Value result) {
      return !keptSet.contains(result) &&
             llvm::all_of(result.getUsers(), [&](Operation *user) {
               return only.contains(body.findAncestorOpInBlock(*user));
             });
    });
    if (onlyFor && op.getNumResults() > 0)
      only.insert(&op);
  }
  SmallVector<Operation *> ops;
  for (Operation &op : body)
    if (only.contains(&op))
      ops.push_back(&op);
  return ops;
}

/// `<m>_gradients(input, target, seed, want_input_grad, params, grads, loss,
/// input_grad) -> (grads, loss, input_grad)`: the training function's body
/// in destination-passing style, on the packed parameters. The three entry
/// points that need gradients call it rather than each inlining forward and
/// backward passes of their own. Each gradient is placed in the packed
/// `grads` right after the op that computes it (so that the op's kernel
/// writes it there), and the input gradient is computed only when asked.
static func::FuncOp buildGradients(OpBuilder &b, func::FuncOp train,
                                   const ModelSignature &sig) {
  EntryPointBuilder e(b, train, sig);
  Location loc = train.getLoc();
  FunctionType trainType = train.getFunctionType();
  auto packedType = RankedTensorType::get({sig.paramFloats}, b.getF32Type());
  Type lossType = trainType.getResult(0);
  Type inputType = trainType.getInput(0);
  SmallVector<Type> arguments{inputType, trainType.getInput(1),
                              trainType.getInput(2), b.getI1Type(),
                              packedType, packedType, lossType, inputType};
  SmallVector<Type> results{packedType, lossType, inputType};
  b.setInsertionPointToEnd(e.module.getBody());
  auto gradients = func::FuncOp::create(b, loc, sig.name + "_gradients",
                                        b.getFunctionType(arguments, results));
  markOutlined(gradients);
  Block *body = gradients.addEntryBlock();
  e.body = body;
  b.setInsertionPointToStart(body);

  // The training function's ops, on the unpacked parameters.
  Block &trainBody = train.getBody().front();
  IRMapping mapping;
  for (unsigned i = 0; i < 3; ++i)
    mapping.map(trainBody.getArgument(i), body->getArgument(i));
  for (auto [arg, param] :
       llvm::zip(trainBody.getArguments().drop_front(3),
                 e.unpack(body->getArgument(4))))
    mapping.map(arg, param);
  for (Operation &op : trainBody.without_terminator())
    b.clone(op, mapping);
  auto trainResults = llvm::map_to_vector(
      trainBody.getTerminator()->getOperands(),
      [&](Value v) { return mapping.lookup(v); });
  Value loss = trainResults.front();
  ArrayRef<Value> paramResults =
      ArrayRef<Value>(trainResults).slice(1, sig.params.size());
  Value inputGrad = trainResults.back();

  // The input gradient, and what only it needs, under `want_input_grad`.
  SmallVector<Value> kept{loss};
  llvm::append_range(kept, paramResults);
  SmallVector<Operation *> inputGradOps = opsOnlyFor(*body, inputGrad, kept);
  b.setInsertionPointToEnd(body);
  auto ifWanted = scf::IfOp::create(b, loc, TypeRange{inputType},
                                    body->getArgument(3),
                                    /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifWanted.thenBlock());
    for (Operation *op : inputGradOps)
      op->moveBefore(ifWanted.thenBlock(), ifWanted.thenBlock()->end());
    Value written = bufferization::MaterializeInDestinationOp::create(
        b, loc, inputGrad, body->getArgument(7)).getResult();
    scf::YieldOp::create(b, loc, written);
    b.setInsertionPointToStart(ifWanted.elseBlock());
    scf::YieldOp::create(b, loc, body->getArgument(7));
  }

  // Each gradient into its slot, in the order they are computed.
  SmallVector<unsigned> order = llvm::to_vector(
      llvm::seq<unsigned>(0, sig.params.size()));
  auto position = [&](Value value) -> Operation * {
    Operation *def = value.getDefiningOp();
    return def && def->getBlock() == body ? def : nullptr;
  };
  llvm::stable_sort(order, [&](unsigned x, unsigned y) {
    Operation *a = position(paramResults[x]), *c = position(paramResults[y]);
    return c && (!a || a->isBeforeInBlock(c));
  });
  Value packed = body->getArgument(5);
  Operation *lastInsert = nullptr;
  for (unsigned i : order) {
    Operation *def = position(paramResults[i]);
    if (lastInsert && (!def || def->isBeforeInBlock(lastInsert)))
      b.setInsertionPointAfter(lastInsert);
    else if (def)
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(body);
    packed = e.packOne(packed, sig.params[i], paramResults[i]);
    lastInsert = packed.getDefiningOp();
  }
  b.setInsertionPoint(ifWanted);
  Value lossWritten = bufferization::MaterializeInDestinationOp::create(
      b, loc, loss, body->getArgument(6)).getResult();
  b.setInsertionPointToEnd(body);
  // A parameter that fills the whole packed buffer makes its insert_slice
  // fold away, and the gradient would come back in a buffer of its own:
  // it is written into the caller's (in place everywhere else).
  Value gradsWritten = bufferization::MaterializeInDestinationOp::create(
                           b, loc, packed, body->getArgument(5))
                           .getResult();
  func::ReturnOp::create(
      b, loc, ValueRange{gradsWritten, lossWritten, ifWanted.getResult(0)});
  return gradients;
}

/// Bytes all the ranges' gradients may take: a model two of whose ranges'
/// gradients would not fit runs its batch as one range. (A range holds at
/// most kMaxSamplesPerRange samples, Passes.h: the activations of 16
/// MNIST-sized samples stay in cache from one layer to the next, as in the
/// forward pass.)
static constexpr int64_t kRangeGradientBytes = 64 << 20;

/// Whether the training function treats every sample on its own but for
/// its loss, a mean or a sum over the batch, and its parameters' gradients,
/// sums over it: then ranges of the batch can compute their gradients apart
/// and have them summed (weighted by their share of the batch where the
/// loss is a mean). The loss's reduction if so. Batch statistics (batch
/// norm's) and dropout masks drawn per element of the whole batch are not
/// sample by sample.
static std::optional<LossReduction>
lossOverIndependentSamples(func::FuncOp train) {
  std::optional<LossReduction> reduction;
  WalkResult walk = train.walk([&](Operation *op) {
    if (isa<BatchNormTrainOp, DropoutTrainOp>(op))
      return WalkResult::interrupt();
    if (auto loss = dyn_cast<CrossEntropyOp>(op))
      reduction = loss.getReduction();
    if (auto loss = dyn_cast<MseLossOp>(op))
      reduction = loss.getReduction();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  return reduction;
}

/// `<m>_gradients_samples(params, input, target, seed, partials, losses,
/// [input_grad, input_grad_weight,] count, first, slot)`: the gradients
/// (zeros between the parameters) and the loss of the `count` samples from
/// sample `first` on, into slot `slot` of the arrays `partials` and
/// `losses`; with `withInputGrad`, also the input gradient of those samples
/// times `input_grad_weight` (the range's share of the batch, where the
/// loss is a mean) into `input_grad` from sample `first` on.
static func::FuncOp buildGradientsSamples(OpBuilder &b, func::FuncOp gradients,
                                          const ModelSignature &sig,
                                          Type targetElement,
                                          bool withInputGrad) {
  EntryPointBuilder e(b, gradients, sig);
  Type f32 = pointerTo(b.getF32Type()), i64 = b.getI64Type();
  SmallVector<Type> arguments{f32, f32, pointerTo(targetElement),
                              i64, f32, f32};
  if (withInputGrad)
    arguments.append({f32, b.getF32Type()});
  unsigned countArg = arguments.size();
  arguments.append({i64, i64, i64});
  func::FuncOp samples =
      e.create(sig.name + (withInputGrad ? "_gradients_samples_with_input_grad"
                                         : "_gradients_samples"),
               arguments, countArg);
  markOutlined(samples);
  Value first = e.indexArg(countArg + 1);
  Value slot = e.indexArg(countArg + 2);
  auto targetType = cast<RankedTensorType>(gradients.getArgumentTypes()[1]);
  Value grads = e.slot(e.arg(4), {sig.paramFloats}, slot);
  Value loss = e.slot(e.arg(5), {}, slot);
  Value inputGrad;
  Value inputGradDest;
  if (withInputGrad) {
    inputGrad = e.view(e.arg(6), e.batched(sig.inputShape), first);
    inputGradDest = e.output(inputGrad);
  } else {
    inputGradDest = tensor::EmptyOp::create(
        b, e.loc,
        RankedTensorType::get(e.batched(sig.inputShape), b.getF32Type()),
        ValueRange{arith::ConstantIndexOp::create(b, e.loc, 0)});
  }
  Value want = arith::ConstantIntOp::create(b, e.loc, withInputGrad, 1);
  SmallVector<Value> operands{
      e.read(e.view(e.arg(1), e.batched(sig.inputShape), first)),
      e.read(e.view(e.arg(2), targetType.getShape(), first)),
      e.arg(3),
      want,
      e.readPacked(e.arg(0)),
      e.zeroFilled(e.output(grads)),
      e.output(loss),
      inputGradDest};
  auto call = func::CallOp::create(b, e.loc, gradients, operands);
  // Compiled once, shared by the entry points.
  call.setNoInline(true);
  e.write(call.getResult(0), grads);
  e.write(call.getResult(1), loss);
  if (withInputGrad) {
    Value unweighted = call.getResult(2);
    auto type = cast<RankedTensorType>(unweighted.getType());
    Value weight = e.arg(7);
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(type.getRank()));
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto weighted = linalg::GenericOp::create(
        b, e.loc, type, ValueRange{unweighted}, ValueRange{inputGradDest}, maps,
        iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value product = arith::MulFOp::create(nb, nloc, args[0], weight);
          linalg::YieldOp::create(nb, nloc, product);
        });
    e.write(weighted.getResult(0), inputGrad);
  }
  e.finish();
  return samples;
}

namespace {
/// The functions that compute a model's gradients, and how its batch may
/// be split.
struct GradientFunctions {
  func::FuncOp samples;
  func::FuncOp samplesWithInputGrad;
  /// The loss's reduction where ranges of the batch may compute their
  /// gradients apart; none where the batch runs as one range.
  std::optional<LossReduction> rangeReduction;
};

/// What computing the gradients gives the entry point.
struct TrainingCall {
  Value loss;
  Value packedResults;             ///< the packed gradients
  SmallVector<Value> paramResults; ///< each parameter's gradient
};
} // namespace

/// The gradients and loss of the exported function's batch (its arguments
/// `params`, `input`, `target` and `seed`), and, where `wantInputGrad` is
/// given and true, its input gradient written to `input_grad`.
///
/// The batch is cut into contiguous ranges of at most 16 samples, as many
/// as the ranges' gradients fit in 64 MiB (one range where the samples are
/// not independent, or where two ranges' gradients would not fit), and the
/// threads share them out: each computes the
/// gradients of its ranges through the whole network without waiting for
/// the other threads between layers. The ranges' gradients and losses,
/// each weighted by its share of the batch for a mean, are then summed in
/// range order: the results depend on the batch size, not on the thread
/// count. One range is computed on the calling thread, each kernel's loops
/// shared out among the threads.
static TrainingCall computeGradients(EntryPointBuilder &e,
                                     const GradientFunctions &functions,
                                     Value wantInputGrad = Value()) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const ModelSignature &sig = e.sig;
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value).getResult();
  };
  Value unit = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
  Value batch = arith::MaxSIOp::create(b, loc, e.batch, zero);
  TrainingCall result;
  // The samples functions write gradients and losses through these bare
  // pointers to the arrays allocated below.
  Value partialsPointer, lossesPointer;
  auto asPointer = [&](Value buffer) {
    return memref::ReinterpretCastOp::create(
        b, loc, cast<MemRefType>(pointerTo(f32)), buffer, b.getIndexAttr(0),
        ArrayRef<OpFoldResult>{}, ArrayRef<OpFoldResult>{});
  };
  auto callSamples = [&](Value count, Value first, Value slot,
                         Value inputGradWeight) {
    auto call = [&](func::FuncOp samples, bool withInputGrad) {
      SmallVector<Value> operands{e.arg("params"), e.arg("input"),
                                  e.arg("target"), e.arg("seed"),
                                  partialsPointer, lossesPointer};
      if (withInputGrad)
        operands.append({e.arg("input_grad"), inputGradWeight});
      for (Value v : {count, first, slot})
        operands.push_back(arith::IndexCastOp::create(b, loc, i64, v));
      func::CallOp::create(b, loc, samples, operands).setNoInline(true);
    };
    if (!wantInputGrad) {
      call(functions.samples, false);
      return;
    }
    auto ifWanted = scf::IfOp::create(b, loc, wantInputGrad,
                                      /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifWanted.thenBlock());
    call(functions.samplesWithInputGrad, true);
    b.setInsertionPointToStart(ifWanted.elseBlock());
    call(functions.samples, false);
  };

  int64_t maxRanges = std::max<int64_t>(
      1, kRangeGradientBytes /
             (std::max<int64_t>(sig.paramFloats, 1) * int64_t(sizeof(float))));
  if (!functions.rangeReduction || maxRanges == 1) {
    Value grads =
        memref::AllocOp::create(b, loc, MemRefType::get({sig.paramFloats}, f32),
                                b.getI64IntegerAttr(64));
    Value loss = memref::AllocOp::create(b, loc, MemRefType::get({}, f32));
    partialsPointer = asPointer(grads);
    lossesPointer = asPointer(loss);
    callSamples(batch, zero, zero, unit);
    result.packedResults = e.read(grads);
    result.paramResults = e.unpack(result.packedResults);
    result.loss = e.read(loss);
    return result;
  }

  Value cacheSized =
      arith::CeilDivUIOp::create(b, loc, batch, index(kMaxSamplesPerRange));
  Value ranges = arith::MaxUIOp::create(
      b, loc, one,
      arith::MinUIOp::create(b, loc, cacheSized, index(maxRanges)));
  Value partials = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic, sig.paramFloats}, f32),
      ValueRange{ranges}, b.getI64IntegerAttr(64));
  Value losses = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, f32), ValueRange{ranges});
  partialsPointer = asPointer(partials);
  lossesPointer = asPointer(losses);
  // Range r is samples [r * batch / ranges, (r + 1) * batch / ranges).
  auto boundary = [&](OpBuilder &builder, Value r) {
    return arith::DivUIOp::create(
        builder, loc, arith::MulIOp::create(builder, loc, r, batch), ranges);
  };
  // Range r's weight: its share of the batch for a mean, 1 for a sum. One
  // range's is exactly 1.
  bool mean = *functions.rangeReduction == LossReduction::mean;
  auto weightOf = [&](OpBuilder &builder, Value r) -> Value {
    if (!mean)
      return arith::ConstantOp::create(builder, loc,
                                       builder.getF32FloatAttr(1.0f));
    Value next = arith::AddIOp::create(builder, loc, r, one);
    Value count = arith::SubIOp::create(builder, loc, boundary(builder, next),
                                        boundary(builder, r));
    auto toFloat = [&](Value v) {
      return arith::UIToFPOp::create(
          builder, loc, f32,
          arith::IndexCastUIOp::create(builder, loc, i64, v));
    };
    return arith::DivFOp::create(builder, loc, toFloat(count), toFloat(batch));
  };
  Value single =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ranges, one);
  auto ifSingle = scf::IfOp::create(b, loc, single, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifSingle.thenBlock());
    callSamples(batch, zero, zero, unit);
    b.setInsertionPointToStart(ifSingle.elseBlock());
    auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{ranges},
                                        ValueRange(), std::nullopt);
    b.setInsertionPointToStart(forall.getBody());
    Value r = forall.getInductionVar(0);
    Value first = boundary(b, r);
    Value end = boundary(b, arith::AddIOp::create(b, loc, r, one));
    callSamples(arith::SubIOp::create(b, loc, end, first), first, r,
                weightOf(b, r));
  }

  Value weights = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get({ShapedType::kDynamic}, f32),
      ValueRange{ranges});
  weights = linalg::GenericOp::create(
                b, loc, weights.getType(), ValueRange(), ValueRange{weights},
                ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
                ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
                [&](OpBuilder &nb, Location nloc, ValueRange) {
                  Value r = linalg::IndexOp::create(nb, nloc, 0);
                  linalg::YieldOp::create(nb, nloc, weightOf(nb, r));
                })
                .getResult(0);
  // sum[..] = sum over the ranges r in order of weight[r] * part[r, ..].
  auto sumRanges = [&](Value parts, ArrayRef<int64_t> shape) {
    int64_t rank = shape.size();
    MLIRContext *context = b.getContext();
    SmallVector<AffineExpr> outer;
    for (int64_t d = 0; d < rank; ++d)
      outer.push_back(getAffineDimExpr(d, context));
    AffineExpr r = getAffineDimExpr(rank, context);
    SmallVector<AffineExpr> partExprs{r};
    llvm::append_range(partExprs, outer);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(rank + 1, 0, exprs, context);
    };
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value init = e.zeroFilled(tensor::EmptyOp::create(b, loc, shape, f32));
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{parts, weights},
               ValueRange{init},
               ArrayRef<AffineMap>{map(partExprs), map({r}), map(outer)},
               iterators,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value weighted =
                     arith::MulFOp::create(nb, nloc, args[0], args[1]);
                 linalg::YieldOp::create(
                     nb, nloc,
                     arith::AddFOp::create(nb, nloc, args[2], weighted)
                         .getResult());
               })
        .getResult(0);
  };
  result.packedResults = sumRanges(e.read(partials), {sig.paramFloats});
  result.paramResults = e.unpack(result.packedResults);
  result.loss = sumRanges(e.read(losses), {});
  return result;
}

/// `<m>_backward` (EntryPointABI): the gradients into `grads`, and into
/// `input_grad` unless it is NULL.
static void buildBackward(OpBuilder &b, const GradientFunctions &functions,
                          const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, functions.samples, sig);
  e.create(getEntryPointABI("backward"), targetElement);
  // The input gradient is computed and written only where the caller asks
  // for it.
  Value address = memref::ExtractAlignedPointerAsIndexOp::create(
      b, e.loc, e.arg("input_grad"));
  Value zero = arith::ConstantIndexOp::create(b, e.loc, 0);
  Value wanted = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne,
                                       address, zero);
  TrainingCall t = computeGradients(e, functions, wanted);
  e.write(t.packedResults, e.view(e.arg("grads"), {sig.paramFloats}));
  e.write(t.loss, e.arg("loss"));
  e.finish();
}

/// `<m>_sgd_step` (EntryPointABI): one torch.optim.SGD step, in place.
static void buildSgdStep(OpBuilder &b, const GradientFunctions &functions,
                         const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, functions.samples, sig);
  e.create(getEntryPointABI("sgd_step"), targetElement);
  Value params = e.readPacked(e.arg("params"));
  Value momentum = e.readPacked(e.arg("momentum"));
  TrainingCall t = computeGradients(e, functions);
  // lr, momentum, dampening, weight_decay, nesterov, first_step (netc.h).
  SmallVector<Value> h = e.loadScalars(e.arg("hparams"), 6);
  Value newParams = e.packBuffers(params, t.paramResults);
  Value newMomentum = momentum;
  for (const PackedRange &range : trainedRanges(sig)) {
    auto update = SgdUpdateOp::create(
        b, e.loc, e.slice(params, range), e.slice(t.packedResults, range),
        e.slice(momentum, range), h[0], h[1], h[2], h[3], h[4], h[5]);
    newParams = e.insert(newParams, range, update.getNewParam());
    newMomentum = e.insert(newMomentum, range, update.getNewMomentumBuffer());
  }
  e.write(newParams, e.view(e.arg("params"), {sig.paramFloats}));
  e.write(newMomentum, e.view(e.arg("momentum"), {sig.paramFloats}));
  e.write(t.loss, e.arg("loss"));
  e.finish();
}

/// `<m>_adam_step` (EntryPointABI): one torch.optim.Adam/AdamW step, in
/// place.
static void buildAdamStep(OpBuilder &b, const GradientFunctions &functions,
                          const ModelSignature &sig, Type targetElement) {
  EntryPointBuilder e(b, functions.samples, sig);
  e.create(getEntryPointABI("adam_step"), targetElement);
  Value params = e.readPacked(e.arg("params"));
  Value expAvg = e.readPacked(e.arg("exp_avg"));
  Value expAvgSq = e.readPacked(e.arg("exp_avg_sq"));
  TrainingCall t = computeGradients(e, functions);
  // lr, beta1, beta2, eps, weight_decay, decoupled, bias corrections (netc.h).
  SmallVector<Value> h = e.loadScalars(e.arg("hparams"), 8);
  Value newParams = e.packBuffers(params, t.paramResults);
  Value newExpAvg = expAvg, newExpAvgSq = expAvgSq;
  for (const PackedRange &range : trainedRanges(sig)) {
    auto update = AdamUpdateOp::create(
        b, e.loc, e.slice(params, range), e.slice(t.packedResults, range),
        e.slice(expAvg, range), e.slice(expAvgSq, range), h[0], h[1], h[2],
        h[3], h[4], h[5], h[6], h[7]);
    newParams = e.insert(newParams, range, update.getNewParam());
    newExpAvg = e.insert(newExpAvg, range, update.getNewExpAvg());
    newExpAvgSq = e.insert(newExpAvgSq, range, update.getNewExpAvgSq());
  }
  e.write(newParams, e.view(e.arg("params"), {sig.paramFloats}));
  e.write(newExpAvg, e.view(e.arg("exp_avg"), {sig.paramFloats}));
  e.write(newExpAvgSq, e.view(e.arg("exp_avg_sq"), {sig.paramFloats}));
  e.write(t.loss, e.arg("loss"));
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
      GradientFunctions functions;
      functions.rangeReduction = lossOverIndependentSamples(train);
      func::FuncOp gradients = buildGradients(b, train, *sig);
      train.erase();
      functions.samples =
          buildGradientsSamples(b, gradients, *sig, target, false);
      functions.samplesWithInputGrad =
          buildGradientsSamples(b, gradients, *sig, target, true);
      buildBackward(b, functions, *sig, target);
      buildSgdStep(b, functions, *sig, target);
      buildAdamStep(b, functions, *sig, target);
    }
  }
};
} // namespace
