//===- Npy.cpp - Arrays from and to .npy files ----------------------------===//
//
// NumPy's .npy format: the magic "\x93NUMPY", a major and minor version, a
// little-endian header length (2 bytes in version 1, 4 in versions 2 and 3),
// a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), }
// padded with spaces and a newline, then the data. The runtime reads C-ordered
// little-endian float32 and float64 and writes version 1.0 float32.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <algorithm>
#include <cctype>
#include <cstring>

using namespace netc;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = sizeof(kMagic) - 1;
/// Alignment of the data in files the runtime writes, bytes (NumPy's own).
static constexpr size_t kDataAlignment = 64;

namespace {
/// A cursor over the Python dict literal of a .npy header. Each method skips
/// leading whitespace and returns false when the text does not match; the
/// caller then reports the whole header as malformed.
class HeaderParser {
public:
  HeaderParser(const char *begin, const char *end) : cur(begin), end(end) {}

  /// Consumes `c` if it comes next.
  bool consume(char c) {
    skipSpace();
    if (cur == end || *cur != c)
      return false;
    ++cur;
    return true;
  }

  /// Parses a quoted string without escapes, 'x' or "x".
  bool parseString(std::string &out) {
    skipSpace();
    if (cur == end || (*cur != '\'' && *cur != '"'))
      return false;
    char quote = *cur++;
    const char *start = cur;
    while (cur != end && *cur != quote && *cur != '\\')
      ++cur;
    if (cur == end || *cur != quote)
      return false;
    out.assign(start, cur++);
    return true;
  }

  /// Parses True or False.
  bool parseBool(bool &out) {
    skipSpace();
    for (bool value : {true, false}) {
      const char *word = value ? "True" : "False";
      size_t length = std::strlen(word);
      if (static_cast<size_t>(end - cur) >= length &&
          std::memcmp(cur, word, length) == 0) {
        cur += length;
        out = value;
        return true;
      }
    }
    return false;
  }

  /// Parses a tuple of non-negative integers: (), (5,), (2, 3). Accepts the
  /// "2L" longs that NumPy under Python 2 wrote.
  bool parseShape(std::vector<int64_t> &out) {
    if (!consume('('))
      return false;
    while (!consume(')')) {
      int64_t dim;
      if (!parseDim(dim))
        return false;
      out.push_back(dim);
      if (!consume(',') && !(cur != end && *cur == ')'))
        return false;
    }
    return true;
  }

  /// Whether only whitespace is left.
  bool atEnd() {
    skipSpace();
    return cur == end;
  }

private:
  void skipSpace() {
    while (cur != end && std::isspace(static_cast<unsigned char>(*cur)))
      ++cur;
  }

  bool parseDim(int64_t &out) {
    skipSpace();
    if (cur == end || !std::isdigit(static_cast<unsigned char>(*cur)))
      return false;
    int64_t value = 0;
    while (cur != end && std::isdigit(static_cast<unsigned char>(*cur))) {
      if (__builtin_mul_overflow(value, 10, &value) ||
          __builtin_add_overflow(value, *cur - '0', &value))
        return false;
      ++cur;
    }
    if (cur != end && *cur == 'L')
      ++cur;
    out = value;
    return true;
  }

  const char *cur;
  const char *end;
};

/// The fields of a .npy header.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};
} // namespace

