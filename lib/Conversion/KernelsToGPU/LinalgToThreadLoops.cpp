//===- LinalgToThreadLoops.cpp - linalg on buffers to block × thread loops ===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The ops the fused kernels do not cover (QK-clip's and Muon²-F's
// generics, imported forward and backward ops) reach the GPU through this
// generic path: parallel dims
// collapsed into one, tiled by the block size, so that consecutive threads
// take consecutive elements; reduction dims run sequentially per thread.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {
#define GEN_PASS_DEF_CONVERTLINALGTOTHREADLOOPS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;

/// Single-level `scf.parallel`s at the top of the function: the loops
/// `linalgOpToParallelLoops` produced (kernel nests are two-level).
static SmallVector<scf::ParallelOp> getSingleLevelLoops(Operation *root) {
  SmallVector<scf::ParallelOp> loops;
  root->walk([&](scf::ParallelOp loop) {
    if (loop->getParentOfType<scf::ParallelOp>())
      return;
    WalkResult nested = loop.getBody()->walk(
        [](scf::ParallelOp) { return WalkResult::interrupt(); });
    if (!nested.wasInterrupted())
      loops.push_back(loop);
  });
  return loops;
}

namespace {
struct ConvertLinalgToThreadLoopsPass
    : public muon::optim::impl::ConvertLinalgToThreadLoopsBase<
          ConvertLinalgToThreadLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
        op->emitOpError("cannot be turned into parallel loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
    for (scf::ParallelOp loop : getSingleLevelLoops(getOperation())) {
      if (loop.getNumLoops() < 2)
        continue;
      rewriter.setInsertionPoint(loop);
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0);
      collapseParallelLoops(rewriter, loop, {all});
    }
    for (scf::ParallelOp loop : getSingleLevelLoops(getOperation()))
      scf::tileParallelLoop(loop, {static_cast<int64_t>(blockSize)},
                            /*noMinMaxBounds=*/true);
  }
};
} // namespace
