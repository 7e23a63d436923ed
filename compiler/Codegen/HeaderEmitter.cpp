//===- HeaderEmitter.cpp - The C header of a compiled model ---------------===//
//
// The header is the model's documentation: what goes in, what comes out, how
// big the parameter buffer is and where each PyTorch tensor sits in it.
//
//===----------------------------------------------------------------------===//

#include "netc/Codegen/HeaderEmitter.h"
#include "netc/Codegen/EntryPointABI.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::netc;

/// "[1, 28, 28]"
static std::string formatDims(ArrayRef<int64_t> dims) {
  return "[" + llvm::join(llvm::map_range(dims, [](int64_t d) {
                            return std::to_string(d);
                          }),
                          ", ") +
         "]";
}

/// "{1, 28, 28}" as a C initializer; "{0}" for no dims, since C before C23
/// has no empty initializer.
static std::string formatInitializer(ArrayRef<int64_t> dims) {
  if (dims.empty())
    return "{0}";
  std::string text = formatDims(dims);
  text.front() = '{';
  text.back() = '}';
  return text;
}

/// `value` as a C float constant that reads back as the same float: %.9g
/// round-trips, and a decimal point keeps "0" and "1" from becoming the
/// invalid "0f" and "1f".
static std::string cFloatLiteral(float value) {
  std::string text =
      llvm::formatv("{0}", llvm::format("%.9g", static_cast<double>(value)))
          .str();
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  return text + "f";
}

/// `text` as a C string literal. Parameter names come from the model file:
/// escape everything that is not plainly printable, octal escapes since hex
/// ones swallow following hex digits, and '?' against trigraphs.
static std::string cStringLiteral(StringRef text) {
  std::string literal = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c == '?')
      literal += {'\\', static_cast<char>(c)};
    else if (c >= 0x20 && c < 0x7f)
      literal += static_cast<char>(c);
    else
      literal += llvm::formatv("{0}", llvm::format("\\%03o", c)).str();
  }
  return literal + "\"";
}

