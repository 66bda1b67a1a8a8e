//===- SplitReductions.cpp - long reductions with few outputs in two -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// On a GPU a reduction is parallel over its output elements (a block or a
// thread each): a loss (one output) or a bias gradient (a few hundred
// columns over every token) leaves most of the device idle. Splitting the
// reduction dim into chunks makes the chunk a parallel dim of a first
// reduction, whose partial results a second, short reduction combines.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace muon {
#define GEN_PASS_DEF_SPLITREDUCTIONSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// Chunks of a column reduction are no shorter: its second op walks the
/// chunks serially.
constexpr int64_t kShortestColumnChunk = 32;

/// The chunk length for a reduction of `size` elements: the smallest
/// divisor of `size` in [target, 4 · target], if any.
static std::optional<int64_t> getChunkLength(int64_t size, int64_t target) {
  for (int64_t length = target; length <= 4 * target && length < size; ++length)
    if (size % length == 0)
      return length;
  return std::nullopt;
}

/// `op` with its reduction dims collapsed into one when they are
/// consecutive and contiguous in every operand (a loss over every element
/// of a tensor, a bias gradient over batch × sequence), so that
/// splitReduction, which splits one reduction dim, applies; `op` itself
/// otherwise. A `linalg.reduce` (as imported graphs write bias gradients) is
/// generalized first: collapsing takes generic ops.
static linalg::LinalgOp collapseReductionDims(RewriterBase &rewriter,
                                              linalg::LinalgOp op) {
  SmallVector<unsigned> dims;
  op.getReductionDims(dims);
  if (dims.size() < 2 || dims.back() - dims.front() + 1 != dims.size())
    return op;
  if (isa<linalg::ReduceOp>(op.getOperation())) {
    FailureOr<linalg::GenericOp> generic =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generic))
      return op;
    op = *generic;
  }
  if (!isa<linalg::GenericOp>(op.getOperation()))
    return op;
  ReassociationIndices group(dims.begin(), dims.end());
  if (!linalg::areDimSequencesPreserved(op.getIndexingMapsArray(), {group}))
    return op;
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, {group}, rewriter);
  if (failed(collapsed))
    return op;
  rewriter.replaceOp(op, collapsed->results);
  return collapsed->collapsedOp;
}

/// Whether `op` reduces across the rows of its first input: its innermost
/// dim is a parallel one (a bias gradient), so that threads on consecutive
/// outputs read consecutive elements even when there are many outputs.
static bool isColumnReduction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() == 0)
    return false;
  AffineMap map = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (map.getNumResults() == 0)
    return false;
  auto innermost = dyn_cast<AffineDimExpr>(map.getResults().back());
  return innermost && op.getIteratorTypesArray()[innermost.getPosition()] ==
                          utils::IteratorType::parallel;
}

/// splitReduction moves the payload into the split op unchanged, while the
/// loops gained the chunk dim in front (split index 0, not inner-parallel):
/// a `linalg.index` of dim d must read dim d + 1, and one of the split
/// reduction dim its position before the split, chunk · length + the
/// position within the chunk (a loss gathering its labels'
/// log-probabilities would otherwise read the wrong elements).
static void remapIndices(RewriterBase &rewriter, linalg::LinalgOp split,
                         unsigned reductionDim, int64_t length) {
  SmallVector<linalg::IndexOp> indices;
  split->walk([&](linalg::IndexOp index) { indices.push_back(index); });
  for (linalg::IndexOp index : indices) {
    rewriter.setInsertionPoint(index);
    Location loc = index.getLoc();
    Value position = linalg::IndexOp::create(rewriter, loc, index.getDim() + 1);
    if (index.getDim() == reductionDim) {
      Value chunkStart = arith::MulIOp::create(
          rewriter, loc, linalg::IndexOp::create(rewriter, loc, 0),
          arith::ConstantIndexOp::create(rewriter, loc, length));
      position = arith::AddIOp::create(rewriter, loc, chunkStart, position);
    }
    rewriter.replaceOp(index, position);
  }
}

namespace {
struct SplitReductionsPass
    : muon::impl::SplitReductionsPassBase<SplitReductionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunkLength <= 0) {
      emitError(UnknownLoc::get(&getContext()))
          << "muon-split-reductions: chunk-length must be > 0, got "
          << static_cast<int64_t>(chunkLength);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumReductionLoops() >= 1 &&
          op.getNumDpsInits() == 1 && !op.hasDynamicShape())
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp candidate : candidates) {
      int64_t reductionSize = 1, outputs = 1;
      for (auto [iterator, extent] :
           llvm::zip(candidate.getIteratorTypesArray(),
                     candidate.getStaticLoopRanges()))
        (iterator == utils::IteratorType::reduction ? reductionSize
                                                    : outputs) *= extent;
      int64_t limit =
          isColumnReduction(candidate) ? maxColumnOutputs : maxOutputs;
      if (reductionSize < minReduction || outputs > limit)
        continue;
      // A column reduction's first op runs a thread per (chunk, column):
      // few columns take shorter chunks, so that there are threads enough
      // to keep the device's memory busy.
      int64_t target = chunkLength;
      if (isColumnReduction(candidate))
        target = std::clamp<int64_t>(
            reductionSize * outputs / std::max<int64_t>(columnThreads, 1),
            std::min<int64_t>(kShortestColumnChunk, chunkLength), chunkLength);
      std::optional<int64_t> length = getChunkLength(reductionSize, target);
      if (!length)
        continue;
      int64_t chunks = reductionSize / *length;
      rewriter.setInsertionPoint(candidate);
      linalg::LinalgOp op = collapseReductionDims(rewriter, candidate);
      if (op.getNumReductionLoops() != 1)
        continue;
      SmallVector<unsigned> reductionDims;
      op.getReductionDims(reductionDims);
      // Not a plain reduction (no combiner with a neutral element): left
      // alone.
      FailureOr<linalg::SplitReductionResult> split =
          linalg::splitReduction(rewriter, op, [&](linalg::LinalgOp) {
            return linalg::SplitReductionOptions{chunks, 0,
                                                 /*innerParallel=*/false};
          });
      if (succeeded(split))
        remapIndices(rewriter, split->splitLinalgOp, reductionDims.front(),
                     *length);
    }
  }
};
} // namespace
