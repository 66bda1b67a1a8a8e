//===- UpdateMath.cpp - Per-element math of the optimizer updates ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/UpdateMath.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include <cmath>

using namespace mlir;
using namespace muon::optim;

double muon::optim::getLrAdjustFactor(LrAdjust rule,
                                      const MatrixShape &matrix) {
  auto rows = static_cast<double>(matrix.rows);
  auto cols = static_cast<double>(matrix.cols);
  switch (rule) {
  case LrAdjust::original:
    return std::sqrt(std::max(1.0, rows / cols));
  case LrAdjust::match_rms_adamw:
    return 0.2 * std::sqrt(std::max(rows, cols));
  case LrAdjust::spectral_unclamped:
    return std::sqrt(rows / cols);
  case LrAdjust::none:
    return 1.0;
  }
  llvm_unreachable("unknown lr_adjust rule");
}

MomentumCoefficients::MomentumCoefficients(OpBuilder &b, Location loc,
                                           Type type, double momentum,
                                           bool nesterov)
    : beta(createFloatConstant(b, loc, type, momentum)),
      oneMinusBeta(createFloatConstant(b, loc, type, 1.0 - momentum)),
      nesterov(nesterov) {}

std::pair<Value, Value> MomentumCoefficients::build(OpBuilder &b, Location loc,
                                                    Value grad,
                                                    Value momentum) const {
  Value newMomentum =
      buildMovingAverage(b, loc, beta, oneMinusBeta, momentum, grad);
  if (!nesterov)
    return {newMomentum, newMomentum};
  return {newMomentum,
          buildMovingAverage(b, loc, beta, oneMinusBeta, newMomentum, grad)};
}

SmallVector<Value> muon::optim::buildRuntimeDecay(OpBuilder &b, Location loc,
                                                  Value beta, Type arithType) {
  Value wide = convertScalar(b, loc, beta, b.getF64Type());
  Value oneMinus = arith::SubFOp::create(
      b, loc, createFloatConstant(b, loc, b.getF64Type(), 1.0), wide);
  return {convertScalar(b, loc, wide, arithType),
          convertScalar(b, loc, oneMinus, arithType)};
}

SecondMomentCoefficients::SecondMomentCoefficients(OpBuilder &b, Location loc,
                                                   Type type, Muon2Op op)
    : beta2(createFloatConstant(b, loc, type, op.getBeta2().convertToDouble())),
      oneMinusBeta2(createFloatConstant(b, loc, type,
                                        1.0 - op.getBeta2().convertToDouble())),
      eps(createFloatConstant(b, loc, type, op.getEps().convertToDouble())) {}

Value muon::optim::buildPrecondition(OpBuilder &b, Location loc, Value update,
                                     Value secondMoment, Value eps) {
  Value root = math::SqrtOp::create(b, loc, secondMoment);
  Value denom = arith::AddFOp::create(b, loc, root, eps);
  return arith::DivFOp::create(b, loc, update, denom);
}

ParamUpdateScalars::ParamUpdateScalars(OpBuilder &b, Location loc, Value lr,
                                       Value adjust, double weightDecay) {
  Type type = lr.getType();
  stepSize = arith::MulFOp::create(b, loc, lr, adjust);
  // Without weight decay W·1 is W: leave the multiplication out.
  if (weightDecay != 0.0) {
    Value lrDecay = arith::MulFOp::create(
        b, loc, lr, createFloatConstant(b, loc, type, weightDecay));
    decay = arith::SubFOp::create(
        b, loc, createFloatConstant(b, loc, type, 1.0), lrDecay);
  }
}

ParamUpdateScalars::ParamUpdateScalars(ValueRange values)
    : stepSize(values.front()), decay(values.size() > 1 ? values[1] : Value()) {
}

SmallVector<Value> ParamUpdateScalars::getValues() const {
  SmallVector<Value> values = {stepSize};
  if (decay)
    values.push_back(decay);
  return values;
}

Value ParamUpdateScalars::build(OpBuilder &b, Location loc, Value param,
                                Value ortho) const {
  if (decay)
    param = arith::MulFOp::create(b, loc, param, decay);
  Value step = arith::MulFOp::create(b, loc, stepSize, ortho);
  return arith::SubFOp::create(b, loc, param, step);
}

Type muon::optim::getNSInputType(Type elementType, Type computeType) {
  return computeType.getIntOrFloatBitWidth() <
                 elementType.getIntOrFloatBitWidth()
             ? computeType
             : elementType;
}

bool muon::optim::iteratesTransposed(const MatrixShape &matrix) {
  return matrix.rows > matrix.cols;
}

