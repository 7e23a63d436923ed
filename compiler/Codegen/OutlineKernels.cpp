//===- OutlineKernels.cpp - Each linalg op as a kernel function -----------===//
//
// Implements netc-outline-kernels (see Passes.td): the unit that code
// generation compiles, and that netc-deduplicate-kernels shares.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Outlining.h"
#include "netc/Codegen/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCOUTLINEKERNELS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// The ops of one kernel: a linalg op (the root), the linalg ops that only
/// produce its destinations, and the insert_slice that places its result.
struct KernelOps {
  Operation *root;
  llvm::SmallPtrSet<Operation *, 4> ops;
};

/// Views that are cloned into the kernels that read through them, so that
/// every tensor a kernel takes is a whole buffer (identity layout at the
/// call, no copy) and its static offsets become arguments.
bool isView(Operation *op) {
  return isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp,
             tensor::CollapseShapeOp>(op);
}

/// The op that writes the slice `insert` places, when it writes it into a
/// slice of `insert`'s destination at the same place (a padding's copy of
/// its input into the interior of a filled tensor).
DestinationStyleOpInterface sliceWriter(tensor::InsertSliceOp insert) {
  auto writer = insert.getSource().getDefiningOp<DestinationStyleOpInterface>();
  if (!writer || writer.getNumDpsInits() != 1)
    return {};
  auto slice = writer.getDpsInitOperand(0)
                   ->get()
                   .getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || slice.getSource() != insert.getDest() ||
      !slice.isSameAs(insert,
                      [](OpFoldResult a, OpFoldResult b) { return a == b; }))
    return {};
  return writer;
}

/// Gathers the kernel rooted at `root`, claiming its ops.
KernelOps gatherKernel(linalg::LinalgOp root,
                       llvm::SmallPtrSetImpl<Operation *> &claimed) {
  KernelOps kernel{root, {}};
  kernel.ops.insert(root);
  claimed.insert(root);
  // Destination producers (fills, bias broadcasts) used by nothing else:
  // tiling fuses them into the root's tiles.
  SmallVector<linalg::LinalgOp> worklist{root};
  while (!worklist.empty()) {
    linalg::LinalgOp consumer = worklist.pop_back_val();
    for (OpOperand &init : consumer.getDpsInitsMutable()) {
      auto producer = init.get().getDefiningOp<linalg::LinalgOp>();
      if (!producer || producer->getBlock() != root->getBlock() ||
          claimed.contains(producer) || !producer->hasOneUse())
        continue;
      kernel.ops.insert(producer);
      claimed.insert(producer);
      worklist.push_back(producer);
    }
  }
  // The insert_slice that places a single result into a larger tensor (a
  // concatenation, the flat gradient), possibly through a reshape: the
  // kernel writes it in place. Its other operands must exist where the
  // kernel is called, at the root.
  if (root->getNumResults() != 1 || !root->getResult(0).hasOneUse())
    return kernel;
  auto definedBeforeRoot = [&](Value operand) {
    Operation *def = operand.getDefiningOp();
    return !def || def->getBlock() != root->getBlock() ||
           def->isBeforeInBlock(root);
  };
  Value placed = root->getResult(0);
  Operation *reshape = *placed.getUsers().begin();
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(reshape) &&
      reshape->getBlock() == root->getBlock() &&
      reshape->getResult(0).hasOneUse() &&
      llvm::all_of(reshape->getOperands().drop_front(), definedBeforeRoot))
    placed = reshape->getResult(0);
  else
    reshape = nullptr;
  auto insert = dyn_cast<tensor::InsertSliceOp>(*placed.getUsers().begin());
  if (insert && insert.getSource() == placed &&
      insert->getBlock() == root->getBlock() &&
      llvm::all_of(insert->getOperands().drop_front(), definedBeforeRoot)) {
    for (Operation *op : {reshape, insert.getOperation()}) {
      if (!op)
        continue;
      kernel.ops.insert(op);
      claimed.insert(op);
    }
    // A padding: the root copies into the interior of a filled tensor that
    // nothing else uses. The fill joins, so that one kernel makes the
    // padded tensor (one function fewer to compile per padding).
    auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
    if (fill && fill->getBlock() == root->getBlock() &&
        !claimed.contains(fill) &&
        llvm::hasNItems(fill->getResult(0).getUses(), 2) &&
        sliceWriter(insert) == root.getOperation()) {
      Operation *interior = root.getDpsInitOperand(0)->get().getDefiningOp();
      for (Operation *op : {fill.getOperation(), interior}) {
        kernel.ops.insert(op);
        claimed.insert(op);
      }
    }
  }
  return kernel;
}

