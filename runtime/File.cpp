//===- File.cpp - Reading files in pieces and writing them atomically -----===//
//
// The one place the runtime touches the file system. Loaders open a file
// without blocking, read its header and then only the bytes the header
// describes, after checking them against the file's size; savers write
// through a temporary file so that a crash never leaves half a file, and
// clear away the temporaries that killed writers left.
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
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

  /// Gives up ownership of the descriptor.
  int release() {
    int result = fd;
    fd = -1;
    return result;
  }

private:
  int fd;
};
} // namespace

/// What a file of mode `mode` is, for "not a regular file (a fifo)".
static const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a fifo";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a file";
}

InputFile::~InputFile() {
  if (fd >= 0)
    ::close(fd);
}

netc_status InputFile::open(const char *path) {
  filePath = path;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer, forever. O_NOCTTY: a terminal never becomes ours.
  int opened = ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (opened < 0)
    return setError(NETC_ERROR_IO, "%s: cannot open for reading: %s", path,
                    std::strerror(errno));
  FdCloser closer(opened);
  struct stat info;
  if (::fstat(opened, &info) != 0)
    return setError(NETC_ERROR_IO, "%s: cannot stat: %s", path,
                    std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return setError(NETC_ERROR_IO, "%s: not a regular file (%s)", path,
                    fileKind(info.st_mode));
  int flags = ::fcntl(opened, F_GETFL);
  if (flags < 0 || ::fcntl(opened, F_SETFL, flags & ~O_NONBLOCK) != 0)
    return setError(NETC_ERROR_IO, "%s: cannot clear O_NONBLOCK: %s", path,
                    std::strerror(errno));
  fd = closer.release();
  fileSize = static_cast<uint64_t>(info.st_size);
  return NETC_OK;
}

netc_status InputFile::readAt(uint64_t offset, void *dst, size_t count) const {
  uint8_t *bytes = static_cast<uint8_t *>(dst);
  size_t done = 0;
  while (done < count) {
    ssize_t n = ::pread(fd, bytes + done, count - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return setError(NETC_ERROR_IO, "%s: read failed: %s", filePath,
                      std::strerror(errno));
    if (n == 0)
      return setError(NETC_ERROR_IO,
                      "%s: file shrank while being read (it ends at byte "
                      "%llu, %zu bytes before what was opened)",
                      filePath, static_cast<unsigned long long>(offset + done),
                      count - done);
    done += static_cast<size_t>(n);
  }
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

/// Removes `<path>.tmp.<pid>` files whose process no longer exists: a
/// writer killed between creating its temporary and renaming it leaves one
/// behind, and nothing else would ever remove it. Best effort: a file that
/// cannot be listed or removed stays.
static void removeStaleTemporaries(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  std::string prefix =
      path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp.";
  DIR *listing = ::opendir(dir.c_str());
  if (!listing)
    return;
  while (const dirent *entry = ::readdir(listing)) {
    const char *name = entry->d_name;
    if (std::strncmp(name, prefix.c_str(), prefix.size()) != 0)
      continue;
    const char *digits = name + prefix.size();
    char *end = nullptr;
    errno = 0;
    long long pid = std::strtoll(digits, &end, 10);
    if (*digits < '1' || *digits > '9' || *end != '\0' || errno != 0 ||
        pid > INT_MAX || pid == ::getpid())
      continue;
    // EPERM means the process exists but belongs to someone else.
    if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH)
      ::unlinkat(::dirfd(listing), name, 0);
  }
  ::closedir(listing);
}

netc_status netc::writeFileAtomically(const char *path,
                                      const std::vector<Chunk> &chunks) {
  removeStaleTemporaries(path);
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
