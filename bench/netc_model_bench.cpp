// Times one compiled netc model the way bench/run.py times its PyTorch peer:
// the SGD train step at batch 64, batch-1 forward latency and batch-64
// forward throughput, then the peak RSS. Built once per model with
// -DNETC_MODEL=<name> -DNETC_MODEL_HEADER="<name>.h"; prints one JSON line.
#include "model.h"
#include "timing.h"

#include <sys/resource.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace bench;

int main(int argc, char **argv) {
  double minSeconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  // `train`, `latency` or `inference` as the second argument times the
  // train step, the batch-1 or the batch-64 forward pass only (to profile).
  std::string only = argc > 2 ? argv[2] : "";
  const netc_model_info &info = MODEL_SYMBOL(info);
  const int64_t batch = 64;
  int64_t inFloats = floatsOf(info.input_rank, info.input_shape);
  int64_t outFloats = floatsOf(info.output_rank, info.output_shape);
  int64_t classes = info.output_shape[0];

  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> input(batch * inFloats), output(batch * outFloats);
  for (float &x : input)
    x = normal(rng);
  std::vector<int32_t> labels(batch);
  for (int32_t &l : labels)
    l = static_cast<int32_t>(rng() % classes);

  float *params = MODEL_SYMBOL(params_create)();
  if (!params) {
    std::fprintf(stderr, "%s\n", netc_last_error());
    return 1;
  }
  std::vector<float> momentum(info.param_floats);
  float hparams[NETC_SGD_HPARAMS] = {};
  hparams[NETC_SGD_LR] = 0.01f;
  hparams[NETC_SGD_MOMENTUM] = 0.5f;
  float loss = 0;
  uint64_t step = 0;
  if (only == "latency") {
    double latency = medianSeconds(
        [&] { MODEL_SYMBOL(forward)(params, input.data(), output.data(), 1); },
        20, minSeconds);
    std::printf("{\"latency_ms\": %.4f}\n", latency * 1e3);
    return 0;
  }
  auto timeInference = [&] {
    return medianSeconds(
        [&] {
          MODEL_SYMBOL(forward)(params, input.data(), output.data(), batch);
        },
        3, minSeconds);
  };
  if (only == "inference") {
    std::printf("{\"infer_img_s\": %.1f}\n", batch / timeInference());
    return 0;
  }
  double train = medianSeconds(
      [&] {
        hparams[NETC_SGD_FIRST_STEP] = step == 0;
        MODEL_SYMBOL(sgd_step)(params, momentum.data(), input.data(),
                               labels.data(), batch, step++, hparams, &loss);
      },
      3, minSeconds);
  if (only == "train") {
    std::printf("{\"train_img_s\": %.1f}\n", batch / train);
    return 0;
  }
  double latency = medianSeconds(
      [&] { MODEL_SYMBOL(forward)(params, input.data(), output.data(), 1); },
      20, minSeconds);
  double inference = timeInference();
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  std::printf("{\"train_img_s\": %.1f, \"latency_ms\": %.4f, "
              "\"infer_img_s\": %.1f, \"peak_rss_mb\": %.1f, \"loss\": %g}\n",
              batch / train, latency * 1e3, batch / inference,
              usage.ru_maxrss / 1024.0, loss);
  MODEL_SYMBOL(params_free)(params);
  return 0;
}
