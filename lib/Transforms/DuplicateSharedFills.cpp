//===- DuplicateSharedFills.cpp - One fill per op writing into it ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace muon {
#define GEN_PASS_DEF_DUPLICATESHAREDFILLSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct DuplicateSharedFillsPass
    : muon::impl::DuplicateSharedFillsPassBase<DuplicateSharedFillsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : fill->getResult(0).getUses()) {
        auto writer = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
        if (writer && writer.isDpsInit(&use))
          inits.push_back(&use);
      }
      for (OpOperand *init : inits) {
        rewriter.setInsertionPoint(init->getOwner());
        IRMapping mapping;
        Value dest = fill.getOutputs()[0];
        if (auto empty = dest.getDefiningOp<tensor::EmptyOp>())
          mapping.map(dest, rewriter.clone(*empty)->getResult(0));
        Operation *clone = rewriter.clone(*fill, mapping);
        rewriter.modifyOpInPlace(init->getOwner(),
                                 [&] { init->set(clone->getResult(0)); });
      }
      if (fill->use_empty()) {
        Value dest = fill.getOutputs()[0];
        rewriter.eraseOp(fill);
        if (Operation *empty = dest.getDefiningOp<tensor::EmptyOp>())
          if (empty->use_empty())
            rewriter.eraseOp(empty);
      }
    }
  }
};
} // namespace
