//===- Status.cpp - Status strings, the last error message, formatting ----===//
//
// netc_status_string and the calling thread's last error message, the one
// piece of state the runtime keeps outside handles, and the formatting of
// numbers and file contents that messages share.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

using namespace netc;

/// The message of the last failed call on this thread. Thread-local so that
/// threads loading different files never see each other's errors.
static thread_local std::string lastError;

netc_status netc::setError(netc_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list sizing;
  va_copy(sizing, args);
  int length = std::vsnprintf(nullptr, 0, fmt, sizing);
  va_end(sizing);
  if (length < 0) {
    lastError = "(unformattable error message)";
  } else {
    lastError.resize(static_cast<size_t>(length));
    // C++17 strings own a writable terminator slot at data()[size()].
    std::vsnprintf(lastError.data(), lastError.size() + 1, fmt, args);
  }
  va_end(args);
  return status;
}

// An int, not a netc_status: a value outside the enum, which C lets a
// caller pass, must not be loaded as one (undefined in C++).
const char *netc_status_string(int status) {
  switch (status) {
  case NETC_OK:
    return "ok";
  case NETC_ERROR_IO:
    return "i/o error";
  case NETC_ERROR_FORMAT:
    return "malformed file";
  case NETC_ERROR_MISMATCH:
    return "tensor mismatch";
  case NETC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case NETC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case NETC_ERROR_DIVERGED:
    return "training diverged";
  case NETC_ERROR_DEVICE:
    return "device error";
  default:
    return "unknown status";
  }
}

const char *netc_last_error(void) { return lastError.c_str(); }

int netc_entry_point_error(int status, const char *message) {
  setError(static_cast<netc_status>(status), "%s", message);
  return status;
}

void netc_out_of_memory(int64_t bytes) {
  std::fprintf(stderr,
               "netc: out of memory: a compiled model could not allocate "
               "%lld bytes for its temporaries\n",
               static_cast<long long>(bytes));
  std::abort();
}

/// How many bytes of a file's text a message quotes.
static constexpr size_t kExcerptBytes = 60;

std::string netc::excerpt(const std::string &text) {
  if (text.size() <= kExcerptBytes)
    return text;
  return text.substr(0, kExcerptBytes) + "...";
}

std::string netc::formatDouble(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value || std::isnan(value))
      break;
  }
  // %g turns 100 into "1e+02"; Python keeps integers below 1e16 positional.
  if (std::fabs(value) < 1e16 && value == std::trunc(value))
    std::snprintf(text, sizeof(text), "%.0f", value);
  return text;
}
