//===- BarePointerKernels.cpp - Kernels take pointers and sizes ------------===//
//
// Implements netc-bare-pointer-kernels (see Passes.td): each kernel takes
// every buffer as a pointer and its dynamic sizes, and rebuilds the memref
// inside.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCBAREPOINTERKERNELS
#include "netc/Codegen/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;

/// The buffers a kernel can take as a pointer: contiguous row-major memrefs
/// (offset 0) in the default memory space.
static bool isPlainBuffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity() && !memref.getMemorySpace();
}

/// The memref of `type` at `pointer`, whose dynamic sizes are `sizes`.
static Value rebuild(OpBuilder &builder, Location loc, MemRefType type,
                     Value pointer, ValueRange sizes) {
  SmallVector<OpFoldResult> shape;
  auto size = sizes.begin();
  for (int64_t dim : type.getShape())
    shape.push_back(ShapedType::isDynamic(dim) ? OpFoldResult(*size++)
                                               : builder.getIndexAttr(dim));
  // Row-major strides: the product of the sizes to the right.
  SmallVector<OpFoldResult> strides(type.getRank());
  int64_t staticStride = 1;
  Value dynamicStride;
  for (int64_t i = type.getRank() - 1; i >= 0; --i) {
    Value constant;
    if (dynamicStride) {
      constant = arith::ConstantIndexOp::create(builder, loc, staticStride);
      strides[i] = arith::MulIOp::create(builder, loc, dynamicStride, constant)
                       .getResult();
    } else {
      strides[i] = builder.getIndexAttr(staticStride);
    }
    if (ShapedType::isDynamic(type.getDimSize(i))) {
      Value dim = cast<Value>(shape[i]);
      dynamicStride =
          dynamicStride ? arith::MulIOp::create(builder, loc, dynamicStride, dim)
                              .getResult()
                        : dim;
    } else {
      staticStride *= type.getDimSize(i);
    }
  }
  return memref::ReinterpretCastOp::create(builder, loc, type, pointer,
                                           builder.getIndexAttr(0), shape,
                                           strides);
}

namespace {
struct NetcBarePointerKernels
    : public netc::impl::NetcBarePointerKernelsBase<NetcBarePointerKernels> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::MapVector<func::FuncOp, SmallVector<func::CallOp>> calls;
    for (auto kernel : module.getOps<func::FuncOp>())
      if (kernel->hasAttr(netc::kKernelAttr) && !kernel.isExternal() &&
          kernel.getNumResults() == 0 &&
          llvm::all_of(kernel.getArgumentTypes(), [](Type type) {
            return !isa<BaseMemRefType>(type) || isPlainBuffer(type);
          }))
        calls[kernel];
    module.walk([&](func::CallOp call) {
      auto kernel = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (auto it = calls.find(kernel); it != calls.end())
        it->second.push_back(call);
    });
    for (auto &[kernel, kernelCalls] : calls)
      rewrite(kernel, kernelCalls);
  }

  /// Gives `kernel` a pointer and the dynamic sizes for each buffer, and
  /// `calls` the matching operands.
  static void rewrite(func::FuncOp kernel, ArrayRef<func::CallOp> calls) {
    OpBuilder builder(kernel.getContext());
    Block &entry = kernel.getBody().front();
    Location loc = kernel.getLoc();
    unsigned oldArguments = entry.getNumArguments();
    SmallVector<Type> types;
    builder.setInsertionPointToStart(&entry);
    for (unsigned i = 0; i < oldArguments; ++i) {
      Value argument = entry.getArgument(i);
      auto type = dyn_cast<MemRefType>(argument.getType());
      if (!type) {
        types.push_back(argument.getType());
        argument.replaceAllUsesWith(entry.addArgument(argument.getType(), loc));
        continue;
      }
      auto pointerType = MemRefType::get({}, type.getElementType());
      types.push_back(pointerType);
      Value pointer = entry.addArgument(pointerType, loc);
      SmallVector<Value> sizes;
      for (size_t d = 0, e = type.getNumDynamicDims(); d < e; ++d) {
        types.push_back(builder.getIndexType());
        sizes.push_back(entry.addArgument(builder.getIndexType(), loc));
      }
      argument.replaceAllUsesWith(rebuild(builder, loc, type, pointer, sizes));
    }
    entry.eraseArguments(0, oldArguments);
    kernel.setFunctionType(builder.getFunctionType(types, {}));
    // Every buffer argument is now a static rank-0 memref: a plain pointer
    // under the bare-pointer convention.
    kernel->setAttr("llvm.bareptr", builder.getUnitAttr());

    for (func::CallOp call : calls) {
      builder.setInsertionPoint(call);
      SmallVector<Value> operands;
      for (Value operand : call.getOperands()) {
        auto type = dyn_cast<MemRefType>(operand.getType());
        if (!type) {
          operands.push_back(operand);
          continue;
        }
        auto pointerType = MemRefType::get({}, type.getElementType());
        // A view of netc-plan-buffers' arena is viewed at its pointer
        // directly, with the sizes it was given.
        if (auto view = operand.getDefiningOp<memref::ViewOp>()) {
          operands.push_back(memref::ViewOp::create(
              builder, call.getLoc(), pointerType, view.getSource(),
              view.getByteShift(), ValueRange()));
          llvm::append_range(operands, view.getSizes());
          continue;
        }
        operands.push_back(memref::ReinterpretCastOp::create(
            builder, call.getLoc(), pointerType, operand,
            builder.getIndexAttr(0), ArrayRef<OpFoldResult>{},
            ArrayRef<OpFoldResult>{}));
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            operands.push_back(
                memref::DimOp::create(builder, call.getLoc(), operand, d));
      }
      func::CallOp::create(builder, call.getLoc(), kernel, operands);
      // Views of the arena that only this call read (it may read one twice).
      llvm::SetVector<Operation *> views;
      for (Value operand : call.getOperands())
        if (auto view = operand.getDefiningOp<memref::ViewOp>())
          views.insert(view);
      call.erase();
      for (Operation *view : views)
        if (view->use_empty())
          view->erase();
    }
  }
};
} // namespace
