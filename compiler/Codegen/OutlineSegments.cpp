//===- OutlineSegments.cpp - Long functions as a chain of calls -----------===//
//
// Implements netc-outline-segments (see Passes.td): keeps the time of the
// lowering to LLVM and of LLVM's optimizer linear in the number of layers.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Outlining.h"
#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCOUTLINESEGMENTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

/// Whether segments recompute `op` rather than take its result as an
/// argument: constants, and index arithmetic and views, such as the
/// buffers netc-plan-buffers places in an arena (a segment then takes the
/// arena and the batch size, and nothing stays live between segments).
static bool isRecomputed(Operation *op) {
  if (netc::isClonedConstant(op))
    return true;
  if (op->getNumRegions() || op->getNumResults() != 1 ||
      !isMemoryEffectFree(op))
    return false;
  return isa<arith::ArithDialect>(op->getDialect()) ||
         isa<memref::DimOp, ViewLikeOpInterface>(op);
}

/// Moves the ops [begin, end) of `body`, a block of `func`, into a new
/// private function `name` and calls it in their place.
static void outline(func::FuncOp func, Block &body, Block::iterator begin,
                    Block::iterator end, StringRef name) {
  llvm::SmallPtrSet<Operation *, 32> inside;
  for (Operation &op : llvm::make_range(begin, end))
    inside.insert(&op);
  // The top-level op of `body` that holds `op` (itself, or an ancestor).
  auto topLevel = [&](Operation *op) { return body.findAncestorOpInBlock(*op); };
  // Whether `value` is defined in the segment: by one of its ops, or as a
  // block argument of a region nested in one.
  auto definedInside = [&](Value value) {
    Operation *owner = value.getDefiningOp();
    if (!owner)
      owner = value.getParentBlock()->getParentOp();
    Operation *top = topLevel(owner);
    return top && inside.contains(top);
  };

  // Values defined before the segment and used in it, but for those it
  // recomputes (with what they are computed from); results used after.
  llvm::SetVector<Value> inputs;
  SmallVector<Operation *> clones; // each after what it reads
  llvm::SmallPtrSet<Operation *, 16> recomputed;
  std::function<void(Value)> read = [&](Value operand) {
    if (definedInside(operand))
      return;
    Operation *def = operand.getDefiningOp();
    if (!def || !isRecomputed(def)) {
      inputs.insert(operand);
      return;
    }
    if (!recomputed.insert(def).second)
      return;
    for (Value defOperand : def->getOperands())
      read(defOperand);
    clones.push_back(def);
  };
  for (Operation &op : llvm::make_range(begin, end))
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        read(operand);
    });
  llvm::SetVector<Value> outputs;
  for (Operation &op : llvm::make_range(begin, end))
    for (Value result : op.getResults())
      for (Operation *user : result.getUsers())
        if (!inside.contains(topLevel(user)))
          outputs.insert(result);

  OpBuilder builder(func);
  builder.setInsertionPointAfter(func);
  auto segment = func::FuncOp::create(
      builder, func.getLoc(), name,
      builder.getFunctionType(
          llvm::map_to_vector(inputs, [](Value v) { return v.getType(); }),
          llvm::map_to_vector(outputs, [](Value v) { return v.getType(); })));
  netc::markOutlined(segment);
  Block *entry = segment.addEntryBlock();

  // The call takes the segment's place; its ops move into the new body.
  builder.setInsertionPoint(&body, begin);
  auto call = func::CallOp::create(builder, func.getLoc(), segment,
                                   inputs.getArrayRef());
  entry->getOperations().splice(entry->end(), body.getOperations(), begin,
                                end);
  builder.setInsertionPointToStart(entry);
  // What the segment reads from outside: its arguments, or its clones.
  // Rewritten op by op: values such as the batch size have uses all over
  // the function.
  IRMapping outside;
  outside.map(inputs.getArrayRef(), entry->getArguments());
  for (Operation *op : clones)
    builder.clone(*op, outside);
  segment.walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands())
      if (Value mapped = outside.lookupOrNull(operand.get()))
        operand.set(mapped);
  });
  for (auto [output, result] : llvm::zip(outputs, call.getResults()))
    Value(output).replaceUsesWithIf(result, [&](OpOperand &use) {
      return use.getOwner()->getParentOfType<func::FuncOp>() != segment;
    });
  builder.setInsertionPointToEnd(entry);
  func::ReturnOp::create(builder, func.getLoc(), outputs.getArrayRef());
}

