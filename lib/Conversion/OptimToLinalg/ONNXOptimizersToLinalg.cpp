//===- ONNXOptimizersToLinalg.cpp - ONNX optimizer ops to linalg ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// optim.momentum, optim.adagrad and optim.adam (the ONNX training operators)
// each become one element-wise `linalg.generic`. Their step-dependent scalars
// (the first-update rule at T = 0, Adam's bias correction, Adagrad's decayed
// rate) are computed once in f64 and rounded to the arithmetic type, as for
// optim.adamw.
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

/// norm_coefficient · X + G, the gradient with ONNX's L2 term.
static Value buildRegularizedGrad(OpBuilder &b, Location loc, Value coefficient,
                                  Value param, Value grad) {
  Value l2 = arith::MulFOp::create(b, loc, coefficient, param);
  return arith::AddFOp::create(b, loc, l2, grad);
}

namespace {
/// Lowers `optim.momentum` to one `linalg.generic` computing X' and V'.
struct MomentumToLinalg : public OpConversionPattern<MomentumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MomentumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    StepScalars s = StepScalars::fromTensors(
        rewriter, loc, adaptor.getParam(), adaptor.getLr(), adaptor.getStep());
    double alpha = op.getAlpha().convertToDouble();
    Value lr = s.round(s.lr);
    Value gradScale = s.round(
        s.selectOnStep(s.f64(op.getBeta().convertToDouble()), s.f64(1.0)));
    Value alphaValue = s.arith(alpha);
    Value l2 = s.arith(op.getNormCoefficient().convertToDouble());
    bool nesterov = op.getNesterov();

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getVelocity()}, {},
        {type, type}, s.arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value grad = buildRegularizedGrad(b, bodyLoc, l2, param, args[1]);
          Value velocity = arith::AddFOp::create(
              b, bodyLoc,
              arith::MulFOp::create(b, bodyLoc, alphaValue, args[2]),
              arith::MulFOp::create(b, bodyLoc, gradScale, grad));
          Value direction = velocity;
          if (nesterov)
            direction = arith::AddFOp::create(
                b, bodyLoc, grad,
                arith::MulFOp::create(b, bodyLoc, alphaValue, velocity));
          Value delta = arith::MulFOp::create(b, bodyLoc, lr, direction);
          return SmallVector<Value>{
              arith::SubFOp::create(b, bodyLoc, param, delta), velocity};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Lowers `optim.adagrad` to one `linalg.generic` computing X' and H'.
struct AdagradToLinalg : public OpConversionPattern<AdagradOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdagradOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    StepScalars s = StepScalars::fromTensors(
        rewriter, loc, adaptor.getParam(), adaptor.getLr(), adaptor.getStep());
    // r = R / (1 + T · decay_factor)
    Value decay = arith::MulFOp::create(
        rewriter, loc, s.step, s.f64(op.getDecayFactor().convertToDouble()));
    Value rate = s.round(arith::DivFOp::create(
        rewriter, loc, s.lr,
        arith::AddFOp::create(rewriter, loc, s.f64(1.0), decay)));
    Value l2 = s.arith(op.getNormCoefficient().convertToDouble());
    Value eps = s.arith(op.getEpsilon().convertToDouble());

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getAccumulator()}, {},
        {type, type}, s.arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value grad = buildRegularizedGrad(b, bodyLoc, l2, param, args[1]);
          Value accumulator = arith::AddFOp::create(
              b, bodyLoc, args[2],
              arith::MulFOp::create(b, bodyLoc, grad, grad));
          Value denom = arith::AddFOp::create(
              b, bodyLoc, math::SqrtOp::create(b, bodyLoc, accumulator), eps);
          Value delta = arith::DivFOp::create(
              b, bodyLoc, arith::MulFOp::create(b, bodyLoc, rate, grad), denom);
          return SmallVector<Value>{
              arith::SubFOp::create(b, bodyLoc, param, delta), accumulator};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Lowers `optim.adam` to one `linalg.generic` computing X', V' and H'.
struct AdamToLinalg : public OpConversionPattern<AdamOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    StepScalars s = StepScalars::fromTensors(
        rewriter, loc, adaptor.getParam(), adaptor.getLr(), adaptor.getStep());
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    // R' = R · sqrt(1 − beta^T) / (1 − alpha^T) for T > 0, else R.
    Value corrected = arith::DivFOp::create(
        rewriter, loc,
        arith::MulFOp::create(
            rewriter, loc, s.lr,
            math::SqrtOp::create(rewriter, loc,
                                 s.biasCorrection(beta, s.step))),
        s.biasCorrection(alpha, s.step));
    Value rate = s.round(s.selectOnStep(corrected, s.lr));
    Value l2 = s.arith(op.getNormCoefficient().convertToDouble());
    Value eps = s.arith(op.getEpsilon().convertToDouble());
    Value alphaValue = s.arith(alpha), oneMinusAlpha = s.arith(1.0 - alpha);
    Value betaValue = s.arith(beta), oneMinusBeta = s.arith(1.0 - beta);
    Value keep = s.arith(1.0 - op.getNormCoefficientPost().convertToDouble());

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
         adaptor.getExpAvgSq()},
        {}, {type, type, type}, s.arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value grad = buildRegularizedGrad(b, bodyLoc, l2, param, args[1]);
          Value square = arith::MulFOp::create(b, bodyLoc, grad, grad);
          Value expAvg = buildMovingAverage(b, bodyLoc, alphaValue,
                                            oneMinusAlpha, args[2], grad);
          Value expAvgSq = buildMovingAverage(b, bodyLoc, betaValue,
                                              oneMinusBeta, args[3], square);
          Value denom = arith::AddFOp::create(
              b, bodyLoc, math::SqrtOp::create(b, bodyLoc, expAvgSq), eps);
          Value delta = arith::MulFOp::create(
              b, bodyLoc, rate,
              arith::DivFOp::create(b, bodyLoc, expAvg, denom));
          Value updated = arith::SubFOp::create(b, bodyLoc, param, delta);
          return SmallVector<Value>{
              arith::MulFOp::create(b, bodyLoc, keep, updated), expAvg,
              expAvgSq};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateONNXOptimizersToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MomentumToLinalg, AdagradToLinalg, AdamToLinalg>(
      patterns.getContext());
}
