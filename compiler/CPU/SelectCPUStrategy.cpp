//===- SelectCPUStrategy.cpp - A strategy for every linalg op -------------===//
//
// Implements netc-select-cpu-strategy (see Passes.td); the choice itself is
// netc::selectCPUStrategy (Strategy.cpp).
//
//===----------------------------------------------------------------------===//

#include "netc/CPU/Passes.h"
#include "netc/CPU/Strategy.h"

namespace mlir::netc {
#define GEN_PASS_DEF_NETCSELECTCPUSTRATEGY
#include "netc/CPU/Passes.h.inc"
} // namespace mlir::netc

using namespace mlir;
using namespace mlir::netc;

namespace {
struct NetcSelectCPUStrategy
    : public netc::impl::NetcSelectCPUStrategyBase<NetcSelectCPUStrategy> {
  using Base::Base;

  void runOnOperation() override {
    CPUTarget target = vectorWidth ? CPUTarget{vectorWidth} : CPUTarget::host();
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op->hasAttr(kStrategyAttrName) && op.hasPureTensorSemantics())
        op->setAttr(kStrategyAttrName,
                    selectCPUStrategy(op, target).toAttr(&getContext()));
    });
  }
};
} // namespace
