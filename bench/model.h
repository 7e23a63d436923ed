// The compiled model a benchmark harness is built with
// (-DNETC_MODEL=<name> -DNETC_MODEL_HEADER="<name>.h"): its symbols by
// suffix, and the sizes of its tensors.
#ifndef NETC_BENCH_MODEL_H
#define NETC_BENCH_MODEL_H

#include NETC_MODEL_HEADER

#include <cstdint>

#define NETC_PASTE2(a, b) a##_##b
#define NETC_PASTE(a, b) NETC_PASTE2(a, b)
/// `MODEL_SYMBOL(forward)` is `<name>_forward`.
#define MODEL_SYMBOL(x) NETC_PASTE(NETC_MODEL, x)

namespace bench {
/// The number of floats in a tensor of `shape`.
inline int64_t floatsOf(int32_t rank, const int64_t *shape) {
  int64_t n = 1;
  for (int32_t d = 0; d < rank; ++d)
    n *= shape[d];
  return n;
}
} // namespace bench

#endif // NETC_BENCH_MODEL_H
