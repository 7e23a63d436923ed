//===- Npy.cpp - Arrays from and to .npy files ----------------------------===//
//
// NumPy's .npy format: the magic "\x93NUMPY", a major and minor version, a
// little-endian header length (2 bytes in version 1, 4 in versions 2 and 3),
// a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), }
// padded with spaces and a newline, then the data. The runtime reads C-ordered
// little-endian float32, float64 and integer arrays (as float32, or exactly
// as class labels) and writes version 1.0 float32. One reader serves both:
// it checks the header and the file's size before it allocates anything.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <type_traits>

using namespace netc;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = sizeof(kMagic) - 1;
/// Alignment of the data in files the runtime writes, bytes (NumPy's own).
static constexpr size_t kDataAlignment = 64;
/// The longest header the runtime reads, bytes. NumPy's np.load refuses
/// headers over 10000 bytes unless told otherwise; a dict with a shape of
/// rank 5 needs under 200.
static constexpr uint32_t kMaxHeaderSize = uint32_t(1) << 20;

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
      return setError(
          NETC_ERROR_FORMAT, "%s: malformed value of '%s' in header%s", path,
          key.c_str(),
          key == "descr" ? " (structured dtypes are not supported)" : "");
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
                    !seenDescr   ? "descr"
                    : !seenOrder ? "fortran_order"
                                 : "shape");
  return NETC_OK;
}

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

namespace {
/// Checks class labels against the number of classes, naming the file.
struct LabelChecker {
  const char *path;
  int64_t numClasses;

  /// Checks `value`, the label at `index`, and stores it in `label`.
  template <typename T>
  netc_status check(T value, size_t index, int32_t &label) const {
    if constexpr (std::is_floating_point_v<T>) {
      double wide = value;
      if (!std::isfinite(wide) || wide != std::trunc(wide))
        return setError(NETC_ERROR_FORMAT,
                        "%s: label %s at index %zu is not a whole number", path,
                        formatDouble(wide).c_str(), index);
      if (wide < 0 || wide >= static_cast<double>(numClasses))
        return outside(formatDouble(wide), index);
    } else {
      bool negative = false;
      if constexpr (std::is_signed_v<T>)
        negative = value < 0;
      if (negative ||
          static_cast<uint64_t>(value) >= static_cast<uint64_t>(numClasses))
        return outside(std::to_string(value), index);
    }
    label = static_cast<int32_t>(value);
    return NETC_OK;
  }

  netc_status outside(const std::string &value, size_t index) const {
    return setError(
        NETC_ERROR_FORMAT, "%s: label %s at index %zu is outside 0..%lld", path,
        value.c_str(), index, static_cast<long long>(numClasses - 1));
  }
};

/// Checks the `count` labels of type T at `bytes`, the ones at `first` and
/// after, and stores them from labels[first] on.
template <typename T>
netc_status checkLabels(const LabelChecker &checker, const uint8_t *bytes,
                        size_t first, size_t count, int32_t *labels) {
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, bytes + i * sizeof(T), sizeof(T));
    if (netc_status status = checker.check(value, first + i, labels[first + i]))
      return status;
  }
  return NETC_OK;
}

/// A dtype the runtime reads: its descr, as float32 and as labels.
struct NpyType {
  const char *descr;
  DType dtype;
  netc_status (*readLabels)(const LabelChecker &, const uint8_t *, size_t,
                            size_t, int32_t *);
};
} // namespace

/// The dtypes np.save writes that the runtime reads ('|' marks the one-byte
/// types, which have no byte order).
static constexpr NpyType kNpyTypes[] = {
    {"<f4", DType::F32, checkLabels<float>},
    {"<f8", DType::F64, checkLabels<double>},
    {"|i1", DType::I8, checkLabels<int8_t>},
    {"<i2", DType::I16, checkLabels<int16_t>},
    {"<i4", DType::I32, checkLabels<int32_t>},
    {"<i8", DType::I64, checkLabels<int64_t>},
    {"|u1", DType::U8, checkLabels<uint8_t>},
    {"<u2", DType::U16, checkLabels<uint16_t>},
    {"<u4", DType::U32, checkLabels<uint32_t>},
    {"<u8", DType::U64, checkLabels<uint64_t>},
};

