//===- ActivationMath.cpp - Scalar activations and derivatives ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace muon::onnx_import;

/// 0.5 (1 + erf(x / sqrt(2))), the normal CDF.
static Value buildNormalCdf(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value scaled =
      arith::MulFOp::create(b, loc, x, buildScalar(b, loc, type, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus =
      arith::AddFOp::create(b, loc, erf, buildScalar(b, loc, type, 1.0));
  return arith::MulFOp::create(b, loc, onePlus, buildScalar(b, loc, type, 0.5));
}

Value muon::onnx_import::buildGelu(OpBuilder &b, Location loc, Value x) {
  return arith::MulFOp::create(b, loc, x, buildNormalCdf(b, loc, x));
}

/// tanh(sqrt(2/pi) (x + 0.044715 x^3)).
static Value buildTanhGeluInner(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value cube =
      arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
  Value inner = arith::AddFOp::create(
      b, loc, x,
      arith::MulFOp::create(b, loc, cube, buildScalar(b, loc, type, 0.044715)));
  return math::TanhOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, inner,
                            buildScalar(b, loc, type, std::sqrt(2.0 / M_PI))));
}

Value muon::onnx_import::buildTanhGelu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value onePlus = arith::AddFOp::create(b, loc, buildTanhGeluInner(b, loc, x),
                                        buildScalar(b, loc, type, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, buildScalar(b, loc, type, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

Value muon::onnx_import::buildTanhGeluDerivative(OpBuilder &b, Location loc,
                                                 Value x) {
  Type type = x.getType();
  auto scalar = [&](double value) { return buildScalar(b, loc, type, value); };
  Value tanh = buildTanhGeluInner(b, loc, x);
  Value cdf = arith::MulFOp::create(
      b, loc, arith::AddFOp::create(b, loc, tanh, scalar(1.0)), scalar(0.5));
  // du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
  Value square = arith::MulFOp::create(b, loc, x, x);
  Value slope = arith::MulFOp::create(
      b, loc,
      arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, square, scalar(3 * 0.044715)),
          scalar(1.0)),
      scalar(std::sqrt(2.0 / M_PI)));
  Value sech2 = arith::SubFOp::create(
      b, loc, scalar(1.0), arith::MulFOp::create(b, loc, tanh, tanh));
  Value density = arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, scalar(0.5)),
      arith::MulFOp::create(b, loc, sech2, slope));
  return arith::AddFOp::create(b, loc, cdf, density);
}

Value muon::onnx_import::buildGeluDerivative(OpBuilder &b, Location loc,
                                             Value x) {
  Type type = x.getType();
  Value square = arith::MulFOp::create(b, loc, x, x);
  Value exponent =
      arith::MulFOp::create(b, loc, square, buildScalar(b, loc, type, -0.5));
  Value density = arith::MulFOp::create(
      b, loc, math::ExpOp::create(b, loc, exponent),
      buildScalar(b, loc, type, 0.5 * M_2_SQRTPI * M_SQRT1_2));
  Value xDensity = arith::MulFOp::create(b, loc, x, density);
  return arith::AddFOp::create(b, loc, buildNormalCdf(b, loc, x), xDensity);
}

Value muon::onnx_import::buildSigmoid(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value one = buildScalar(b, loc, type, 1.0);
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, exp));
}

Value muon::onnx_import::buildSigmoidSlope(OpBuilder &b, Location loc,
                                           Value y) {
  Value oneMinus =
      arith::SubFOp::create(b, loc, buildScalar(b, loc, y.getType(), 1.0), y);
  return arith::MulFOp::create(b, loc, y, oneMinus);
}

Value muon::onnx_import::buildTanhSlope(OpBuilder &b, Location loc, Value y) {
  Value square = arith::MulFOp::create(b, loc, y, y);
  return arith::SubFOp::create(b, loc, buildScalar(b, loc, y.getType(), 1.0),
                               square);
}

/// sigmoid(alpha x).
static Value buildScaledSigmoid(OpBuilder &b, Location loc, Value x,
                                double alpha) {
  Value scaled =
      arith::MulFOp::create(b, loc, x, buildScalar(b, loc, x.getType(), alpha));
  return buildSigmoid(b, loc, scaled);
}

Value muon::onnx_import::buildQuickGelu(OpBuilder &b, Location loc, Value x,
                                        double alpha) {
  return arith::MulFOp::create(b, loc, x, buildScaledSigmoid(b, loc, x, alpha));
}

Value muon::onnx_import::buildQuickGeluDerivative(OpBuilder &b, Location loc,
                                                  Value x, double alpha) {
  Type type = x.getType();
  Value s = buildScaledSigmoid(b, loc, x, alpha);
  Value oneMinus =
      arith::SubFOp::create(b, loc, buildScalar(b, loc, type, 1.0), s);
  Value slope = arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, s),
      arith::MulFOp::create(b, loc, oneMinus,
                            buildScalar(b, loc, type, alpha)));
  return arith::AddFOp::create(b, loc, s, slope);
}
