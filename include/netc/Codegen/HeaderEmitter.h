//===- HeaderEmitter.h - The C header of a compiled model -------*- C++ -*-===//
#ifndef NETC_CODEGEN_HEADEREMITTER_H
#define NETC_CODEGEN_HEADEREMITTER_H

#include "netc/Dialect/ModelSignature.h"

#include "llvm/Support/raw_ostream.h"

namespace mlir::netc {

/// Writes the C header that declares a model's entry points and describes its
/// parameter buffer (netc_model_info), documented for the reader; with a
/// `training` signature, the training entry points too.
void emitHeader(const ModelSignature &signature,
                const std::optional<TrainingSignature> &training,
                llvm::raw_ostream &os);

} // namespace mlir::netc

#endif // NETC_CODEGEN_HEADEREMITTER_H
