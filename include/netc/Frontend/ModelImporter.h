//===- ModelImporter.h - JSON model files to the netc dialect ---*- C++ -*-===//
#ifndef NETC_FRONTEND_MODELIMPORTER_H
#define NETC_FRONTEND_MODELIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::netc {

/// Parses, checks and shape-infers the model file held in `sourceMgr`'s main
/// buffer and imports it as a module holding one `netc.model` function.
/// Every problem in the file is reported through `context`'s diagnostic
/// engine, located at the offending JSON value (file:line:col); returns null
/// if there was any. Never aborts on bad input.
///
/// Each op is located at `NameLoc(<qualified layer id>, <file:line:col of the
/// layer object>)`, e.g. "incep1.branch5x5_2"; parameters are the function's
/// arguments after the input, named by `netc.param` in layer order.
OwningOpRef<ModuleOp> importModel(llvm::SourceMgr &sourceMgr,
                                  MLIRContext &context);

} // namespace mlir::netc

#endif // NETC_FRONTEND_MODELIMPORTER_H
