//===- ModelAST.h - A model file as parsed ----------------------*- C++ -*-===//
//
// Private to the frontend. The parser turns the model file into a tree of
// JSON values, each knowing where it starts in the source, so the importer can
// point every diagnostic at the value at fault. The tree is deliberately
// plain JSON: what the values mean (layers, modules, attributes) is decided
// by the importer, after "$param" substitution.
//
//===----------------------------------------------------------------------===//
#ifndef NETC_FRONTEND_MODELAST_H
#define NETC_FRONTEND_MODELAST_H

#include "netc/Frontend/ModelDiagnostics.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::netc::frontend {

struct JsonMember;

/// One JSON value and the source position of its first character.
struct JsonValue {
  enum class Kind { Null, Bool, Integer, Float, String, Array, Object };

  Kind kind = Kind::Null;
  llvm::SMLoc loc;
  bool boolean = false;
  /// Integer: the value, saturated to int64's range when the source spelled
  /// a larger one (range checks then reject it; `text` keeps the spelling).
  int64_t integer = 0;
  /// Float: the value.
  double number = 0.0;
  /// String: the decoded string. Integer, Float: the number as spelled.
  std::string text;
  /// Array: the elements, in order.
  std::vector<JsonValue> elements;
  /// Object: the members, in source order.
  std::vector<JsonMember> members;

  bool isNull() const { return kind == Kind::Null; }
  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }
  bool isInteger() const { return kind == Kind::Integer; }
  bool isNumber() const { return kind == Kind::Integer || kind == Kind::Float; }
  bool isBool() const { return kind == Kind::Bool; }

  /// The member `key` of an object, or null if there is none.
  const JsonMember *findMember(llvm::StringRef key) const;
  /// The value of member `key` of an object, or null if there is none.
  const JsonValue *get(llvm::StringRef key) const;
};

/// A key of a JSON object with its value.
struct JsonMember {
  std::string key;
  llvm::SMLoc keyLoc;
  JsonValue value;
};

/// Describes a value for "expected X, got Y" messages: numbers as spelled,
/// strings quoted, containers by kind ("a list", "an object").
std::string describeJson(const JsonValue &value);

/// Reports a problem at a position of the model file.
using JsonErrorFn = llvm::function_ref<void(llvm::SMLoc, const llvm::Twine &)>;

/// Parses the main buffer of `sourceMgr` (whose `lines` are given) as JSON
/// without exceptions. Syntax errors (reported with their position, after
/// which parsing stops) give std::nullopt; duplicate keys and overly deep
/// nesting are reported too.
std::optional<JsonValue> parseJson(const llvm::SourceMgr &sourceMgr,
                                   const LineIndex &lines, JsonErrorFn error);

} // namespace mlir::netc::frontend

#endif // NETC_FRONTEND_MODELAST_H
