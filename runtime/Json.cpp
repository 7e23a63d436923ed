//===- Json.cpp - Parsing JSON from files with a depth limit --------------===//
//
// parseJson: nlohmann's DOM builder driven through its SAX interface, with
// a count of open arrays and objects that stops the parse beyond
// kMaxJsonDepth levels. Files are not trusted: a header that nests 200,000
// levels deep must be refused, not recursed into until the stack overflows.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <nlohmann/json.hpp>

#include <exception>

using namespace netc;
using json = nlohmann::json;

namespace {
/// Builds the DOM as json::parse would, refusing to open a level beyond
/// kMaxJsonDepth and recording why a parse stopped.
class BoundedDomBuilder {
public:
  explicit BoundedDomBuilder(json &root)
      : dom(root, /*allow_exceptions=*/false) {}

  bool null() { return dom.null(); }
  bool boolean(bool value) { return dom.boolean(value); }
  bool number_integer(json::number_integer_t value) {
    return dom.number_integer(value);
  }
  bool number_unsigned(json::number_unsigned_t value) {
    return dom.number_unsigned(value);
  }
  bool number_float(json::number_float_t value, const json::string_t &text) {
    return dom.number_float(value, text);
  }
  bool string(json::string_t &value) { return dom.string(value); }
  bool binary(json::binary_t &value) { return dom.binary(value); }
  bool start_object(size_t size) { return open() && dom.start_object(size); }
  bool key(json::string_t &value) { return dom.key(value); }
  bool end_object() {
    --depth;
    return dom.end_object();
  }
  bool start_array(size_t size) { return open() && dom.start_array(size); }
  bool end_array() {
    --depth;
    return dom.end_array();
  }
  template <typename Exception>
  bool parse_error(size_t position, const std::string &, const Exception &) {
    error = "invalid JSON at byte " + std::to_string(position);
    return false;
  }

  std::string error;

private:
  /// Enters one more level of nesting, if allowed.
  bool open() {
    if (++depth <= kMaxJsonDepth)
      return true;
    error =
        "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom;
  size_t depth = 0;
};
} // namespace

bool netc::parseJson(const char *begin, const char *end, json &out,
                     std::string &error) {
  try {
    BoundedDomBuilder builder(out);
    if (json::sax_parse(begin, end, &builder))
      return true;
    error = builder.error;
  } catch (const std::exception &e) {
    // std::bad_alloc; the builder itself does not throw.
    error = std::string("cannot parse JSON: ") + e.what();
  }
  out = json();
  return false;
}