/// Parses the header dict text `[begin, end)` of the .npy file `path`.
static netc_status parseHeaderDict(const char *path, const char *begin,
                                   const char *end, NpyHeader &header) {
  HeaderParser parser(begin, end);
  bool seenDescr = false, seenOrder = false, seenShape = false;
  if (!parser.consume('{'))
    return setError(NETC_ERROR_FORMAT,
                    "%s: header is not a Python dict literal", path);
  while (!parser.consume('}')) {
    std::string key;
    if (!parser.parseString(key) || !parser.consume(':'))
      return setError(NETC_ERROR_FORMAT,
                      "%s: malformed header: expected 'key': value", path);
    bool parsed;
    if (key == "descr") {
      parsed = parser.parseString(header.descr);
      seenDescr = true;
    } else if (key == "fortran_order") {
      parsed = parser.parseBool(header.fortranOrder);
      seenOrder = true;
    } else if (key == "shape") {
      parsed = parser.parseShape(header.shape);
      seenShape = true;
    } else {
      return setError(NETC_ERROR_FORMAT, "%s: unexpected key '%s' in header",
                      path, key.c_str());
    }
    if (!parsed)
      return setError(NETC_ERROR_FORMAT,
                      "%s: malformed value of '%s' in header%s", path,
                      key.c_str(),
                      key == "descr" ? " (structured dtypes are not supported)"
                                     : "");
    if (!parser.consume(',')) {
      if (!parser.consume('}'))
        return setError(NETC_ERROR_FORMAT,
                        "%s: malformed header: expected ',' or '}' after '%s'",
                        path, key.c_str());
      break;
    }
  }
  if (!parser.atEnd())
    return setError(NETC_ERROR_FORMAT,
                    "%s: malformed header: text after the closing '}'", path);
  if (!seenDescr || !seenOrder || !seenShape)
    return setError(NETC_ERROR_FORMAT, "%s: header lacks '%s'", path,
                    !seenDescr ? "descr"
                    : !seenOrder ? "fortran_order"
                                 : "shape");
  return NETC_OK;
}

/// Maps a header's descr to the dtype the runtime reads.
static netc_status parseDescr(const char *path, const std::string &descr,
                              DType &dtype) {
  if (descr == "<f4") {
    dtype = DType::F32;
    return NETC_OK;
  }
  if (descr == "<f8") {
    dtype = DType::F64;
    return NETC_OK;
  }
  if (!descr.empty() && descr[0] == '>')
    return setError(NETC_ERROR_FORMAT,
                    "%s: big-endian dtype '%s' is not supported, save "
                    "little-endian ('<f4')",
                    path, descr.c_str());
  return setError(NETC_ERROR_FORMAT,
                  "%s: dtype '%s' is not supported, expected '<f4' (float32) "
                  "or '<f8' (float64)",
                  path, descr.c_str());
}

netc_status netc_array_load_npy(const char *path, netc_array *out) {
  if (!path || !out)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_array_load_npy: %s is NULL", !path ? "path" : "out");
  *out = netc_array{};
  FileBytes file;
  if (netc_status status = readFile(path, file))
    return status;
  const uint8_t *bytes = file.data.get();

  if (file.size < kMagicSize + 2 || std::memcmp(bytes, kMagic, kMagicSize))
    return setError(NETC_ERROR_FORMAT,
                    "%s: not a .npy file (no \\x93NUMPY magic)", path);
  uint8_t major = bytes[kMagicSize], minor = bytes[kMagicSize + 1];
  if (major < 1 || major > 3)
    return setError(NETC_ERROR_FORMAT,
                    "%s: .npy version %u.%u is not supported (1.0 to 3.0)",
                    path, major, minor);
  // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t headerStart = kMagicSize + 2 + lengthSize;
  if (file.size < headerStart)
    return setError(NETC_ERROR_FORMAT,
                    "%s: file of %zu bytes ends inside the header length",
                    path, file.size);
  uint32_t headerSize = 0;
  std::memcpy(&headerSize, bytes + kMagicSize + 2, lengthSize);
  if (headerSize > file.size - headerStart)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %u exceeds the %zu bytes after it",
                    path, headerSize, file.size - headerStart);

  NpyHeader header;
  const char *text = reinterpret_cast<const char *>(bytes + headerStart);
  if (netc_status status =
          parseHeaderDict(path, text, text + headerSize, header))
    return status;
  DType dtype;
  if (netc_status status = parseDescr(path, header.descr, dtype))
    return status;
  if (header.fortranOrder)
    return setError(NETC_ERROR_FORMAT,
                    "%s: Fortran-ordered arrays are not supported, save a "
                    "C-ordered one (np.ascontiguousarray)",
                    path);
  if (header.shape.size() > NETC_MAX_RANK)
    return setError(NETC_ERROR_FORMAT,
                    "%s: array of rank %zu exceeds the maximum rank %d", path,
                    header.shape.size(), NETC_MAX_RANK);
  int32_t rank = static_cast<int32_t>(header.shape.size());
  std::string shapeText = formatShape(header.shape.data(), rank);

  int64_t numel;
  uint64_t expectedBytes;
  if (!shapeNumel(header.shape.data(), rank, numel) ||
      __builtin_mul_overflow(static_cast<uint64_t>(numel), dtypeSize(dtype),
                             &expectedBytes))
    return setError(NETC_ERROR_FORMAT, "%s: shape %s has too many elements",
                    path, shapeText.c_str());
  size_t dataStart = headerStart + headerSize;
  size_t dataBytes = file.size - dataStart;
  if (expectedBytes != dataBytes)
    return setError(NETC_ERROR_FORMAT,
                    "%s: shape %s of '%s' needs %llu bytes of data, the file "
                    "holds %zu",
                    path, shapeText.c_str(), header.descr.c_str(),
                    static_cast<unsigned long long>(expectedBytes), dataBytes);

  // One spare float keeps a null result meaning "no memory" for empty arrays.
  float *data = static_cast<float *>(
      std::malloc(static_cast<size_t>(numel) * sizeof(float) + sizeof(float)));
  if (!data)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %lld floats", path,
                    static_cast<long long>(numel));
  convertToF32(dtype, bytes + dataStart, data, static_cast<size_t>(numel));
  out->data = data;
  out->rank = rank;
  std::copy(header.shape.begin(), header.shape.end(), out->shape);
  return NETC_OK;
}

