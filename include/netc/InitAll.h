//===- InitAll.h - Register everything netc defines -------------*- C++ -*-===//
#ifndef NETC_INITALL_H
#define NETC_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir::netc {
/// Adds the netc dialect and the dialects its passes create to `registry`.
void registerAllDialects(DialectRegistry &registry);
/// Registers netc's passes and textual pipelines with the global registry.
void registerAllPasses();
} // namespace mlir::netc

#endif // NETC_INITALL_H
