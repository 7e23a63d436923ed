//===- ModelDiagnostics.h - Positions in and errors about model files -*- C++ -*-===//
//
// Model files can be large and may be written on one line, so positions are
// found through a line index (logarithmic, where llvm::SourceMgr scans the
// line for a column) and diagnostics quote a window of the line around the
// column (not the whole line), up to a bounded number of errors.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_FRONTEND_MODELDIAGNOSTICS_H
#define NETC_FRONTEND_MODELDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/SourceMgr.h"

#include <vector>

namespace mlir::netc {

/// The start of every line of a buffer, for position lookups in O(log n).
class LineIndex {
public:
  explicit LineIndex(StringRef buffer);

  /// 1-based line and column (in bytes, as llvm::SourceMgr counts them) of
  /// `pos`, a pointer into the buffer or one past its end.
  std::pair<unsigned, unsigned> lineAndColumn(const char *pos) const;

  /// The text of 1-based line `line`, without its line break; empty if
  /// there is no such line.
  StringRef lineText(unsigned line) const;

private:
  StringRef buffer;
  std::vector<size_t> lineStarts;
};

/// Prints the context's diagnostics while it is alive:
///
///   model.json:12:7: error: layer 'conv1': ...
///   {"id": "conv1", "op": "conv2d", "out_channels": 0, ...
///                                                   ^
///
/// with at most `kQuotedColumns` characters of the line around the column,
/// and after `kMaxErrors` errors a single line saying that the rest are left
/// out. A diagnostic with no file position prints as "<tool>: error: ...".
class ModelDiagnosticHandler : public ScopedDiagnosticHandler {
public:
  static constexpr unsigned kMaxErrors = 50;
  static constexpr unsigned kQuotedColumns = 120;

  ModelDiagnosticHandler(const llvm::SourceMgr &sourceMgr,
                         MLIRContext *context, StringRef tool,
                         llvm::raw_ostream &os);

private:
  void print(Diagnostic &diagnostic);
  /// The index of the buffer named `file`, or null if it is not loaded.
  const LineIndex *indexOf(StringRef file, StringRef &buffer);

  const llvm::SourceMgr &sourceMgr;
  std::string tool;
  llvm::raw_ostream &os;
  unsigned errors = 0;
  /// Built on first use, per buffer of `sourceMgr`.
  std::vector<std::unique_ptr<LineIndex>> indexes;
};

} // namespace mlir::netc

#endif // NETC_FRONTEND_MODELDIAGNOSTICS_H