netc_status netc_array_save_npy(const char *path, const float *data,
                                int32_t rank, const int64_t *shape) {
  if (!path)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_array_save_npy: path is NULL");
  if (rank < 0 || rank > NETC_MAX_RANK || (rank > 0 && !shape))
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "%s: rank %d is not in 0..%d or its shape is NULL", path,
                    rank, NETC_MAX_RANK);
  std::string shapeText = "(";
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return setError(NETC_ERROR_INVALID_ARGUMENT,
                      "%s: dimension %d is negative (%lld)", path, i,
                      static_cast<long long>(shape[i]));
    if (i)
      shapeText += ", ";
    shapeText += std::to_string(shape[i]);
  }
  // A Python 1-tuple needs its trailing comma: (5,).
  shapeText += rank == 1 ? ",)" : ")";
  int64_t numel;
  uint64_t bytes;
  if (!shapeNumel(shape, rank, numel) ||
      __builtin_mul_overflow(static_cast<uint64_t>(numel), sizeof(float),
                             &bytes) ||
      bytes > SIZE_MAX)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "%s: shape %s has too many elements", path,
                    shapeText.c_str());
  if (numel > 0 && !data)
    return setError(NETC_ERROR_INVALID_ARGUMENT, "%s: data is NULL", path);

  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                       shapeText + ", }";
  // Pad with spaces and end with a newline so the data starts aligned.
  size_t prefix = kMagicSize + 2 + 2;
  size_t total =
      (prefix + header.size() + 1 + kDataAlignment - 1) / kDataAlignment *
      kDataAlignment;
  header.resize(total - prefix - 1, ' ');
  header += '\n';
  uint8_t preamble[kMagicSize + 4];
  std::memcpy(preamble, kMagic, kMagicSize);
  preamble[kMagicSize] = 1;
  preamble[kMagicSize + 1] = 0;
  uint16_t headerSize = static_cast<uint16_t>(header.size());
  std::memcpy(preamble + kMagicSize + 2, &headerSize, 2);
  return writeFileAtomically(path, {{preamble, sizeof(preamble)},
                                    {header.data(), header.size()},
                                    {data, static_cast<size_t>(bytes)}});
}

void netc_array_free(netc_array *array) {
  if (!array)
    return;
  std::free(array->data);
  *array = netc_array{};
}
