//===- NetcDialect.cpp - The netc dialect ---------------------------------===//

#include "netc/Dialect/NetcDialect.h"
#include "netc/Dialect/NetcOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::netc;

#include "netc/Dialect/NetcEnums.cpp.inc"
#include "netc/Dialect/NetcOpsDialect.cpp.inc"
#include "netc/Dialect/NetcInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "netc/Dialect/NetcAttrs.cpp.inc"

void NetcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "netc/Dialect/NetcOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "netc/Dialect/NetcAttrs.cpp.inc"
      >();
}
