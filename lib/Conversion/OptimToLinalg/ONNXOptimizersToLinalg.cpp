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
// optim.adamw, by a 0-d generic whose results the element-wise one takes as
// inputs (buildScalarGeneric).
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

/// The type the element-wise math on `param`'s elements runs in.
static Type getArithType(Value param) {
  return getArithmeticType(getElementTypeOrSelf(param.getType()));
}

/// The scalars `build` derives from lr and the step count, computed once by
/// a 0-d generic over their tensors (buildScalarGeneric).
static SmallVector<Value>
buildStepValues(OpBuilder &b, Location loc, Type arithType, Value lr,
                Value step,
                function_ref<SmallVector<Value>(const StepScalars &)> build) {
  return buildScalarGeneric(
      b, loc, {lr, step},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        return build(
            StepScalars(nested, nestedLoc, arithType, args[0], args[1]));
      });
}

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
    Type arithType = getArithType(adaptor.getParam());
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    // lr and the gradient's scale (1 at T = 0).
    SmallVector<Value> stepValues = buildStepValues(
        rewriter, loc, arithType, adaptor.getLr(), adaptor.getStep(),
        [&](const StepScalars &s) {
          return SmallVector<Value>{
              s.round(s.lr), s.round(s.selectOnStep(s.f64(beta), s.f64(1.0)))};
        });
    Value alphaValue = createFloatConstant(rewriter, loc, arithType, alpha);
    Value l2 = createFloatConstant(rewriter, loc, arithType,
                                   op.getNormCoefficient().convertToDouble());
    bool nesterov = op.getNesterov();

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getVelocity(),
         stepValues[0], stepValues[1]},
        {}, {type, type}, arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value lr = args[3], gradScale = args[4];
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
    Type arithType = getArithType(adaptor.getParam());
    // r = R / (1 + T · decay_factor)
    SmallVector<Value> stepValues = buildStepValues(
        rewriter, loc, arithType, adaptor.getLr(), adaptor.getStep(),
        [&](const StepScalars &s) {
          Value decay = arith::MulFOp::create(
              s.b, s.loc, s.step, s.f64(op.getDecayFactor().convertToDouble()));
          return SmallVector<Value>{s.round(arith::DivFOp::create(
              s.b, s.loc, s.lr,
              arith::AddFOp::create(s.b, s.loc, s.f64(1.0), decay)))};
        });
    Value l2 = createFloatConstant(rewriter, loc, arithType,
                                   op.getNormCoefficient().convertToDouble());
    Value eps = createFloatConstant(rewriter, loc, arithType,
                                    op.getEpsilon().convertToDouble());

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getAccumulator(),
         stepValues[0]},
        {}, {type, type}, arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value rate = args[3];
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
    Type arithType = getArithType(adaptor.getParam());
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    // R' = R · sqrt(1 − beta^T) / (1 − alpha^T) for T > 0, else R.
    SmallVector<Value> stepValues = buildStepValues(
        rewriter, loc, arithType, adaptor.getLr(), adaptor.getStep(),
        [&](const StepScalars &s) {
          Value corrected = arith::DivFOp::create(
              s.b, s.loc,
              arith::MulFOp::create(
                  s.b, s.loc, s.lr,
                  math::SqrtOp::create(s.b, s.loc,
                                       s.biasCorrection(beta, s.step))),
              s.biasCorrection(alpha, s.step));
          return SmallVector<Value>{s.round(s.selectOnStep(corrected, s.lr))};
        });
    auto constant = [&](double value) {
      return createFloatConstant(rewriter, loc, arithType, value);
    };
    Value l2 = constant(op.getNormCoefficient().convertToDouble());
    Value eps = constant(op.getEpsilon().convertToDouble());
    Value alphaValue = constant(alpha), oneMinusAlpha = constant(1.0 - alpha);
    Value betaValue = constant(beta), oneMinusBeta = constant(1.0 - beta);
    Value keep = constant(1.0 - op.getNormCoefficientPost().convertToDouble());

    Type type = op.getParam().getType();
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
         adaptor.getExpAvgSq(), stepValues[0]},
        {}, {type, type, type}, arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          Value param = args[0];
          Value rate = args[4];
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
