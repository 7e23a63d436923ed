// Measures this machine's FP32 FMA peak, GFLOP/s, on each thread count given
// on the command line (default 1), so that bench/kernels.py can put a
// kernel's speed against what the cores can do in the same run. The widest
// FMA the CPU has is picked at run time, never from a CPU model. Prints one
// JSON line: {"isa": "avx512f", "gflops": {"1": 130.2, "2": 259.0}}.
//
//     fma_peak 1 2
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {
// Independent accumulators: an FMA's latency (4-5 cycles) times the 2 FMA
// ports of current cores is 8-10 in flight. AVX-512's 32 registers hold 16
// and the operands; AVX2 has 16, so 12 (16 spilled one to the stack each
// step, and measured half the peak).
constexpr int kAccumulatorsAvx512 = 16;
constexpr int kAccumulatorsAvx2 = 12;
constexpr int kAccumulatorsPlain = 16;
constexpr long kIterations = 1L << 24;

// Each kernel runs kIterations * its accumulators FMAs of `lanes` floats
// and returns a value that depends on all of them, so none can be dropped.
__attribute__((target("avx512f"))) float fmaAvx512(float seed) {
  __m512 acc[kAccumulatorsAvx512];
  for (int i = 0; i < kAccumulatorsAvx512; ++i)
    acc[i] = _mm512_set1_ps(seed + i);
  // Close to 1 and 0, so the accumulators stay finite.
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long n = 0; n < kIterations; ++n)
    for (int i = 0; i < kAccumulatorsAvx512; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  for (int i = 1; i < kAccumulatorsAvx512; ++i)
    acc[0] = _mm512_add_ps(acc[0], acc[i]);
  return _mm512_reduce_add_ps(acc[0]);
}

__attribute__((target("avx2,fma"))) float fmaAvx2(float seed) {
  __m256 acc[kAccumulatorsAvx2];
  for (int i = 0; i < kAccumulatorsAvx2; ++i)
    acc[i] = _mm256_set1_ps(seed + i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long n = 0; n < kIterations; ++n)
    for (int i = 0; i < kAccumulatorsAvx2; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  for (int i = 1; i < kAccumulatorsAvx2; ++i)
    acc[0] = _mm256_add_ps(acc[0], acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, acc[0]);
  float sum = 0;
  for (float x : lanes)
    sum += x;
  return sum;
}

// Without FMA units a multiply and an add are the two flops.
float fmaPlain(float seed) {
  float acc[kAccumulatorsPlain];
  for (int i = 0; i < kAccumulatorsPlain; ++i)
    acc[i] = seed + i;
  for (long n = 0; n < kIterations; ++n)
    for (int i = 0; i < kAccumulatorsPlain; ++i)
      acc[i] = acc[i] * 0.999999f + 1e-7f;
  float sum = 0;
  for (float x : acc)
    sum += x;
  return sum;
}

struct Kernel {
  const char *isa;
  float (*run)(float);
  int lanes;
  int accumulators;
};

Kernel pickKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512f", fmaAvx512, 16, kAccumulatorsAvx512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2+fma", fmaAvx2, 8, kAccumulatorsAvx2};
  return {"plain", fmaPlain, 1, kAccumulatorsPlain};
}

/// One trial on `threads` threads, all released at once; GFLOP/s over the
/// time until the last one finishes.
double trial(const Kernel &kernel, int threads) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<float> sinks(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load())
        ;
      sinks[t] = kernel.run(static_cast<float>(t));
    });
  while (ready.load() != threads)
    ;
  auto start = std::chrono::steady_clock::now();
  go.store(true);
  for (std::thread &thread : pool)
    thread.join();
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  volatile float sink = 0; // keeps the results, hence the work, alive
  for (float s : sinks)
    sink = sink + s;
  double flops =
      2.0 * kernel.lanes * kernel.accumulators * kIterations * threads;
  return flops / seconds / 1e9;
}
} // namespace

int main(int argc, char **argv) {
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i)
    counts.push_back(std::atoi(argv[i]));
  if (counts.empty())
    counts.push_back(1);
  Kernel kernel = pickKernel();
  std::string json = std::string("{\"isa\": \"") + kernel.isa +
                     "\", \"gflops\": {";
  for (size_t c = 0; c < counts.size(); ++c) {
    // The best of a few trials: other work on the machine only slows one.
    double best = 0;
    for (int i = 0; i < 5; ++i)
      best = std::max(best, trial(kernel, counts[c]));
    char entry[64];
    std::snprintf(entry, sizeof entry, "%s\"%d\": %.1f", c ? ", " : "",
                  counts[c], best);
    json += entry;
  }
  std::printf("%s}}\n", json.c_str());
  return 0;
}
