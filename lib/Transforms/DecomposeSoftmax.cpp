//===- DecomposeSoftmax.cpp - linalg.softmax into its parts ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
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

struct DecomposeSoftmaxPass
    : muon::impl::DecomposeSoftmaxPassBase<DecomposeSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeSoftmax>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
