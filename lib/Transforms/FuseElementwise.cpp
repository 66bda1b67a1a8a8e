//===- FuseElementwise.cpp - Elementwise fusion that keeps the GEMMs ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Upstream's LinalgElementwiseOpFusionPass with a control function that
// leaves contractions alone: folding a reshape into a linalg.matmul by
// expansion turns it into a linalg.generic that convert-matmul-to-blas no
// longer sees.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// A contraction that convert-matmul-to-blas maps to a GEMM call.
static bool isContraction(Operation *op) {
  return op && isa<linalg::ContractionOpInterface>(op) &&
         !isa<linalg::GenericOp>(op);
}

namespace {
struct FuseElementwisePass
    : muon::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Upstream's default (a single-use producer), and neither side of the
    // fusion a contraction: the operand's owner is the consumer (a linalg op
    // or a reshape folded into its producer).
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             !isContraction(fused->getOwner()) && !isContraction(producer);
    };
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    // Top-down, as upstream's pass, for compile time.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns),
                                GreedyRewriteConfig().setUseTopDownTraversal());
  }
};
} // namespace
