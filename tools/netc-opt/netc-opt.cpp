//===- netc-opt.cpp - netc's mlir-opt -------------------------------------===//
//
// Runs netc's passes and pipelines, with the upstream ones, for lit tests.
//
//===----------------------------------------------------------------------===//

#include "netc/InitAll.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  mlir::netc::registerAllDialects(registry);
  mlir::netc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "netc optimizer driver\n", registry));
}