/// CSE merges equal fills, so that one fill can be the destination of
/// several ops. Each such op gets a fill of its own, which joins its kernel:
/// otherwise every kernel but one would copy the filled buffer. A fill that
/// several paddings copy their inputs into (through a slice of it, then an
/// insert_slice) is cloned for each padding with its slice: otherwise
/// bufferization copies the filled buffer and the interiors.
void cloneSharedFills(func::FuncOp func) {
  SmallVector<linalg::FillOp> fills;
  func.walk([&](linalg::FillOp fill) { fills.push_back(fill); });
  for (linalg::FillOp fill : fills) {
    SmallVector<OpOperand *> uses = llvm::map_to_vector(
        fill->getResult(0).getUses(), [](OpOperand &use) { return &use; });
    for (OpOperand *use : llvm::drop_begin(uses)) {
      auto consumer = dyn_cast<DestinationStyleOpInterface>(use->getOwner());
      if (!consumer || !consumer.isDpsInit(use))
        continue;
      auto insert = dyn_cast<tensor::InsertSliceOp>(*consumer);
      DestinationStyleOpInterface writer =
          insert ? sliceWriter(insert) : DestinationStyleOpInterface();
      OpBuilder builder(writer ? writer.getOperation()
                               : consumer.getOperation());
      Value own = builder.clone(*fill)->getResult(0);
      if (writer) {
        auto slice = writer.getDpsInitOperand(0)
                         ->get()
                         .getDefiningOp<tensor::ExtractSliceOp>();
        IRMapping mapping;
        mapping.map(slice.getSource(), own);
        writer.getDpsInitOperand(0)->set(
            builder.clone(*slice, mapping)->getResult(0));
        if (slice->use_empty())
          slice->erase();
      }
      use->set(own);
    }
    if (fill->use_empty())
      fill->erase();
  }
}

