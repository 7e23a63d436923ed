//===- ModelDiagnostics.cpp - Positions in and errors about model files ---===//

#include "netc/Frontend/ModelDiagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::netc;

LineIndex::LineIndex(StringRef buffer) : buffer(buffer) {
  lineStarts.push_back(0);
  for (size_t i = 0, e = buffer.size(); i < e; ++i)
    if (buffer[i] == '\n')
      lineStarts.push_back(i + 1);
}

std::pair<unsigned, unsigned>
LineIndex::lineAndColumn(const char *pos) const {
  size_t offset = std::clamp<size_t>(pos - buffer.begin(), 0, buffer.size());
  // The last line start at or before `offset`.
  auto next = std::upper_bound(lineStarts.begin(), lineStarts.end(), offset);
  size_t line = next - lineStarts.begin();
  return {static_cast<unsigned>(line),
          static_cast<unsigned>(offset - lineStarts[line - 1] + 1)};
}

StringRef LineIndex::lineText(unsigned line) const {
  if (line == 0 || line > lineStarts.size())
    return "";
  size_t begin = lineStarts[line - 1];
  size_t end =
      line < lineStarts.size() ? lineStarts[line] - 1 : buffer.size();
  return buffer.slice(begin, end).rtrim("\r");
}

ModelDiagnosticHandler::ModelDiagnosticHandler(
    const llvm::SourceMgr &sourceMgr, MLIRContext *context, StringRef tool,
    llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context), sourceMgr(sourceMgr), tool(tool),
      os(os) {
  setHandler([this](Diagnostic &diagnostic) {
    print(diagnostic);
    return success();
  });
}

const LineIndex *ModelDiagnosticHandler::indexOf(StringRef file,
                                                 StringRef &buffer) {
  for (unsigned id = 1, e = sourceMgr.getNumBuffers(); id <= e; ++id) {
    const llvm::MemoryBuffer *memory = sourceMgr.getMemoryBuffer(id);
    if (memory->getBufferIdentifier() != file)
      continue;
    buffer = memory->getBuffer();
    // Buffers may be added after the handler is installed.
    if (indexes.size() < id)
      indexes.resize(sourceMgr.getNumBuffers());
    if (!indexes[id - 1])
      indexes[id - 1] = std::make_unique<LineIndex>(buffer);
    return indexes[id - 1].get();
  }
  return nullptr;
}

static StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Note:
    return "note";
  case DiagnosticSeverity::Remark:
    return "remark";
  }
  llvm_unreachable("unknown severity");
}

/// Writes `text` with control characters (a hostile file's terminal
/// escapes among them: ASCII and C1 controls) and bytes that are not UTF-8
/// as '?', and tabs as one space, so that the caret under a quoted line
/// still lines up.
static void writePrintable(llvm::raw_ostream &os, StringRef text) {
  const auto *bytes = reinterpret_cast<const llvm::UTF8 *>(text.data());
  const llvm::UTF8 *end = bytes + text.size();
  while (bytes < end) {
    llvm::UTF8 c = *bytes;
    if (c < 0x80) {
      os << (c == '\t' ? ' ' : llvm::isPrint(c) ? char(c) : '?');
      ++bytes;
      continue;
    }
    const llvm::UTF8 *start = bytes;
    llvm::UTF32 codePoint;
    if (llvm::convertUTF8Sequence(&bytes, end, &codePoint,
                                  llvm::strictConversion) !=
            llvm::conversionOK ||
        codePoint < 0xA0) {
      os << '?';
      bytes = start + 1;
      continue;
    }
    os << StringRef(reinterpret_cast<const char *>(start), bytes - start);
  }
}

void ModelDiagnosticHandler::print(Diagnostic &diagnostic) {
  if (diagnostic.getSeverity() == DiagnosticSeverity::Error &&
      ++errors > kMaxErrors) {
    if (errors == kMaxErrors + 1)
      os << tool << ": too many errors; the rest are not shown\n";
    return;
  }
  // Ops sit at NameLoc(id, file:line:col); look through such wrappers.
  FileLineColLoc position;
  diagnostic.getLocation()->walk([&](Location loc) {
    position = dyn_cast<FileLineColLoc>(loc);
    return position ? WalkResult::interrupt() : WalkResult::advance();
  });
  StringRef severity = severityName(diagnostic.getSeverity());
  std::string message = diagnostic.str();
  if (!position) {
    os << tool << ": " << severity << ": ";
    writePrintable(os, message);
    os << "\n";
  } else {
    unsigned line = position.getLine(), column = position.getColumn();
    os << position.getFilename().getValue() << ":" << line << ":" << column
       << ": " << severity << ": ";
    writePrintable(os, message);
    os << "\n";
    StringRef buffer;
    if (const LineIndex *index = indexOf(position.getFilename(), buffer)) {
      // A window of the line that ends or starts at the line's ends, or
      // is centred on the column.
      StringRef text = index->lineText(line);
      size_t col = std::min<size_t>(column ? column - 1 : 0, text.size());
      size_t begin = 0;
      if (text.size() > kQuotedColumns)
        begin = std::min(col > kQuotedColumns / 2 ? col - kQuotedColumns / 2
                                                  : 0,
                         text.size() - kQuotedColumns);
      StringRef window = text.substr(begin, kQuotedColumns);
      StringRef before = begin > 0 ? "..." : "";
      StringRef after = begin + window.size() < text.size() ? "..." : "";
      os << before;
      writePrintable(os, window);
      os << after << "\n"
         << std::string(before.size() + col - begin, ' ') << "^\n";
    }
  }
  for (Diagnostic &note : diagnostic.getNotes())
    print(note);
}
