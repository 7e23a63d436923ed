//===- ModelImporter.cpp - JSON model files to the netc dialect -----------===//
//
// Checks a parsed model file against docs/model-format.md, expands its
// modules, infers each layer's shape with the shared shape rules
// (ShapeRules.h) and builds one netc.model function, in the manner of Toy's
// MLIRGen: one class owns the state and turns source positions into
// locations.
//
// Every problem is reported at the JSON value at fault and the import goes
// on, so all problems of a file show in one run: a layer that fails has an
// unknown result, and the checks that need that result are skipped. The
// module is returned only if nothing was reported.
//
//===----------------------------------------------------------------------===//

#include "netc/Frontend/ModelImporter.h"

#include "ModelAST.h"
#include "netc/Dialect/ModelSignature.h"
#include "netc/Dialect/NetcDialect.h"
#include "netc/Dialect/NetcOps.h"
#include "netc/Dialect/ShapeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

#include <cfloat>
#include <cmath>
#include <set>

using namespace mlir;
using namespace mlir::netc;
using namespace mlir::netc::frontend;

/// Limit on every size attribute, on the elements of one sample of any
/// tensor and on the elements of any parameter. It keeps the shape rules'
/// arithmetic far from int64 overflow and every buffer 32-bit addressable.
static constexpr int64_t kMaxElements = int64_t(1) << 31;

/// Limit on the layers a model expands to (modules that instantiate modules
/// multiply): compile time grows linearly with them, and at this size a
/// training step already takes a quarter of an hour to compile.
static constexpr size_t kMaxLayers = 10000;

//===----------------------------------------------------------------------===//
// Layer kinds
//===----------------------------------------------------------------------===//

namespace {

enum class LayerKind {
  Conv,
  Pool,
  AdaptiveAvgPool,
  GlobalAvgPool,
  Linear,
  Relu,
  Sigmoid,
  Tanh,
  LeakyRelu,
  Softmax,
  LogSoftmax,
  BatchNorm,
  Dropout,
  Flatten,
  Reshape,
  Concat,
  Add
};

/// What a layer's "op" means when it names a layer kind.
struct OpInfo {
  LayerKind kind;
  /// Spatial dimensions of the kinds whose name ends in 1d/2d/3d; else 0.
  unsigned spatialRank = 0;
  PoolKind poolKind = PoolKind::max;
  /// The attributes the kind takes besides id, op and inputs.
  ArrayRef<StringLiteral> attributes = {};
};

} // namespace

/// Fields every layer may have, whatever its op.
static constexpr StringLiteral kLayerFields[] = {"id", "op", "inputs"};

static constexpr StringLiteral kConvAttributes[] = {
    "out_channels", "kernel_size", "in_channels",  "stride",      "padding",
    "dilation",     "groups",      "bias",         "padding_mode", "padding_value"};
static constexpr StringLiteral kMaxPoolAttributes[] = {
    "kernel_size", "stride", "padding", "dilation", "ceil_mode"};
static constexpr StringLiteral kAvgPoolAttributes[] = {
    "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"};
static constexpr StringLiteral kAdaptiveAvgPoolAttributes[] = {"output_size"};
static constexpr StringLiteral kLinearAttributes[] = {"out_features",
                                                      "in_features", "bias"};
static constexpr StringLiteral kLeakyReluAttributes[] = {"negative_slope"};
static constexpr StringLiteral kDimAttributes[] = {"dim"};
static constexpr StringLiteral kBatchNormAttributes[] = {
    "eps", "momentum", "affine", "num_features"};
static constexpr StringLiteral kDropoutAttributes[] = {"p"};
static constexpr StringLiteral kFlattenAttributes[] = {"start_dim", "end_dim"};
static constexpr StringLiteral kReshapeAttributes[] = {"shape"};

/// The layer kind `op` names, if it names one.
static std::optional<OpInfo> lookupOp(StringRef op) {
  // conv, pooling and batch norm come in 1d, 2d and 3d.
  if (op.size() > 2 && op.ends_with("d") && op[op.size() - 2] >= '1' &&
      op[op.size() - 2] <= '3') {
    unsigned rank = op[op.size() - 2] - '0';
    StringRef base = op.drop_back(2);
    if (base == "conv")
      return OpInfo{LayerKind::Conv, rank, PoolKind::max, kConvAttributes};
    if (base == "max_pool")
      return OpInfo{LayerKind::Pool, rank, PoolKind::max, kMaxPoolAttributes};
    if (base == "min_pool")
      return OpInfo{LayerKind::Pool, rank, PoolKind::min, kMaxPoolAttributes};
    if (base == "avg_pool")
      return OpInfo{LayerKind::Pool, rank, PoolKind::avg, kAvgPoolAttributes};
    if (base == "adaptive_avg_pool")
      return OpInfo{LayerKind::AdaptiveAvgPool, rank, PoolKind::avg,
                    kAdaptiveAvgPoolAttributes};
    if (base == "batch_norm")
      return OpInfo{LayerKind::BatchNorm, rank, PoolKind::max,
                    kBatchNormAttributes};
    return std::nullopt;
  }
  auto simple = [](LayerKind kind, ArrayRef<StringLiteral> attributes = {}) {
    return OpInfo{kind, 0, PoolKind::max, attributes};
  };
  return llvm::StringSwitch<std::optional<OpInfo>>(op)
      .Case("global_avg_pool", simple(LayerKind::GlobalAvgPool))
      .Case("linear", simple(LayerKind::Linear, kLinearAttributes))
      .Case("relu", simple(LayerKind::Relu))
      .Case("sigmoid", simple(LayerKind::Sigmoid))
      .Case("tanh", simple(LayerKind::Tanh))
      .Case("leaky_relu", simple(LayerKind::LeakyRelu, kLeakyReluAttributes))
      .Case("softmax", simple(LayerKind::Softmax, kDimAttributes))
      .Case("log_softmax", simple(LayerKind::LogSoftmax, kDimAttributes))
      .Case("dropout", simple(LayerKind::Dropout, kDropoutAttributes))
      .Case("flatten", simple(LayerKind::Flatten, kFlattenAttributes))
      .Case("reshape", simple(LayerKind::Reshape, kReshapeAttributes))
      .Case("concat", simple(LayerKind::Concat, kDimAttributes))
      .Case("add", simple(LayerKind::Add))
      .Default(std::nullopt);
}

/// torch's names for the layout of an input with `spatialRank` dimensions.
static StringRef layoutName(unsigned spatialRank) {
  switch (spatialRank) {
  case 1:
    return "(N, C, L)";
  case 2:
    return "(N, C, H, W)";
  default:
    return "(N, C, D, H, W)";
  }
}

/// Layer ids are state_dict key components: no '.', which separates them,
/// and nothing that needs quoting in C or in a shell.
static bool isLayerId(StringRef id) {
  return !id.empty() && llvm::all_of(id, [](char c) {
    return llvm::isAlnum(c) || c == '_' || c == '-';
  });
}

