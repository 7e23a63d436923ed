//===- PlanBuffers.cpp - One allocation per call, buffers placed by lifetime =//
//
// Implements netc-plan-buffers (see Passes.td): replays a block's
// allocations and frees on a simulated heap, then makes each buffer a view
// at its place in one allocation.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

#include <map>

namespace mlir::netc {
#define GEN_PASS_DEF_NETCPLANBUFFERS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

namespace {
/// Buffers are placed at multiples of this many bytes (of bytes per sample
/// for batch-sized ones), the alignment bufferization gives allocations.
constexpr int64_t kAlignment = 64;

/// First-fit placement in a heap that only grows: what the arena would hold
/// if the block's allocations and frees ran in order on it.
class SimulatedHeap {
public:
  int64_t allocate(int64_t size) {
    for (auto it = free.begin(); it != free.end(); ++it) {
      auto [offset, length] = *it;
      if (length < size)
        continue;
      free.erase(it);
      if (length > size)
        free[offset + size] = length - size;
      return offset;
    }
    // Grow the heap, starting in the free block at its top if there is one.
    int64_t offset = top;
    if (!free.empty() && std::prev(free.end())->first +
                                 std::prev(free.end())->second == top) {
      offset = std::prev(free.end())->first;
      free.erase(std::prev(free.end()));
    }
    top = offset + size;
    return offset;
  }

  void release(int64_t offset, int64_t size) {
    auto [it, inserted] = free.emplace(offset, size);
    assert(inserted && "released twice");
    // Merge with the free neighbours.
    if (auto next = std::next(it);
        next != free.end() && it->first + it->second == next->first) {
      it->second += next->second;
      free.erase(next);
    }
    if (it != free.begin()) {
      auto previous = std::prev(it);
      if (previous->first + previous->second == it->first) {
        previous->second += it->second;
        free.erase(it);
      }
    }
  }

