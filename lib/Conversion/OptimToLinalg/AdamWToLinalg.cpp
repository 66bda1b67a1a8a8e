//===- AdamWToLinalg.cpp - optim.adamw to one linalg.generic --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The bias corrections and step sizes are scalars computed once, in f64 as
// torch computes them in Python floats: in f32, rounding β₂ = 0.999 alone moves
// 1 − β₂ᵗ by ~1e-5 relative at small t. The element-wise update follows
// torch.optim.AdamW's operation order:
// W·(1 − lr·wd) − (lr / (1 − β₁ᵗ)) · M' / (sqrt(V') / sqrt(1 − β₂ᵗ) + ε).
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

/// 1 − β^t.
static Value buildBiasCorrection(OpBuilder &b, Location loc, double beta,
                                 Value step) {
  Type type = step.getType();
  Value power = math::PowFOp::create(
      b, loc, createFloatConstant(b, loc, type, beta), step);
  return arith::SubFOp::create(b, loc, createFloatConstant(b, loc, type, 1.0),
                               power);
}

namespace {
/// Lowers `optim.adamw` to one `linalg.generic` computing W', M' and V'.
struct AdamWToLinalg : public OpConversionPattern<AdamWOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    Type type = op.getParam().getType();
    Type arithType = getArithmeticType(getElementTypeOrSelf(type));
    auto constant = [&](double value) {
      return createFloatConstant(rewriter, loc, arithType, value);
    };
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();

    // Scalars in f64, rounded once to the arithmetic type.
    Type f64 = rewriter.getF64Type();
    Value lr = extractScalar(rewriter, loc, adaptor.getLr(), f64);
    // t < 1 would make 1 − β^t zero or negative (t = 0: a division by
    // zero); such steps are taken as the first one, t = 1.
    Value step = arith::MaximumFOp::create(
        rewriter, loc, extractScalar(rewriter, loc, adaptor.getStep(), f64),
        createFloatConstant(rewriter, loc, f64, 1.0));
    Value stepSize = arith::DivFOp::create(
        rewriter, loc, lr, buildBiasCorrection(rewriter, loc, beta1, step));
    Value correction2Root = math::SqrtOp::create(
        rewriter, loc, buildBiasCorrection(rewriter, loc, beta2, step));
    Value lrDecay = arith::MulFOp::create(
        rewriter, loc, lr,
        createFloatConstant(rewriter, loc, f64,
                            op.getWeightDecay().convertToDouble()));
    Value decay = arith::SubFOp::create(
        rewriter, loc, createFloatConstant(rewriter, loc, f64, 1.0), lrDecay);
    stepSize = convertScalar(rewriter, loc, stepSize, arithType);
    correction2Root = convertScalar(rewriter, loc, correction2Root, arithType);
    decay = convertScalar(rewriter, loc, decay, arithType);
    Value beta1Value = constant(beta1), oneMinusBeta1 = constant(1.0 - beta1);
    Value beta2Value = constant(beta2), oneMinusBeta2 = constant(1.0 - beta2);
    Value eps = constant(op.getEps().convertToDouble());

    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
         adaptor.getExpAvgSq()},
        {}, {type, type, type}, arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0], grad = args[1];
          Value square = arith::MulFOp::create(b, bodyLoc, grad, grad);
          Value expAvg = buildMovingAverage(b, bodyLoc, beta1Value,
                                            oneMinusBeta1, args[2], grad);
          Value expAvgSq = buildMovingAverage(b, bodyLoc, beta2Value,
                                              oneMinusBeta2, args[3], square);
          Value root = math::SqrtOp::create(b, bodyLoc, expAvgSq);
          Value corrected =
              arith::DivFOp::create(b, bodyLoc, root, correction2Root);
          Value denom = arith::AddFOp::create(b, bodyLoc, corrected, eps);
          Value ratio = arith::DivFOp::create(b, bodyLoc, expAvg, denom);
          Value delta = arith::MulFOp::create(b, bodyLoc, stepSize, ratio);
          Value decayed = arith::MulFOp::create(b, bodyLoc, param, decay);
          return SmallVector<Value>{
              arith::SubFOp::create(b, bodyLoc, decayed, delta), expAvg,
              expAvgSq};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateAdamWToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamWToLinalg>(patterns.getContext());
}
