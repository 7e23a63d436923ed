//===- InitAll.cpp - Register everything netc defines ---------------------===//

#include "netc/InitAll.h"
#include "netc/CPU/Passes.h"
#include "netc/Codegen/Passes.h"
#include "netc/Conversion/Passes.h"
#include "netc/Dialect/NetcDialect.h"
#include "netc/Pipelines/Pipelines.h"
#include "netc/Transforms/Passes.h"

void mlir::netc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<NetcDialect>();
}

void mlir::netc::registerAllPasses() {
  registerNetcConversionPasses();
  registerNetcTransformsPasses();
  registerNetcCodegenPasses();
  registerNetcCPUPasses();
  registerPipelines();
}