static bool isCIdentifier(StringRef name) {
  return !name.empty() && (llvm::isAlpha(name[0]) || name[0] == '_') &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Makes a negative dim (softmax, concat) count from the end of a rank-`rank`
/// input, as torch does. One that would still be out of range (the batch
/// dimension or beyond) stays as written, for the shape rule's message.
static int64_t normalizeDim(int64_t dim, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  return dim < 0 && dim + r >= 1 ? dim + r : dim;
}

/// The product of `dims`, or nullopt on overflow.
static std::optional<int64_t> checkedElements(ArrayRef<int64_t> dims) {
  std::optional<int64_t> n = 1;
  for (int64_t d : dims)
    if (n)
      n = llvm::checkedMul(*n, d);
  return n;
}

//===----------------------------------------------------------------------===//
// Importer state
//===----------------------------------------------------------------------===//

namespace {

/// A layer's result: its value and shape (batch first, dynamic); a null
/// value means unknown, because the layer or one it reads failed.
struct Tensor {
  Value value;
  Shape shape;
  explicit operator bool() const { return static_cast<bool>(value); }
};

/// A module from the top-level "modules".
struct ModuleDef {
  SmallVector<StringRef> params;
  /// Null when the definition is malformed (already reported).
  const JsonValue *layers = nullptr;
  const JsonValue *output = nullptr;
};

/// The parameters a module instance binds, by name. The values have had
/// their own "$name" references substituted, so they hold none.
struct Bindings {
  StringRef module;
  ArrayRef<StringRef> params;
  llvm::StringMap<JsonValue> values;
};

/// Where values are read: names the place in messages and binds "$name".
struct Site {
  /// Prefixes every message about the site: "layer 'conv1': ", or empty.
  std::string prefix;
  /// The enclosing module instance's parameters; null at the top level.
  const Bindings *bindings = nullptr;
};

/// The layer being imported.
struct Layer : Site {
  const JsonValue *node = nullptr;
  /// The qualified id: "incep1.branch1x1".
  std::string id;
  /// The op as written: "conv2d", or a module's name.
  StringRef op;
  SmallVector<Tensor, 2> inputs;
  /// False when `inputs` was malformed or of the wrong count.
  bool inputsValid = true;

  /// Whether the layer's inputs are all there and known.
  bool ready() const {
    return inputsValid &&
           llvm::all_of(inputs, [](const Tensor &t) { return bool(t); });
  }
};

/// A list of layers being imported: the model's or a module instance's.
struct Scope {
  /// Qualifies the ids of the list: "" or "incep1.".
  std::string prefix;
  const Bindings *bindings = nullptr;
  /// What "input" refers to.
  Tensor input;
};

/// Reads one entry of a per-dimension attribute; `what` names it
/// ("kernel_size[1]") and `expected` says what it may be.
template <typename T>
using ReadEntryFn =
    function_ref<FailureOr<T>(const JsonValue &, const Twine &, StringRef)>;

/// A convolution's padding before and after each spatial dimension.
struct ConvPadding {
  Shape low, high;
  /// "same": the importer computes low and high from the kernel.
  bool same = false;
};

class ModelImporter {
public:
  ModelImporter(llvm::SourceMgr &sourceMgr, MLIRContext &context)
      : sourceMgr(sourceMgr), context(context), builder(&context),
        lines(sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
                  ->getBuffer()) {}

  OwningOpRef<ModuleOp> import();

private:
  //===--------------------------------------------------------------------===//
  // Diagnostics and locations
  //===--------------------------------------------------------------------===//

  Location fileLoc(SMLoc loc);
  /// The location of `layer`'s ops: its qualified id and its position.
  Location layerLoc(const Layer &layer) {
    return NameLoc::get(builder.getStringAttr(layer.id),
                        fileLoc(layer.node->loc));
  }
  /// Reports a problem; the same problem at the same place (a module body
  /// imported once per instance) is reported once.
  void error(const Site &site, SMLoc loc, const Twine &message);
  void error(SMLoc loc, const Twine &message) { error(Site(), loc, message); }
  /// Reports the members of `object` that are not in `known`, as
  /// "unknown <noun> '<key>'<context>".
  void checkKeys(const Site &site, const JsonValue &object,
                 ArrayRef<StringRef> known, StringRef noun, StringRef context);

  //===--------------------------------------------------------------------===//
  // Top level
  //===--------------------------------------------------------------------===//

  std::string readModelName(const JsonValue &root);
  FailureOr<Shape> readInputShape(const JsonValue &root);
  /// Reads the optional "loss" and records it on the model function.
  void readLoss(const JsonValue &root, func::FuncOp func, const Tensor &output);
  void readModules(const JsonValue &root);

  //===--------------------------------------------------------------------===//
  // Layers
  //===--------------------------------------------------------------------===//

  /// Imports a list of layers; returns the result of its output layer.
  Tensor importLayers(const JsonValue &layers, const JsonValue *output,
                      const Scope &scope);
  /// Resolves `layer`'s "inputs" (default: `previous`) in the list.
  void readInputs(Layer &layer, const Scope &scope, const Tensor &previous,
                  size_t index, const llvm::StringMap<size_t> &ids,
                  ArrayRef<Tensor> results);
  Tensor importLayer(Layer &layer);
  Tensor importModuleInstance(Layer &layer, const ModuleDef &module);
  /// Checks the number of inputs; marks the layer's inputs invalid if wrong.
  void checkInputCount(Layer &layer, size_t min, size_t max);
  /// Checks that the input has the layout `info`'s kind expects.
  LogicalResult checkInputRank(const Layer &layer, const OpInfo &info);
  /// Reports a shape rule's failure at the field it names.
  Tensor shapeError(const Layer &layer, const ShapeError &shapeErr);
  /// Adds a parameter argument named "<layer id>.<suffix>".
  FailureOr<Value> addParam(const Layer &layer, StringRef suffix,
                            ArrayRef<int64_t> shape);
  RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  Tensor importConv(Layer &layer, const OpInfo &info);
  Tensor importPool(Layer &layer, const OpInfo &info);
  Tensor importAdaptiveAvgPool(Layer &layer, const OpInfo &info);
  Tensor importLinear(Layer &layer);
  Tensor importBatchNorm(Layer &layer, const OpInfo &info);
  Tensor importFlatten(Layer &layer);
  Tensor importReshape(Layer &layer);
  Tensor importConcat(Layer &layer);
  Tensor importAdd(Layer &layer);
  /// relu, sigmoid, tanh, leaky_relu, dropout, softmax, log_softmax: ops
  /// whose result has their input's shape.
  Tensor importSameShape(Layer &layer, const OpInfo &info);

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  /// Replaces a "$name" string by the value its module instance binds.
  FailureOr<const JsonValue *> resolve(const Site &site,
                                       const JsonValue &value);
  /// A deep copy of `value` with every "$name" substituted.
  FailureOr<JsonValue> substitute(const Site &site, const JsonValue &value);
  /// The layer's attribute `name`, resolved; null if absent.
  FailureOr<const JsonValue *> attribute(const Layer &layer, StringRef name);
  /// Where to point at `field` of the layer: its value, or the layer when
  /// the field is absent. "input" is the layer's "inputs".
  SMLoc fieldLoc(const Layer &layer, StringRef field);
  /// Reports a missing required attribute.
  void missing(const Layer &layer, StringRef name);

  /// Reads an integer in [min, kMaxElements].
  FailureOr<int64_t> readIntValue(const Site &site, const JsonValue &value,
                                  const Twine &what, int64_t min,
                                  StringRef expected = "an integer");
  /// Reads an integer attribute; `defaultValue` when absent, required when
  /// there is none.
  FailureOr<int64_t> readInt(const Layer &layer, StringRef name,
                             std::optional<int64_t> defaultValue,
                             int64_t min = -kMaxElements);
  /// Reads a number as f32. `valid`, if given, tells the values allowed,
  /// which `validText` describes ("in [0, 1)").
  FailureOr<float> readFloat(const Layer &layer, StringRef name,
                             float defaultValue,
                             function_ref<bool(float)> valid = nullptr,
                             StringRef validText = "");
  FailureOr<bool> readBool(const Layer &layer, StringRef name,
                           bool defaultValue);
  /// Reads an attribute that is one value for every spatial dimension or a
  /// list with one entry per dimension, as torch.nn's _ntuple.
  template <typename T>
  FailureOr<SmallVector<T, 3>> readPerDim(const Layer &layer,
                                          const JsonValue &value,
                                          StringRef name, unsigned rank,
                                          const Twine &scalarExpected,
                                          StringRef entryExpected,
                                          ReadEntryFn<T> readEntry);
  /// Reads an integer per-dimension attribute (kernel_size, stride, ...).
  FailureOr<Shape> readSizes(const Layer &layer, StringRef name, unsigned rank,
                             std::optional<Shape> defaultValue);
  /// An adaptive pooling's output_size: an integer or null, or a list of
  /// them; null (torch's None) keeps the input's size.
  FailureOr<SmallVector<std::optional<int64_t>, 3>>
  readOutputSize(const Layer &layer, unsigned rank);
  FailureOr<ConvPadding> readConvPadding(const Layer &layer, unsigned rank);
  FailureOr<PaddingMode> readPaddingMode(const Layer &layer);

  llvm::SourceMgr &sourceMgr;
  MLIRContext &context;
  OpBuilder builder;
  StringAttr fileName;
  /// Positions of the model file's lines: every op and error is located.
  LineIndex lines;
  bool hadError = false;
  /// The problems reported so far, by position, for deduplication.
  std::set<std::pair<const char *, std::string>> reported;
  llvm::StringMap<ModuleDef> modules;
  /// The modules being expanded, outermost first, to detect recursion.
  SmallVector<StringRef> moduleStack;
  size_t layerCount = 0;
  /// The function's entry block, where parameters become arguments.
  Block *body = nullptr;
  /// The parameters' state_dict names, in argument order after the input.
  SmallVector<std::string> paramNames;
};

} // namespace

//===----------------------------------------------------------------------===//
// Diagnostics and locations
//===----------------------------------------------------------------------===//

Location ModelImporter::fileLoc(SMLoc loc) {
  auto [line, column] = lines.lineAndColumn(loc.getPointer());
  return FileLineColLoc::get(fileName, line, column);
}

void ModelImporter::error(const Site &site, SMLoc loc, const Twine &message) {
  hadError = true;
  std::string text = message.str();
  if (!reported.insert({loc.getPointer(), text}).second)
    return;
  emitError(fileLoc(loc)) << site.prefix << text;
}

void ModelImporter::checkKeys(const Site &site, const JsonValue &object,
                              ArrayRef<StringRef> known, StringRef noun,
                              StringRef context) {
  for (const JsonMember &member : object.members) {
    if (llvm::is_contained(known, member.key))
      continue;
    // Suggest a near miss ("strides"); otherwise list what is allowed. A
    // short key is near only what differs from it in a character or so.
    StringRef closest;
    unsigned bestDistance = 3;
    for (StringRef candidate : known) {
      unsigned distance = candidate.edit_distance(member.key);
      if (distance < bestDistance && 3 * distance <= member.key.size()) {
        bestDistance = distance;
        closest = candidate;
      }
    }
    std::string hint =
        closest.empty()
            ? (known.empty() ? std::string("none is allowed")
                             : "expected one of: " + llvm::join(known, ", "))
            : ("did you mean '" + closest + "'?").str();
    error(site, member.keyLoc,
          llvm::formatv("unknown {0} '{1}'{2} ({3})", noun, member.key, context,
                        hint));
  }
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

FailureOr<const JsonValue *> ModelImporter::resolve(const Site &site,
                                                    const JsonValue &value) {
  StringRef text = value.text;
  if (!value.isString() || !text.starts_with("$"))
    return &value;
  StringRef name = text.drop_front();
  if (!site.bindings) {
    error(site, value.loc,
          llvm::formatv("'{0}' refers to a module parameter outside of any "
                        "module",
                        text));
    return failure();
  }
  auto it = site.bindings->values.find(name);
  if (it == site.bindings->values.end()) {
    error(site, value.loc,
          llvm::formatv("unknown module parameter '{0}' (module '{1}' takes "
                        "{2})",
                        text, site.bindings->module,
                        site.bindings->params.empty()
                            ? std::string("none")
                            : llvm::join(site.bindings->params, ", ")));
    return failure();
  }
  return &it->second;
}

FailureOr<JsonValue> ModelImporter::substitute(const Site &site,
                                               const JsonValue &value) {
  FailureOr<const JsonValue *> resolved = resolve(site, value);
  if (failed(resolved))
    return failure();
  // A bound value has been substituted when it was bound.
  JsonValue copy = **resolved;
  if (*resolved != &value)
    return copy;
  bool ok = true;
  auto substituteInPlace = [&](JsonValue &element) {
    FailureOr<JsonValue> substituted = substitute(site, element);
    if (failed(substituted))
      ok = false;
    else
      element = std::move(*substituted);
  };
  for (JsonValue &element : copy.elements)
    substituteInPlace(element);
  for (JsonMember &member : copy.members)
    substituteInPlace(member.value);
  if (!ok)
    return failure();
  return copy;
}

FailureOr<const JsonValue *> ModelImporter::attribute(const Layer &layer,
                                                      StringRef name) {
  const JsonValue *value = layer.node->get(name);
  if (!value)
    return static_cast<const JsonValue *>(nullptr);
  return resolve(layer, *value);
}

SMLoc ModelImporter::fieldLoc(const Layer &layer, StringRef field) {
  const JsonValue *value =
      layer.node->get(field == "input" ? StringRef("inputs") : field);
  if (!value)
    return layer.node->loc;
  // Point at the bound value when "$name" stands for it: that is the value
  // that is at fault for this instance.
  if (value->isString() && layer.bindings &&
      StringRef(value->text).starts_with("$")) {
    auto it = layer.bindings->values.find(StringRef(value->text).drop_front());
    if (it != layer.bindings->values.end())
      return it->second.loc;
  }
  return value->loc;
}

void ModelImporter::missing(const Layer &layer, StringRef name) {
  error(layer, layer.node->loc,
        llvm::formatv("missing attribute '{0}' (required by {1})", name,
                      layer.op));
}

FailureOr<int64_t> ModelImporter::readIntValue(const Site &site,
                                               const JsonValue &value,
                                               const Twine &what, int64_t min,
                                               StringRef expected) {
  FailureOr<const JsonValue *> resolved = resolve(site, value);
  if (failed(resolved))
    return failure();
  const JsonValue &v = **resolved;
  if (!v.isInteger()) {
    error(site, v.loc,
          "expected " + expected + " for " + what + ", got " + describeJson(v));
    return failure();
  }
  if (v.integer > kMaxElements || v.integer < min) {
    bool tooLarge = v.integer > kMaxElements;
    error(site, v.loc,
          "expected " + what + (tooLarge ? " <= " : " >= ") +
              Twine(tooLarge ? kMaxElements : min) + ", got " + v.text);
    return failure();
  }
  return v.integer;
}

FailureOr<int64_t> ModelImporter::readInt(const Layer &layer, StringRef name,
                                          std::optional<int64_t> defaultValue,
                                          int64_t min) {
  FailureOr<const JsonValue *> value = attribute(layer, name);
  if (failed(value))
    return failure();
  if (*value)
    return readIntValue(layer, **value, name, min);
  if (defaultValue)
    return *defaultValue;
  missing(layer, name);
  return failure();
}

FailureOr<float> ModelImporter::readFloat(const Layer &layer, StringRef name,
                                          float defaultValue,
                                          function_ref<bool(float)> valid,
                                          StringRef validText) {
  FailureOr<const JsonValue *> value = attribute(layer, name);
  if (failed(value))
    return failure();
  if (!*value)
    return defaultValue;
  const JsonValue &v = **value;
  if (!v.isNumber()) {
    error(layer, v.loc,
          llvm::formatv("expected a number for {0}, got {1}", name,
                        describeJson(v)));
    return failure();
  }
  double number = v.isInteger() ? static_cast<double>(v.integer) : v.number;
  if (!(std::fabs(number) <= FLT_MAX)) {
    error(layer, v.loc,
          llvm::formatv("expected {0} within the range of f32, got {1}", name,
                        v.text));
    return failure();
  }
  if (valid && !valid(static_cast<float>(number))) {
    error(layer, v.loc,
          llvm::formatv("expected {0} {1}, got {2}", name, validText, v.text));
    return failure();
  }
  return static_cast<float>(number);
}

FailureOr<bool> ModelImporter::readBool(const Layer &layer, StringRef name,
                                        bool defaultValue) {
  FailureOr<const JsonValue *> value = attribute(layer, name);
  if (failed(value))
    return failure();
  if (!*value)
    return defaultValue;
  if (!(*value)->isBool()) {
    error(layer, (*value)->loc,
          llvm::formatv("expected true or false for {0}, got {1}", name,
                        describeJson(**value)));
    return failure();
  }
  return (*value)->boolean;
}

template <typename T>
FailureOr<SmallVector<T, 3>> ModelImporter::readPerDim(
    const Layer &layer, const JsonValue &value, StringRef name, unsigned rank,
    const Twine &scalarExpected, StringRef entryExpected,
    ReadEntryFn<T> readEntry) {
  if (!value.isArray()) {
    FailureOr<T> entry = readEntry(value, name, scalarExpected.str());
    if (failed(entry))
      return failure();
    return SmallVector<T, 3>(rank, *entry);
  }
  if (value.elements.size() != rank) {
    error(layer, value.loc,
          llvm::formatv("expected {0} value{1} for {2} (one per spatial "
                        "dimension of {3}), got {4}",
                        rank, rank == 1 ? "" : "s", name, layer.op,
                        value.elements.size()));
    return failure();
  }
  SmallVector<T, 3> result;
  bool ok = true;
  for (auto [i, element] : llvm::enumerate(value.elements)) {
    FailureOr<T> entry =
        readEntry(element, name + "[" + Twine(i) + "]", entryExpected);
    if (failed(entry))
      ok = false;
    else
      result.push_back(*entry);
  }
  if (!ok)
    return failure();
  return result;
}

FailureOr<Shape> ModelImporter::readSizes(const Layer &layer, StringRef name,
                                          unsigned rank,
                                          std::optional<Shape> defaultValue) {
  FailureOr<const JsonValue *> value = attribute(layer, name);
  if (failed(value))
    return failure();
  if (!*value) {
    if (defaultValue)
      return *defaultValue;
    missing(layer, name);
    return failure();
  }
  auto readEntry = [&](const JsonValue &entry, const Twine &what,
                       StringRef expected) {
    return readIntValue(layer, entry, what, -kMaxElements, expected);
  };
  FailureOr<SmallVector<int64_t, 3>> sizes = readPerDim<int64_t>(
      layer, **value, name, rank,
      llvm::formatv("an integer or a list of {0} integer{1}", rank,
                    rank == 1 ? "" : "s"),
      "an integer", readEntry);
  if (failed(sizes))
    return failure();
  return Shape(sizes->begin(), sizes->end());
}

FailureOr<ConvPadding> ModelImporter::readConvPadding(const Layer &layer,
                                                      unsigned rank) {
  FailureOr<const JsonValue *> value = attribute(layer, "padding");
  if (failed(value))
    return failure();
  ConvPadding padding{Shape(rank, 0), Shape(rank, 0)};
  if (!*value)
    return padding;
  const JsonValue &v = **value;
  if (v.isString() && (v.text == "same" || v.text == "valid")) {
    padding.same = v.text == "same";
    return padding;
  }
  // Each entry is a size for both sides or a [before, after] pair.
  using Pair = std::pair<int64_t, int64_t>;
  auto readEntry = [&](const JsonValue &entry, const Twine &what,
                       StringRef expected) -> FailureOr<Pair> {
    FailureOr<const JsonValue *> resolved = resolve(layer, entry);
    if (failed(resolved))
      return failure();
    const JsonValue &e = **resolved;
    if (e.isArray() && e.elements.size() == 2) {
      FailureOr<int64_t> low =
          readIntValue(layer, e.elements[0], what + "[0]", -kMaxElements);
      FailureOr<int64_t> high =
          readIntValue(layer, e.elements[1], what + "[1]", -kMaxElements);
      if (failed(low) || failed(high))
        return failure();
      return Pair(*low, *high);
    }
    FailureOr<int64_t> both =
        readIntValue(layer, e, what, -kMaxElements, expected);
    if (failed(both))
      return failure();
    return Pair(*both, *both);
  };
  FailureOr<SmallVector<Pair, 3>> pairs = readPerDim<Pair>(
      layer, v, "padding", rank,
      llvm::formatv("an integer, a list of {0} entr{1}, \"same\" or \"valid\"",
                    rank, rank == 1 ? "y" : "ies"),
      "an integer or a [before, after] pair", readEntry);
  if (failed(pairs))
    return failure();
  for (auto [d, pair] : llvm::enumerate(*pairs)) {
    padding.low[d] = pair.first;
    padding.high[d] = pair.second;
  }
  return padding;
}

FailureOr<PaddingMode> ModelImporter::readPaddingMode(const Layer &layer) {
  FailureOr<const JsonValue *> value = attribute(layer, "padding_mode");
  if (failed(value))
    return failure();
  if (!*value)
    return PaddingMode::zeros;
  std::optional<PaddingMode> mode;
  if ((*value)->isString())
    mode = symbolizePaddingMode((*value)->text);
  if (!mode) {
    error(layer, (*value)->loc,
          llvm::formatv("expected \"zeros\", \"reflect\", \"replicate\", "
                        "\"circular\" or \"constant\" for padding_mode, got {0}",
                        describeJson(**value)));
    return failure();
  }
  return *mode;
}

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

std::string ModelImporter::readModelName(const JsonValue &root) {
  // A stand-in keeps the import going; the module is dropped on error.
  std::string fallback = "model";
  const JsonValue *name = root.get("name");
  if (!name) {
    error(root.loc, "missing top-level field 'name'");
    return fallback;
  }
  if (!name->isString()) {
    error(name->loc, "expected a string for name, got " + describeJson(*name));
    return fallback;
  }
  std::string problem = checkModelName(name->text);
  if (!problem.empty()) {
    error(name->loc, llvm::formatv("name {0} {1}: it names the model's C "
                                   "functions and macros",
                                   describeJson(*name), problem));
    return fallback;
  }
  return name->text;
}

FailureOr<Shape> ModelImporter::readInputShape(const JsonValue &root) {
  const JsonValue *input = root.get("input");
  if (!input) {
    error(root.loc, "missing top-level field 'input'");
    return failure();
  }
  if (!input->isObject()) {
    error(input->loc,
          "expected an object {\"shape\": [C, *spatial]} for input, got " +
              describeJson(*input));
    return failure();
  }
  Site site;
  checkKeys(site, *input, {"shape"}, "field", " in input");
  const JsonValue *shape = input->get("shape");
  if (!shape) {
    error(input->loc, "missing field 'shape' in input");
    return failure();
  }
  if (!shape->isArray() || shape->elements.empty() ||
      shape->elements.size() > 4) {
    error(shape->loc,
          "expected a list of 1 to 4 sizes [C, *spatial] (one sample, without "
          "the batch) for input.shape, got " +
              (shape->isArray() ? llvm::formatv("{0} sizes",
                                                shape->elements.size())
                                      .str()
                                : describeJson(*shape)));
    return failure();
  }
  Shape result{ShapedType::kDynamic};
  bool ok = true;
  for (auto [i, size] : llvm::enumerate(shape->elements)) {
    FailureOr<int64_t> d = readIntValue(
        site, size, "input.shape[" + Twine(i) + "]", /*min=*/1);
    if (failed(d))
      ok = false;
    else
      result.push_back(*d);
  }
  if (!ok)
    return failure();
  std::optional<int64_t> elements = checkedElements(ArrayRef(result).drop_front());
  if (!elements || *elements > kMaxElements) {
    error(shape->loc,
          llvm::formatv("input {0} has more than {1} elements per sample",
                        formatShape(result), kMaxElements));
    return failure();
  }
  return result;
}

void ModelImporter::readModules(const JsonValue &root) {
  const JsonValue *defs = root.get("modules");
  if (!defs)
    return;
  if (!defs->isObject()) {
    error(defs->loc,
          "expected an object of modules by name for modules, got " +
              describeJson(*defs));
    return;
  }
  Site site;
  for (const JsonMember &member : defs->members) {
    StringRef name = member.key;
    ModuleDef &def = modules[name];
    if (lookupOp(name)) {
      error(member.keyLoc,
            llvm::formatv("module '{0}' has the name of a layer kind", name));
      continue;
    }
    const JsonValue &node = member.value;
    if (!node.isObject()) {
      error(node.loc, llvm::formatv("expected an object with layers for "
                                    "module '{0}', got {1}",
                                    name, describeJson(node)));
      continue;
    }
    checkKeys(site, node, {"params", "layers", "output"}, "field",
              (" in module '" + name + "'").str());
    bool ok = true;
    if (const JsonValue *params = node.get("params")) {
      if (!params->isArray()) {
        error(params->loc,
              llvm::formatv("expected a list of parameter names for params of "
                            "module '{0}', got {1}",
                            name, describeJson(*params)));
        ok = false;
      }
      for (const JsonValue &param : params->elements) {
        if (!param.isString() || !isCIdentifier(param.text)) {
          error(param.loc,
                llvm::formatv("expected an identifier ([A-Za-z_][A-Za-z0-9_]*) "
                              "for a parameter of module '{0}', got {1}",
                              name, describeJson(param)));
          ok = false;
        } else if (llvm::is_contained(kLayerFields, param.text)) {
          error(param.loc,
                llvm::formatv("parameter '{0}' of module '{1}' clashes with "
                              "the layer field '{0}'",
                              param.text, name));
          ok = false;
        } else if (llvm::is_contained(def.params, param.text)) {
          error(param.loc,
                llvm::formatv("duplicate parameter '{0}' of module '{1}'",
                              param.text, name));
          ok = false;
        } else {
          def.params.push_back(param.text);
        }
      }
    }
    const JsonValue *layers = node.get("layers");
    if (!layers) {
      error(node.loc,
            llvm::formatv("missing field 'layers' in module '{0}'", name));
      ok = false;
    } else if (!layers->isArray() || layers->elements.empty()) {
      error(layers->loc,
            llvm::formatv("expected a non-empty list of layers for layers of "
                          "module '{0}', got {1}",
                          name, describeJson(*layers)));
      ok = false;
    }
    if (ok) {
      def.layers = layers;
      def.output = node.get("output");
    }
  }
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

Tensor ModelImporter::importLayers(const JsonValue &layers,
                                   const JsonValue *output,
                                   const Scope &scope) {
  // Gather the ids first, so that a reference to a later layer can be told
  // from a reference to no layer. Without an id, a layer is named by its
  // index, as nn.Sequential names its children.
  SmallVector<std::string> ids;
  llvm::StringMap<size_t> indexOf;
  for (auto [i, node] : llvm::enumerate(layers.elements)) {
    ids.push_back(std::to_string(i));
    const JsonValue *id = node.isObject() ? node.get("id") : nullptr;
    if (id) {
      Site site{"layer '" + scope.prefix + ids.back() + "': ", scope.bindings};
      if (!id->isString() || id->text.empty())
        error(site, id->loc,
              "expected a non-empty string for id, got " + describeJson(*id));
      else if (!isLayerId(id->text))
        error(site, id->loc,
              llvm::formatv("id {0} may hold only letters, digits, '_' and "
                            "'-' (ids make the parameters' state_dict names, "
                            "which the generated C header quotes)",
                            describeJson(*id)));
      else if (id->text == "input")
        error(site, id->loc,
              "id \"input\" is reserved: it names the model's input");
      else
        ids.back() = id->text;
    }
    auto [it, inserted] = indexOf.try_emplace(ids.back(), i);
    if (!inserted)
      error(id ? id->loc : node.loc,
            llvm::formatv("duplicate layer id '{0}' (layer {1} of this list "
                          "has it too)",
                          ids.back(), it->second));
  }

  SmallVector<Tensor> results(layers.elements.size());
  for (auto [i, node] : llvm::enumerate(layers.elements)) {
    if (++layerCount > kMaxLayers) {
      // Report where the expansion crossed the limit, once.
      if (layerCount == kMaxLayers + 1)
        error(node.loc, llvm::formatv("the model expands to more than {0} "
                                      "layers",
                                      kMaxLayers));
      return {};
    }
    if (!node.isObject()) {
      error(node.loc, "expected a layer object, got " + describeJson(node));
      continue;
    }
    Layer layer;
    layer.node = &node;
    layer.id = scope.prefix + ids[i];
    layer.prefix = "layer '" + layer.id + "': ";
    layer.bindings = scope.bindings;
    readInputs(layer, scope, i ? results[i - 1] : scope.input, i, indexOf,
               results);
    results[i] = importLayer(layer);
  }

  if (!output)
    return results.back();
  if (output->isString() && output->text == "input")
    return scope.input;
  auto it = output->isString() ? indexOf.find(output->text) : indexOf.end();
  if (it == indexOf.end()) {
    error(output->loc,
          llvm::formatv("expected the id of a layer of the list for output, "
                        "got {0}",
                        describeJson(*output)));
    return {};
  }
  return results[it->second];
}

void ModelImporter::readInputs(Layer &layer, const Scope &scope,
                               const Tensor &previous, size_t index,
                               const llvm::StringMap<size_t> &ids,
                               ArrayRef<Tensor> results) {
  const JsonValue *inputs = layer.node->get("inputs");
  if (!inputs) {
    layer.inputs.push_back(previous);
    return;
  }
  ArrayRef<JsonValue> references(*inputs);
  if (inputs->isArray())
    references = inputs->elements;
  for (const JsonValue &reference : references) {
    if (!reference.isString()) {
      error(layer, reference.loc,
            "expected a layer id or a list of layer ids for inputs, got " +
                describeJson(reference));
      layer.inputsValid = false;
      continue;
    }
    if (reference.text == "input") {
      layer.inputs.push_back(scope.input);
      continue;
    }
    auto it = ids.find(reference.text);
    if (it == ids.end()) {
      error(layer, reference.loc,
            llvm::formatv("unknown input '{0}' (expected \"input\" or the id "
                          "of an earlier layer of the list)",
                          reference.text));
      layer.inputsValid = false;
    } else if (it->second >= index) {
      error(layer, reference.loc,
            it->second == index
                ? llvm::formatv("input '{0}' is the layer itself (a layer "
                                "reads \"input\" or earlier layers)",
                                reference.text)
                : llvm::formatv("input '{0}' is a later layer (a layer reads "
                                "\"input\" or earlier layers)",
                                reference.text));
      layer.inputsValid = false;
    } else {
      layer.inputs.push_back(results[it->second]);
    }
  }
}

void ModelImporter::checkInputCount(Layer &layer, size_t min, size_t max) {
  size_t count = layer.inputs.size();
  if (!layer.inputsValid || (count >= min && count <= max))
    return;
  std::string expected =
      min == max ? llvm::formatv("{0} input{1}", min, min == 1 ? "" : "s").str()
                 : llvm::formatv("at least {0} inputs", min).str();
  std::string op = lookupOp(layer.op) ? layer.op.str()
                                      : ("module '" + layer.op + "'").str();
  error(layer, fieldLoc(layer, "input"),
        llvm::formatv("{0} takes {1}, got {2}", op, expected, count));
  layer.inputsValid = false;
}

Tensor ModelImporter::importLayer(Layer &layer) {
  const JsonValue *op = layer.node->get("op");
  if (!op) {
    error(layer, layer.node->loc, "missing field 'op'");
    return {};
  }
  if (!op->isString()) {
    error(layer, op->loc,
          "expected a layer kind or a module name for op, got " +
              describeJson(*op));
    return {};
  }
  layer.op = op->text;

  std::optional<OpInfo> info = lookupOp(layer.op);
  if (!info) {
    auto module = modules.find(layer.op);
    if (module == modules.end()) {
      error(layer, op->loc,
            llvm::formatv("unknown op '{0}' (expected a layer kind or the "
                          "name of a module)",
                          layer.op));
      return {};
    }
    checkInputCount(layer, 1, 1);
    return importModuleInstance(layer, module->second);
  }

  SmallVector<StringRef> known(std::begin(kLayerFields),
                               std::end(kLayerFields));
  known.append(info->attributes.begin(), info->attributes.end());
  checkKeys(layer, *layer.node, known, "attribute",
            (" for " + layer.op).str());
  if (info->kind == LayerKind::Concat)
    checkInputCount(layer, 2, std::numeric_limits<size_t>::max());
  else if (info->kind == LayerKind::Add)
    checkInputCount(layer, 2, 2);
  else
    checkInputCount(layer, 1, 1);

  Tensor result;
  switch (info->kind) {
  case LayerKind::Conv:
    result = importConv(layer, *info);
    break;
  case LayerKind::Pool:
    result = importPool(layer, *info);
    break;
  case LayerKind::AdaptiveAvgPool:
  case LayerKind::GlobalAvgPool:
    result = importAdaptiveAvgPool(layer, *info);
    break;
  case LayerKind::Linear:
    result = importLinear(layer);
    break;
  case LayerKind::BatchNorm:
    result = importBatchNorm(layer, *info);
    break;
  case LayerKind::Flatten:
    result = importFlatten(layer);
    break;
  case LayerKind::Reshape:
    result = importReshape(layer);
    break;
  case LayerKind::Concat:
    result = importConcat(layer);
    break;
  case LayerKind::Add:
    result = importAdd(layer);
    break;
  case LayerKind::Relu:
  case LayerKind::Sigmoid:
  case LayerKind::Tanh:
  case LayerKind::LeakyRelu:
  case LayerKind::Softmax:
  case LayerKind::LogSoftmax:
  case LayerKind::Dropout:
    result = importSameShape(layer, *info);
    break;
  }
  if (!result)
    return {};
  std::optional<int64_t> elements =
      checkedElements(ArrayRef(result.shape).drop_front());
  if (!elements || *elements > kMaxElements) {
    error(layer, layer.node->loc,
          llvm::formatv("the output {0} has more than {1} elements per sample",
                        formatShape(result.shape), kMaxElements));
    return {};
  }
  return result;
}

Tensor ModelImporter::importModuleInstance(Layer &layer,
                                           const ModuleDef &module) {
  SmallVector<StringRef> known(std::begin(kLayerFields),
                               std::end(kLayerFields));
  known.append(module.params.begin(), module.params.end());
  checkKeys(layer, *layer.node, known, "attribute",
            (" for module '" + layer.op + "'").str());

  Bindings bindings{layer.op, module.params, {}};
  bool ok = true;
  for (StringRef param : module.params) {
    const JsonValue *value = layer.node->get(param);
    if (!value) {
      error(layer, layer.node->loc,
            llvm::formatv("missing parameter '{0}' of module '{1}'", param,
                          layer.op));
      ok = false;
      continue;
    }
    FailureOr<JsonValue> bound = substitute(layer, *value);
    if (failed(bound))
      ok = false;
    else
      bindings.values[param] = std::move(*bound);
  }
  if (llvm::is_contained(moduleStack, layer.op)) {
    std::string cycle;
    for (StringRef name : llvm::drop_begin(
             moduleStack, llvm::find(moduleStack, layer.op) -
                              moduleStack.begin()))
      cycle += (name + " -> ").str();
    error(layer, layer.node->get("op")->loc,
          llvm::formatv("module '{0}' uses itself ({1}{0})", layer.op, cycle));
    return {};
  }
  // Without all its parameters (or layers) the body cannot be checked
  // meaningfully; what is missing has been reported.
  if (!ok || !module.layers)
    return {};

  moduleStack.push_back(layer.op);
  Scope scope{layer.id + ".", &bindings,
              layer.ready() ? layer.inputs.front() : Tensor()};
  Tensor result = importLayers(*module.layers, module.output, scope);
  moduleStack.pop_back();
  return result;
}

LogicalResult ModelImporter::checkInputRank(const Layer &layer,
                                            const OpInfo &info) {
  size_t rank = layer.inputs.front().shape.size();
  unsigned spatial = info.spatialRank;
  // batch_norm1d also takes (N, C), as nn.BatchNorm1d does.
  bool ok = rank == spatial + 2 ||
            (info.kind == LayerKind::BatchNorm && spatial == 1 && rank == 2);
  if (ok)
    return success();
  std::string expected = layoutName(spatial).str();
  if (info.kind == LayerKind::BatchNorm && spatial == 1)
    expected = "(N, C) or " + expected;
  error(layer, fieldLoc(layer, "input"),
        llvm::formatv("{0} expects an input of shape {1}, got {2}", layer.op,
                      expected, formatShape(layer.inputs.front().shape)));
  return failure();
}

Tensor ModelImporter::shapeError(const Layer &layer,
                                 const ShapeError &shapeErr) {
  error(layer, fieldLoc(layer, shapeErr.field), shapeErr.message);
  return {};
}

FailureOr<Value> ModelImporter::addParam(const Layer &layer, StringRef suffix,
                                         ArrayRef<int64_t> shape) {
  std::string name = layer.id + "." + suffix.str();
  std::optional<int64_t> elements = checkedElements(shape);
  if (!elements || *elements > kMaxElements) {
    std::string dims;
    llvm::raw_string_ostream os(dims);
    llvm::interleaveComma(shape, os);
    error(layer, layer.node->loc,
          llvm::formatv("parameter '{0}' of shape ({1}) has more than {2} "
                        "elements",
                        name, dims, kMaxElements));
    return failure();
  }
  paramNames.push_back(std::move(name));
  return body->addArgument(tensorType(shape), layerLoc(layer));
}

/// Whether all of `results` succeeded.
template <typename... Ts>
static bool allSucceeded(const Ts &...results) {
  return (succeeded(results) && ...);
}

Tensor ModelImporter::importConv(Layer &layer, const OpInfo &info) {
  unsigned rank = info.spatialRank;
  FailureOr<int64_t> outChannels =
      readInt(layer, "out_channels", std::nullopt, /*min=*/1);
  FailureOr<Shape> kernel = readSizes(layer, "kernel_size", rank, std::nullopt);
  // 0: not given, inferred from the input.
  FailureOr<int64_t> inChannels = readInt(layer, "in_channels", 0, /*min=*/1);
  FailureOr<Shape> stride = readSizes(layer, "stride", rank, Shape(rank, 1));
  FailureOr<ConvPadding> padding = readConvPadding(layer, rank);
  FailureOr<Shape> dilation =
      readSizes(layer, "dilation", rank, Shape(rank, 1));
  FailureOr<int64_t> groups = readInt(layer, "groups", 1);
  FailureOr<bool> hasBias = readBool(layer, "bias", true);
  FailureOr<PaddingMode> mode = readPaddingMode(layer);
  FailureOr<float> padValue = readFloat(layer, "padding_value", 0.0f);
  if (!allSucceeded(outChannels, kernel, inChannels, stride, padding, dilation,
                    groups, hasBias, mode, padValue))
    return {};
  if (layer.node->get("padding_value") && *mode != PaddingMode::constant) {
    error(layer, fieldLoc(layer, "padding_value"),
          "padding_value needs padding_mode \"constant\"");
    return {};
  }
  if (padding->same) {
    for (auto [d, s] : llvm::enumerate(*stride)) {
      if (s != 1) {
        error(layer, fieldLoc(layer, "padding"),
              llvm::formatv("padding \"same\" needs stride 1, got stride {0} "
                            "in spatial dim {1}",
                            s, d));
        return {};
      }
    }
    // torch splits the total padding with the extra element after. A bad
    // kernel or dilation keeps zero padding for the shape rule to report.
    for (unsigned d = 0; d < rank; ++d) {
      if ((*kernel)[d] < 1 || (*dilation)[d] < 1)
        continue;
      int64_t total = (*dilation)[d] * ((*kernel)[d] - 1);
      padding->low[d] = total / 2;
      padding->high[d] = total - total / 2;
    }
  }
  if (!layer.ready() || failed(checkInputRank(layer, info)))
    return {};

  const Tensor &input = layer.inputs.front();
  int64_t channels = input.shape[1];
  if (*inChannels && *inChannels != channels) {
    error(layer, fieldLoc(layer, "in_channels"),
          llvm::formatv("in_channels {0} does not match the input {1}, which "
                        "has {2} channels",
                        *inChannels, formatShape(input.shape), channels));
    return {};
  }
  ConvGeometry geometry{*stride, padding->low, padding->high, *dilation,
                        *groups, *mode};
  Shape weightShape{*outChannels, *groups >= 1 ? channels / *groups : channels};
  weightShape.append(kernel->begin(), kernel->end());
  Shape biasShape{*outChannels};
  std::optional<ArrayRef<int64_t>> biasArg;
  if (*hasBias)
    biasArg = biasShape;
  ShapeError shapeErr;
  FailureOr<Shape> shape =
      inferConvShape(input.shape, weightShape, biasArg, geometry, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);

  FailureOr<Value> weight = addParam(layer, "weight", weightShape);
  FailureOr<Value> bias = *hasBias ? addParam(layer, "bias", biasShape)
                                   : FailureOr<Value>(Value());
  if (!allSucceeded(weight, bias))
    return {};
  Value result = ConvOp::create(
      builder, layerLoc(layer), tensorType(*shape), input.value, *weight,
      *bias, geometry.stride, geometry.paddingLow, geometry.paddingHigh,
      geometry.dilation, static_cast<uint64_t>(*groups), *mode,
      APFloat(*padValue));
  return {result, *shape};
}

Tensor ModelImporter::importPool(Layer &layer, const OpInfo &info) {
  unsigned rank = info.spatialRank;
  bool isAvg = info.poolKind == PoolKind::avg;
  FailureOr<Shape> kernel = readSizes(layer, "kernel_size", rank, std::nullopt);
  // The stride defaults to the kernel size, as in torch.
  FailureOr<Shape> stride = readSizes(
      layer, "stride", rank, succeeded(kernel) ? *kernel : Shape(rank, 1));
  FailureOr<Shape> padding = readSizes(layer, "padding", rank, Shape(rank, 0));
  // Average pooling has no dilation and max/min no count_include_pad; an
  // attribute the op does not take has been reported as unknown.
  FailureOr<Shape> dilation =
      isAvg ? FailureOr<Shape>(Shape(rank, 1))
            : readSizes(layer, "dilation", rank, Shape(rank, 1));
  FailureOr<bool> ceilMode = readBool(layer, "ceil_mode", false);
  FailureOr<bool> countIncludePad =
      isAvg ? readBool(layer, "count_include_pad", true) : FailureOr<bool>(true);
  if (!allSucceeded(kernel, stride, padding, dilation, ceilMode,
                    countIncludePad) ||
      !layer.ready() || failed(checkInputRank(layer, info)))
    return {};

  const Tensor &input = layer.inputs.front();
  PoolGeometry geometry{info.poolKind, *kernel,   *stride,         *padding,
                        *dilation,     *ceilMode, *countIncludePad};
  ShapeError shapeErr;
  FailureOr<Shape> shape = inferPoolShape(input.shape, geometry, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);
  Value result = PoolOp::create(
      builder, layerLoc(layer), tensorType(*shape), input.value, info.poolKind,
      geometry.kernelSize, geometry.stride, geometry.padding, geometry.dilation,
      geometry.ceilMode, geometry.countIncludePad);
  return {result, *shape};
}

FailureOr<SmallVector<std::optional<int64_t>, 3>>
ModelImporter::readOutputSize(const Layer &layer, unsigned rank) {
  FailureOr<const JsonValue *> value = attribute(layer, "output_size");
  if (failed(value))
    return failure();
  if (!*value) {
    missing(layer, "output_size");
    return failure();
  }
  auto readEntry = [&](const JsonValue &entry, const Twine &what,
                       StringRef expected)
      -> FailureOr<std::optional<int64_t>> {
    FailureOr<const JsonValue *> resolved = resolve(layer, entry);
    if (failed(resolved))
      return failure();
    if ((*resolved)->isNull())
      return std::optional<int64_t>();
    FailureOr<int64_t> size =
        readIntValue(layer, entry, what, -kMaxElements, expected);
    if (failed(size))
      return failure();
    return std::optional<int64_t>(*size);
  };
  return readPerDim<std::optional<int64_t>>(
      layer, **value, "output_size", rank,
      llvm::formatv("an integer, null or a list of {0} integer{1} or nulls",
                    rank, rank == 1 ? "" : "s"),
      "an integer or null", readEntry);
}

Tensor ModelImporter::importAdaptiveAvgPool(Layer &layer, const OpInfo &info) {
  bool global = info.kind == LayerKind::GlobalAvgPool;
  FailureOr<SmallVector<std::optional<int64_t>, 3>> requested =
      global ? SmallVector<std::optional<int64_t>, 3>()
             : readOutputSize(layer, info.spatialRank);
  if (failed(requested) || !layer.ready() ||
      (!global && failed(checkInputRank(layer, info))))
    return {};

  const Tensor &input = layer.inputs.front();
  Shape outputSize;
  // Global pooling averages every spatial dimension to 1; torch's None in
  // an output_size (null here) keeps that dimension's input size.
  if (global && input.shape.size() > 2)
    outputSize.assign(input.shape.size() - 2, 1);
  for (auto [i, size] : llvm::enumerate(*requested))
    outputSize.push_back(size ? *size : input.shape[2 + i]);
  ShapeError shapeErr;
  FailureOr<Shape> shape =
      inferAdaptiveAvgPoolShape(input.shape, outputSize, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);
  Value result = AdaptiveAvgPoolOp::create(
      builder, layerLoc(layer), tensorType(*shape), input.value, outputSize);
  return {result, *shape};
}

Tensor ModelImporter::importLinear(Layer &layer) {
  FailureOr<int64_t> outFeatures =
      readInt(layer, "out_features", std::nullopt, /*min=*/1);
  // 0: not given, inferred from the input.
  FailureOr<int64_t> inFeatures = readInt(layer, "in_features", 0, /*min=*/1);
  FailureOr<bool> hasBias = readBool(layer, "bias", true);
  if (!allSucceeded(outFeatures, inFeatures, hasBias) || !layer.ready())
    return {};

  const Tensor &input = layer.inputs.front();
  int64_t in = *inFeatures;
  if (!in)
    in = input.shape.size() == 2 ? input.shape[1] : 1;
  Shape weightShape{*outFeatures, in};
  Shape biasShape{*outFeatures};
  std::optional<ArrayRef<int64_t>> biasArg;
  if (*hasBias)
    biasArg = biasShape;
  ShapeError shapeErr;
  FailureOr<Shape> shape =
      inferLinearShape(input.shape, weightShape, biasArg, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);

  FailureOr<Value> weight = addParam(layer, "weight", weightShape);
  FailureOr<Value> bias = *hasBias ? addParam(layer, "bias", biasShape)
                                   : FailureOr<Value>(Value());
  if (!allSucceeded(weight, bias))
    return {};
  Value result = LinearOp::create(builder, layerLoc(layer), tensorType(*shape),
                                  input.value, *weight, *bias);
  return {result, *shape};
}

Tensor ModelImporter::importBatchNorm(Layer &layer, const OpInfo &info) {
  FailureOr<float> eps = readFloat(
      layer, "eps", 1e-5f, [](float v) { return v > 0.0f; }, "> 0");
  FailureOr<float> momentum = readFloat(layer, "momentum", 0.1f);
  FailureOr<bool> affine = readBool(layer, "affine", true);
  // 0: not given, inferred from the input.
  FailureOr<int64_t> numFeatures = readInt(layer, "num_features", 0, /*min=*/1);
  if (!allSucceeded(eps, momentum, affine, numFeatures) || !layer.ready() ||
      failed(checkInputRank(layer, info)))
    return {};

  const Tensor &input = layer.inputs.front();
  Shape perChannel{*numFeatures ? *numFeatures : input.shape[1]};
  SmallVector<ArrayRef<int64_t>> perChannelShapes(*affine ? 4 : 2, perChannel);
  ShapeError shapeErr;
  FailureOr<Shape> shape =
      inferBatchNormShape(input.shape, perChannelShapes, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);

  // state_dict order: weight, bias, running_mean, running_var.
  FailureOr<Value> weight = *affine ? addParam(layer, "weight", perChannel)
                                    : FailureOr<Value>(Value());
  FailureOr<Value> bias = *affine ? addParam(layer, "bias", perChannel)
                                  : FailureOr<Value>(Value());
  FailureOr<Value> mean = addParam(layer, "running_mean", perChannel);
  FailureOr<Value> var = addParam(layer, "running_var", perChannel);
  if (!allSucceeded(weight, bias, mean, var))
    return {};
  Value result = BatchNormOp::create(
      builder, layerLoc(layer), tensorType(*shape), input.value, *mean, *var,
      *weight, *bias, APFloat(*eps), APFloat(*momentum));
  return {result, *shape};
}

Tensor ModelImporter::importFlatten(Layer &layer) {
  FailureOr<int64_t> startDim = readInt(layer, "start_dim", 1);
  FailureOr<int64_t> endDim = readInt(layer, "end_dim", -1);
  if (!allSucceeded(startDim, endDim) || !layer.ready())
    return {};

  const Tensor &input = layer.inputs.front();
  ShapeError shapeErr;
  FailureOr<Shape> shape =
      inferFlattenShape(input.shape, *startDim, *endDim, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);
  Value result = FlattenOp::create(
      builder, layerLoc(layer), tensorType(*shape), input.value,
      static_cast<uint64_t>(*startDim), static_cast<uint64_t>(*endDim));
  return {result, *shape};
}

Tensor ModelImporter::importReshape(Layer &layer) {
  FailureOr<const JsonValue *> value = attribute(layer, "shape");
  if (failed(value))
    return {};
  if (!*value) {
    missing(layer, "shape");
    return {};
  }
  const JsonValue &list = **value;
  if (!list.isArray() || list.elements.empty()) {
    error(layer, list.loc,
          "expected a non-empty list of sizes (one sample, without the batch) "
          "for shape, got " +
              describeJson(list));
    return {};
  }
  Shape shape{ShapedType::kDynamic};
  std::optional<size_t> inferred;
  bool ok = true;
  for (auto [i, entry] : llvm::enumerate(list.elements)) {
    std::string what = llvm::formatv("shape[{0}]", i).str();
    FailureOr<int64_t> size = readIntValue(layer, entry, what, /*min=*/-1);
    if (failed(size)) {
      ok = false;
      continue;
    }
    SMLoc loc = entry.loc;
    if (*size == 0) {
      error(layer, loc, "expected " + what + " >= 1 or -1, got 0");
      ok = false;
    } else if (*size == -1 && inferred) {
      error(layer, loc,
            llvm::formatv("only one entry of shape may be -1, but shape[{0}] "
                          "is -1 too",
                          *inferred));
      ok = false;
    } else if (*size == -1) {
      inferred = shape.size();
    }
    shape.push_back(*size);
  }
  if (!ok || !layer.ready())
    return {};

  const Tensor &input = layer.inputs.front();
  // -1 takes the elements the other entries leave (view's rule).
  if (inferred) {
    Shape known(shape);
    known[*inferred] = 1;
    std::optional<int64_t> knownElements =
        checkedElements(ArrayRef(known).drop_front());
    int64_t elements = perSampleElements(input.shape);
    if (!knownElements || elements % *knownElements != 0) {
      error(layer, list.loc,
            llvm::formatv("cannot reshape {0} ({1} elements per sample) to a "
                          "shape with -1: the other entries do not divide {1}",
                          formatShape(input.shape), elements));
      return {};
    }
    shape[*inferred] = elements / *knownElements;
  }
  std::optional<int64_t> elements = checkedElements(ArrayRef(shape).drop_front());
  if (!elements || *elements > kMaxElements) {
    error(layer, list.loc,
          llvm::formatv("shape {0} has more than {1} elements per sample",
                        formatShape(shape), kMaxElements));
    return {};
  }
  ShapeError shapeErr;
  if (failed(checkReshape(input.shape, shape, shapeErr)))
    return shapeError(layer, shapeErr);
  Value result = ReshapeOp::create(builder, layerLoc(layer), tensorType(shape),
                                   input.value);
  return {result, shape};
}

Tensor ModelImporter::importConcat(Layer &layer) {
  FailureOr<int64_t> dim = readInt(layer, "dim", 1);
  if (failed(dim) || !layer.ready())
    return {};

  SmallVector<Shape> shapes;
  SmallVector<Value> values;
  for (const Tensor &input : layer.inputs) {
    shapes.push_back(input.shape);
    values.push_back(input.value);
  }
  ShapeError shapeErr;
  int64_t concatDim = normalizeDim(*dim, shapes.front().size());
  FailureOr<Shape> shape = inferConcatShape(shapes, concatDim, shapeErr);
  if (failed(shape))
    return shapeError(layer, shapeErr);
  Value result = ConcatOp::create(builder, layerLoc(layer), tensorType(*shape),
                                  values, static_cast<uint64_t>(concatDim));
  return {result, *shape};
}

Tensor ModelImporter::importAdd(Layer &layer) {
  if (!layer.ready())
    return {};
  const Tensor &lhs = layer.inputs[0], &rhs = layer.inputs[1];
  if (lhs.shape != rhs.shape) {
    error(layer, fieldLoc(layer, "input"),
          llvm::formatv("add needs inputs of one shape, got {0} and {1}",
                        formatShape(lhs.shape), formatShape(rhs.shape)));
    return {};
  }
  Value result =
      AddOp::create(builder, layerLoc(layer), lhs.value.getType(), lhs.value,
                    rhs.value);
  return {result, lhs.shape};
}

Tensor ModelImporter::importSameShape(Layer &layer, const OpInfo &info) {
  // Each kind reads only its own attribute: others were reported unknown.
  FailureOr<float> negativeSlope =
      info.kind == LayerKind::LeakyRelu
          ? readFloat(layer, "negative_slope", 0.01f)
          : FailureOr<float>(0.0f);
  FailureOr<float> p =
      info.kind == LayerKind::Dropout
          ? readFloat(
                layer, "p", 0.5f,
                [](float v) { return v >= 0.0f && v < 1.0f; }, "in [0, 1)")
          : FailureOr<float>(0.0f);
  FailureOr<int64_t> dim =
      info.kind == LayerKind::Softmax || info.kind == LayerKind::LogSoftmax
          ? readInt(layer, "dim", 1)
          : FailureOr<int64_t>(1);
  if (!allSucceeded(negativeSlope, p, dim) || !layer.ready())
    return {};

  const Tensor &input = layer.inputs.front();
  Location loc = layerLoc(layer);
  Type type = input.value.getType();
  Value result;
  switch (info.kind) {
  case LayerKind::Relu:
    result = ReluOp::create(builder, loc, type, input.value);
    break;
  case LayerKind::Sigmoid:
    result = SigmoidOp::create(builder, loc, type, input.value);
    break;
  case LayerKind::Tanh:
    result = TanhOp::create(builder, loc, type, input.value);
    break;
  case LayerKind::LeakyRelu:
    result = LeakyReluOp::create(builder, loc, type, input.value,
                                 APFloat(*negativeSlope));
    break;
  case LayerKind::Dropout:
    result = DropoutOp::create(builder, loc, type, input.value, APFloat(*p));
    break;
  case LayerKind::Softmax:
  case LayerKind::LogSoftmax: {
    int64_t reduced = normalizeDim(*dim, input.shape.size());
    ShapeError shapeErr;
    if (failed(checkReductionDim(input.shape, reduced, shapeErr)))
      return shapeError(layer, shapeErr);
    if (info.kind == LayerKind::Softmax)
      result = SoftmaxOp::create(builder, loc, type, input.value,
                                 static_cast<uint64_t>(reduced));
    else
      result = LogSoftmaxOp::create(builder, loc, type, input.value,
                                    static_cast<uint64_t>(reduced));
    break;
  }
  default:
    llvm_unreachable("not an op with its input's shape");
  }
  return {result, input.shape};
}

//===----------------------------------------------------------------------===//
// Import
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> ModelImporter::import() {
  context.loadDialect<NetcDialect, func::FuncDialect>();
  fileName = builder.getStringAttr(
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
          ->getBufferIdentifier());

  std::optional<JsonValue> root =
      parseJson(sourceMgr, lines,
                [&](SMLoc loc, const Twine &message) { error(loc, message); });
  if (!root)
    return nullptr;
  if (!root->isObject()) {
    error(root->loc,
          "expected an object at the top level of the model, got " +
              describeJson(*root));
    return nullptr;
  }
  checkKeys(Site(), *root,
            {"name", "input", "layers", "modules", "output", "loss"},
            "top-level field", "");
  std::string name = readModelName(*root);
  FailureOr<Shape> inputShape = readInputShape(*root);
  readModules(*root);
  const JsonValue *layers = root->get("layers");
  if (!layers) {
    error(root->loc, "missing top-level field 'layers'");
    return nullptr;
  }
  if (!layers->isArray() || layers->elements.empty()) {
    error(layers->loc, "expected a non-empty list of layers for layers, got " +
                           describeJson(*layers));
    return nullptr;
  }

  Location rootLoc = fileLoc(root->loc);
  OwningOpRef<ModuleOp> module = ModuleOp::create(rootLoc);
  builder.setInsertionPointToEnd(module->getBody());
  // Parameters are appended as arguments while the layers are imported;
  // the function type is set once they are all known.
  auto func = func::FuncOp::create(builder, rootLoc, name,
                                   builder.getFunctionType({}, {}));
  body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);
  // A stand-in type keeps the import going; the module is dropped on error.
  Shape inputDims = succeeded(inputShape)
                        ? *inputShape
                        : Shape{ShapedType::kDynamic, 1};
  const JsonValue *inputField = root->get("input");
  Value inputValue = body->addArgument(
      tensorType(inputDims), fileLoc(inputField ? inputField->loc : root->loc));
  Tensor input;
  if (succeeded(inputShape))
    input = {inputValue, inputDims};

  Tensor output = importLayers(*layers, root->get("output"), Scope{"", nullptr, input});
  if (hadError || !output)
    return nullptr;

  const JsonValue *outputField = root->get("output");
  func::ReturnOp::create(
      builder, fileLoc(outputField ? outputField->loc : layers->elements.back().loc),
      output.value);
  func.setFunctionType(builder.getFunctionType(body->getArgumentTypes(),
                                               output.value.getType()));
  func->setAttr(kModelAttrName, builder.getUnitAttr());
  readLoss(*root, func, output);
  if (hadError)
    return nullptr;
  for (auto [i, paramName] : llvm::enumerate(paramNames))
    func.setArgAttr(i + 1, kParamAttrName, builder.getStringAttr(paramName));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

void ModelImporter::readLoss(const JsonValue &root, func::FuncOp func,
                             const Tensor &output) {
  const JsonValue *node = root.get("loss");
  // Without a "loss", a classifier's (N, classes) output trains with cross
  // entropy and any other output with the squared error.
  bool classifier = output.shape.size() == 2;
  StringRef kind = classifier ? "cross_entropy" : "mse";
  float smoothing = 0.0f;
  LossReduction reduction = LossReduction::mean;
  if (node) {
    if (!node->isObject()) {
      error(node->loc,
            "expected an object for loss, got " + describeJson(*node));
      return;
    }
    Layer loss;
    loss.prefix = "loss: ";
    loss.node = node;
    loss.id = "loss";
    loss.op = "loss";
    checkKeys(loss, *node, {"op", "label_smoothing", "reduction"},
              "attribute", "");
    const JsonValue *op = node->get("op");
    if (!op) {
      missing(loss, "op");
      return;
    }
    if (!op->isString() || (op->text != "cross_entropy" && op->text != "mse")) {
      error(loss, op->loc,
            "expected \"cross_entropy\" or \"mse\" for op, got " +
                describeJson(*op));
      return;
    }
    kind = op->text == "mse" ? "mse" : "cross_entropy";
    if (kind == "mse" && node->get("label_smoothing"))
      error(loss, node->findMember("label_smoothing")->keyLoc,
            "label_smoothing applies to cross_entropy only");
    FailureOr<float> s = readFloat(
        loss, "label_smoothing", 0.0f,
        [](float v) { return v >= 0.0f && v <= 1.0f; }, "in [0, 1]");
    if (failed(s))
      return;
    smoothing = *s;
    FailureOr<const JsonValue *> r = attribute(loss, "reduction");
    if (succeeded(r) && *r) {
      std::optional<LossReduction> read;
      if ((*r)->isString())
        read = symbolizeLossReduction((*r)->text);
      if (read)
        reduction = *read;
      else
        error(loss, (*r)->loc,
              "expected \"mean\" or \"sum\" for reduction, got " +
                  describeJson(**r));
    }
    if (kind == "cross_entropy" && !classifier) {
      error(loss, op->loc,
            "cross_entropy needs an (N, classes) model output, got " +
                formatShape(output.shape));
      return;
    }
  }
  func->setAttr(kLossAttrName, builder.getStringAttr(kind));
  func->setAttr(kLossReductionAttrName,
                LossReductionAttr::get(builder.getContext(), reduction));
  if (kind == "cross_entropy")
    func->setAttr(kLabelSmoothingAttrName,
                  builder.getF32FloatAttr(smoothing));
}

OwningOpRef<ModuleOp> mlir::netc::importModel(llvm::SourceMgr &sourceMgr,
                                              MLIRContext &context) {
  return ModelImporter(sourceMgr, context).import();
}
