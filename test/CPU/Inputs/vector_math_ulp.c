// Compares netc-approximate-vector-math's exp, log and tanh with libm's
// expf, logf and tanhf on every `step`-th float bit pattern (argv[1]):
// prints the largest distance in ulp for each, and fails past the bound
// docs/pipeline.md states. NaN and infinity must match exactly.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vector_exp(const float *in, float *out);
void vector_log(const float *in, float *out);
void vector_tanh(const float *in, float *out);

/// The float's position on a line where adjacent floats differ by 1.
static int64_t ordinal(float f) {
  int32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return bits < 0 ? (int64_t)INT32_MIN - bits : bits;
}

static int check(const char *name, void (*approximate)(const float *, float *),
                 float (*exact)(float), uint32_t step, int64_t bound) {
  float in[16], out[16];
  int64_t worst = 0, mismatches = 0;
  float worstAt = 0;
  for (uint64_t first = 0; first < 0x100000000ull; first += 16ull * step) {
    for (int lane = 0; lane < 16; ++lane) {
      uint32_t bits = (uint32_t)(first + (uint64_t)lane * step);
      memcpy(&in[lane], &bits, sizeof bits);
    }
    approximate(in, out);
    for (int lane = 0; lane < 16; ++lane) {
      float want = exact(in[lane]), got = out[lane];
      if (isnan(want) || isnan(got) || isinf(want) || isinf(got)) {
        if (!(isnan(want) && isnan(got)) && want != got)
          ++mismatches;
        continue;
      }
      int64_t distance = llabs(ordinal(want) - ordinal(got));
      if (distance > worst) {
        worst = distance;
        worstAt = in[lane];
      }
    }
  }
  printf("%s: max %lld ulp (at %.9g), %lld NaN/inf mismatches\n", name,
         (long long)worst, worstAt, (long long)mismatches);
  return worst <= bound && mismatches == 0;
}

int main(int argc, char **argv) {
  uint32_t step = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 17;
  int ok = check("exp", vector_exp, expf, step, 5);
  ok &= check("log", vector_log, logf, step, 1);
  ok &= check("tanh", vector_tanh, tanhf, step, 5);
  return ok ? 0 : 1;
}