/// Moves ahead of the consecutive ops `ops`, when what they read is known
/// before them, the ops among them that segments recompute (they stay in
/// the function being cut, and each segment clones what it needs) and the
/// allocations whose buffers outlive them (they belong to the function
/// being cut rather than to a segment: the segment borrows them instead of
/// returning them, and between calls the function holds a pointer per
/// buffer, not a memref descriptor). Buffers used only inside stay there,
/// so peak memory is unchanged. Returns the first and last of the ops
/// left, if any.
static std::optional<std::pair<Operation *, Operation *>>
keepBuffersOutside(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 32> inRange(ops.begin(), ops.end());
  Block *block = ops.front()->getBlock();
  SmallVector<Operation *> hoisted, rest;
  llvm::SmallPtrSet<Operation *, 32> kept;
  for (Operation *op : ops) {
    bool operandsBefore = llvm::all_of(op->getOperands(), [&](Value operand) {
      Operation *def = operand.getDefiningOp();
      return !def || !kept.contains(def);
    });
    bool outlives = llvm::any_of(op->getUsers(), [&](Operation *user) {
      return !inRange.contains(block->findAncestorOpInBlock(*user));
    });
    if (operandsBefore &&
        (isRecomputed(op) || (isa<memref::AllocOp>(op) && outlives))) {
      hoisted.push_back(op);
    } else {
      rest.push_back(op);
      kept.insert(op);
    }
  }
  if (rest.empty())
    return std::nullopt;
  for (Operation *alloc : hoisted)
    alloc->moveBefore(rest.front());
  return std::make_pair(rest.front(), rest.back());
}

namespace {
struct NetcOutlineSegments
    : public netc::impl::NetcOutlineSegmentsBase<NetcOutlineSegments> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func :
         llvm::to_vector(getOperation().getOps<func::FuncOp>())) {
      if (func.isExternal() || !func.getBody().hasOneBlock())
        continue;
      unsigned segmentCount = 0;
      cutBlock(func, func.getBody().front(), segmentCount);
    }
  }

  /// Cuts `block` of `func` into segments, and the branches of the
  /// conditionals in it (the input gradient computed on request can be a
  /// whole backward pass).
  void cutBlock(func::FuncOp func, Block &body, unsigned &segmentCount) {
    for (Operation &op : body)
      if (auto conditional = dyn_cast<scf::IfOp>(op))
        for (Region &branch : conditional->getRegions())
          if (branch.hasOneBlock())
            cutBlock(func, branch.front(), segmentCount);
    // Segment boundaries: every opsPerSegment counted ops.
    SmallVector<Operation *> starts;
    unsigned counted = 0;
    for (Operation &op : body.without_terminator()) {
      if (isRecomputed(&op))
        continue;
      if (counted++ % opsPerSegment == 0)
        starts.push_back(&op);
    }
    SmallVector<SmallVector<Operation *>> segments;
    for (auto [i, start] : llvm::enumerate(starts)) {
      Operation *end = i + 1 < starts.size() ? starts[i + 1]
                                             : body.getTerminator();
      segments.push_back(llvm::map_to_vector(
          llvm::make_range(Block::iterator(start), Block::iterator(end)),
          [](Operation &op) { return &op; }));
    }
    if (segments.size() < 2)
      segments.clear();
    for (ArrayRef<Operation *> ops : segments) {
      std::optional<std::pair<Operation *, Operation *>> range =
          keepBuffersOutside(ops);
      if (!range)
        continue;
      outline(func, body, Block::iterator(range->first),
              std::next(Block::iterator(range->second)),
              (func.getSymName() + "_segment" + Twine(segmentCount++)).str());
    }
    // What the segments (here or in the branches) recompute may have no
    // user left here.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isRecomputed(&op) && op.use_empty())
        op.erase();
  }
};
} // namespace
