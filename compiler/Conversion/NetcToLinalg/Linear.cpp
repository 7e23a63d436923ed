//===- Linear.cpp - netc Linear ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populateLinearPatterns(RewritePatternSet &patterns) {}
