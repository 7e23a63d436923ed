//===- ModelParser.cpp - JSON text to a located JSON tree -----------------===//
//
// Parses a model file with nlohmann/json's SAX interface, which never throws
// (the compiler is built with -fno-exceptions, where nlohmann's JSON_THROW
// aborts), and builds a JsonValue tree in which every value and key knows its
// source position.
//
// nlohmann's SAX events carry no positions, so the parser reads the buffer
// through an iterator that publishes how far the lexer has read. When an
// event arrives, the lexer has consumed its token (and, after a number, one
// character more); the token therefore starts at the first character after
// the previous event's end that is not whitespace, ',' or ':'.
//
//===----------------------------------------------------------------------===//

#include "ModelAST.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <nlohmann/json.hpp>

#include <iterator>
#include <limits>

using namespace mlir::netc;
using namespace mlir::netc::frontend;

const JsonMember *JsonValue::findMember(llvm::StringRef key) const {
  for (const JsonMember &member : members)
    if (member.key == key)
      return &member;
  return nullptr;
}

const JsonValue *JsonValue::get(llvm::StringRef key) const {
  const JsonMember *member = findMember(key);
  return member ? &member->value : nullptr;
}

std::string mlir::netc::frontend::describeJson(const JsonValue &value) {
  switch (value.kind) {
  case JsonValue::Kind::Null:
    return "null";
  case JsonValue::Kind::Bool:
    return value.boolean ? "true" : "false";
  case JsonValue::Kind::Integer:
  case JsonValue::Kind::Float:
    return value.text;
  case JsonValue::Kind::String: {
    // Long strings would drown the message; their start identifies them.
    constexpr size_t kMaxShown = 40;
    std::string shown;
    llvm::raw_string_ostream os(shown);
    os << '"';
    llvm::printEscapedString(llvm::StringRef(value.text).take_front(kMaxShown),
                             os);
    os << (value.text.size() > kMaxShown ? "...\"" : "\"");
    return shown;
  }
  case JsonValue::Kind::Array:
    return value.elements.empty() ? "an empty list" : "a list";
  case JsonValue::Kind::Object:
    return "an object";
  }
  return "a value";
}

namespace {

/// A forward iterator over the buffer that records, in `*readUpTo`, the end
/// of what has been read so far.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *pos, const char **readUpTo)
      : pos(pos), readUpTo(readUpTo) {}

  reference operator*() const { return *pos; }
  TrackingIterator &operator++() {
    *readUpTo = ++pos;
    return *this;
  }
  bool operator==(const TrackingIterator &other) const {
    return pos == other.pos;
  }
  bool operator!=(const TrackingIterator &other) const {
    return pos != other.pos;
  }

private:
  const char *pos;
  const char **readUpTo;
};

/// Builds the JsonValue tree from nlohmann's SAX events.
class TreeBuilder {
public:
  using json = nlohmann::json;

  /// Containers nested deeper than this are rejected: the importer and the
  /// tree's destructor recurse over the tree.
  static constexpr size_t kMaxDepth = 64;

  TreeBuilder(llvm::StringRef buffer, const LineIndex &lines,
              JsonErrorFn error)
      : buffer(buffer), lines(lines), readUpTo(buffer.begin()),
        tokenEnd(buffer.begin()), error(error) {
    // The lexer skips a UTF-8 byte order mark.
    if (buffer.starts_with("\xEF\xBB\xBF"))
      tokenEnd += 3;
  }

  /// The iterators to hand to sax_parse.
  TrackingIterator begin() { return {buffer.begin(), &readUpTo}; }
  TrackingIterator end() { return {buffer.end(), &readUpTo}; }

  std::optional<JsonValue> takeRoot() { return std::move(root); }

