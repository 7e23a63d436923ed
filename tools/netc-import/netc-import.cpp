//===- netc-import.cpp - Import a model file and print its IR -------------===//
//
// A test tool for the frontend: imports one JSON model file and prints the
// module, or prints the diagnostics as file:line:col: error: ... and exits 1.
// MLIR's printing options apply (--mlir-print-debuginfo shows locations).
//
//===----------------------------------------------------------------------===//

#include "netc/Frontend/ModelDiagnostics.h"
#include "netc/Frontend/ModelImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                       llvm::cl::desc("<model.json>"),
                                       llvm::cl::Required);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "netc frontend test driver\n");

  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (std::error_code ec = file.getError()) {
    llvm::errs() << "error: cannot read '" << inputFile
                 << "': " << ec.message() << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  mlir::MLIRContext context;
  mlir::netc::ModelDiagnosticHandler diagnostics(sourceMgr, &context,
                                                 "netc-import", llvm::errs());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::netc::importModel(sourceMgr, context);
  if (!module)
    return 1;
  module->print(llvm::outs());
  llvm::outs() << "\n";
  return 0;
}
