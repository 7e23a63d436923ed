//===- OutlineSegments.cpp - Long functions as a chain of calls -----------===//
//
// Implements netc-outline-segments (see Passes.td): keeps the time of the
// lowering to LLVM and of LLVM's optimizer linear in the number of layers.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Outlining.h"
#include "netc/Codegen/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCOUTLINESEGMENTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

/// Moves the ops [begin, end) of `func`'s body into a new private function
/// `name` and calls it in their place.
static void outline(func::FuncOp func, Block::iterator begin,
                    Block::iterator end, StringRef name) {
  Block &body = func.getBody().front();
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
    Operation *top = owner == func ? nullptr : topLevel(owner);
    return top && inside.contains(top);
  };

  // Values defined before the segment and used in it; results used after.
  llvm::SetVector<Value> inputs;
  SmallVector<Operation *> constants;
  for (Operation &op : llvm::make_range(begin, end))
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        if (definedInside(operand))
          continue;
        Operation *def = operand.getDefiningOp();
        if (def && def->getBlock() == &body && netc::isClonedConstant(def))
          constants.push_back(def);
        else
          inputs.insert(operand);
      }
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
  IRMapping cloned;
  for (Operation *constant : constants)
    if (!cloned.contains(constant->getResult(0)))
      builder.clone(*constant, cloned);
  auto inSegment = [&](OpOperand &use) {
    return use.getOwner()->getParentOfType<func::FuncOp>() == segment;
  };
  for (auto [input, argument] : llvm::zip(inputs, entry->getArguments()))
    Value(input).replaceUsesWithIf(argument, inSegment);
  for (auto [from, to] : cloned.getValueMap())
    Value(from).replaceUsesWithIf(to, inSegment);
  for (auto [output, result] : llvm::zip(outputs, call.getResults()))
    Value(output).replaceUsesWithIf(result, [&](OpOperand &use) {
      return !inSegment(use);
    });
  builder.setInsertionPointToEnd(entry);
  func::ReturnOp::create(builder, func.getLoc(), outputs.getArrayRef());
}

/// Moves the allocations among the consecutive ops `ops` whose buffers
/// outlive them (and whose sizes are known before them) ahead of them, so
/// that those buffers belong to the function being cut rather than to a
/// segment: the segment borrows them instead of returning them, and what
/// the function keeps alive between calls is a pointer per buffer, not a
/// memref descriptor (a training step holds every activation for its
/// backward pass). Buffers used only inside stay there, so peak memory is
/// unchanged. Returns the first and last of the ops left, if any.
static std::optional<std::pair<Operation *, Operation *>>
keepBuffersOutside(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 32> inRange(ops.begin(), ops.end());
  Block *block = ops.front()->getBlock();
  SmallVector<Operation *> hoisted, rest;
  for (Operation *op : ops) {
    bool sizesBefore = llvm::all_of(op->getOperands(), [&](Value size) {
      Operation *def = size.getDefiningOp();
      return !def || !inRange.contains(def);
    });
    bool outlives = llvm::any_of(op->getUsers(), [&](Operation *user) {
      return !inRange.contains(block->findAncestorOpInBlock(*user));
    });
    if (isa<memref::AllocOp>(op) && sizesBefore && outlives)
      hoisted.push_back(op);
    else
      rest.push_back(op);
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
      Block &body = func.getBody().front();
      // Segment boundaries: every opsPerSegment counted ops.
      SmallVector<Operation *> starts;
      unsigned counted = 0;
      for (Operation &op : body.without_terminator()) {
        if (netc::isClonedConstant(&op))
          continue;
        if (counted++ % opsPerSegment == 0)
          starts.push_back(&op);
      }
      if (starts.size() < 2)
        continue;
      SmallVector<SmallVector<Operation *>> segments;
      for (auto [i, start] : llvm::enumerate(starts)) {
        Operation *end = i + 1 < starts.size() ? starts[i + 1]
                                               : body.getTerminator();
        segments.push_back(llvm::map_to_vector(
            llvm::make_range(Block::iterator(start), Block::iterator(end)),
            [](Operation &op) { return &op; }));
      }
      for (auto [i, ops] : llvm::enumerate(segments)) {
        std::optional<std::pair<Operation *, Operation *>> range =
            keepBuffersOutside(ops);
        if (!range)
          continue;
        outline(func, Block::iterator(range->first),
                std::next(Block::iterator(range->second)),
                (func.getSymName() + "_segment" + Twine(i)).str());
      }
      // Constants the segments cloned may have no user left here.
      for (Operation &op : llvm::make_early_inc_range(body))
        if (netc::isClonedConstant(&op) && op.use_empty())
          op.erase();
    }
  }
};
} // namespace
