//===- Outlining.h - Functions that netc's passes outline -------*- C++ -*-===//
#ifndef NETC_CODEGEN_OUTLINING_H
#define NETC_CODEGEN_OUTLINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::netc {

/// Whether `op` is a constant that outlined functions clone rather than
/// take as an argument.
inline bool isClonedConstant(Operation *op) {
  return op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
         op->hasTrait<OpTrait::ConstantLike>();
}

/// Makes `callee`, outlined from a function, private to the object: LLVM
/// internal linkage (not exported; unused arguments and results, such as the
/// constant sizes and strides of memref descriptors, are dropped) and
/// noinline (it stays one function, compiled once, however often it is
/// called). convert-func-to-llvm carries both attributes over.
inline void markOutlined(func::FuncOp callee) {
  MLIRContext *context = callee.getContext();
  callee.setPrivate();
  callee->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(context, LLVM::Linkage::Internal));
  callee->setAttr("passthrough",
                  ArrayAttr::get(context, {StringAttr::get(context, "noinline")}));
}

} // namespace mlir::netc

#endif // NETC_CODEGEN_OUTLINING_H
