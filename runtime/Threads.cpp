//===- Threads.cpp - Threads and heap for the generated code --------------===//
//
// The generated parallel loops are OpenMP's (libomp): the runtime sets their
// thread count from NETC_NUM_THREADS when it loads, and on request. It also
// keeps the heap that the generated steps allocate their temporaries from
// warm (see netc.h).
//
//===----------------------------------------------------------------------===//

#include "RuntimeImpl.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>

// libomp's C API (omp.h is not on every include path).
extern "C" {
void omp_set_num_threads(int);
int omp_get_max_threads(void);
}

netc_status netc_set_num_threads(int threads) {
  if (threads < 1)
    return netc::setError(NETC_ERROR_INVALID_ARGUMENT,
                          "netc_set_num_threads: %d threads (expected >= 1)",
                          threads);
  omp_set_num_threads(threads);
  return NETC_OK;
}

int netc_get_num_threads(void) { return omp_get_max_threads(); }

namespace {
/// Applies NETC_NUM_THREADS when the library loads; a value that is not a
/// positive count is reported on stderr and ignored.
struct ThreadsFromEnvironment {
  ThreadsFromEnvironment() {
    const char *text = std::getenv("NETC_NUM_THREADS");
    if (!text || !*text)
      return;
    char *end = nullptr;
    errno = 0;
    long threads = std::strtol(text, &end, 10);
    if (errno || *end || threads < 1 || threads > 4096) {
      std::fprintf(stderr,
                   "netc: NETC_NUM_THREADS='%s' is not a thread count "
                   "(1-4096); using all cores\n",
                   text);
      return;
    }
    omp_set_num_threads(static_cast<int>(threads));
  }
} threadsFromEnvironment;

/// A train step frees megabytes of temporaries at its end and allocates them
/// again at the start of the next: with glibc's default thresholds the heap
/// is trimmed (or the blocks unmapped) in between, and every step pays page
/// faults and zeroing for fresh pages, a third of a small model's step.
/// Every block comes from the heap (glibc would map one over 32 MiB afresh
/// each time: a step of mobilenet_block, whose arena is 37 MB at batch 64,
/// ran 6.5x slower), and up to 1 GiB of free heap is kept, unless
/// NETC_KEEP_HEAP=0.
struct WarmHeap {
  WarmHeap() {
    const char *keep = std::getenv("NETC_KEEP_HEAP");
    if (keep && std::strcmp(keep, "0") == 0)
      return;
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
} warmHeap;
} // namespace