  int64_t size() const { return top; }

private:
  std::map<int64_t, int64_t> free; // offset -> length
  int64_t top = 0;
};

/// A buffer the arena takes over: its size, in bytes or bytes per sample,
/// and where it was placed.
struct Placement {
  int64_t size = 0;
  bool perSample = false;
  int64_t offset = 0;
};

/// The value a dynamic size stands for: `memref.dim` of a buffer or view
/// (the batch size read back from an activation) is the size that buffer or
/// view was made with.
Value resolveSize(Value size) {
  auto dim = size.getDefiningOp<memref::DimOp>();
  std::optional<int64_t> constantIndex =
      dim ? dim.getConstantIndex() : std::nullopt;
  if (!constantIndex)
    return size;
  Value memref = dim.getSource();
  int64_t index = *constantIndex;
  while (Operation *def = memref.getDefiningOp()) {
    auto type = cast<MemRefType>(memref.getType());
    if (!type.isDynamicDim(index))
      return size;
    if (isa<memref::AllocOp, memref::ViewOp>(def))
      return resolveSize(
          def->getOperand(def->getNumOperands() - type.getNumDynamicDims() +
                          type.getDynamicDimIndex(index)));
    // A dynamic size of these is a value.
    if (auto reinterpret = dyn_cast<memref::ReinterpretCastOp>(def))
      return resolveSize(cast<Value>(reinterpret.getMixedSizes()[index]));
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(def))
      return resolveSize(cast<Value>(expand.getMixedOutputShape()[index]));
    auto collapse = dyn_cast<memref::CollapseShapeOp>(def);
    if (!collapse || collapse.getReassociationIndices()[index].size() != 1)
      return size;
    index = collapse.getReassociationIndices()[index].front();
    memref = collapse.getSrc();
  }
  return size;
}

struct NetcPlanBuffers
    : public netc::impl::NetcPlanBuffersBase<NetcPlanBuffers> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    planBlock(func.getBody().front());
    // The branches of conditionals (the input gradient computed on
    // request) get arenas of their own.
    func.walk([&](scf::IfOp conditional) {
      for (Region &branch : conditional->getRegions())
        if (branch.hasOneBlock())
          planBlock(branch.front());
    });
  }

  /// Where the arena can hold `alloc`: its bytes (per sample when its one
  /// dynamic size is `batch`) rounded up to kAlignment; nullopt when it
  /// cannot or the buffer is empty.
  static std::optional<Placement> sizeOf(memref::AllocOp alloc, Value batch) {
    MemRefType type = alloc.getType();
    if (!type.getLayout().isIdentity() || type.getMemorySpace() ||
        !type.getElementType().isIntOrFloat() ||
        type.getElementTypeBitWidth() % 8 != 0 ||
        !alloc.getSymbolOperands().empty() || type.getNumDynamicDims() > 1 ||
        llvm::any_of(alloc.getDynamicSizes(),
                     [&](Value size) { return resolveSize(size) != batch; }))
      return std::nullopt;
    Placement placement;
    placement.perSample = type.getNumDynamicDims() == 1;
    placement.size = type.getElementTypeBitWidth() / 8;
    for (int64_t dim : type.getShape())
      if (!ShapedType::isDynamic(dim))
        placement.size *= dim;
    // An empty buffer needs no place (and the heap keeps no empty blocks).
    if (placement.size == 0)
      return std::nullopt;
    placement.size = llvm::alignTo(placement.size, kAlignment);
    return placement;
  }

  void planBlock(Block &block) {
    // The buffers allocated and freed in this block. Batch-sized ones must
    // share one size value: the first one met.
    Value batch;
    llvm::MapVector<Operation *, Placement> buffers;
    llvm::DenseMap<Operation *, Operation *> allocOfFree;
    for (auto alloc : block.getOps<memref::AllocOp>()) {
      auto frees = llvm::filter_to_vector(alloc->getUsers(),
                                          llvm::IsaPred<memref::DeallocOp>);
      if (frees.size() != 1 || frees.front()->getBlock() != &block)
        continue;
      if (!batch && alloc.getDynamicSizes().size() == 1)
        batch = resolveSize(alloc.getDynamicSizes().front());
      if (std::optional<Placement> placement = sizeOf(alloc, batch)) {
        buffers[alloc] = *placement;
        allocOfFree[frees.front()] = alloc;
      }
    }
    // The arena is allocated once the batch size is known: buffers before
    // that stay as they are.
    if (Operation *def = batch ? batch.getDefiningOp() : nullptr) {
      // (Known before the block when defined outside it.)
      if (Operation *known = block.findAncestorOpInBlock(*def))
        buffers.remove_if(
            [&](auto &entry) { return entry.first->isBeforeInBlock(known); });
    }
    if (buffers.size() < 2)
      return;

    // Replay the block's allocations and frees, per kind of size.
    SimulatedHeap fixedHeap, perSampleHeap;
    for (Operation &op : block) {
      if (auto it = buffers.find(&op); it != buffers.end()) {
        Placement &placement = it->second;
        placement.offset =
            (placement.perSample ? perSampleHeap : fixedHeap).allocate(placement.size);
      } else if (Operation *alloc = allocOfFree.lookup(&op);
                 alloc && buffers.contains(alloc)) {
        Placement &placement = buffers[alloc];
        (placement.perSample ? perSampleHeap : fixedHeap)
            .release(placement.offset, placement.size);
      }
    }

    // One allocation, before the first buffer and freed at the end: the
    // batch-sized buffers at batch * offset, the fixed-size ones above them.
    OpBuilder builder(buffers.front().first);
    Location loc = getOperation().getLoc();
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, value);
    };
    auto timesBatch = [&](int64_t value) -> Value {
      if (value == 0)
        return constant(0);
      return arith::MulIOp::create(builder, loc, batch, constant(value));
    };
    int64_t perSampleBytes = perSampleHeap.size();
    int64_t fixedBytes = fixedHeap.size();
    auto aboveBatchSized = [&](int64_t offset) -> Value {
      if (perSampleBytes == 0)
        return constant(offset);
      return arith::AddIOp::create(builder, loc, timesBatch(perSampleBytes),
                                   constant(offset));
    };
    auto arena = memref::AllocOp::create(
        builder, loc,
        MemRefType::get({ShapedType::kDynamic}, builder.getI8Type()),
        ValueRange{aboveBatchSized(fixedBytes)},
        builder.getI64IntegerAttr(kAlignment));
    arena->setAttr(netc::kArenaBytesPerSampleAttr,
                   builder.getI64IntegerAttr(perSampleBytes));
    arena->setAttr(netc::kArenaFixedBytesAttr,
                   builder.getI64IntegerAttr(fixedBytes));

    for (auto &[op, placement] : buffers) {
      auto alloc = cast<memref::AllocOp>(op);
      builder.setInsertionPoint(alloc);
      loc = alloc.getLoc();
      Value shift = placement.perSample ? timesBatch(placement.offset)
                                        : aboveBatchSized(placement.offset);
      auto view = memref::ViewOp::create(
          builder, loc, alloc.getType(), arena, shift,
          placement.perSample ? ValueRange{batch} : ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view.getResult());
      alloc.erase();
    }
    builder.setInsertionPoint(block.getTerminator());
    memref::DeallocOp::create(builder, block.getTerminator()->getLoc(), arena);
  }
};
} // namespace