  // nlohmann's SAX interface.
  bool null() { return addScalar(JsonValue::Kind::Null); }
  bool boolean(bool value) {
    JsonValue *v = addScalar(JsonValue::Kind::Bool);
    v->boolean = value;
    return true;
  }
  bool number_integer(json::number_integer_t value) {
    return addInteger(value);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    // Saturate: any such value fails the importer's range checks.
    return addInteger(value > uint64_t(std::numeric_limits<int64_t>::max())
                          ? std::numeric_limits<int64_t>::max()
                          : int64_t(value));
  }
  bool number_float(json::number_float_t value, const json::string_t &raw) {
    // nlohmann falls back to a double for integers beyond 64 bits; keep them
    // integers so they are reported as out of range, not as fractions.
    if (raw.find_first_of(".eE") == std::string::npos)
      return addInteger(raw.front() == '-'
                            ? std::numeric_limits<int64_t>::min()
                            : std::numeric_limits<int64_t>::max());
    JsonValue *v = addScalar(JsonValue::Kind::Float);
    v->number = value;
    v->text = raw;
    return true;
  }
  bool string(json::string_t &value) {
    JsonValue *v = addScalar(JsonValue::Kind::String);
    v->text = std::move(value);
    return true;
  }
  bool binary(json::binary_t &) {
    // Only the binary formats (CBOR, ...) produce these.
    return false;
  }
  bool start_object(std::size_t) {
    return openContainer(JsonValue::Kind::Object);
  }
  bool key(json::string_t &key) {
    llvm::SMLoc loc = tokenStart();
    JsonValue &object = *stack.back();
    if (const JsonMember *first = object.findMember(key))
      error(loc, llvm::formatv("duplicate key '{0}' (first given at line {1})",
                               key,
                               lines.lineAndColumn(first->keyLoc.getPointer())
                                   .first));
    object.members.push_back({std::move(key), loc, JsonValue()});
    return true;
  }
  bool end_object() { return closeContainer(); }
  bool start_array(std::size_t) { return openContainer(JsonValue::Kind::Array); }
  bool end_array() { return closeContainer(); }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) {
    // nlohmann's message reads "[json.exception.parse_error.101] parse error
    // at line 1, column 5: syntax error while parsing value - invalid
    // literal; last read: '...'; expected ...". The diagnostic gives the
    // position, and "last read" holds everything since the previous token,
    // which misleads more than it helps: keep the rest.
    llvm::StringRef message = ex.what();
    if (message.starts_with("["))
      message = message.drop_until([](char c) { return c == ' '; }).ltrim();
    if (message.consume_front("parse error")) {
      size_t column = message.find("column ");
      if (column != llvm::StringRef::npos)
        message = message.drop_front(column).drop_until(
            [](char c) { return c == ':'; });
      message = message.drop_front().ltrim();
    }
    std::string text = message.str();
    size_t lastRead = message.find("; last read: '");
    if (lastRead != llvm::StringRef::npos) {
      size_t expected = message.rfind("'; expected ");
      text = message.take_front(lastRead).str();
      if (expected != llvm::StringRef::npos && expected > lastRead)
        text += message.drop_front(expected + 1).str();
    }
    // Point at the token being read: for a bad literal or an unterminated
    // string, its first character; at the end of the input, the end.
    error(tokenStart(), "malformed JSON: " + text);
    return false;
  }

private:
  /// The start of the token whose event is being handled (see file comment).
  llvm::SMLoc tokenStart() {
    const char *pos = tokenEnd;
    while (pos < readUpTo && llvm::StringRef(" \t\r\n,:").contains(*pos))
      ++pos;
    tokenEnd = readUpTo;
    return llvm::SMLoc::getFromPointer(pos);
  }

  /// Adds a value where the current container (or the root) expects one.
  JsonValue *addScalar(JsonValue::Kind kind) {
    JsonValue value;
    value.kind = kind;
    value.loc = tokenStart();
    if (stack.empty()) {
      root = std::move(value);
      return &*root;
    }
    JsonValue &parent = *stack.back();
    if (parent.isArray()) {
      parent.elements.push_back(std::move(value));
      return &parent.elements.back();
    }
    parent.members.back().value = std::move(value);
    return &parent.members.back().value;
  }

  bool addInteger(int64_t value) {
    JsonValue *v = addScalar(JsonValue::Kind::Integer);
    v->integer = value;
    // The lexer has read one character past the number.
    const char *begin = v->loc.getPointer();
    const char *end = begin;
    while (end < readUpTo && llvm::StringRef("+-0123456789").contains(*end))
      ++end;
    v->text.assign(begin, end);
    return true;
  }

  // A container is pushed once its value sits in its parent; the parent's
  // vectors do not grow until the container closes, so the pointer holds.
  bool openContainer(JsonValue::Kind kind) {
    JsonValue *container = addScalar(kind);
    if (stack.size() >= kMaxDepth) {
      error(container->loc,
            llvm::formatv("JSON nested deeper than {0} levels", kMaxDepth));
      return false;
    }
    stack.push_back(container);
    return true;
  }

  bool closeContainer() {
    tokenEnd = readUpTo;
    stack.pop_back();
    return true;
  }

  llvm::StringRef buffer;
  const LineIndex &lines;
  /// How far the lexer has read; updated by TrackingIterator.
  const char *readUpTo;
  /// Where the previous event's token ended.
  const char *tokenEnd;
  JsonErrorFn error;
  std::optional<JsonValue> root;
  /// The open containers, innermost last.
  std::vector<JsonValue *> stack;
};

} // namespace

std::optional<JsonValue>
mlir::netc::frontend::parseJson(const llvm::SourceMgr &sourceMgr,
                                const LineIndex &lines, JsonErrorFn error) {
  const llvm::MemoryBuffer *file =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  TreeBuilder builder(file->getBuffer(), lines, error);
  if (!nlohmann::json::sax_parse(builder.begin(), builder.end(), &builder))
    return std::nullopt;
  return builder.takeRoot();
}