NSNormalization::NSNormalization(OpBuilder &b, Location loc,
                                 NSScheduleAttr schedule)
    : scale(
          createFloatConstant(b, loc, b.getF64Type(), schedule.getNormScale())),
      eps(createFloatConstant(b, loc, b.getF64Type(), schedule.getNormEps())) {}

Value NSNormalization::buildDenominator(OpBuilder &b, Location loc,
                                        Value sumOfSquares) const {
  Value norm = math::SqrtOp::create(b, loc, sumOfSquares);
  Value scaled = arith::MulFOp::create(b, loc, norm, scale);
  return arith::AddFOp::create(b, loc, scaled, eps);
}

Value NSNormalization::buildElement(OpBuilder &b, Location loc, Value element,
                                    Value denominator, Type type) const {
  Value wide = convertScalar(b, loc, element, b.getF64Type());
  Value quotient = arith::DivFOp::create(b, loc, wide, denominator);
  if (type.isF64())
    return quotient;
  return convertScalar(b, loc, convertScalar(b, loc, quotient, b.getF32Type()),
                       type);
}

MuonUpdateMath::MuonUpdateMath(OpBuilder &b, Location loc, Operation *op) {
  auto init = [&](auto muonOp) {
    auto type = cast<RankedTensorType>(muonOp.getParams().front().getType());
    arithType = getArithmeticType(type.getElementType());
    momentum.emplace(b, loc, arithType, muonOp.getMomentum().convertToDouble(),
                     muonOp.getNesterov());
    lrAdjust = muonOp.getLrAdjust();
    weightDecay = muonOp.getWeightDecay().convertToDouble();
  };
  if (auto muon2 = dyn_cast<Muon2Op>(op)) {
    init(muon2);
    second.emplace(b, loc, arithType, muon2);
    factored = muon2.isFactored();
    return;
  }
  init(cast<MuonOp>(op));
}

MuonMoments
MuonUpdateMath::buildMoments(OpBuilder &b, Location loc, Value grad,
                             Value momentumValue, Value secondMoment,
                             const MomentumCoefficients *runtime) const {
  auto [newMomentum, update] =
      (runtime ? *runtime : *momentum).build(b, loc, grad, momentumValue);
  if (!secondMoment)
    return {newMomentum, update, Value()};
  Value square = arith::MulFOp::create(b, loc, grad, grad);
  Value newSecondMoment = buildMovingAverage(
      b, loc, second->beta2, second->oneMinusBeta2, secondMoment, square);
  return {newMomentum,
          buildPrecondition(b, loc, update, newSecondMoment, second->eps),
          newSecondMoment};
}

Value MuonUpdateMath::buildAdjust(OpBuilder &b, Location loc,
                                  const MatrixShape &matrix) const {
  return createFloatConstant(b, loc, arithType,
                             getLrAdjustFactor(lrAdjust, matrix));
}

ParamUpdateScalars MuonUpdateMath::buildParamScalars(OpBuilder &b, Location loc,
                                                     Value lr,
                                                     Value adjust) const {
  return ParamUpdateScalars(b, loc, lr, adjust, weightDecay);
}

Value muon::optim::buildBiasCorrection(OpBuilder &b, Location loc, double beta,
                                       Value step) {
  return buildBiasCorrection(
      b, loc, createFloatConstant(b, loc, step.getType(), beta), step);
}

Value muon::optim::buildBiasCorrection(OpBuilder &b, Location loc, Value beta,
                                       Value step) {
  Value power = math::PowFOp::create(b, loc, beta, step);
  return arith::SubFOp::create(
      b, loc, createFloatConstant(b, loc, step.getType(), 1.0), power);
}

StepScalars::StepScalars(OpBuilder &b, Location loc, Type arithType, Value lr,
                         Value step)
    : b(b), loc(loc), arithType(arithType),
      lr(convertScalar(b, loc, lr, b.getF64Type())),
      step(convertScalar(b, loc, step, b.getF64Type())) {}

Value StepScalars::f64(double value) const {
  return createFloatConstant(b, loc, b.getF64Type(), value);
}

Value StepScalars::arith(double value) const {
  return createFloatConstant(b, loc, arithType, value);
}

Value StepScalars::round(Value value) const {
  return convertScalar(b, loc, value, arithType);
}

Value StepScalars::selectOnStep(Value onPositive, Value onFirst) const {
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, step, f64(0.0));
  return arith::SelectOp::create(b, loc, positive, onPositive, onFirst);
}

Value StepScalars::firstStepAtLeastOne() const {
  return arith::MaximumFOp::create(b, loc, step, f64(1.0));
}

Value StepScalars::biasCorrection(double beta, Value step) const {
  return buildBiasCorrection(b, loc, beta, step);
}

Value StepScalars::biasCorrection(Value beta, Value step) const {
  return buildBiasCorrection(b, loc, beta, step);
}

