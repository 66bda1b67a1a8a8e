//===- FoldTransposesIntoGemms.cpp - Transposes as GEMM operand flags -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A backward graph's `dW = Xᵀ·dY` arrives as a transposed copy of X feeding a
// matmul. With power-of-two strides the copy's writes miss cache on every
// element, and it costs more than the GEMM would with its transpose flag:
// each transpose that a runtime GEMM can absorb becomes a permuted indexing
// map of the contraction instead.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"
#include "muon/Utils/GemmMatch.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOGEMMSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {

/// `map` with its results permuted: result k becomes result `perm[k]`'s.
/// A transpose's result read through `map` is its input read through
/// `map` permuted by the inverse permutation; its input written through `map`
/// is its result written through `map` permuted by `perm`.
AffineMap permuteResults(AffineMap map, ArrayRef<int64_t> perm) {
  return AffineMap::get(map.getNumDims(), 0,
                        applyPermutation(map.getResults(), perm),
                        map.getContext());
}

bool isGemmContraction(linalg::LinalgOp op) {
  return op.hasPureTensorSemantics() && op.getNumDpsInputs() == 2 &&
         op.getNumDpsInits() == 1 && linalg::isaContractionOpInterface(op);
}

/// Whether `op`'s maps make a GEMM the pipeline calls: with
/// `interleavedBatch`, also one whose operands keep batch dims between
/// matrix dims.
bool isCallableGemm(ArrayRef<AffineMap> maps,
                    ArrayRef<utils::IteratorType> iterators,
                    bool interleavedBatch, muon::GemmMatch *result = nullptr) {
  FailureOr<muon::GemmMatch> match = muon::matchGemm(maps, iterators);
  if (failed(match) ||
      (!interleavedBatch &&
       llvm::any_of(match->permutations,
                    [](ArrayRef<int64_t> perm) { return !perm.empty(); })))
    return false;
  if (result)
    *result = std::move(*match);
  return true;
}

/// A slice bufferizes to a strided view whose dims may not collapse into
/// the GEMM's matrix dims (convert-matmul-to-blas would leave loops): only
/// one-dim groups are taken from one.
bool isCollapsibleOnceBuffered(Value source,
                               ArrayRef<ReassociationIndices> groups) {
  return !source.getDefiningOp<tensor::ExtractSliceOp>() ||
         llvm::all_of(groups, [](const ReassociationIndices &group) {
           return group.size() == 1;
         });
}

/// A generic computing `op`'s body on `inputs` (in `op`'s input order, or
/// swapped) with `maps` for (inputs..., init).
linalg::GenericOp createContraction(PatternRewriter &rewriter,
                                    linalg::LinalgOp op, Value lhs, Value rhs,
                                    Value init, ArrayRef<AffineMap> maps,
                                    bool swapped) {
  Block *body = op.getBlock();
  auto build = [&](OpBuilder &b, Location, ValueRange args) {
    IRMapping mapping;
    mapping.map(body->getArgument(0), args[swapped ? 1 : 0]);
    mapping.map(body->getArgument(1), args[swapped ? 0 : 1]);
    mapping.map(body->getArgument(2), args[2]);
    for (Operation &nested : *body)
      b.clone(nested, mapping);
  };
  return linalg::GenericOp::create(rewriter, op.getLoc(), init.getType(),
                                   ValueRange{lhs, rhs}, ValueRange{init}, maps,
                                   op.getIteratorTypesArray(), build);
}

/// contraction(transpose(x), y) -> contraction(x, y) with x's map permuted.
struct FoldOperandTranspose : OpInterfaceRewritePattern<linalg::LinalgOp> {
  FoldOperandTranspose(MLIRContext *context, bool interleavedBatch)
      : OpInterfaceRewritePattern(context), interleavedBatch(interleavedBatch) {
  }

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isGemmContraction(op))
      return rewriter.notifyMatchFailure(op, "not a GEMM-like contraction");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    SmallVector<Value> inputs = op.getDpsInputs();
    bool folded = false;
    for (unsigned i = 0; i < 2; ++i) {
      auto transpose = inputs[i].getDefiningOp<linalg::TransposeOp>();
      if (!transpose || !transpose.hasPureTensorSemantics())
        continue;
      SmallVector<AffineMap> candidate = maps;
      candidate[i] = permuteResults(
          maps[i], invertPermutationVector(transpose.getPermutation()));
      muon::GemmMatch match;
      if (!isCallableGemm(candidate, op.getIteratorTypesArray(),
                          interleavedBatch, &match) ||
          !isCollapsibleOnceBuffered(transpose.getInput(), match.groups[i]))
        continue;
      maps = candidate;
      inputs[i] = transpose.getInput();
      folded = true;
    }
    if (!folded)
      return rewriter.notifyMatchFailure(op, "no foldable transposed input");
    Value init = op.getDpsInits()[0];
    rewriter.replaceOp(op, createContraction(rewriter, op, inputs[0], inputs[1],
                                             init, maps,
                                             /*swapped=*/false));
    return success();
  }

  bool interleavedBatch;
};

/// transpose(contraction(a, b, fill)) -> contraction writing the transposed
/// result, as (a, b) or, when that is what a GEMM computes, (b, a). Through
/// a collapse_shape of the result too: transpose(collapse(contraction)) ->
/// collapse(contraction writing its result with the groups transposed).
struct FoldResultTranspose : OpRewritePattern<linalg::TransposeOp> {
  FoldResultTranspose(MLIRContext *context, bool interleavedBatch)
      : OpRewritePattern(context), interleavedBatch(interleavedBatch) {}

