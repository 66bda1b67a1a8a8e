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

/// A linalg op with parallel loops only.
static bool isElementwise(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumLoops() == linalgOp.getNumParallelLoops();
}

/// A linalg op without loops: scalars computed from 0-d tensors.
static bool isScalar(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumLoops() == 0;
}

/// Whether the single-result elementwise `producer` may be recomputed in
/// each of its consumers: every use is a fusable linalg consumer (so it is
/// never materialized), and it reads at most one tensor of its result's
/// size (the others broadcast: a mask, a bias), so that a consumer reading
/// its inputs instead of its result reads no more. Each fusion then saves
/// the result's write and read: an attention's scaled and masked scores,
/// read by the softmax's max and exp, were a full pass over the
/// batch × heads × sequence² scores of their own.
static bool isRecomputable(Operation *producer) {
  auto generic = dyn_cast<linalg::GenericOp>(producer);
  if (!generic || !isElementwise(producer) || generic->getNumResults() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return false;
  int64_t fullSize = llvm::count_if(generic.getDpsInputs(), [&](Value input) {
    auto inputType = dyn_cast<RankedTensorType>(input.getType());
    return !inputType || !inputType.hasStaticShape() ||
           inputType.getNumElements() >= type.getNumElements();
  });
  return fullSize <= 1 &&
         llvm::all_of(generic->getResult(0).getUses(), [](OpOperand &use) {
           return !isContraction(use.getOwner()) &&
                  isa<linalg::GenericOp>(use.getOwner()) &&
                  linalg::areElementwiseOpsFusable(&use);
         });
}

/// Whether fusing `fused`'s producer would turn an update of its init into an
/// accumulation: a producer whose payload reads its init (a unit reduction
/// folded to a 0-d op, `out + in`) keeps that init as an output of the fused
/// op, which a consumer reading the producer's result through a broadcast
/// (non-permutation) map then updates once per broadcast iteration.
static bool readsInitUnderBroadcast(OpOperand *fused) {
  auto producer = fused->get().getDefiningOp<linalg::LinalgOp>();
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!producer || !consumer ||
      consumer.getMatchingIndexingMap(fused).isPermutation())
    return false;
  return llvm::any_of(producer.getDpsInitsMutable(), [&](OpOperand &init) {
    return producer.payloadUsesValueFromOperand(&init);
  });
}

namespace {
/// A `linalg.reduce` as the generic it is, so that element-wise producers of
/// its inputs fuse into it (upstream's fusion takes generic consumers only):
/// a LayerNorm's squared deviations are then summed as they are computed
/// instead of written to memory and read back. Reshape propagation used to
/// do this as a side effect of expanding a reduction's kept unit dim.
struct GeneralizeReduceOp : OpRewritePattern<linalg::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::ReduceOp op,
                                PatternRewriter &rewriter) const override {
    if (llvm::none_of(op.getDpsInputs(), [](Value input) {
          Operation *producer = input.getDefiningOp();
          return producer && isa<linalg::GenericOp>(producer) &&
                 isElementwise(producer);
        }))
      return rewriter.notifyMatchFailure(op, "no element-wise producer");
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

struct FuseElementwisePass
    : muon::impl::FuseElementwisePassBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Upstream's default (a single-use producer), and neither side of the
    // fusion a contraction: the operand's owner is the consumer (a linalg op
    // or a reshape folded into its producer). Also a multi-result
    // elementwise producer whose results each have one elementwise user (an
    // optimizer update whose parameter and moments each pass through a
    // status select): the fused op yields the results still used, so each
    // fusion absorbs the producer instead of copying its work.
    bool fuseScalars = fuseScalarProducers, recompute = recomputeProducers;
    linalg::ControlFusionFn control = [fuseScalars,
                                       recompute](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      Operation *consumer = fused->getOwner();
      if (!producer || isContraction(consumer) || isContraction(producer) ||
          readsInitUnderBroadcast(fused))
        return false;
      if (isScalar(producer))
        return fuseScalars;
      return producer->hasOneUse() ||
             (isElementwise(producer) && isElementwise(consumer) &&
              llvm::all_of(producer->getResults(),
                           [](Value result) { return result.hasOneUse(); })) ||
             (recompute && isRecomputable(producer));
    };
    RewritePatternSet patterns(context);
    patterns.add<GeneralizeReduceOp>(context);
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