/// Builds the body of a kernel: its ops cloned in program order, reading
/// every value from outside through an argument, a cloned constant or a
/// cloned view.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &builder, Block &entry, Block &source,
                const KernelOps &kernel)
      : builder(builder), entry(entry), source(source), kernel(kernel) {}

  /// The value in the kernel that stands for `value` from outside.
  Value materialize(Value value) {
    if (Value mapped = mapping.lookupOrNull(value))
      return mapped;
    Operation *def = value.getDefiningOp();
    if (def && netc::isClonedConstant(def))
      return builder.clone(*def, mapping)->getResult(
          cast<OpResult>(value).getResultNumber());
    if (def && isView(def))
      return cloneView(def)->getResult(0);
    Value argument = newArgument(value);
    mapping.map(value, argument);
    return argument;
  }

  /// Clones `op` (one of the kernel's ops) after mapping what it reads.
  void cloneKernelOp(Operation &op) {
    op.walk<WalkOrder::PreOrder>([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!isDefinedInKernel(operand))
          materialize(operand);
    });
    if (isView(&op)) {
      cloneView(&op);
      return;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
      Value placed = tensor::InsertSliceOp::create(
          builder, insert.getLoc(), mapping.lookup(insert.getSource()),
          mapping.lookup(insert.getDest()),
          offsetsAsArguments(insert.getMixedOffsets()),
          mapMixed(insert.getMixedSizes()),
          mapMixed(insert.getMixedStrides()));
      mapping.map(insert.getResult(), placed);
      return;
    }
    Operation *clone = builder.clone(op, mapping);
    // A value that is the destination of several results (one empty tensor
    // for both outputs of a multi-result op) gets an argument per
    // destination: each is written in place, none is the other's copy.
    auto dps = dyn_cast<DestinationStyleOpInterface>(op);
    if (!dps)
      return;
    for (OpOperand &init : dps.getDpsInitsMutable()) {
      Value value = init.get();
      if (isDefinedInKernel(value) || destinations.insert(value).second)
        continue;
      clone->setOperand(init.getOperandNumber(), newArgument(value));
    }
  }

  /// The caller's values for the kernel's arguments, in order.
  ArrayRef<OpFoldResult> getOperands() const { return operands; }
  IRMapping &getMapping() { return mapping; }

  /// What the kernel returns for its value `result`, and the caller's views
  /// (innermost last) that give the caller `result` back from it. A result
  /// written into a view of an argument (a reshape for grouped
  /// convolutions, a slice) is returned as that whole argument, with the
  /// view undone in the kernel and redone by the caller: kernels return
  /// only their arguments, which bufferization then drops.
  Value returned(Value result, SmallVectorImpl<Operation *> &callerViews) {
    SmallVector<Operation *> views;
    for (Value destination = result;;) {
      Operation *def = destination.getDefiningOp();
      if (auto dps = dyn_cast_or_null<DestinationStyleOpInterface>(def)) {
        destination = dps.getTiedOpOperand(cast<OpResult>(destination))->get();
      } else if (def && clonedViews.contains(def)) {
        views.push_back(def);
        destination = def->getOperand(0);
      } else {
        break;
      }
    }
    Value whole = result;
    for (Operation *view : views) {
      Location loc = view->getLoc();
      if (auto expand = dyn_cast<tensor::ExpandShapeOp>(view))
        whole = tensor::CollapseShapeOp::create(
            builder, loc, expand.getSrcType(), whole,
            expand.getReassociationIndices());
      else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(view))
        whole = tensor::ExpandShapeOp::create(
            builder, loc, collapse.getSrcType(), whole,
            collapse.getReassociationIndices(),
            tensor::getMixedSizes(builder, loc, collapse.getSrc()));
      else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(view))
        whole = tensor::InsertSliceOp::create(
            builder, loc, whole, slice.getSource(), slice.getMixedOffsets(),
            slice.getMixedSizes(), slice.getMixedStrides());
      callerViews.push_back(clonedViews.lookup(view));
    }
    std::reverse(callerViews.begin(), callerViews.end());
    return whole;
  }

  /// A kernel that places its root's result with an insert_slice (through
  /// a reshape or not) writes the root straight into that place: the empty
  /// tensor its chain of destinations starts from, an argument whose
  /// contents nothing reads, becomes the insert's slice, reshaped as the
  /// root's result. One-shot bufferization then finds the insert in place,
  /// with no temporary and no copy.
  void writeRootInPlace() {
    tensor::InsertSliceOp insert;
    Operation *reshape = nullptr;
    for (Operation *op : kernel.ops) {
      if (auto placing = dyn_cast<tensor::InsertSliceOp>(op))
        insert = cast<tensor::InsertSliceOp>(
            mapping.lookup(placing.getResult()).getDefiningOp());
      else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op))
        reshape = mapping.lookup(op->getResult(0)).getDefiningOp();
    }
    if (!insert || insert.getSourceType().getRank() !=
                       insert.getDestType().getRank())
      return;
    auto root = cast<DestinationStyleOpInterface>(
        mapping.lookup(kernel.root->getResult(0)).getDefiningOp());
    OpOperand *start = root.getDpsInitOperand(0);
    while (auto producer =
               start->get().getDefiningOp<DestinationStyleOpInterface>())
      start = producer.getDpsInitOperand(0);
    auto argument = dyn_cast<BlockArgument>(start->get());
    if (!argument || argument.getOwner() != &entry || !argument.hasOneUse())
      return;
    auto callerValue = dyn_cast<Value>(operands[argument.getArgNumber()]);
    if (!callerValue || !callerValue.getDefiningOp<tensor::EmptyOp>())
      return;
    Operation *user = start->getOwner();
    if (llvm::any_of(insert->getOperands().drop_front(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return def && !def->isBeforeInBlock(user);
        }))
      return;

    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(user);
    Location loc = insert.getLoc();
    Value place = tensor::ExtractSliceOp::create(
        builder, loc, insert.getSourceType(), insert.getDest(),
        insert.getMixedOffsets(), insert.getMixedSizes(),
        insert.getMixedStrides());
    auto rootType = cast<RankedTensorType>(start->get().getType());
    if (auto collapse = dyn_cast_or_null<tensor::CollapseShapeOp>(reshape)) {
      // Each dynamic size of the root is a whole group of the collapse.
      SmallVector<OpFoldResult> shape;
      for (auto [i, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        for (int64_t dim : group) {
          if (!rootType.isDynamicDim(dim))
            shape.push_back(builder.getIndexAttr(rootType.getDimSize(dim)));
          else if (group.size() == 1)
            shape.push_back(insert.getMixedSizes()[i]);
          else
            return;
        }
      }
      place = tensor::ExpandShapeOp::create(builder, loc, rootType, place,
                                            collapse.getReassociationIndices(),
                                            shape);
    } else if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(reshape)) {
      place = tensor::CollapseShapeOp::create(
          builder, loc, rootType, place, expand.getReassociationIndices());
    }
    start->set(place);
    operands.erase(operands.begin() + argument.getArgNumber());
    entry.eraseArgument(argument.getArgNumber());
  }

