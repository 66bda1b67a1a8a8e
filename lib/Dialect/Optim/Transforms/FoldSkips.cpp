//===- FoldSkips.cpp - Kept-on-failure selects into `skip` ----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMFOLDSKIPSPASS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

/// The flag of `generic` if it is `flag != 0 ? old : value` element-wise
/// (buildUnlessFlagged), a 0-d integer flag broadcast; null otherwise.
static Value matchUnlessFlagged(linalg::GenericOp generic, Value value,
                                Value old) {
  if (generic.getNumDpsInputs() != 3 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      generic.getDpsInputs()[1] != value || generic.getDpsInputs()[2] != old)
    return {};
  Value flag = generic.getDpsInputs()[0];
  auto flagType = dyn_cast<RankedTensorType>(flag.getType());
  if (!flagType || flagType.getRank() != 0 ||
      !flagType.getElementType().isSignlessInteger())
    return {};
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (maps[0].getNumResults() != 0 || !maps[1].isIdentity() ||
      !maps[2].isIdentity() || !maps[3].isIdentity() ||
      generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
    return {};
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto select = yield.getValues().front().getDefiningOp<arith::SelectOp>();
  if (!select || select.getTrueValue() != body.getArgument(2) ||
      select.getFalseValue() != body.getArgument(1))
    return {};
  auto compare = select.getCondition().getDefiningOp<arith::CmpIOp>();
  if (!compare || compare.getPredicate() != arith::CmpIPredicate::ne ||
      compare.getLhs() != body.getArgument(0) ||
      !matchPattern(compare.getRhs(), m_Zero()))
    return {};
  return flag;
}

namespace {
/// Gives an update whose results are only used by kept-on-failure selects
/// of one dominating flag that flag as `skip`, and drops the selects.
template <typename OpTy> struct FoldSkip : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getSkip())
      return failure();
    Value flag;
    SmallVector<linalg::GenericOp> selects;
    for (OpResult result : op->getResults()) {
      Value old = getUpdatedOperand(result)->get();
      for (Operation *user : result.getUsers()) {
        auto generic = dyn_cast<linalg::GenericOp>(user);
        Value userFlag =
            generic ? matchUnlessFlagged(generic, result, old) : Value();
        if (!userFlag || (flag && userFlag != flag))
          return rewriter.notifyMatchFailure(
              op, "a result has a use other than a select by the flag");
        flag = userFlag;
        selects.push_back(generic);
      }
    }
    if (!flag)
      return rewriter.notifyMatchFailure(op, "no kept-on-failure select");
    if (!DominanceInfo(op).properlyDominates(flag, op))
      return rewriter.notifyMatchFailure(op, "the flag is computed later");
    rewriter.modifyOpInPlace(op, [&] { op.getSkipMutable().assign(flag); });
    for (linalg::GenericOp select : selects)
      rewriter.replaceOp(select, select.getDpsInputs()[1]);
    return success();
  }
};

struct OptimFoldSkipsPass
    : public muon::optim::impl::OptimFoldSkipsPassBase<OptimFoldSkipsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldSkip<MuonOp>, FoldSkip<Muon2Op>, FoldSkip<AdamWOp>>(
        &getContext());
    // Only these rewrites: other IR is left exactly as it is.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
