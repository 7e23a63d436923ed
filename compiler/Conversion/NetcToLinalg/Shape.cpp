//===- Shape.cpp - netc Shape ops to linalg ---------------------------------===//
// (in progress)
#include "PopulatePatterns.h"
void mlir::netc::populateShapePatterns(RewritePatternSet &patterns) {}