private:
  Value newArgument(Value value) {
    operands.push_back(value);
    return entry.addArgument(value.getType(), value.getLoc());
  }

  bool isDefinedInKernel(Value value) {
    Operation *owner = value.getDefiningOp();
    if (!owner)
      owner = value.getParentBlock()->getParentOp();
    Operation *top = source.findAncestorOpInBlock(*owner);
    return top && kernel.ops.contains(top);
  }

  Operation *cloneView(Operation *view) {
    for (Value operand : view->getOperands())
      materialize(operand);
    Operation *clone;
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(view))
      clone = tensor::ExtractSliceOp::create(
          builder, slice.getLoc(), slice.getType(),
          mapping.lookup(slice.getSource()),
          offsetsAsArguments(slice.getMixedOffsets()),
          mapMixed(slice.getMixedSizes()), mapMixed(slice.getMixedStrides()));
    else
      clone = builder.clone(*view, mapping);
    mapping.map(view->getResults(), clone->getResults());
    clonedViews[clone] = view;
    return clone;
  }

  /// Static offsets become index arguments, so that kernels that differ
  /// only in where they read or write (each layer's parameters) are one.
  /// Equal offsets share one argument: a slice read and written back at the
  /// same place stays visibly the same place, which bufferization needs to
  /// write it in place.
  SmallVector<OpFoldResult> offsetsAsArguments(ArrayRef<OpFoldResult> mixed) {
    SmallVector<OpFoldResult> result;
    for (OpFoldResult offset : mixed) {
      if (auto value = dyn_cast<Value>(offset)) {
        result.push_back(mapping.lookup(value));
        continue;
      }
      int64_t constant = cast<IntegerAttr>(cast<Attribute>(offset)).getInt();
      Value &argument = offsetArguments[constant];
      if (!argument) {
        argument = entry.addArgument(builder.getIndexType(),
                                     builder.getUnknownLoc());
        operands.push_back(offset); // Materialized as a constant at the call.
      }
      result.push_back(argument);
    }
    return result;
  }

  SmallVector<OpFoldResult> mapMixed(ArrayRef<OpFoldResult> mixed) {
    return llvm::map_to_vector(mixed, [&](OpFoldResult ofr) -> OpFoldResult {
      if (auto value = dyn_cast<Value>(ofr))
        return mapping.lookup(value);
      return ofr;
    });
  }

  OpBuilder &builder;
  Block &entry;
  Block &source;
  const KernelOps &kernel;
  IRMapping mapping;
  /// The caller's view that each view cloned into the kernel copies.
  DenseMap<Operation *, Operation *> clonedViews;
  /// The argument that each static offset became.
  DenseMap<int64_t, Value> offsetArguments;
  /// The values from outside the kernel that are destinations in it.
  llvm::SmallPtrSet<Value, 4> destinations;
  /// The caller's operand for each argument: a value, or an index attribute
  /// for an offset made an argument.
  SmallVector<OpFoldResult> operands;
};

