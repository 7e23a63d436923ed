//===- PopulatePatterns.h - netc-to-linalg pattern families -----*- C++ -*-===//
//
// Each family file (Convolution.cpp, Pooling.cpp, ...) adds the patterns for
// its ops. Every pattern follows one recipe:
//   1. read the op's static attributes (verified by the op, so trusted),
//   2. create the init tensor (tensor.empty with the dynamic batch taken from
//      the input by tensor.dim) and fill it with the reduction's identity,
//   3. create a named linalg op where one fits the case, else linalg.generic,
//   4. replace the op; a case no pattern handles is a notifyMatchFailure.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_CONVERSION_NETCTOLINALG_POPULATEPATTERNS_H
#define NETC_CONVERSION_NETCTOLINALG_POPULATEPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::netc {
void populateConvolutionPatterns(RewritePatternSet &patterns);
void populatePoolingPatterns(RewritePatternSet &patterns);
void populateLinearPatterns(RewritePatternSet &patterns);
void populateActivationPatterns(RewritePatternSet &patterns);
void populateNormalizationPatterns(RewritePatternSet &patterns);
void populateShapePatterns(RewritePatternSet &patterns);
void populateLossPatterns(RewritePatternSet &patterns);
void populateOptimizerPatterns(RewritePatternSet &patterns);

/// Lowers each max or min pooling under `root` whose gradient is taken too
/// (the forward pass of a training function) together with that gradient:
/// one search of each window gives both the pooled value and the winner
/// the gradient goes to. Runs before the patterns, which lower the rest.
void lowerPoolsWithGradients(Operation *root);
} // namespace mlir::netc

#endif // NETC_CONVERSION_NETCTOLINALG_POPULATEPATTERNS_H
