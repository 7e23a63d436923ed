//===- Inspect.cpp - netc inspect -----------------------------------------===//
//
// A per-layer table of an imported model. FLOPs count a multiply-add as two
// operations and are given per sample: convolution and linear layers count
// their multiply-adds (plus the bias adds), pooling one operation per window
// element, elementwise layers one per element (softmax-like four: max,
// subtract, exp, sum/divide; batch norm two: scale and shift), shape layers
// none.
//
//===----------------------------------------------------------------------===//

#include "netc/Dialect/NetcOps.h"
#include "netc/Driver/Driver.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::netc;

static int64_t numElements(ArrayRef<int64_t> shape) {
  return ShapedType::getNumElements(shape);
}

/// Elements of one sample of `value` (a batch tensor).
static int64_t sampleElements(Value value) {
  return numElements(
      cast<RankedTensorType>(value.getType()).getShape().drop_front());
}

static int64_t staticElements(Value value) {
  return cast<RankedTensorType>(value.getType()).getNumElements();
}

static int64_t countFlops(Operation *op) {
  return llvm::TypeSwitch<Operation *, int64_t>(op)
      .Case([](ConvOp conv) {
        auto weight = cast<RankedTensorType>(conv.getWeight().getType());
        int64_t perOutput = 2 * numElements(weight.getShape().drop_front());
        int64_t outputs = sampleElements(conv.getResult());
        return outputs * perOutput + (conv.getBias() ? outputs : 0);
      })
      .Case([](LinearOp linear) {
        int64_t outputs = sampleElements(linear.getResult());
        return 2 * staticElements(linear.getWeight()) +
               (linear.getBias() ? outputs : 0);
      })
      .Case([](PoolOp pool) {
        return sampleElements(pool.getResult()) *
               numElements(pool.getKernelSize());
      })
      .Case([](AdaptiveAvgPoolOp pool) {
        return sampleElements(pool.getInput());
      })
      .Case<ReluOp, LeakyReluOp, SigmoidOp, TanhOp, AddOp>(
          [](Operation *op) { return sampleElements(op->getResult(0)); })
      .Case<SoftmaxOp, LogSoftmaxOp>(
          [](Operation *op) { return 4 * sampleElements(op->getResult(0)); })
      .Case([](BatchNormOp bn) { return 2 * sampleElements(bn.getResult()); })
      .Default([](Operation *) { return 0; });
}

/// Operands of `op` that are model parameters, split into trained parameters
/// and buffers (a batch norm's running statistics), as PyTorch counts them.
static std::pair<int64_t, int64_t> countParameters(Operation *op) {
  int64_t params = 0, buffers = 0;
  auto bn = dyn_cast<BatchNormOp>(op);
  for (Value operand : op->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg || arg.getArgNumber() == 0)
      continue;
    bool isBuffer =
        bn && (operand == bn.getRunningMean() || operand == bn.getRunningVar());
    (isBuffer ? buffers : params) += staticElements(operand);
  }
  return {params, buffers};
}

static std::string layerName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return "-";
}

static std::string opName(Operation *op) {
  if (auto pool = dyn_cast<PoolOp>(op))
    return stringifyPoolKind(pool.getKind()).str() + "_pool";
  return op->getName().stripDialect().str();
}

static std::string sampleShape(Value value) {
  auto shape = cast<RankedTensorType>(value.getType()).getShape().drop_front();
  return "(" +
         llvm::join(llvm::map_range(
                        shape, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         ")";
}

void mlir::netc::printLayerTable(ModuleOp module, llvm::raw_ostream &os) {
  int64_t totalParams = 0, totalBuffers = 0, totalFlops = 0;
  os << llvm::formatv("{0,-28} {1,-18} {2,-20} {3,12} {4,14}\n", "layer", "op",
                      "output shape", "parameters", "FLOPs");
  for (func::FuncOp model : getModelFunctions(module)) {
    os << llvm::formatv("{0,-28} {1,-18} {2,-20} {3,12} {4,14}\n", "input", "",
                        sampleShape(model.getArgument(0)), 0, 0);
    model.walk([&](Operation *op) {
      if (!isa<NetcDialect>(op->getDialect()))
        return;
      auto [params, buffers] = countParameters(op);
      int64_t flops = countFlops(op);
      totalParams += params;
      totalBuffers += buffers;
      totalFlops += flops;
      os << llvm::formatv("{0,-28} {1,-18} {2,-20} {3,12} {4,14}\n",
                          layerName(op), opName(op),
                          sampleShape(op->getResult(0)), params, flops);
    });
  }
  os << "total parameters: " << totalParams << "\n";
  if (totalBuffers)
    os << "total buffers: " << totalBuffers << "\n";
  os << "total FLOPs per sample: " << totalFlops << "\n";
}
