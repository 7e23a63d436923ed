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

/// Whether `op` is a constant: cloned into each segment rather than passed.
static bool isConstant(Operation *op) {
  return op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         op->hasTrait<OpTrait::ConstantLike>();
}

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
        if (def && def->getBlock() == &body && isConstant(def))
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
        if (isConstant(&op))
          continue;
        if (counted++ % opsPerSegment == 0)
          starts.push_back(&op);
      }
      if (starts.size() < 2)
        continue;
      for (auto [i, start] : llvm::enumerate(starts)) {
        Block::iterator end = i + 1 < starts.size()
                                  ? Block::iterator(starts[i + 1])
                                  : Block::iterator(body.getTerminator());
        outline(func, Block::iterator(start), end,
                (func.getSymName() + "_segment" + Twine(i)).str());
      }
      // Constants the segments cloned may have no user left here.
      for (Operation &op : llvm::make_early_inc_range(body))
        if (isConstant(&op) && op.use_empty())
          op.erase();
    }
  }
};
} // namespace