  LogicalResult matchAndRewrite(linalg::TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    Value result = transpose.getInput();
    SmallVector<int64_t> perm(transpose.getPermutation());
    // The groups of the permuted result that the collapse merges.
    SmallVector<ReassociationIndices> groups;
    auto collapse = result.getDefiningOp<tensor::CollapseShapeOp>();
    if (collapse && collapse->hasOneUse()) {
      SmallVector<ReassociationIndices> collapsed =
          collapse.getReassociationIndices();
      SmallVector<int64_t> expandedPerm;
      for (int64_t dim : perm) {
        ReassociationIndices &group = groups.emplace_back();
        for (int64_t source : collapsed[dim]) {
          group.push_back(expandedPerm.size());
          expandedPerm.push_back(source);
        }
      }
      perm = std::move(expandedPerm);
      result = collapse.getSrc();
    }
    auto op = result.getDefiningOp<linalg::LinalgOp>();
    if (!op || !isGemmContraction(op) || !op->hasOneUse())
      return rewriter.notifyMatchFailure(transpose, "not a contraction's");
    auto resultType = cast<RankedTensorType>(result.getType());
    if (!resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(transpose, "dynamic shape");
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    if (!fill || !fill.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(transpose, "accumulator not a fill");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps[2] = permuteResults(maps[2], perm);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    bool swapped = false;
    if (!isCallableGemm(maps, iterators, interleavedBatch)) {
      std::swap(maps[0], maps[1]);
      swapped = true;
      if (!isCallableGemm(maps, iterators, interleavedBatch))
        return rewriter.notifyMatchFailure(transpose, "not a GEMM either way");
    }
    rewriter.setInsertionPoint(transpose);
    Value empty = tensor::EmptyOp::create(
        rewriter, fill.getLoc(), applyPermutation(resultType.getShape(), perm),
        resultType.getElementType());
    Value init = linalg::FillOp::create(rewriter, fill.getLoc(),
                                        fill.getInputs()[0], empty)
                     .getResult(0);
    Value lhs = op.getDpsInputs()[swapped ? 1 : 0];
    Value rhs = op.getDpsInputs()[swapped ? 0 : 1];
    Value transposed =
        createContraction(rewriter, op, lhs, rhs, init, maps, swapped)
            .getResult(0);
    if (!groups.empty())
      transposed = tensor::CollapseShapeOp::create(rewriter, transpose.getLoc(),
                                                   transposed, groups);
    rewriter.replaceOp(transpose, transposed);
    return success();
  }

  bool interleavedBatch;
};

/// collapse_shape(transpose(x)) -> transpose(collapse_shape(x)) when each
/// collapsed group of the transposed dims is a run of x's dims in order.
struct BubbleCollapseThroughTranspose
    : OpRewritePattern<tensor::CollapseShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::CollapseShapeOp collapse,
                                PatternRewriter &rewriter) const override {
    auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
    if (!transpose || !transpose.hasPureTensorSemantics() ||
        !transpose->hasOneUse())
      return rewriter.notifyMatchFailure(collapse, "not of a transpose");
    if (!collapse.getType().hasStaticShape())
      return rewriter.notifyMatchFailure(collapse, "dynamic shape");
    ArrayRef<int64_t> perm = transpose.getPermutation();
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    // The input dims of each group, which must be consecutive.
    SmallVector<std::pair<int64_t, unsigned>> firstInputDim;
    for (auto [index, group] : llvm::enumerate(groups)) {
      for (unsigned k = 1; k < group.size(); ++k)
        if (perm[group[k]] != perm[group[k - 1]] + 1)
          return rewriter.notifyMatchFailure(collapse, "group not a run");
      firstInputDim.push_back({perm[group.front()], index});
    }
    llvm::sort(firstInputDim);
    SmallVector<ReassociationIndices> inputGroups;
    SmallVector<int64_t> newPerm(groups.size());
    for (auto [position, entry] : llvm::enumerate(firstInputDim)) {
      const ReassociationIndices &group = groups[entry.second];
      ReassociationIndices &inputGroup = inputGroups.emplace_back();
      for (int64_t dim : group)
        inputGroup.push_back(perm[dim]);
      newPerm[entry.second] = position;
    }
    Location loc = collapse.getLoc();
    Value input = tensor::CollapseShapeOp::create(
        rewriter, loc, transpose.getInput(), inputGroups);
    auto resultType = cast<RankedTensorType>(collapse.getType());
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    rewriter.replaceOpWithNewOp<linalg::TransposeOp>(collapse, input, init,
                                                     newPerm);
    return success();
  }
};

struct FoldTransposesIntoGemmsPass
    : muon::impl::FoldTransposesIntoGemmsPassBase<FoldTransposesIntoGemmsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<FoldOperandTranspose, FoldResultTranspose>(context,
                                                            interleavedBatch);
    patterns.add<BubbleCollapseThroughTranspose>(context);
    if (interleavedBatch) {
      // A batch dim merged from a transposed operand's dims becomes those
      // dims again in the contraction's loops, so the transpose can fold.
      linalg::populateFoldReshapeOpsByExpansionPatterns(
          patterns, [](OpOperand *fused) {
            auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
            auto collapse =
                fused->get().getDefiningOp<tensor::CollapseShapeOp>();
            return consumer && collapse && isGemmContraction(consumer) &&
                   collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
          });
      tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
      tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
      // The expanded accumulator a fill again, for FoldResultTranspose.
      linalg::FillOp::getCanonicalizationPatterns(patterns, context);
    }
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