/// `text` made safe inside a C block comment: no "*/" to end it early, no
/// control characters (a newline would let the rest read as code).
static std::string commentSafe(StringRef text) {
  std::string safe;
  for (char c : text) {
    // Neither "*/" nor "/*" (which -Wcomment flags).
    if ((c == '/' || c == '*') && !safe.empty() &&
        safe.back() == (c == '/' ? '*' : '/'))
      safe += ' ';
    safe += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return safe;
}

/// The declaration of the entry point `suffix` (EntryPointABI): `int
/// <name>_<suffix>(...);`, its parameters wrapped after `,` at 80 columns.
static void emitPrototype(StringRef name, StringRef suffix, bool classification,
                          llvm::raw_ostream &os) {
  const EntryPointABI &abi = getEntryPointABI(suffix);
  std::string line = "int " + abi.symbol(name) + "(";
  for (auto [i, argument] : llvm::enumerate(abi.arguments)) {
    std::string parameter = formatCParameter(argument, classification);
    parameter += i + 1 == abi.arguments.size() ? ");" : ",";
    if (line.size() + 1 + parameter.size() > 80 && line.back() == ',') {
      os << line << "\n";
      line = "   ";
    }
    if (line.back() != '(')
      line += " ";
    line += parameter;
  }
  os << line << "\n\n";
}

static StringRef cInitName(ParamInit init) {
  switch (init) {
  case ParamInit::Zeros:
    return "NETC_INIT_ZEROS";
  case ParamInit::Ones:
    return "NETC_INIT_ONES";
  case ParamInit::Uniform:
    return "NETC_INIT_UNIFORM";
  }
  llvm_unreachable("unknown ParamInit");
}

/// Declares the training entry points (their contract is in netc.h).
static void emitTrainingApi(const ModelSignature &sig,
                            const TrainingSignature &training,
                            llvm::raw_ostream &os) {
  StringRef name = sig.name;
  os << "/* ====== Training ======\n"
     << " * The training form of the model (batch statistics, dropout masks "
        "drawn from\n"
     << " * `seed`). ";
  StringRef reduction = training.sumReduction ? "summed" : "averaged";
  if (training.classification) {
    os << "`labels` holds `batch` class indices; the loss is the cross\n"
       << " * entropy";
    if (training.labelSmoothing > 0)
      os << " with label smoothing " << training.labelSmoothing;
    os << ", " << reduction << " over the batch";
  } else {
    os << "`target` holds batch * OUTPUT_FLOATS values; the loss is the\n"
       << " * squared error, " << reduction << " over every element";
  }
  os << ".\n * `loss` receives the batch's loss.\n";
  if (training.bytesPerSample || training.fixedBytes)
    os << " * Memory: a step allocates at most " << training.fixedBytes
       << " + " << training.bytesPerSample
       << " * batch bytes of temporaries (freed\n"
       << " * before it returns), besides the caller's buffers (below).\n";
  os << " * Optimizer state buffers (momentum, exp_avg, exp_avg_sq) are laid "
        "out like\n"
     << " * `params`, PARAM_BYTES each; the hparams arrays are\n"
     << " * indexed by netc_sgd_hparam / netc_adam_hparam (netc.h). Each "
        "returns NETC_OK,\n"
     << " * or NETC_ERROR_INVALID_ARGUMENT for a batch below 1 (the loss "
        "would be NaN)\n"
     << " * or a NULL pointer (input_grad may be). */\n\n"
     << "/* Gradients of the loss into `grads` (PARAM_FLOATS; the slots of "
        "running\n"
     << " * statistics get their updated values) and, unless NULL, into "
        "`input_grad`\n"
     << " * (batch * INPUT_FLOATS). */\n";
  emitPrototype(name, "backward", training.classification, os);
  os << "/* One torch.optim.SGD step, updating `params` and `momentum` in "
        "place. */\n";
  emitPrototype(name, "sgd_step", training.classification, os);
  os << "/* One torch.optim.Adam / AdamW step, updating `params`, `exp_avg` "
        "and\n"
     << " * `exp_avg_sq` in place. */\n";
  emitPrototype(name, "adam_step", training.classification, os);

  // netc_model_entry_points holds steps whose target is `const void *`, so
  // that one trainer serves labels and float targets; adapters give the
  // typed steps that type without an incompatible function-pointer cast.
  std::string rest = "const float *input, const void *target, int64_t batch, "
                     "uint64_t seed, const float *hparams, float *loss";
  std::string cast = training.classification ? "(const int32_t *)target"
                                             : "(const float *)target";
  os << "/* The entry points for netc_trainer_create (netc.h): */\n"
     << "static inline int " << name << "_sgd_step_entry(float *params, "
     << "float *momentum,\n    " << rest << ") {\n"
     << "  return " << name << "_sgd_step(params, momentum, input, " << cast
     << ", batch, seed,\n      hparams, loss);\n}\n\n"
     << "static inline int " << name << "_adam_step_entry(float *params, "
     << "float *exp_avg,\n    float *exp_avg_sq, " << rest << ") {\n"
     << "  return " << name << "_adam_step(params, exp_avg, exp_avg_sq, input, "
     << cast << ",\n      batch, seed, hparams, loss);\n}\n\n"
     << "static const netc_model_entry_points " << name
     << "_entry_points = {\n    " << name << "_forward, " << name
     << "_sgd_step_entry, " << name << "_adam_step_entry};\n\n";
}

void mlir::netc::emitHeader(const ModelSignature &sig,
                            const std::optional<TrainingSignature> &training,
                            llvm::raw_ostream &os) {
  std::string name = sig.name;
  std::string macro = llvm::StringRef(name).upper();
  int64_t inputFloats = ShapedType::getNumElements(sig.inputShape);
  int64_t outputFloats = ShapedType::getNumElements(sig.outputShape);
  int64_t paramCount = 0;
  for (const ParameterInfo &p : sig.params)
    paramCount += p.numel;

  os << "/* " << name << ".h - generated by netc; do not edit.\n"
     << " *\n"
     << " * The model '" << name << "' compiled to native code. Link the "
        "object netc emitted\n"
     << " * for it and the netc runtime into any C or C++ program:\n"
     << " *\n"
     << " *   cc $(netc --cflags) app.c " << name << ".o $(netc --libs)\n"
     << " *\n"
     << " * Input:  float[batch]" ;
  for (int64_t d : sig.inputShape)
    os << "[" << d << "]";
  os << "  (" << inputFloats << " floats a sample, PyTorch's layout)\n"
     << " * Output: float[batch]";
  for (int64_t d : sig.outputShape)
    os << "[" << d << "]";
  os << "  (" << outputFloats << " floats a sample)\n"
     << " * Parameters: " << paramCount << " values in one buffer of "
     << sig.paramFloats << " floats (" << sig.paramFloats * 4
     << " bytes); each tensor\n"
     << " * starts on a 64-byte boundary:\n";
  for (const ParameterInfo &p : sig.params)
    os << llvm::formatv(" *   {0,-32} {1,-18} at float {2}\n",
                        commentSafe(p.name), formatDims(p.shape), p.offset);
  os << " *\n"
     << " * Example (a batch of 2):\n"
     << " *   float *params = " << name << "_params_create();\n"
     << " *   if (!params || netc_params_load_safetensors(&" << name
     << "_info, \"w.safetensors\",\n"
     << " *                                 params) != NETC_OK) {\n"
     << " *     fprintf(stderr, \"%s\\n\", netc_last_error());\n"
     << " *     return 1;\n"
     << " *   }\n"
     << " *   static float input[2 * " << macro << "_INPUT_FLOATS];\n"
     << " *   static float output[2 * " << macro << "_OUTPUT_FLOATS];\n"
     << " *   // ...fill input...\n"
     << " *   if (" << name << "_forward(params, input, output, 2) != "
        "NETC_OK)\n"
     << " *     fprintf(stderr, \"%s\\n\", netc_last_error());\n"
     << " *   " << name << "_params_free(params);\n"
     << " */\n"
     << "#ifndef NETC_MODEL_" << macro << "_H\n"
     << "#define NETC_MODEL_" << macro << "_H\n\n"
     << "#include \"netc-c/netc.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#define " << macro << "_INPUT_FLOATS " << inputFloats
     << " /* per sample */\n"
     << "#define " << macro << "_OUTPUT_FLOATS " << outputFloats
     << " /* per sample */\n"
     << "#define " << macro << "_PARAM_FLOATS " << sig.paramFloats << "\n"
     << "#define " << macro << "_PARAM_BYTES " << sig.paramFloats * 4
     << " /* the parameter buffer */\n"
     << "#define " << macro << "_NUM_PARAMS " << sig.params.size() << "\n\n"
     << "/* Runs the forward pass (inference form) on `batch` samples: reads\n"
     << " * batch * " << macro << "_INPUT_FLOATS floats from `input`, writes "
     << "batch * " << macro << "_OUTPUT_FLOATS\n"
     << " * to `output`. `params` is the " << macro
     << "_PARAM_FLOATS buffer, read only. Temporaries\n"
     << " * are allocated with malloc and freed before returning. The "
        "threads\n"
     << " * (netc_set_num_threads) share the batch out, in ranges of at most "
        "16\n"
     << " * samples. Safe to call from several threads at once. Returns "
        "NETC_OK, or\n"
     << " * NETC_ERROR_INVALID_ARGUMENT (netc_last_error says why) for a "
        "negative\n"
     << " * batch or a NULL pointer (input and output may be NULL at batch "
        "0). */\n";
  emitPrototype(name, "forward", /*classification=*/false, os);
  if (training)
    emitTrainingApi(sig, *training, os);

  // A model without parameters has no table (C has no empty arrays).
  std::string table = "NULL";
  if (!sig.params.empty()) {
    table = name + "_param_table";
    os << "static const netc_param_info " << table << "["
       << sig.params.size() << "] = {\n";
    for (const ParameterInfo &p : sig.params)
      os << llvm::formatv("  {{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}},\n",
                          cStringLiteral(p.name), p.offset, p.numel,
                          p.shape.size(), formatInitializer(p.shape),
                          cInitName(p.init), cFloatLiteral(p.initBound),
                          p.isBuffer ? 1 : 0);
    os << "};\n\n";
  }
  os << "/* What the runtime needs to know of the model. */\n"
     << "static const netc_model_info " << name << "_info = {\n"
     << "  \"" << name << "\", " << sig.paramFloats << ", "
     << sig.params.size() << ", " << table << ",\n"
     << "  " << sig.inputShape.size() << ", "
     << formatInitializer(sig.inputShape) << ", " << sig.outputShape.size()
     << ", " << formatInitializer(sig.outputShape) << "};\n\n"
     << "/* A zeroed parameter buffer (" << sig.paramFloats * 4
     << " bytes, 64-byte aligned); NULL if out of memory. */\n"
     << "static inline float *" << name << "_params_create(void) {\n"
     << "  return netc_params_create(&" << name << "_info);\n}\n\n"
     << "static inline void " << name << "_params_free(float *params) {\n"
     << "  netc_params_free(params);\n}\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "#endif /* NETC_MODEL_" << macro << "_H */\n";
}
