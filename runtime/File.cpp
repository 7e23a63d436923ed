//===- File.cpp - Reading whole files and writing them atomically ---------===//
//
// The one place the runtime touches the file system. Loaders read a whole
// file and then parse memory, which keeps their checks free of I/O; savers
// write through a temporary file so that a crash never leaves half a file.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace netc;

namespace {
/// Closes a file descriptor when it goes out of scope.
class FdCloser {
public:
  explicit FdCloser(int fd) : fd(fd) {}
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
  FdCloser(const FdCloser &) = delete;
  FdCloser &operator=(const FdCloser &) = delete;

  /// Closes now and reports whether close succeeded (it can report a
  /// delayed write error).
  bool close() {
    int result = ::close(fd);
    fd = -1;
    return result == 0;
  }

private:
  int fd;
};
} // namespace

netc_status netc::readFile(const char *path, FileBytes &out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return setError(NETC_ERROR_IO, "%s: cannot open for reading: %s", path,
                    std::strerror(errno));
  FdCloser closer(fd);
  struct stat info;
  if (::fstat(fd, &info) != 0)
    return setError(NETC_ERROR_IO, "%s: cannot stat: %s", path,
                    std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return setError(NETC_ERROR_IO, "%s: not a regular file", path);

  size_t size = static_cast<size_t>(info.st_size);
  // malloc(0) may return null; one spare byte keeps null meaning "no memory".
  std::unique_ptr<uint8_t[], FreeDeleter> data(
      static_cast<uint8_t *>(std::malloc(size + 1)));
  if (!data)
    return setError(NETC_ERROR_OUT_OF_MEMORY,
                    "%s: cannot allocate %zu bytes to read the file", path,
                    size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data.get() + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return setError(NETC_ERROR_IO, "%s: read failed: %s", path,
                      std::strerror(errno));
    if (n == 0)
      return setError(NETC_ERROR_IO,
                      "%s: file shrank while being read (%zu of %zu bytes)",
                      path, done, size);
    done += static_cast<size_t>(n);
  }
  out.data = std::move(data);
  out.size = size;
  return NETC_OK;
}

/// Writes all of `chunk` to `fd`, retrying short writes.
static bool writeAll(int fd, const Chunk &chunk) {
  const uint8_t *bytes = static_cast<const uint8_t *>(chunk.data);
  size_t done = 0;
  while (done < chunk.size) {
    ssize_t n = ::write(fd, bytes + done, chunk.size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

netc_status netc::writeFileAtomically(const char *path,
                                      const std::vector<Chunk> &chunks) {
  std::string tmp =
      std::string(path) + ".tmp." + std::to_string(static_cast<long>(getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return setError(NETC_ERROR_IO, "%s: cannot create '%s': %s", path,
                    tmp.c_str(), std::strerror(errno));
  FdCloser closer(fd);
  const char *failedStep = nullptr;
  for (const Chunk &chunk : chunks) {
    if (!writeAll(fd, chunk)) {
      failedStep = "write";
      break;
    }
  }
  if (!failedStep && ::fsync(fd) != 0)
    failedStep = "fsync";
  if (!failedStep && !closer.close())
    failedStep = "close";
  if (!failedStep && ::rename(tmp.c_str(), path) != 0)
    failedStep = "rename";
  if (!failedStep)
    return NETC_OK;
  int savedErrno = errno;
  ::unlink(tmp.c_str());
  return setError(NETC_ERROR_IO, "%s: %s of '%s' failed: %s", path, failedStep,
                  tmp.c_str(), std::strerror(savedErrno));
}