struct NetcOutlineKernels
    : public netc::impl::NetcOutlineKernelsBase<NetcOutlineKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal() || func->hasAttr(netc::kKernelAttr))
        continue;
      kernelCount = 0;
      cloneSharedFills(func);
      // Linalg ops outside other linalg ops, consumers first so that each
      // claims its destination producers.
      SmallVector<linalg::LinalgOp> roots;
      func.walk<WalkOrder::PreOrder>([&](linalg::LinalgOp op) {
        roots.push_back(op);
        return WalkResult::skip();
      });
      llvm::SmallPtrSet<Operation *, 32> claimed;
      SmallVector<KernelOps> kernels;
      for (linalg::LinalgOp root : llvm::reverse(roots))
        if (!claimed.contains(root))
          kernels.push_back(gatherKernel(root, claimed));
      // Numbered, and placed after the function, in program order.
      Operation *previous = func;
      for (const KernelOps &kernel : llvm::reverse(kernels))
        previous = outline(func, kernel, previous);
    }
  }

  /// Outlines `kernel` from `func` into a function placed after `previous`.
  func::FuncOp outline(func::FuncOp func, const KernelOps &kernel,
                       Operation *previous) {
    Block &source = *kernel.root->getBlock();
    SmallVector<Operation *> ops = llvm::to_vector(kernel.ops);
    llvm::sort(ops, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });

    OpBuilder builder(func);
    builder.setInsertionPointAfter(previous);
    std::string name =
        (func.getSymName() + "_kernel" + Twine(kernelCount++)).str();
    auto callee = func::FuncOp::create(builder, kernel.root->getLoc(), name,
                                       builder.getFunctionType({}, {}));
    netc::markOutlined(callee);
    callee->setAttr(netc::kKernelAttr, builder.getUnitAttr());
    Block *entry = callee.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    KernelBuilder body(builder, *entry, source, kernel);
    for (Operation *op : ops)
      body.cloneKernelOp(*op);
    body.writeRootInPlace();

    // Results: what the kernel's ops produce for the rest of the function.
    SmallVector<Value> results;
    for (Operation *op : ops)
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              Operation *top = source.findAncestorOpInBlock(*user);
              return !top || !kernel.ops.contains(top);
            }))
          results.push_back(result);
    SmallVector<Value> returned;
    SmallVector<SmallVector<Operation *>> callerViews(results.size());
    for (auto [result, views] : llvm::zip(results, callerViews))
      returned.push_back(
          body.returned(body.getMapping().lookup(result), views));
    func::ReturnOp::create(builder, kernel.root->getLoc(), returned);
    callee.setType(builder.getFunctionType(entry->getArgumentTypes(),
                                           ValueRange(returned).getTypes()));

    // The call takes the root's place.
    builder.setInsertionPoint(kernel.root);
    SmallVector<Value> operands = llvm::map_to_vector(
        body.getOperands(), [&](OpFoldResult operand) -> Value {
          if (auto value = dyn_cast<Value>(operand))
            return value;
          return arith::ConstantIndexOp::create(
              builder, kernel.root->getLoc(),
              cast<IntegerAttr>(cast<Attribute>(operand)).getInt());
        });
    auto call = func::CallOp::create(builder, kernel.root->getLoc(), callee,
                                     operands);
    for (auto [result, views, whole] :
         llvm::zip(results, callerViews, call.getResults())) {
      Value replacement = whole;
      for (Operation *view : views) {
        IRMapping onResult;
        onResult.map(view->getOperand(0), replacement);
        replacement = builder.clone(*view, onResult)->getResult(0);
      }
      result.replaceAllUsesWith(replacement);
    }
    for (Operation *op : llvm::reverse(ops))
      op->erase();
    return callee;
  }

  unsigned kernelCount = 0;
};
} // namespace
