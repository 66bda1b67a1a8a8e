//===- DistinctReturnedValues.cpp - A buffer per returned tensor ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace muon {
#define GEN_PASS_DEF_DISTINCTRETURNEDVALUESPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct DistinctReturnedValuesPass
    : muon::impl::DistinctReturnedValuesPassBase<DistinctReturnedValuesPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder builder(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<RankedTensorType>(operand.get().getType());
        if (!type || seen.insert(operand.get()).second)
          continue;
        auto copy = bufferization::AllocTensorOp::create(
            builder, ret.getLoc(), type, ValueRange(), operand.get());
        operand.set(copy.getResult());
      }
    });
  }
};
} // namespace
