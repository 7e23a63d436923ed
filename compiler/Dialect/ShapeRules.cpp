//===- ShapeRules.cpp - Output shapes of netc ops -------------------------===//
//
// torch.nn's output-shape formulas and argument checks, written once. Every
// message says what was expected and what was found; the frontend prefixes
// the layer id and points at the field named in ShapeError.
//
//===----------------------------------------------------------------------===//

#include "netc/Dialect/ShapeRules.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::netc;

std::string mlir::netc::formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "(";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      os << ", ";
    if (i == 0)
      os << "N";
    else
      os << d;
  }
  os << ")";
  return text;
}

static FailureOr<Shape> fail(ShapeError &error, StringRef field,
                             const llvm::Twine &message) {
  error.field = field.str();
  error.message = message.str();
  return failure();
}

/// Checks that the input is (N, C, *spatial) with 1 to 3 spatial dims and that
/// each per-dimension attribute has one entry per spatial dim.
static LogicalResult
checkSpatialOperand(ArrayRef<int64_t> input,
                    ArrayRef<std::pair<StringRef, ArrayRef<int64_t>>> attrs,
                    ShapeError &error) {
  if (input.size() < 3 || input.size() > 5) {
    (void)fail(error, "input",
               "expected an input of shape (N, C, *spatial) with 1 to 3 "
               "spatial dimensions, got " +
                   formatShape(input));
    return failure();
  }
  size_t spatial = input.size() - 2;
  for (auto [name, values] : attrs) {
    if (values.size() != spatial) {
      (void)fail(error, name,
                 llvm::formatv("expected {0} values for {1} (one per spatial "
                               "dimension of the input {2}), got {3}",
                               spatial, name, formatShape(input),
                               values.size()));
      return failure();
    }
  }
  return success();
}

static LogicalResult checkAtLeast(StringRef name, ArrayRef<int64_t> values,
                                  int64_t minimum, ShapeError &error) {
  for (int64_t v : values) {
    if (v < minimum) {
      (void)fail(error, name,
                 llvm::formatv("expected {0} >= {1}, got {2}", name, minimum,
                               v));
      return failure();
    }
  }
  return success();
}

int64_t mlir::netc::perSampleElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape.drop_front())
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

int64_t mlir::netc::convOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                   int64_t padLow, int64_t padHigh,
                                   int64_t dilation) {
  return (in + padLow + padHigh - dilation * (kernel - 1) - 1) / stride + 1;
}

