//===- Status.cpp - Status strings and the last error message -------------===//
//
// netc_status_string and the calling thread's last error message, the one
// piece of state the runtime keeps outside handles.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cstdarg>
#include <cstdio>

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

const char *netc_status_string(netc_status status) {
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
  }
  return "unknown status";
}

const char *netc_last_error(void) { return lastError.c_str(); }
