// Timing helpers shared by the benchmark harnesses: medians of repeated
// calls, so that one disturbed call does not move a result.
#ifndef NETC_BENCH_TIMING_H
#define NETC_BENCH_TIMING_H

#include <algorithm>
#include <chrono>
#include <vector>

namespace bench {
using Clock = std::chrono::steady_clock;

inline double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double median(std::vector<double> times) {
  std::nth_element(times.begin(), times.begin() + times.size() / 2,
                   times.end());
  return times[times.size() / 2];
}

/// Runs `body` until `minSeconds` have passed (after `warmup` untimed runs)
/// and returns the median of the per-call times, in seconds.
template <typename F>
double medianSeconds(F body, int warmup, double minSeconds) {
  for (int i = 0; i < warmup; ++i)
    body();
  std::vector<double> times;
  auto begin = Clock::now();
  while (secondsSince(begin) < minSeconds || times.size() < 5) {
    auto start = Clock::now();
    body();
    times.push_back(secondsSince(start));
  }
  return median(std::move(times));
}
} // namespace bench

#endif // NETC_BENCH_TIMING_H
