// Times one convolution in oneDNN 2.6 (the peer of netc_kernel_bench.cpp):
// the forward pass (forward_training, with the bias when there is one), the
// input gradient (backward_data) and the weight gradient (backward_weights,
// with the bias gradient when there is a bias), each the median of repeated
// calls after warmup. Tensors take oneDNN's preferred layouts
// (format_tag::any) and are filled before timing, so no reorder is timed.
// Threads: OMP_NUM_THREADS (oneDNN runs on libgomp). Prints one JSON line of
// seconds per call, and the implementation oneDNN chose for each:
// {"fwd": ..., "bwd_data": ..., "bwd_weights": ..., "impl": {...}}.
//
//     onednn_conv_bench --batch 64 --in 1 --out 6 --input 28,28 --kernel 5,5
//         [--stride 1,1] [--pad-l 2,2] [--pad-r 2,2] [--dilation 1,1]
//         [--groups 1] [--bias 1] [--seconds 0.3]
//
// Sizes per spatial dim (1 to 3 of them) are comma-separated; --dilation is
// PyTorch's (1: none).
#include "timing.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using Conv = dnnl::convolution_forward;
using ConvData = dnnl::convolution_backward_data;
using ConvWeights = dnnl::convolution_backward_weights;

using namespace bench;

namespace {
memory::dims parseDims(const std::string &text) {
  memory::dims dims;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    dims.push_back(std::atol(item.c_str()));
  return dims;
}

[[noreturn]] void usage(const char *why) {
  std::fprintf(stderr,
               "onednn_conv_bench: %s\nusage: onednn_conv_bench --batch N "
               "--in C --out K --input D[,H[,W]] --kernel ... [--stride ...] "
               "[--pad-l ...] [--pad-r ...] [--dilation ...] [--groups G] "
               "[--bias 0|1] [--seconds S]\n",
               why);
  std::exit(2);
}

/// A memory of `desc` filled with normal values, as a training step sees.
memory randomMemory(const memory::desc &desc, const dnnl::engine &engine,
                    std::mt19937 &rng) {
  memory mem(desc, engine);
  std::normal_distribution<float> normal;
  float *data = static_cast<float *>(mem.get_data_handle());
  for (size_t i = 0; i < desc.get_size() / sizeof(float); ++i)
    data[i] = normal(rng);
  return mem;
}

/// `make(algorithm)` with convolution_direct, or convolution_auto where
/// oneDNN has no direct implementation for the shape.
template <typename PrimitiveDesc, typename Make>
PrimitiveDesc withAlgorithm(Make make) {
  try {
    return make(algorithm::convolution_direct);
  } catch (const dnnl::error &e) {
    if (e.status != dnnl_unimplemented)
      throw;
    return make(algorithm::convolution_auto);
  }
}
} // namespace

