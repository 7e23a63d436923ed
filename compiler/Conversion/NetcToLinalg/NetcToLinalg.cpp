//===- NetcToLinalg.cpp - Lower netc ops to linalg ------------------------===//
//
// Implements convert-netc-to-linalg. Op patterns live in the per-family files
// (Convolution.cpp, Pooling.cpp, ...); this file only assembles them.
//
//===----------------------------------------------------------------------===//

#include "netc/Conversion/Passes.h"
#include "netc/Dialect/NetcOps.h"

#include "PopulatePatterns.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::netc {
#define GEN_PASS_DEF_CONVERTNETCTOLINALG
#include "netc/Conversion/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
struct ConvertNetcToLinalg
    : public netc::impl::ConvertNetcToLinalgBase<ConvertNetcToLinalg> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    // Only netc is illegal: whatever else the function holds stays as is,
    // and the ops the patterns create (linalg, tensor, arith, math) are
    // legal. Unknown ops must be marked so explicitly, or the driver rejects
    // every pattern that creates one.
    target.addIllegalDialect<NetcDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    lowerPoolsWithGradients(getOperation());
    RewritePatternSet patterns(context);
    populateConvolutionPatterns(patterns);
    populatePoolingPatterns(patterns);
    populateLinearPatterns(patterns);
    populateActivationPatterns(patterns);
    populateNormalizationPatterns(patterns);
    populateShapePatterns(patterns);
    populateLossPatterns(patterns);
    populateOptimizerPatterns(patterns);

    // A netc op left unconverted is reported (with the patterns'
    // match-failure reasons under -debug) and fails the pass.
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
