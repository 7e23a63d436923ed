//===- Activation.cpp - netc Activation ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populateActivationPatterns(RewritePatternSet &patterns) {}
