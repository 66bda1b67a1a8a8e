//===- Activation.cpp - Softmax and GELU importers ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Softmax/LogSoftmax subtract the maximum before exponentiating (stable for
// any logits). From opset 13 they normalize over the single dimension
// `axis` (default -1); earlier opsets flatten to 2-D at `axis` (default 1)
// and normalize over the trailing block. Gelu (opset 20, erf or tanh),
// com.microsoft BiasGelu (gelu(X + B), erf), FastGelu (the same with the tanh
// approximation, which ORT fuses GPT-2's GELU into; B optional) and QuickGelu
// (X sigmoid(alpha X), which ORT fuses SiLU into) are element-wise, as are
// Softplus, Elu, Selu, Celu, HardSigmoid, HardSwish, Mish, Swish, Softsign,
// ThresholdedRelu and Shrink (forward only: ORT has no gradient for them),
// spelled as ORT's CPU kernels compute them; SwiGLU is Swish(A) · B.
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importSoftmax(NodeContext &ctx, bool logSoftmax) {
  return importAlongCoercedAxis(
      ctx, [&](OpBuilder &b, Location loc, Value x, int64_t axis) {
        return buildSoftmax(b, loc, x, axis, logSoftmax);
      });
}

static ImportResult importGelu(NodeContext &ctx) {
  std::string approximate = ctx.getStringAttr("approximate").value_or("none");
  if (approximate != "none" && approximate != "tanh")
    return emitUnsupportedAttr(ctx, "approximate")
           << ": '" << approximate << "' (expects 'none' or 'tanh')";
  return importUnaryFloat(ctx,
                          approximate == "tanh" ? buildTanhGelu : buildGelu);
}