SmallVector<Value>
AdamWScalars::buildStepValues(AdamWOp op, const StepScalars &s, Value beta1) {
  OpBuilder &b = s.b;
  Location loc = s.loc;
  Type f64 = b.getF64Type();
  Value lr = s.lr;
  Value step = s.firstStepAtLeastOne();
  bool huggingFace = op.getVariant() == AdamWVariant::huggingface;
  assert(bool(beta1) == bool(op.getDynamicBeta1()) &&
         "beta1 is given exactly where the op reads it at run time");
  if (beta1)
    beta1 = convertScalar(b, loc, beta1, f64);
  Value size = lr, root;
  if (op.getBiasCorrection()) {
    Value correction1 =
        beta1 ? s.biasCorrection(beta1, step)
              : s.biasCorrection(op.getBeta1().convertToDouble(), step);
    size = arith::DivFOp::create(b, loc, lr, correction1);
    root = math::SqrtOp::create(
        b, loc, s.biasCorrection(op.getBeta2().convertToDouble(), step));
    // Hugging Face folds the correction of V' into the step size.
    if (huggingFace) {
      size = arith::MulFOp::create(b, loc, size, root);
      root = Value();
    }
  }
  Value lrDecay = arith::MulFOp::create(
      b, loc, lr,
      createFloatConstant(b, loc, f64, op.getWeightDecay().convertToDouble()));
  Value decayFactor = arith::SubFOp::create(
      b, loc, createFloatConstant(b, loc, f64, 1.0), lrDecay);
  SmallVector<Value> stepValues = {s.round(size)};
  if (root)
    stepValues.push_back(s.round(root));
  stepValues.push_back(s.round(decayFactor));
  if (beta1)
    llvm::append_range(stepValues,
                       buildRuntimeDecay(b, loc, beta1, s.arithType));
  return stepValues;
}

AdamWScalars::AdamWScalars(AdamWOp op, const StepScalars &s, Value beta1)
    : AdamWScalars(op, s.b, s.loc, s.arithType, buildStepValues(op, s, beta1)) {
}

/// The step values of `op` without the trailing β₁, 1 − β₁ of a run-time β₁.
static ValueRange dropBeta1(AdamWOp op, ValueRange stepValues) {
  return op.getDynamicBeta1() ? stepValues.drop_back(2) : stepValues;
}

AdamWScalars::AdamWScalars(AdamWOp op, OpBuilder &b, Location loc,
                           Type arithType, ValueRange allStepValues)
    : decayAfterUpdate(op.getVariant() == AdamWVariant::huggingface) {
  ValueRange stepValues = dropBeta1(op, allStepValues);
  stepSize = stepValues.front();
  correction2Root = stepValues.size() > 2 ? stepValues[1] : Value();
  decay = stepValues.back();
  if (op.getDynamicBeta1()) {
    beta1 = allStepValues.take_back(2).front();
    oneMinusBeta1 = allStepValues.back();
  } else {
    double b1 = op.getBeta1().convertToDouble();
    beta1 = createFloatConstant(b, loc, arithType, b1);
    oneMinusBeta1 = createFloatConstant(b, loc, arithType, 1.0 - b1);
  }
  double b2 = op.getBeta2().convertToDouble();
  beta2 = createFloatConstant(b, loc, arithType, b2);
  oneMinusBeta2 = createFloatConstant(b, loc, arithType, 1.0 - b2);
  eps = createFloatConstant(b, loc, arithType, op.getEps().convertToDouble());
}

SmallVector<Value> AdamWScalars::build(OpBuilder &b, Location loc, Value param,
                                       Value grad, Value expAvg,
                                       Value expAvgSq) const {
  Value square = arith::MulFOp::create(b, loc, grad, grad);
  Value newExpAvg =
      buildMovingAverage(b, loc, beta1, oneMinusBeta1, expAvg, grad);
  Value newExpAvgSq =
      buildMovingAverage(b, loc, beta2, oneMinusBeta2, expAvgSq, square);
  Value root = math::SqrtOp::create(b, loc, newExpAvgSq);
  if (correction2Root)
    root = arith::DivFOp::create(b, loc, root, correction2Root);
  Value denom = arith::AddFOp::create(b, loc, root, eps);
  Value ratio = arith::DivFOp::create(b, loc, newExpAvg, denom);
  Value delta = arith::MulFOp::create(b, loc, stepSize, ratio);
  Value newParam;
  if (decayAfterUpdate)
    newParam = arith::MulFOp::create(
        b, loc, arith::SubFOp::create(b, loc, param, delta), decay);
  else
    newParam = arith::SubFOp::create(
        b, loc, arith::MulFOp::create(b, loc, param, decay), delta);
  return {newParam, newExpAvg, newExpAvgSq};
}
