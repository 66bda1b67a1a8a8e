//===- FoldUnitDims.cpp - Unit dims out of element-wise generics ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Upstream's unit-extent-dim folding without the rewrite its pass adds
// (`linalg-fold-unit-extent-dims` also moves every read init operand to
// the inputs): an update `x = x + a·y` computed into its own loop-carried
// tensor keeps writing it, so that bufferization still sees the
// `scf.for` yield as the iteration argument's buffer.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_FOLDUNITDIMSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct FoldUnitDimsPass : muon::impl::FoldUnitDimsPassBase<FoldUnitDimsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::ControlDropUnitDims options;
    linalg::populateFoldUnitExtentDimsPatterns(patterns, options);
    linalg::populateFoldUnitExtentDimsCanonicalizationPatterns(patterns,
                                                               options);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