/// BiasGelu (erf) and com.microsoft FastGelu (tanh approximation, bias
/// optional): gelu(A + B), B broadcast onto A.
static ImportResult importBiasGelu(NodeContext &ctx, bool tanh) {
  if (failed(checkNumOperands(ctx, tanh ? 1 : 2, 2)))
    return failure();
  if (!ctx.getOperand(1))
    return importUnaryFloat(ctx, buildTanhGelu);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  FailureOr<FloatType> biasType = getFloatElementType(ctx, 1);
  if (failed(elementType) || failed(biasType))
    return failure();
  if (*elementType != *biasType)
    return ctx.emitError() << "expects A and B of one element type";
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, *elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(b, loc, args[0], args[1]);
        return tanh ? buildTanhGelu(b, loc, sum) : buildGelu(b, loc, sum);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

static ImportResult importQuickGelu(NodeContext &ctx) {
  double alpha = ctx.getFloatAttr("alpha").value_or(1.702f);
  return importUnaryFloat(ctx, [alpha](OpBuilder &b, Location loc, Value x) {
    return buildQuickGelu(b, loc, x, alpha);
  });
}

namespace {
/// Scalar arithmetic on values of x's float type.
struct ScalarMath {
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(double value) { return buildScalar(b, loc, type, value); }
  Value add(Value lhs, Value rhs) {
    return arith::AddFOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, Value rhs) {
    return arith::MulFOp::create(b, loc, lhs, rhs);
  }
  Value mul(Value lhs, double rhs) { return mul(lhs, constant(rhs)); }
  Value div(Value lhs, double rhs) {
    return arith::DivFOp::create(b, loc, lhs, constant(rhs));
  }
  Value max(Value lhs, double rhs) {
    return arith::MaximumFOp::create(b, loc, lhs, constant(rhs));
  }
  Value min(Value lhs, double rhs) {
    return arith::MinimumFOp::create(b, loc, lhs, constant(rhs));
  }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  /// exp(x) − 1 (ORT's kernels do not use expm1).
  Value expMinusOne(Value x) { return add(exp(x), constant(-1.0)); }
  /// x where x > 0 (Selu) or x >= 0 (Elu), else `negative`.
  Value selectPositive(Value x, Value negative, bool zeroIsPositive) {
    Value positive = arith::CmpFOp::create(
        b, loc,
        zeroIsPositive ? arith::CmpFPredicate::UGE : arith::CmpFPredicate::UGT,
        x, constant(0.0));
    return arith::SelectOp::create(b, loc, positive, x, negative);
  }
};
} // namespace

using ActivationFn = Value (*)(ScalarMath &, Value, ArrayRef<double>);

/// log(1 + exp(x)) as max(x, 0) + log(1 + exp(-|x|)), which does not
/// overflow.
static Value buildSoftplus(ScalarMath &m, Value x, ArrayRef<double>) {
  Value negAbs = m.mul(math::AbsFOp::create(m.b, m.loc, x), -1.0);
  Value log =
      math::LogOp::create(m.b, m.loc, m.add(m.exp(negAbs), m.constant(1.0)));
  return m.add(m.max(x, 0.0), log);
}

/// x >= 0 ? x : alpha (exp(x) − 1).
static Value buildElu(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  return m.selectPositive(x, m.mul(m.expMinusOne(x), attrs[0]),
                          /*zeroIsPositive=*/true);
}

/// gamma (x > 0 ? x : alpha exp(x) − alpha).
static Value buildSelu(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  Value negative = m.mul(m.expMinusOne(x), attrs[0]);
  return m.mul(m.selectPositive(x, negative, /*zeroIsPositive=*/false),
               attrs[1]);
}

/// max(0, x) + min(0, alpha (exp(x / alpha) − 1)).
static Value buildCelu(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  Value scaled = m.mul(m.expMinusOne(m.div(x, attrs[0])), attrs[0]);
  return m.add(m.max(x, 0.0), m.min(scaled, 0.0));
}

/// max(0, min(1, alpha x + beta)).
static Value buildHardSigmoid(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  Value linear = m.add(m.mul(x, attrs[0]), m.constant(attrs[1]));
  return m.max(m.min(linear, 1.0), 0.0);
}

/// x / (1 + |x|).
static Value buildSoftsign(ScalarMath &m, Value x, ArrayRef<double>) {
  Value denominator =
      m.add(math::AbsFOp::create(m.b, m.loc, x), m.constant(1.0));
  return arith::DivFOp::create(m.b, m.loc, x, denominator);
}

/// x > alpha ? x : 0 (NaN gives 0, as in ORT's kernel).
static Value buildThresholdedRelu(ScalarMath &m, Value x,
                                  ArrayRef<double> attrs) {
  Value above = arith::CmpFOp::create(m.b, m.loc, arith::CmpFPredicate::OGT, x,
                                      m.constant(attrs[0]));
  return arith::SelectOp::create(m.b, m.loc, above, x, m.constant(0.0));
}

/// x < -lambd ? x + bias : x > lambd ? x - bias : 0 (attrs: bias, lambd;
/// NaN gives 0, as in ORT's kernel).
static Value buildShrink(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  auto compare = [&](arith::CmpFPredicate predicate, double bound) {
    return arith::CmpFOp::create(m.b, m.loc, predicate, x, m.constant(bound));
  };
  Value above = arith::SelectOp::create(
      m.b, m.loc, compare(arith::CmpFPredicate::OGT, attrs[1]),
      m.add(x, m.constant(-attrs[0])), m.constant(0.0));
  return arith::SelectOp::create(m.b, m.loc,
                                 compare(arith::CmpFPredicate::OLT, -attrs[1]),
                                 m.add(x, m.constant(attrs[0])), above);
}

/// x HardSigmoid(x) with alpha = 1/6, beta = 0.5.
static Value buildHardSwish(ScalarMath &m, Value x, ArrayRef<double>) {
  return m.mul(x, buildHardSigmoid(m, x, {1.0 / 6.0, 0.5}));
}

/// x tanh(softplus(x)).
static Value buildMish(ScalarMath &m, Value x, ArrayRef<double>) {
  return m.mul(x, math::TanhOp::create(m.b, m.loc, buildSoftplus(m, x, {})));
}

/// x sigmoid(alpha x).
static Value buildSwish(ScalarMath &m, Value x, ArrayRef<double> attrs) {
  return buildQuickGelu(m.b, m.loc, x, attrs[0]);
}

/// SwiGLU (opset 28): Swish_alpha(A) · B, A and B of one shape (no
/// broadcasting, as ONNX specifies): LLaMA's gate_proj/up_proj product.
static ImportResult importSwiGLU(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<RankedTensorType> valueType = getOperandType(ctx, 1);
  if (failed(type) || failed(valueType) || failed(getFloatElementType(ctx, 0)))
    return failure();
  if (*type != *valueType)
    return ctx.emitError() << "expects A and B of one type, got " << *type
                           << " and " << *valueType;
  double alpha = ctx.getFloatAttr("alpha").value_or(1.0f);
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, type->getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        ScalarMath m{b, loc, args[0].getType()};
        return m.mul(buildSwish(m, args[0], {alpha}), args[1]);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// Registers the element-wise activation `fn` of x and the node's float
/// attributes `attrs` (ONNX's defaults where absent), since opset `since`.
static void addActivation(OpImporterRegistry &registry, StringRef name,
                          SmallVector<std::pair<StringRef, float>> attrs,
                          ActivationFn fn, int64_t since) {
  auto import = [=](NodeContext &ctx) {
    SmallVector<double> values;
    for (auto [attr, defaultValue] : attrs)
      values.push_back(ctx.getFloatAttr(attr).value_or(defaultValue));
    return importUnaryFloat(ctx, [&](OpBuilder &b, Location loc, Value x) {
      ScalarMath math{b, loc, x.getType()};
      return fn(math, x, values);
    });
  };
  registry.add("", name, import, {since});
}

void muon::onnx_import::populateActivationImporters(
    OpImporterRegistry &registry) {
  registry.add("", "Softmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, /*logSoftmax=*/false);
  });
  registry.add("", "LogSoftmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, /*logSoftmax=*/true);
  });
  registry.add("", "Gelu", importGelu, {/*since=*/20});
  registry.add("com.microsoft", "Gelu", importGelu);
  registry.add("com.microsoft", "BiasGelu", [](NodeContext &ctx) {
    return importBiasGelu(ctx, /*tanh=*/false);
  });
  registry.add("com.microsoft", "FastGelu", [](NodeContext &ctx) {
    return importBiasGelu(ctx, /*tanh=*/true);
  });
  registry.add("com.microsoft", "QuickGelu", importQuickGelu);
  addActivation(registry, "Softplus", {}, buildSoftplus, /*since=*/1);
  addActivation(registry, "Elu", {{"alpha", 1.0f}}, buildElu, /*since=*/6);
  addActivation(registry, "Selu",
                {{"alpha", 1.67326319217681884765625f},
                 {"gamma", 1.05070102214813232421875f}},
                buildSelu, /*since=*/6);
  addActivation(registry, "Celu", {{"alpha", 1.0f}}, buildCelu, /*since=*/12);
  addActivation(registry, "HardSigmoid", {{"alpha", 0.2f}, {"beta", 0.5f}},
                buildHardSigmoid, /*since=*/6);
  addActivation(registry, "HardSwish", {}, buildHardSwish, /*since=*/14);
  addActivation(registry, "Mish", {}, buildMish, /*since=*/18);
  addActivation(registry, "Swish", {{"alpha", 1.0f}}, buildSwish,
                /*since=*/24);
  registry.add("", "SwiGLU", importSwiGLU, {/*since=*/28});
  addActivation(registry, "Softsign", {}, buildSoftsign, /*since=*/1);
  addActivation(registry, "ThresholdedRelu", {{"alpha", 1.0f}},
                buildThresholdedRelu, /*since=*/10);
  addActivation(registry, "Shrink", {{"bias", 0.0f}, {"lambd", 0.5f}},
                buildShrink, /*since=*/9);
}