FailureOr<Shape> mlir::netc::inferConvShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
    std::optional<ArrayRef<int64_t>> bias, const ConvGeometry &g,
    ShapeError &error) {
  if (failed(checkSpatialOperand(input,
                                 {{"stride", g.stride},
                                  {"padding", g.paddingLow},
                                  {"padding", g.paddingHigh},
                                  {"dilation", g.dilation}},
                                 error)))
    return failure();
  if (weight.size() != input.size())
    return fail(error, "kernel_size",
                llvm::formatv("expected a weight of rank {0} (out_channels, "
                              "in_channels / groups, *kernel_size), got rank {1}",
                              input.size(), weight.size()));
  if (failed(checkAtLeast("stride", g.stride, 1, error)) ||
      failed(checkAtLeast("dilation", g.dilation, 1, error)) ||
      failed(checkAtLeast("padding", g.paddingLow, 0, error)) ||
      failed(checkAtLeast("padding", g.paddingHigh, 0, error)) ||
      failed(checkAtLeast("groups", {g.groups}, 1, error)) ||
      failed(checkAtLeast("kernel_size", weight.drop_front(2), 1, error)))
    return failure();

  int64_t channels = input[1], filters = weight[0];
  if (channels % g.groups != 0)
    return fail(error, "groups",
                llvm::formatv("groups {0} does not divide in_channels {1}",
                              g.groups, channels));
  if (filters % g.groups != 0)
    return fail(error, "groups",
                llvm::formatv("groups {0} does not divide out_channels {1}",
                              g.groups, filters));
  if (weight[1] != channels / g.groups)
    return fail(error, "in_channels",
                llvm::formatv("the weight expects {0} input channels per group "
                              "but the input {1} has {2} channels in {3} "
                              "group(s)",
                              weight[1], formatShape(input), channels,
                              g.groups));
  if (bias && (bias->size() != 1 || (*bias)[0] != filters))
    return fail(error, "bias",
                llvm::formatv("expected a bias of shape ({0}), got {1} values",
                              filters, bias->size() == 1 ? (*bias)[0] : -1));

  Shape result{input[0], filters};
  for (size_t d = 0, e = input.size() - 2; d < e; ++d) {
    int64_t in = input[d + 2], k = weight[d + 2];
    int64_t lo = g.paddingLow[d], hi = g.paddingHigh[d];
    if (g.paddingMode == PaddingMode::reflect && (lo >= in || hi >= in))
      return fail(error, "padding",
                  llvm::formatv("reflect padding ({0}, {1}) must be smaller "
                                "than the input size {2} in spatial dim {3}",
                                lo, hi, in, d));
    if (g.paddingMode == PaddingMode::circular && (lo > in || hi > in))
      return fail(error, "padding",
                  llvm::formatv("circular padding ({0}, {1}) must not exceed "
                                "the input size {2} in spatial dim {3}",
                                lo, hi, in, d));
    int64_t dilated = g.dilation[d] * (k - 1) + 1;
    if (dilated > in + lo + hi)
      return fail(error, "kernel_size",
                  llvm::formatv("kernel_size {0}{1} exceeds the padded input "
                                "size {2} in spatial dim {3}",
                                k,
                                g.dilation[d] > 1
                                    ? llvm::formatv(" (dilated to {0})", dilated)
                                          .str()
                                    : std::string(),
                                in + lo + hi, d));
    result.push_back(convOutputSize(in, k, g.stride[d], lo, hi, g.dilation[d]));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

int64_t mlir::netc::poolOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                   int64_t padding, int64_t dilation,
                                   bool ceilMode) {
  int64_t span = in + 2 * padding - dilation * (kernel - 1) - 1;
  if (ceilMode)
    span += stride - 1;
  // Floor division, as torch's div_rtn, so a too-large kernel gives <= 0.
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  // torch drops a last window that would start in the right padding.
  if (ceilMode && (out - 1) * stride >= in + padding)
    --out;
  return out;
}

FailureOr<Shape> mlir::netc::inferPoolShape(ArrayRef<int64_t> input,
                                            const PoolGeometry &g,
                                            ShapeError &error) {
  if (failed(checkSpatialOperand(input,
                                 {{"kernel_size", g.kernelSize},
                                  {"stride", g.stride},
                                  {"padding", g.padding},
                                  {"dilation", g.dilation}},
                                 error)))
    return failure();
  if (failed(checkAtLeast("kernel_size", g.kernelSize, 1, error)) ||
      failed(checkAtLeast("stride", g.stride, 1, error)) ||
      failed(checkAtLeast("padding", g.padding, 0, error)) ||
      failed(checkAtLeast("dilation", g.dilation, 1, error)))
    return failure();

  Shape result{input[0], input[1]};
  for (size_t d = 0, e = input.size() - 2; d < e; ++d) {
    if (g.kind == PoolKind::avg && g.dilation[d] != 1)
      return fail(error, "dilation",
                  llvm::formatv("average pooling has no dilation, got {0}",
                                g.dilation[d]));
    int64_t dilated = g.dilation[d] * (g.kernelSize[d] - 1) + 1;
    if (2 * g.padding[d] > dilated)
      return fail(error, "padding",
                  llvm::formatv("padding {0} must be at most half the "
                                "kernel_size {1}{2}",
                                g.padding[d], g.kernelSize[d],
                                g.dilation[d] > 1
                                    ? llvm::formatv(" (dilated to {0})", dilated)
                                          .str()
                                    : std::string()));
    int64_t out = poolOutputSize(input[d + 2], g.kernelSize[d], g.stride[d],
                                 g.padding[d], g.dilation[d], g.ceilMode);
    if (out < 1)
      return fail(error, "kernel_size",
                  llvm::formatv("kernel_size {0} exceeds the padded input "
                                "size {1} in spatial dim {2}",
                                g.kernelSize[d],
                                input[d + 2] + 2 * g.padding[d], d));
    result.push_back(out);
  }
  return result;
}

FailureOr<Shape> mlir::netc::inferAdaptiveAvgPoolShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> outputSize, ShapeError &error) {
  if (failed(checkSpatialOperand(input, {{"output_size", outputSize}}, error)) ||
      failed(checkAtLeast("output_size", outputSize, 1, error)))
    return failure();
  Shape result{input[0], input[1]};
  result.append(outputSize.begin(), outputSize.end());
  return result;
}

//===----------------------------------------------------------------------===//
// Linear
//===----------------------------------------------------------------------===//