/// Maps a header's descr to the dtype the runtime reads.
static netc_status parseDescr(const char *path, const std::string &descr,
                              const NpyType *&type) {
  for (const NpyType &candidate : kNpyTypes)
    if (descr == candidate.descr) {
      type = &candidate;
      return NETC_OK;
    }
  if (!descr.empty() && descr[0] == '>')
    return setError(NETC_ERROR_FORMAT,
                    "%s: big-endian dtype '%s' is not supported, save "
                    "little-endian ('<%s')",
                    path, excerpt(descr).c_str(),
                    excerpt(descr.substr(1)).c_str());
  return setError(NETC_ERROR_FORMAT,
                  "%s: dtype '%s' is not supported, expected float32 ('<f4'), "
                  "float64 ('<f8') or an integer type ('|i1', '<i2', '<i4', "
                  "'<i8', '|u1', '<u2', '<u4', '<u8')",
                  path, excerpt(descr).c_str());
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
/// An open .npy file whose header has been read and checked: the file holds
/// exactly the data its dtype and shape describe, from dataStart on.
struct NpyFile {
  InputFile file;
  NpyHeader header;
  const NpyType *type = nullptr;
  int32_t rank = 0;
  int64_t numel = 0;
  uint64_t dataStart = 0;
};
} // namespace

/// Opens the .npy file at `path` and reads and checks its header, then the
/// file's size against the data it declares, before anything is allocated
/// for that data.
static netc_status openNpy(const char *path, NpyFile &out) {
  InputFile &file = out.file;
  if (netc_status status = file.open(path))
    return status;
  // The magic, the version and a header length of up to 4 bytes.
  uint8_t preamble[kMagicSize + 6];
  size_t preambleSize =
      static_cast<size_t>(std::min<uint64_t>(sizeof(preamble), file.size()));
  if (netc_status status = file.readAt(0, preamble, preambleSize))
    return status;
  if (preambleSize < kMagicSize + 2 ||
      std::memcmp(preamble, kMagic, kMagicSize) != 0)
    return setError(NETC_ERROR_FORMAT,
                    "%s: not a .npy file (no \\x93NUMPY magic)", path);
  uint8_t major = preamble[kMagicSize], minor = preamble[kMagicSize + 1];
  if (major < 1 || major > 3)
    return setError(NETC_ERROR_FORMAT,
                    "%s: .npy version %u.%u is not supported (1.0 to 3.0)",
                    path, major, minor);
  // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t headerStart = kMagicSize + 2 + lengthSize;
  if (file.size() < headerStart)
    return setError(NETC_ERROR_FORMAT,
                    "%s: file of %llu bytes ends inside the header length",
                    path, static_cast<unsigned long long>(file.size()));
  uint32_t headerSize = 0;
  std::memcpy(&headerSize, preamble + kMagicSize + 2, lengthSize);
  if (headerSize > file.size() - headerStart)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %u exceeds the %llu bytes after it",
                    path, headerSize,
                    static_cast<unsigned long long>(file.size() - headerStart));
  if (headerSize > kMaxHeaderSize)
    return setError(NETC_ERROR_FORMAT,
                    "%s: header length %u exceeds the limit of %u bytes", path,
                    headerSize, kMaxHeaderSize);

  std::string text(headerSize, '\0');
  if (netc_status status = file.readAt(headerStart, text.data(), headerSize))
    return status;
  NpyHeader &header = out.header;
  if (netc_status status =
          parseHeaderDict(path, text.data(), text.data() + text.size(), header))
    return status;
  if (netc_status status = parseDescr(path, header.descr, out.type))
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
  out.rank = static_cast<int32_t>(header.shape.size());
  std::string shapeText = formatShape(header.shape.data(), out.rank);

  uint64_t expectedBytes;
  if (!shapeNumel(header.shape.data(), out.rank, out.numel) ||
      __builtin_mul_overflow(static_cast<uint64_t>(out.numel),
                             dtypeSize(out.type->dtype), &expectedBytes))
    return setError(NETC_ERROR_FORMAT, "%s: shape %s has too many elements",
                    path, shapeText.c_str());
  out.dataStart = headerStart + headerSize;
  uint64_t dataBytes = file.size() - out.dataStart;
  if (expectedBytes != dataBytes)
    return setError(NETC_ERROR_FORMAT,
                    "%s: shape %s of '%s' needs %llu bytes of data, the file "
                    "holds %llu",
                    path, shapeText.c_str(), header.descr.c_str(),
                    static_cast<unsigned long long>(expectedBytes),
                    static_cast<unsigned long long>(dataBytes));
  return NETC_OK;
}

