// Times several builds of one model side by side: each build's object is a
// shared library (`clang++ -shared model.o $(netc --libs)`) loaded with its
// own copy of the model's symbols, and the builds take turns, a few steps
// each, round after round, so that a shared machine's changes of speed hit
// them alike. Built by bench/ab.py with -DNETC_MODEL=<name>
// -DNETC_MODEL_HEADER="<name>.h" (the header of any of the builds: the
// parameters and shapes must agree).
//
//   ab_bench train|inference|latency ROUNDS a.so b.so ...
//
// Prints one JSON line: per build, the median and best seconds per call.
#include "model.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#define NETC_STRINGIFY2(x) #x
#define NETC_STRINGIFY(x) NETC_STRINGIFY2(x)

using namespace bench;

namespace {
struct Build {
  decltype(&MODEL_SYMBOL(sgd_step)) sgdStep;
  decltype(&MODEL_SYMBOL(forward)) forward;
  float *params;
  std::vector<float> momentum;
  uint64_t step = 0;
  std::vector<double> seconds;
};

template <typename T> T lookup(void *library, const char *suffix) {
  std::string name = std::string(NETC_STRINGIFY(NETC_MODEL)) + "_" + suffix;
  void *symbol = dlsym(library, name.c_str());
  if (!symbol) {
    std::fprintf(stderr, "no %s: %s\n", name.c_str(), dlerror());
    std::exit(1);
  }
  return reinterpret_cast<T>(symbol);
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s train|inference|latency ROUNDS a.so b.so ...\n",
                 argv[0]);
    return 1;
  }
  std::string mode = argv[1];
  int rounds = std::atoi(argv[2]);
  const netc_model_info &info = MODEL_SYMBOL(info);
  const int64_t batch = mode == "latency" ? 1 : 64;
  // Calls per turn: about as long as a few train steps.
  const int calls = mode == "train" ? 4 : mode == "inference" ? 8 : 100;

  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> input(batch * floatsOf(info.input_rank, info.input_shape));
  std::vector<float> output(batch *
                            floatsOf(info.output_rank, info.output_shape));
  for (float &x : input)
    x = normal(rng);
  std::vector<int32_t> labels(batch);
  for (int32_t &l : labels)
    l = static_cast<int32_t>(rng() % info.output_shape[0]);

  std::vector<Build> builds;
  for (int i = 3; i < argc; ++i) {
    void *library = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      std::fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    Build build{lookup<decltype(Build::sgdStep)>(library, "sgd_step"),
                lookup<decltype(Build::forward)>(library, "forward"),
                MODEL_SYMBOL(params_create)(),
                std::vector<float>(info.param_floats)};
    if (!build.params) {
      std::fprintf(stderr, "%s\n", netc_last_error());
      return 1;
    }
    builds.push_back(std::move(build));
  }

  float hparams[NETC_SGD_HPARAMS] = {};
  hparams[NETC_SGD_LR] = 0.01f;
  hparams[NETC_SGD_MOMENTUM] = 0.5f;
  float loss = 0;
  auto call = [&](Build &b) {
    if (mode == "train") {
      hparams[NETC_SGD_FIRST_STEP] = b.step == 0;
      b.sgdStep(b.params, b.momentum.data(), input.data(), labels.data(), batch,
                b.step++, hparams, &loss);
    } else {
      b.forward(b.params, input.data(), output.data(), batch);
    }
  };
  for (Build &b : builds)
    for (int i = 0; i < 3; ++i)
      call(b);
  // Each round starts with the next build, so none always follows another.
  for (int round = 0; round < rounds; ++round)
    for (size_t k = 0; k < builds.size(); ++k) {
      Build &b = builds[(k + round) % builds.size()];
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < calls; ++i)
        call(b);
      std::chrono::duration<double> elapsed =
          std::chrono::steady_clock::now() - start;
      b.seconds.push_back(elapsed.count() / calls);
    }

  std::printf("{");
  for (size_t k = 0; k < builds.size(); ++k) {
    std::vector<double> &s = builds[k].seconds;
    std::sort(s.begin(), s.end());
    std::printf("%s\"%s\": {\"median_s\": %.6g, \"best_s\": %.6g}",
                k ? ", " : "", argv[k + 3], s[s.size() / 2], s.front());
  }
  std::printf("}\n");
  return 0;
}
