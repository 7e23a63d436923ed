//===- Normalization.cpp - netc Normalization ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populateNormalizationPatterns(RewritePatternSet &patterns) {}
