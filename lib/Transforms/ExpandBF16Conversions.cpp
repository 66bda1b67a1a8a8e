//===- ExpandBF16Conversions.cpp - f32 <-> bf16 without libcalls ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Without AVX512-BF16 or AVX-NE-CONVERT, LLVM rounds f32 to bf16 through a
// call of `__truncsfbf2`, which GCC 12's libgcc lacks: AOT libraries with a
// bf16 Newton–Schulz then fail to link. Upstream's bf16 expansion rounds on
// the integer bits instead, on every CPU alike. It covers f32 alone; f64
// (`__truncdfbf2`, also missing) goes through f32 first, rounded to odd so
// that the second rounding is still the correct one.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_EXPANDBF16CONVERSIONSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
/// `type` (a float or a vector/tensor of floats) with element type `element`.
Type withElementType(Type type, Type element) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(element);
  return element;
}

/// f64 -> bf16 as f64 -> f32 rounded to odd, then f32 -> bf16 (to nearest
/// even, which the upstream patterns expand). Rounding to odd keeps a
/// sticky bit: f32 has 16 more significand bits than bf16 and the same
/// exponent range, so the second rounding gives the correctly rounded
/// result where two roundings to nearest would not (1 + 2^-8 + 2^-30 must
/// become 1 + 2^-7, not the tie 1 + 2^-8 rounded to even, 1).
struct TruncF64ToBF16 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type wide = getElementTypeOrSelf(op.getIn().getType());
    if (!getElementTypeOrSelf(op.getType()).isBF16() || !wide.isF64() ||
        op.getRoundingmodeAttr())
      return failure();
    Location loc = op.getLoc();
    Type type = op.getIn().getType();
    Type f32 = withElementType(type, rewriter.getF32Type());
    Type i32 = withElementType(type, rewriter.getI32Type());
    Value x = op.getIn();
    Value nearest = arith::TruncFOp::create(rewriter, loc, f32, x);
    Value back = arith::ExtFOp::create(rewriter, loc, type, nearest);
    auto compare = [&](arith::CmpFPredicate predicate, Value a, Value b) {
      return arith::CmpFOp::create(rewriter, loc, predicate, a, b);
    };
    Value zero = createScalarOrSplatConstant(rewriter, loc, type, APFloat(0.0));
    // Rounded away from zero: step the magnitude back (sign-magnitude bits).
    Value away = arith::OrIOp::create(
        rewriter, loc,
        arith::AndIOp::create(rewriter, loc,
                              compare(arith::CmpFPredicate::OGT, x, zero),
                              compare(arith::CmpFPredicate::OGT, back, x)),
        arith::AndIOp::create(rewriter, loc,
                              compare(arith::CmpFPredicate::OLT, x, zero),
                              compare(arith::CmpFPredicate::OLT, back, x)));
    Value one = createScalarOrSplatConstant(rewriter, loc, i32, 1);
    Value bits = arith::BitcastOp::create(rewriter, loc, i32, nearest);
    Value truncated = arith::SelectOp::create(
        rewriter, loc, away, arith::SubIOp::create(rewriter, loc, bits, one),
        bits);
    // Inexact (NaN included, which stays a NaN): set the lowest bit.
    Value inexact = compare(arith::CmpFPredicate::UNE, back, x);
    Value odd = arith::SelectOp::create(
        rewriter, loc, inexact,
        arith::OrIOp::create(rewriter, loc, truncated, one), truncated);
    Value narrow = arith::BitcastOp::create(rewriter, loc, f32, odd);
    rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), narrow);
    return success();
  }
};

/// bf16 -> f64 through f32: both widenings are exact.
struct ExtBF16ToF64 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getIn().getType()).isBF16() ||
        !getElementTypeOrSelf(op.getType()).isF64())
      return failure();
    Value f32 = arith::ExtFOp::create(
        rewriter, op.getLoc(),
        withElementType(op.getIn().getType(), rewriter.getF32Type()),
        op.getIn());
    rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op.getType(), f32);
    return success();
  }
};

/// Whether `op` converts between bf16 and a wider float.
bool isBF16Conversion(Operation *op) {
  if (!isa<arith::ExtFOp, arith::TruncFOp>(op))
    return false;
  return getElementTypeOrSelf(op->getOperand(0).getType()).isBF16() ||
         getElementTypeOrSelf(op->getResult(0).getType()).isBF16();
}

/// Named linalg ops (a bf16 x bf16 -> f32 `linalg.matmul`) verify that their
/// body is the one their name implies: expanding a conversion in it would
/// make them invalid, so they become `linalg.generic`s first.
LogicalResult generalizeNamedOpsWithBF16(Operation *root) {
  SmallVector<linalg::LinalgOp> named;
  root->walk([&](linalg::LinalgOp op) {
    if (!isa<linalg::GenericOp>(op) &&
        llvm::any_of(op.getBlock()->getOperations(),
                     [](Operation &inner) { return isBF16Conversion(&inner); }))
      named.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (linalg::LinalgOp op : named) {
    rewriter.setInsertionPoint(op);
    if (failed(linalg::generalizeNamedOp(rewriter, op)))
      return op->emitOpError("has bf16 conversions in its body but cannot "
                             "be generalized to expand them");
  }
  return success();
}

struct ExpandBF16ConversionsPass
    : muon::impl::ExpandBF16ConversionsPassBase<ExpandBF16ConversionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(generalizeNamedOpsWithBF16(getOperation())))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    patterns.add<TruncF64ToBF16, ExtBF16ToF64>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