/// Allocates `count` elements of T (one spare, so that a null result means
/// "no memory" for empty arrays too); null if the size overflows.
template <typename T> static T *allocateElements(int64_t count) {
  size_t bytes;
  if (__builtin_mul_overflow(static_cast<size_t>(count) + 1, sizeof(T), &bytes))
    return nullptr;
  return static_cast<T *>(std::malloc(bytes));
}

netc_status netc_array_load_npy(const char *path, netc_array *out) {
  if (!path || !out)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_array_load_npy: %s is NULL", !path ? "path" : "out");
  *out = netc_array{};
  NpyFile npy;
  if (netc_status status = openNpy(path, npy))
    return status;
  MallocArray<float> data(allocateElements<float>(npy.numel));
  if (!data)
    return setError(NETC_ERROR_OUT_OF_MEMORY, "%s: cannot allocate %lld floats",
                    path, static_cast<long long>(npy.numel));
  if (netc_status status =
          readAsF32(npy.file, npy.dataStart, npy.type->dtype,
                    static_cast<size_t>(npy.numel), data.get()))
    return status;
  out->data = data.release();
  out->rank = npy.rank;
  std::copy(npy.header.shape.begin(), npy.header.shape.end(), out->shape);
  return NETC_OK;
}

netc_status netc_labels_load_npy(const char *path, int64_t num_classes,
                                 int32_t **labels, int64_t *count) {
  if (!path || !labels || !count)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_labels_load_npy: %s is NULL",
                    !path     ? "path"
                    : !labels ? "labels"
                              : "count");
  *labels = nullptr;
  *count = 0;
  // Labels become int32s.
  if (num_classes < 1 || num_classes > int64_t(INT32_MAX) + 1)
    return setError(NETC_ERROR_INVALID_ARGUMENT,
                    "netc_labels_load_npy: num_classes %lld is not in "
                    "1..2147483648",
                    static_cast<long long>(num_classes));
  NpyFile npy;
  if (netc_status status = openNpy(path, npy))
    return status;
  if (npy.rank != 1)
    return setError(NETC_ERROR_MISMATCH,
                    "%s: labels must be a 1-D array, the file holds shape %s",
                    path,
                    formatShape(npy.header.shape.data(), npy.rank).c_str());
  MallocArray<int32_t> values(allocateElements<int32_t>(npy.numel));
  if (!values)
    return setError(NETC_ERROR_OUT_OF_MEMORY, "%s: cannot allocate %lld labels",
                    path, static_cast<long long>(npy.numel));
  LabelChecker checker{path, num_classes};
  if (netc_status status = readElements(
          npy.file, npy.dataStart, dtypeSize(npy.type->dtype),
          static_cast<size_t>(npy.numel),
          [&](const uint8_t *bytes, size_t first, size_t n) {
            return npy.type->readLabels(checker, bytes, first, n, values.get());
          }))
    return status;
  *labels = values.release();
  *count = npy.numel;
  return NETC_OK;
}

void netc_labels_free(int32_t *labels) { std::free(labels); }

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

  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
  // Pad with spaces and end with a newline so the data starts aligned.
  size_t prefix = kMagicSize + 2 + 2;
  size_t total = (prefix + header.size() + 1 + kDataAlignment - 1) /
                 kDataAlignment * kDataAlignment;
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
