//===- GuardEntryPoints.cpp - Exported functions that check and report ----===//
//
// Every function the C ABI exports returns a netc_status and refuses the
// arguments its computation cannot take (NULL pointers, negative batches)
// with a message rather than a crash. The checks live in a wrapper, so the
// computation itself, and everything before this pass, keeps its
// straight-line body.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/EntryPointABI.h"
#include "netc/Codegen/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "netc-c/netc.h"

#include <limits>

namespace mlir::netc {
#define GEN_PASS_DEF_NETCGUARDENTRYPOINTS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
/// `int32_t netc_entry_point_error(int32_t status, const char *message)`.
func::FuncOp getErrorFunction(OpBuilder &b, ModuleOp module) {
  if (auto existing =
          module.lookupSymbol<func::FuncOp>(kEntryPointErrorFunction))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto function = func::FuncOp::create(
      b, module.getLoc(), kEntryPointErrorFunction,
      b.getFunctionType(
          {b.getI32Type(), LLVM::LLVMPointerType::get(b.getContext())},
          {b.getI32Type()}));
  function.setPrivate();
  return function;
}

/// Builds the exported function in place of `body`.
class Guard {
public:
  Guard(OpBuilder &b, ModuleOp module, func::FuncOp body,
        const EntryPointABI &abi)
      : b(b), module(module), body(body), abi(abi), loc(body.getLoc()) {}

  /// `maxBatch`: the most samples whose buffers' sizes in bytes fit in 64
  /// bits.
  void build(int64_t maxBatch) {
    std::string name = body.getSymName().str();
    auto paramFloats = body->getAttrOfType<IntegerAttr>(kParamFloatsAttrName);
    body.setSymName(name + ".body");
    body.setPrivate();
    for (StringRef attr :
         {kEntryPointAttrName, kParamFloatsAttrName, kSampleBytesAttrName})
      body->removeAttr(attr);

    b.setInsertionPointAfter(body);
    FunctionType type = body.getFunctionType();
    auto exported = func::FuncOp::create(
        b, loc, name, b.getFunctionType(type.getInputs(), {b.getI32Type()}));
    // The C ABI: pointers as pointers, as the body takes them.
    exported->setAttr("llvm.bareptr", b.getUnitAttr());
    Block *entry = exported.addEntryBlock();
    b.setInsertionPointToStart(entry);

    Value batch = entry->getArgument(abi.index("batch"));
    Value none = arith::ConstantIntOp::create(b, loc, batch.getType(), 0);
    Value least = abi.minBatch ? arith::ConstantIntOp::create(
                                     b, loc, batch.getType(), abi.minBatch)
                               : none;
    refuseIf(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, batch, least),
        name,
        abi.minBatch ? "batch is less than " + std::to_string(abi.minBatch)
                     : std::string("batch is negative"));
    // Larger batches would wrap the sizes of their buffers around.
    if (maxBatch < std::numeric_limits<int64_t>::max()) {
      Value most =
          arith::ConstantIntOp::create(b, loc, batch.getType(), maxBatch);
      refuseIf(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, batch, most),
          name,
          "batch is over " + std::to_string(maxBatch) +
              ", the most samples whose buffers' sizes fit in 64 bits");
    }
    // A pointer to nothing (no samples, no parameters) may be NULL.
    Value hasSamples =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, batch, none);
    bool hasParameters = !paramFloats || paramFloats.getInt() > 0;
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    for (auto [argument, value] :
         llvm::zip_equal(abi.arguments, entry->getArguments())) {
      if (!argument.isPointer() || argument.optional ||
          (argument.extent == ABIExtent::Parameters && !hasParameters))
        continue;
      Value address =
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, value);
      Value null = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         address, zero);
      if (argument.extent == ABIExtent::Samples)
        null = arith::AndIOp::create(b, loc, null, hasSamples);
      refuseIf(null, name, std::string(argument.name) + " is NULL");
    }
    func::CallOp::create(b, loc, body, entry->getArguments());
    func::ReturnOp::create(b, loc, status(NETC_OK));
  }

private:
  Value status(int32_t value) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
  }

  /// Where `condition` holds, reports "<name>: <problem>" and returns
  /// NETC_ERROR_INVALID_ARGUMENT; the builder goes on where it does not.
  void refuseIf(Value condition, StringRef name, StringRef problem) {
    Block *current = b.getInsertionBlock();
    Region *region = current->getParent();
    Block *refuse = b.createBlock(region, region->end());
    Block *next = b.createBlock(region, region->end());
    b.setInsertionPointToEnd(current);
    cf::CondBranchOp::create(b, loc, condition, refuse, next);

    b.setInsertionPointToStart(refuse);
    // A C string: the terminator is ours to add.
    std::string text = (name + ": " + problem).str();
    text.push_back('\0');
    Value message = LLVM::createGlobalString(
        loc, b, ("netc_message_" + name + "_" + Twine(messages++)).str(), text,
        LLVM::Linkage::Internal);
    auto reported = func::CallOp::create(
        b, loc, getErrorFunction(b, module),
        ValueRange{status(NETC_ERROR_INVALID_ARGUMENT), message});
    func::ReturnOp::create(b, loc, reported.getResults());
    b.setInsertionPointToStart(next);
  }

  OpBuilder &b;
  ModuleOp module;
  func::FuncOp body;
  const EntryPointABI &abi;
  Location loc;
  unsigned messages = 0;
};

struct NetcGuardEntryPoints
    : public netc::impl::NetcGuardEntryPointsBase<NetcGuardEntryPoints> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    // The most bytes a sample takes in any one buffer: an argument, or an
    // arena of netc-plan-buffers (batch * bytes per sample + fixed bytes).
    int64_t sampleBytes = 1, fixedBytes = 0;
    module.walk([&](Operation *op) {
      if (auto bytes = op->getAttrOfType<IntegerAttr>(kSampleBytesAttrName))
        sampleBytes = std::max(sampleBytes, bytes.getInt());
      if (auto bytes = op->getAttrOfType<IntegerAttr>(kArenaBytesPerSampleAttr))
        sampleBytes = std::max(sampleBytes, bytes.getInt());
      if (auto bytes = op->getAttrOfType<IntegerAttr>(kArenaFixedBytesAttr))
        fixedBytes = std::max(fixedBytes, bytes.getInt());
    });
    int64_t maxBatch =
        (std::numeric_limits<int64_t>::max() - fixedBytes) / sampleBytes;
    for (auto function : llvm::to_vector(module.getOps<func::FuncOp>())) {
      auto suffix = function->getAttrOfType<StringAttr>(kEntryPointAttrName);
      if (!suffix)
        continue;
      const EntryPointABI *abi = lookupEntryPointABI(suffix.getValue());
      if (!abi) {
        function.emitError("not an entry point of the C ABI: ") << suffix;
        return signalPassFailure();
      }
      if (abi->arguments.size() != function.getNumArguments()) {
        function.emitError("has ")
            << function.getNumArguments() << " arguments; the C ABI's "
            << suffix << " takes " << abi->arguments.size();
        return signalPassFailure();
      }
      Guard(b, module, function, *abi).build(maxBatch);
    }
  }
};
} // namespace
