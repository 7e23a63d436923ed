//===- NetcOps.h - netc layer ops -------------------------------*- C++ -*-===//
#ifndef NETC_DIALECT_NETCOPS_H
#define NETC_DIALECT_NETCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "netc/Dialect/NetcDialect.h"
#include "netc/Dialect/NetcInterfaces.h"
#include "netc/Dialect/NetcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "netc/Dialect/NetcAttrs.h.inc"

#define GET_OP_CLASSES
#include "netc/Dialect/NetcOps.h.inc"

#endif // NETC_DIALECT_NETCOPS_H