FailureOr<Shape> mlir::netc::inferLinearShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
    std::optional<ArrayRef<int64_t>> bias, ShapeError &error) {
  if (input.size() != 2)
    return fail(error, "input",
                "expected a (N, in_features) input, got " + formatShape(input) +
                    " (add a flatten layer before it)");
  if (weight.size() != 2)
    return fail(error, "out_features",
                llvm::formatv("expected a weight of rank 2 (out_features, "
                              "in_features), got rank {0}",
                              weight.size()));
  if (weight[1] != input[1])
    return fail(error, "in_features",
                llvm::formatv("the weight expects {0} in_features but the "
                              "input {1} has {2}",
                              weight[1], formatShape(input), input[1]));
  if (bias && (bias->size() != 1 || (*bias)[0] != weight[0]))
    return fail(error, "bias",
                llvm::formatv("expected a bias of shape ({0})", weight[0]));
  return Shape{input[0], weight[0]};
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

FailureOr<Shape> mlir::netc::inferBatchNormShape(
    ArrayRef<int64_t> input, ArrayRef<ArrayRef<int64_t>> perChannel,
    ShapeError &error) {
  if (input.size() < 2 || input.size() > 5)
    return fail(error, "input",
                "expected an input of shape (N, C, *spatial) with 0 to 3 "
                "spatial dimensions, got " +
                    formatShape(input));
  for (ArrayRef<int64_t> p : perChannel)
    if (p.size() != 1 || p[0] != input[1])
      return fail(error, "num_features",
                  llvm::formatv("expected {0} features (the input's channels "
                                "in {1}), got {2}",
                                input[1], formatShape(input),
                                p.size() == 1 ? p[0] : -1));
  return Shape(input.begin(), input.end());
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

FailureOr<Shape> mlir::netc::inferFlattenShape(ArrayRef<int64_t> input,
                                               int64_t startDim, int64_t endDim,
                                               ShapeError &error) {
  int64_t rank = input.size();
  int64_t start = startDim < 0 ? startDim + rank : startDim;
  int64_t end = endDim < 0 ? endDim + rank : endDim;
  if (start < 1 || start >= rank)
    return fail(error, "start_dim",
                llvm::formatv("start_dim {0} is outside [1, {1}) for the "
                              "input {2} (the batch dimension stays apart)",
                              startDim, rank, formatShape(input)));
  if (end < start || end >= rank)
    return fail(error, "end_dim",
                llvm::formatv("end_dim {0} is outside [start_dim, {1}) for "
                              "the input {2}",
                              endDim, rank, formatShape(input)));
  Shape result(input.begin(), input.begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d)
    merged *= input[d];
  result.push_back(merged);
  result.append(input.begin() + end + 1, input.end());
  return result;
}

LogicalResult mlir::netc::checkReshape(ArrayRef<int64_t> input,
                                       ArrayRef<int64_t> result,
                                       ShapeError &error) {
  if (result.empty() || perSampleElements(input) != perSampleElements(result)) {
    (void)fail(error, "shape",
               llvm::formatv("cannot reshape {0} ({1} elements per sample) "
                             "to {2}",
                             formatShape(input), perSampleElements(input),
                             formatShape(result)));
    return failure();
  }
  return success();
}

FailureOr<Shape> mlir::netc::inferConcatShape(ArrayRef<Shape> inputs,
                                              int64_t dim, ShapeError &error) {
  if (inputs.empty())
    return fail(error, "inputs", "expected at least one input");
  int64_t rank = inputs.front().size();
  if (dim < 1 || dim >= rank)
    return fail(error, "dim",
                llvm::formatv("dim {0} is outside [1, {1}) for the input {2}",
                              dim, rank, formatShape(inputs.front())));
  Shape result = inputs.front();
  for (auto [i, shape] : llvm::enumerate(inputs.drop_front())) {
    bool compatible = (int64_t)shape.size() == rank;
    for (int64_t d = 1; compatible && d < rank; ++d)
      compatible = d == dim || shape[d] == result[d];
    if (!compatible)
      return fail(error, "inputs",
                  llvm::formatv("input {0} has shape {1}, which does not "
                                "match input 0's {2} outside dim {3}",
                                i + 1, formatShape(shape),
                                formatShape(inputs.front()), dim));
    result[dim] += shape[dim];
  }
  return result;
}

LogicalResult mlir::netc::checkReductionDim(ArrayRef<int64_t> input,
                                            int64_t dim, ShapeError &error) {
  if (dim < 1 || dim >= (int64_t)input.size()) {
    (void)fail(error, "dim",
               llvm::formatv("dim {0} is outside [1, {1}) for the input {2}",
                             dim, input.size(), formatShape(input)));
    return failure();
  }
  return success();
}
