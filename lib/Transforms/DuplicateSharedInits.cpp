//===- DuplicateSharedInits.cpp - One init per op writing into it ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "llvm/ADT/MapVector.h"

namespace muon {
#define GEN_PASS_DEF_DUPLICATESHAREDINITSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct DuplicateSharedInitsPass
    : muon::impl::DuplicateSharedInitsPassBase<DuplicateSharedInitsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxSharedWriters == 0) {
      getOperation().emitError("max-shared-writers must be at least 1");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : fill->getResult(0).getUses()) {
        auto writer = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
        if (writer && writer.isDpsInit(&use))
          inits.push_back(&use);
      }
      // Each clone fills an empty tensor of its own.
      Value dest = fill.getOutputs()[0];
      auto empty = dest.getDefiningOp<tensor::EmptyOp>();
      for (OpOperand *init : inits) {
        rewriter.setInsertionPoint(init->getOwner());
        IRMapping mapping;
        if (empty)
          mapping.map(dest, rewriter.clone(*empty)->getResult(0));
        Operation *clone = rewriter.clone(*fill, mapping);
        rewriter.modifyOpInPlace(init->getOwner(),
                                 [&] { init->set(clone->getResult(0)); });
      }
      if (fill->use_empty()) {
        rewriter.eraseOp(fill);
        if (empty && empty->use_empty())
          rewriter.eraseOp(empty);
      }
    }
    // The init uses of each shared empty tensor, in program order.
    llvm::MapVector<Operation *, SmallVector<OpOperand *>> writers;
    getOperation().walk([&](DestinationStyleOpInterface op) {
      for (OpOperand &init : op.getDpsInitsMutable())
        if (auto empty = init.get().getDefiningOp<tensor::EmptyOp>())
          if (!empty->hasOneUse())
            writers[empty].push_back(&init);
    });
    for (auto &[empty, inits] : writers) {
      if (inits.size() <= maxSharedWriters)
        continue;
      // Consecutive writers keep sharing one, so that bufferization can
      // still write a result into the buffer of one that is dead. Each
      // clone comes right before its run (allocated no earlier than needed),
      // outside any region that holds the run's first writer only.
      for (size_t first = 0; first < inits.size(); first += maxSharedWriters) {
        if (Operation *start = empty->getBlock()->findAncestorOpInBlock(
                *inits[first]->getOwner()))
          rewriter.setInsertionPoint(start);
        else
          rewriter.setInsertionPointAfter(empty);
        Value clone = rewriter.clone(*empty)->getResult(0);
        size_t end = std::min<size_t>(inits.size(), first + maxSharedWriters);
        for (OpOperand *init : ArrayRef(inits).slice(first, end - first))
          rewriter.modifyOpInPlace(init->getOwner(), [&] { init->set(clone); });
      }
      if (empty->use_empty())
        rewriter.eraseOp(empty);
    }
  }
};
} // namespace
