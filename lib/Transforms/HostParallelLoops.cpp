//===- HostParallelLoops.cpp - Choose the loops CPU threads run -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace muon {
#define GEN_PASS_DEF_HOSTPARALLELLOOPSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

static int64_t multiplySaturated(int64_t a, int64_t b) {
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a)
    return std::numeric_limits<int64_t>::max();
  return a * b;
}

/// Iterations of a loop's own dimensions; `unknown` when a bound is not a
/// constant.
static int64_t ownTripCount(LoopLikeOpInterface loop, int64_t unknown) {
  std::optional<SmallVector<OpFoldResult>> lower = loop.getLoopLowerBounds();
  std::optional<SmallVector<OpFoldResult>> upper = loop.getLoopUpperBounds();
  std::optional<SmallVector<OpFoldResult>> steps = loop.getLoopSteps();
  if (!lower || !upper || !steps)
    return unknown;
  int64_t total = 1;
  for (auto [lb, ub, step] : llvm::zip(*lower, *upper, *steps)) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    std::optional<int64_t> s = getConstantIntValue(step);
    int64_t count = l && u && s && *s > 0
                        ? std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s))
                        : unknown;
    total = multiplySaturated(total, count);
  }
  return total;
}

/// Innermost iterations of the nest rooted at `root`: the largest product of
/// trip counts along a chain of nested loops.
static int64_t nestWork(scf::ParallelOp root, int64_t unknown) {
  int64_t rootCount = ownTripCount(root, unknown);
  int64_t deepest = 1;
  root.getBody()->walk([&](Operation *op) {
    auto inner = dyn_cast<LoopLikeOpInterface>(op);
    if (!inner)
      return;
    int64_t chain = 1;
    for (Operation *loop = inner; loop != root; loop = loop->getParentOp())
      if (auto enclosing = dyn_cast<LoopLikeOpInterface>(loop))
        chain = multiplySaturated(chain, ownTripCount(enclosing, unknown));
    deepest = std::max(deepest, chain);
  });
  return multiplySaturated(rootCount, deepest);
}

/// Rewrites `loop` over (d0, d1, ...) into a loop over d0 around a loop
/// over the rest: OpenMP would otherwise collapse the dims into one
/// iteration space whose indices are recovered by division in every
/// iteration, which keeps the innermost loop from vectorizing. Returns the
/// inner loop.
static scf::ParallelOp splitOuterDim(RewriterBase &rewriter,
                                     scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto outer = scf::ParallelOp::create(
      rewriter, loc, loop.getLowerBound().take_front(),
      loop.getUpperBound().take_front(), loop.getStep().take_front());
  rewriter.setInsertionPointToStart(outer.getBody());
  auto inner = scf::ParallelOp::create(
      rewriter, loc, loop.getLowerBound().drop_front(),
      loop.getUpperBound().drop_front(), loop.getStep().drop_front());
  rewriter.eraseOp(inner.getBody()->getTerminator());
  SmallVector<Value> ivs = {outer.getInductionVars().front()};
  llvm::append_range(ivs, inner.getInductionVars());
  rewriter.mergeBlocks(loop.getBody(), inner.getBody(), ivs);
  rewriter.eraseOp(loop);
  return inner;
}

namespace {
struct HostParallelLoopsPass
    : muon::impl::HostParallelLoopsPassBase<HostParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> serial, threaded;
    getOperation()->walk([&](scf::ParallelOp loop) {
      // Reductions (results) are left to convert-scf-to-openmp's.
      if (loop.getNumResults() != 0)
        return;
      bool outermost = !loop->getParentOfType<scf::ParallelOp>();
      if (!outermost || nestWork(loop, minWork) < minWork)
        serial.push_back(loop);
      else if (loop.getNumLoops() > 1)
        threaded.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    // Threads share the outermost dim only; the rest runs serially in each.
    for (scf::ParallelOp loop : threaded)
      serial.push_back(splitOuterDim(rewriter, loop));
    // Post-order walk: inner loops first, so an outer loop's body is final
    // when it is rewritten; the split-off loops, which hold loops of the
    // walk, come last.
    for (scf::ParallelOp loop : serial) {
      rewriter.setInsertionPoint(loop);
      if (failed(scf::parallelForToNestedFors(rewriter, loop))) {
        loop.emitError("cannot turn this loop into serial loops");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
