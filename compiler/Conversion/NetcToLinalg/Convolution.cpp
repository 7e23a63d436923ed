//===- Convolution.cpp - netc Convolution ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populateConvolutionPatterns(RewritePatternSet &patterns) {}
