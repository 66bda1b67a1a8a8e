//===- DecomposeSoftmax.cpp - linalg.softmax into its parts ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_DECOMPOSESOFTMAXPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
/// Upstream's own decomposition of the aggregate op.
struct DecomposeSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    auto aggregate = cast<linalg::AggregatedOpInterface>(op.getOperation());
    FailureOr<SmallVector<Value>> results =
        aggregate.decomposeOperation(rewriter);
    if (failed(results))
      return rewriter.notifyMatchFailure(op, "not decomposable");
    rewriter.replaceOp(op, *results);
    return success();
  }
};

/// The dim `op` takes the max of its one input over, if `op` is such a
/// row max: maxnumf or maximumf from -inf or NaN (the neutral elements),
/// one reduction dim, every other dim kept in order. On the same input and
/// dim, both combiners give the same maximum unless a row holds a NaN, and
/// then the softmax of the row is NaN whichever maximum it subtracts.
static std::optional<unsigned> getRowMaxDim(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 ||
      !op.getMatchingIndexingMap(op.getDpsInputOperand(0)).isIdentity())
    return std::nullopt;
  SmallVector<unsigned> reductionDims;
  op.getReductionDims(reductionDims);
  unsigned dim = reductionDims.front();
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outputMap !=
      AffineMap::getMultiDimIdentityMap(op.getNumLoops(), op.getContext())
          .dropResult(dim))
    return std::nullopt;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1 ||
      !isa<arith::MaxNumFOp, arith::MaximumFOp>(combiners.front()))
    return std::nullopt;
  auto fill = op.getDpsInits().front().getDefiningOp<linalg::FillOp>();
  FloatAttr init;
  if (!fill || !matchPattern(fill.value(), m_Constant(&init)))
    return std::nullopt;
  const APFloat &value = init.getValue();
  if (!value.isNaN() && !(value.isInfinity() && value.isNegative()))
    return std::nullopt;
  return dim;
}

/// A row max computed twice — the decomposed softmax's and the one
/// `optim-insert-qk-clip` takes its per-head max logits from — is computed
/// once: the later one is replaced by the earlier.
struct ShareRowMax : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<unsigned> dim = getRowMaxDim(op);
    if (!dim || !op.hasPureTensorSemantics())
      return failure();
    Value input = op.getDpsInputOperand(0)->get();
    for (Operation *user : input.getUsers()) {
      auto other = dyn_cast<linalg::LinalgOp>(user);
      if (!other || other == op || other->getBlock() != op->getBlock() ||
          !other->isBeforeInBlock(op) || getRowMaxDim(other) != dim ||
          other->getResult(0).getType() != op->getResult(0).getType())
        continue;
      rewriter.replaceOp(op, other->getResult(0));
      return success();
    }
    return failure();
  }
};

struct DecomposeSoftmaxPass
    : muon::impl::DecomposeSoftmaxPassBase<DecomposeSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeSoftmax, ShareRowMax>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
