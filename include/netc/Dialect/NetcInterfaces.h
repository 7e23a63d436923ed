//===- NetcInterfaces.h - netc op interfaces --------------------*- C++ -*-===//
#ifndef NETC_DIALECT_NETCINTERFACES_H
#define NETC_DIALECT_NETCINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "netc/Dialect/NetcInterfaces.h.inc"

#endif // NETC_DIALECT_NETCINTERFACES_H