int main(int argc, char **argv) {
  std::map<std::string, std::string> args{
      {"--groups", "1"}, {"--bias", "1"}, {"--seconds", "0.3"}};
  for (int i = 1; i + 1 < argc; i += 2)
    args[argv[i]] = argv[i + 1];
  if (argc % 2 == 0)
    usage("options take one value each");
  for (const char *required : {"--batch", "--in", "--out", "--input",
                               "--kernel"})
    if (!args.count(required))
      usage((std::string("missing ") + required).c_str());
  memory::dim batch = std::atol(args["--batch"].c_str());
  memory::dim in = std::atol(args["--in"].c_str());
  memory::dim out = std::atol(args["--out"].c_str());
  memory::dim groups = std::atol(args["--groups"].c_str());
  bool bias = args["--bias"] != "0";
  double seconds = std::atof(args["--seconds"].c_str());
  memory::dims input = parseDims(args["--input"]);
  size_t rank = input.size();
  if (rank < 1 || rank > 3)
    usage("--input takes 1 to 3 sizes");
  auto perDim = [&](const char *name, memory::dim fallback) {
    memory::dims dims = args.count(name) ? parseDims(args[name])
                                         : memory::dims(rank, fallback);
    if (dims.size() != rank)
      usage((std::string(name) + " needs one size per spatial dim").c_str());
    return dims;
  };
  memory::dims kernel = perDim("--kernel", 1);
  memory::dims stride = perDim("--stride", 1);
  memory::dims padL = perDim("--pad-l", 0), padR = perDim("--pad-r", 0);
  memory::dims dilation = perDim("--dilation", 1);
  // oneDNN counts the gaps between taps: PyTorch's dilation minus one.
  for (memory::dim &d : dilation)
    d -= 1;

  memory::dims srcDims{batch, in}, dstDims{batch, out};
  for (size_t d = 0; d < rank; ++d) {
    srcDims.push_back(input[d]);
    memory::dim span = dilation[d] * (kernel[d] - 1) + kernel[d];
    dstDims.push_back((input[d] + padL[d] + padR[d] - span) / stride[d] + 1);
  }
  // Grouped weights are (G, K/G, C/G, *kernel) in oneDNN.
  memory::dims weightDims =
      groups > 1 ? memory::dims{groups, out / groups, in / groups}
                 : memory::dims{out, in};
  weightDims.insert(weightDims.end(), kernel.begin(), kernel.end());

  auto any = [](const memory::dims &dims) {
    return memory::desc(dims, memory::data_type::f32,
                        memory::format_tag::any);
  };
  memory::desc srcAny = any(srcDims), dstAny = any(dstDims),
               weightsAny = any(weightDims);
  memory::desc biasDesc =
      bias ? memory::desc({out}, memory::data_type::f32, memory::format_tag::a)
           : memory::desc();

  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  auto fwdPd = withAlgorithm<Conv::primitive_desc>([&](algorithm alg) {
    return Conv::primitive_desc(
        Conv::desc(prop_kind::forward_training, alg, srcAny, weightsAny,
                   biasDesc, dstAny, stride, dilation, padL, padR),
        engine);
  });
  auto dataPd = withAlgorithm<ConvData::primitive_desc>([&](algorithm alg) {
    return ConvData::primitive_desc(
        ConvData::desc(alg, srcAny, weightsAny, dstAny, stride, dilation, padL,
                       padR),
        engine, fwdPd);
  });
  auto weightsPd =
      withAlgorithm<ConvWeights::primitive_desc>([&](algorithm alg) {
        return ConvWeights::primitive_desc(
            ConvWeights::desc(alg, srcAny, weightsAny, biasDesc, dstAny,
                              stride, dilation, padL, padR),
            engine, fwdPd);
      });

  // Each primitive gets tensors in the layouts it chose.
  std::mt19937 rng(0);
  memory src = randomMemory(fwdPd.src_desc(), engine, rng);
  memory weights = randomMemory(fwdPd.weights_desc(), engine, rng);
  memory dst(fwdPd.dst_desc(), engine);
  memory diffDst = randomMemory(dataPd.diff_dst_desc(), engine, rng);
  memory dataWeights = randomMemory(dataPd.weights_desc(), engine, rng);
  memory diffSrc(dataPd.diff_src_desc(), engine);
  memory weightsSrc = randomMemory(weightsPd.src_desc(), engine, rng);
  memory weightsDiffDst =
      randomMemory(weightsPd.diff_dst_desc(), engine, rng);
  memory diffWeights(weightsPd.diff_weights_desc(), engine);

  Conv fwd(fwdPd);
  ConvData bwdData(dataPd);
  ConvWeights bwdWeights(weightsPd);
  std::unordered_map<int, memory> fwdArgs{{DNNL_ARG_SRC, src},
                                          {DNNL_ARG_WEIGHTS, weights},
                                          {DNNL_ARG_DST, dst}};
  std::unordered_map<int, memory> weightsArgs{
      {DNNL_ARG_SRC, weightsSrc},
      {DNNL_ARG_DIFF_DST, weightsDiffDst},
      {DNNL_ARG_DIFF_WEIGHTS, diffWeights}};
  if (bias) {
    fwdArgs[DNNL_ARG_BIAS] = randomMemory(biasDesc, engine, rng);
    weightsArgs[DNNL_ARG_DIFF_BIAS] = memory(biasDesc, engine);
  }
  std::unordered_map<int, memory> dataArgs{{DNNL_ARG_DIFF_DST, diffDst},
                                           {DNNL_ARG_WEIGHTS, dataWeights},
                                           {DNNL_ARG_DIFF_SRC, diffSrc}};

  auto timed = [&](dnnl::primitive &p,
                   const std::unordered_map<int, memory> &primArgs) {
    return medianSeconds(
        [&] {
          p.execute(stream, primArgs);
          stream.wait();
        },
        3, seconds);
  };
  double fwdSeconds = timed(fwd, fwdArgs);
  double dataSeconds = timed(bwdData, dataArgs);
  double weightsSeconds = timed(bwdWeights, weightsArgs);
  std::printf("{\"fwd\": %.9g, \"bwd_data\": %.9g, \"bwd_weights\": %.9g, "
              "\"impl\": {\"fwd\": \"%s\", \"bwd_data\": \"%s\", "
              "\"bwd_weights\": \"%s\"}}\n",
              fwdSeconds, dataSeconds, weightsSeconds,
              fwdPd.impl_info_str(), dataPd.impl_info_str(),
              weightsPd.impl_info_str());
  return 0;
}
