//===- Pooling.cpp - netc Pooling ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populatePoolingPatterns(RewritePatternSet &patterns) {}
