// Times a compiled netc model that holds one convolution layer, for
// bench/kernels.py. netc cannot time one kernel of a model, so this times the
// entry points around it at a given batch: the forward pass, the backward
// pass without the input gradient (input_grad = NULL: forward, loss, weight
// and bias gradients) and with it. kernels.py takes the differences. Built
// like netc_model_bench.cpp, with -DNETC_MODEL=<name>
// -DNETC_MODEL_HEADER="<name>.h"; threads from NETC_NUM_THREADS. Prints one
// JSON line of median seconds per call:
// {"forward": ..., "backward": ..., "backward_input_grad": ...}.
//
//     netc_kernel_bench [batch (64)] [seconds (0.3)]
#include "model.h"
#include "timing.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

using namespace bench;

int main(int argc, char **argv) {
  int64_t batch = argc > 1 ? std::atol(argv[1]) : 64;
  double minSeconds = argc > 2 ? std::atof(argv[2]) : 0.3;
  const netc_model_info &info = MODEL_SYMBOL(info);
  int64_t inFloats = floatsOf(info.input_rank, info.input_shape);
  int64_t outFloats = floatsOf(info.output_rank, info.output_shape);

  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> input(batch * inFloats), output(batch * outFloats),
      target(batch * outFloats), inputGrad(batch * inFloats),
      grads(info.param_floats);
  for (float &x : input)
    x = normal(rng);
  for (float &x : target)
    x = normal(rng);
  float *params = MODEL_SYMBOL(params_create)();
  if (!params || netc_params_init(&info, 0, params) != NETC_OK) {
    std::fprintf(stderr, "%s\n", netc_last_error());
    return 1;
  }
  float loss = 0;
  auto forward = [&] {
    MODEL_SYMBOL(forward)(params, input.data(), output.data(), batch);
  };
  auto backward = [&](float *inputGradOrNull) {
    MODEL_SYMBOL(backward)(params, input.data(), target.data(), batch, 0,
                           grads.data(), &loss, inputGradOrNull);
  };

  // The three calls take turns in one loop, so that a change in the
  // machine's load or clock hits all three alike: their differences are
  // what kernels.py reports.
  std::vector<double> times[3];
  auto round = [&](bool timed) {
    for (int which = 0; which < 3; ++which) {
      auto start = Clock::now();
      if (which == 0)
        forward();
      else
        backward(which == 2 ? inputGrad.data() : nullptr);
      if (timed)
        times[which].push_back(secondsSince(start));
    }
  };
  for (int i = 0; i < 3; ++i)
    round(false);
  auto begin = Clock::now();
  while (secondsSince(begin) < minSeconds || times[0].size() < 5)
    round(true);
  std::printf("{\"forward\": %.9g, \"backward\": %.9g, "
              "\"backward_input_grad\": %.9g, \"loss\": %g}\n",
              median(times[0]), median(times[1]), median(times[2]), loss);
  MODEL_SYMBOL(params_free)(params);
  return 0;
}
