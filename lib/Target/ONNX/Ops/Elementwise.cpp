//===- Elementwise.cpp - ONNX element-wise op importers -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Add/Sub/Mul/Div/Pow with numpy broadcasting, the variadic Sum/Mean/Max/Min,
// and unary float math. Each becomes one `linalg.generic` whose indexing maps
// do the broadcasting, so no broadcast copies are materialized.
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
enum class BinaryKind { Add, Sub, Mul, Div, Max, Min };
} // namespace

/// `lhs <kind> rhs` on scalars of one float or integer type (integers read
/// as unsigned with `isUnsigned`).
static Value buildBinary(OpBuilder &b, Location loc, BinaryKind kind, Value lhs,
                         Value rhs, bool isUnsigned) {
  if (isa<FloatType>(lhs.getType())) {
    switch (kind) {
    case BinaryKind::Add:
      return arith::AddFOp::create(b, loc, lhs, rhs);
    case BinaryKind::Sub:
      return arith::SubFOp::create(b, loc, lhs, rhs);
    case BinaryKind::Mul:
      return arith::MulFOp::create(b, loc, lhs, rhs);
    case BinaryKind::Div:
      return arith::DivFOp::create(b, loc, lhs, rhs);
    case BinaryKind::Max:
      return arith::MaximumFOp::create(b, loc, lhs, rhs);
    case BinaryKind::Min:
      return arith::MinimumFOp::create(b, loc, lhs, rhs);
    }
  }
  switch (kind) {
  case BinaryKind::Add:
    return arith::AddIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Sub:
    return arith::SubIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Mul:
    return arith::MulIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Div:
    return buildSafeDivision(b, loc, lhs, rhs, /*remainder=*/false, isUnsigned);
  case BinaryKind::Max:
    if (isUnsigned)
      return arith::MaxUIOp::create(b, loc, lhs, rhs);
    return arith::MaxSIOp::create(b, loc, lhs, rhs);
  case BinaryKind::Min:
    if (isUnsigned)
      return arith::MinUIOp::create(b, loc, lhs, rhs);
    return arith::MinSIOp::create(b, loc, lhs, rhs);
  }
  llvm_unreachable("unknown BinaryKind");
}

/// Checks that every input is present, static and of one element type (float
/// only when `floatOnly`); returns that type.
static FailureOr<Type> getArithmeticElementType(NodeContext &ctx,
                                                bool floatOnly) {
  FailureOr<Type> common = getCommonElementType(ctx);
  if (failed(common))
    return failure();
  if (floatOnly && !isa<FloatType>(*common))
    return ctx.emitError() << "expects float inputs, got " << *common;
  if (!common->isIntOrFloat())
    return ctx.emitError() << "unsupported element type " << *common;
  return common;
}

/// Folds `kind` over all inputs (two for the binary ops, one or more for the
/// variadic ones) in one broadcasting generic; Mean divides by the count.
static ImportResult importFold(NodeContext &ctx, BinaryKind kind,
                               unsigned minInputs, unsigned maxInputs,
                               bool mean = false) {
  if (failed(checkNumOperands(ctx, minInputs, maxInputs)))
    return failure();
  FailureOr<Type> elementType =
      getArithmeticElementType(ctx, /*floatOnly=*/mean);
  if (failed(elementType))
    return failure();
  if (kind == BinaryKind::Div && isa<IntegerType>(*elementType) &&
      failed(checkDivisors(ctx, 1)))
    return failure();
  unsigned count = ctx.operands.size();
  bool isUnsigned = elementType->isUnsignedInteger();
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), getSignlessType(*elementType),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args.front();
        for (Value arg : args.drop_front())
          acc = buildBinary(b, loc, kind, acc, arg, isUnsigned);
        if (mean)
          acc = arith::DivFOp::create(
              b, loc, acc, buildScalar(b, loc, acc.getType(), count));
        return acc;
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, *elementType)};
}

/// Pow: the exponent may have another type than the base (ONNX's T1), and
/// the result has the base's. A float base is raised in its own type; an
/// integer one in f64 and truncated, as ORT's kernel computes std::pow.
static ImportResult importPow(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> baseType = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> exponentType = getOperandType(ctx, 1);
  if (failed(baseType) || failed(exponentType))
    return failure();
  Type elementType = baseType->getElementType();
  Type exponentElementType = exponentType->getElementType();
  // Only the exponent may be unsigned (ONNX's T1).
  if (elementType.isUnsignedInteger())
    return ctx.emitError() << "expects a float or signed integer base, got "
                           << elementType;
  for (Type type : {elementType, exponentElementType})
    if (!isa<FloatType>(type) && (!type.isInteger() || type.isInteger(1)))
      return ctx.emitError() << "expects float or integer inputs, got " << type;
  Type computeType = isa<FloatType>(elementType)
                         ? elementType
                         : Type(Float64Type::get(ctx.builder.getContext()));
  bool unsignedExponent = exponentElementType.isUnsignedInteger();
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value power = math::PowFOp::create(
            b, loc, buildCast(b, loc, args[0], computeType),
            buildCast(b, loc, args[1], computeType, unsignedExponent));
        return buildCast(b, loc, power, elementType);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// Mod: the divisor's sign (fmod = 0, Python's %) or the dividend's (fmod =
/// 1, C's fmod); floats take fmod = 0 from opset 28 (before, ONNX requires
/// 1), with a zero result signed as the divisor.
static ImportResult importMod(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<Type> elementType =
      getArithmeticElementType(ctx, /*floatOnly=*/false);
  if (failed(elementType))
    return failure();
  FailureOr<bool> fmod = getFlagAttr(ctx, "fmod");
  if (failed(fmod))
    return failure();
  bool isFloat = isa<FloatType>(*elementType);
  if (isFloat && !*fmod && ctx.opsetVersion < 28)
    return emitUnsupportedAttr(ctx, "fmod")
           << ": 0 with float inputs before opset 28 (ONNX requires 1)";
  if (!isFloat && failed(checkDivisors(ctx, 1)))
    return failure();
  bool isUnsigned = elementType->isUnsignedInteger();
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), getSignlessType(*elementType),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat && *fmod)
          return arith::RemFOp::create(b, loc, args[0], args[1]);
        if (isFloat) {
          // C's fmod moved by one divisor where the signs differ; ordered
          // comparisons leave NaN (an infinite A, a zero B) as it is.
          Value rem = arith::RemFOp::create(b, loc, args[0], args[1]);
          Value zero = buildScalar(b, loc, rem.getType(), 0.0);
          auto compare = [&](arith::CmpFPredicate predicate, Value lhs) {
            return arith::CmpFOp::create(b, loc, predicate, lhs, zero);
          };
          Value differ = arith::XOrIOp::create(
              b, loc, compare(arith::CmpFPredicate::OLT, rem),
              compare(arith::CmpFPredicate::OLT, args[1]));
          Value adjust = arith::AndIOp::create(
              b, loc, compare(arith::CmpFPredicate::ONE, rem), differ);
          Value moved = arith::SelectOp::create(
              b, loc, adjust, arith::AddFOp::create(b, loc, rem, args[1]), rem);
          return arith::SelectOp::create(
              b, loc, compare(arith::CmpFPredicate::OEQ, rem),
              math::CopySignOp::create(b, loc, zero, args[1]), moved);
        }
        Value rem = buildSafeDivision(b, loc, args[0], args[1],
                                      /*remainder=*/true, isUnsigned);
        // Unsigned remainders have no sign to adjust.
        if (*fmod || isUnsigned)
          return rem;
        // A non-zero remainder whose sign differs from the divisor's moves
        // by one divisor.
        Value zero = buildScalar(b, loc, rem.getType(), 0);
        Value nonZero =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, zero);
        Value remNegative =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rem, zero);
        Value divisorNegative = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::slt, args[1], zero);
        Value differ =
            arith::XOrIOp::create(b, loc, remNegative, divisorNegative);
        Value adjust = arith::AndIOp::create(b, loc, nonZero, differ);
        Value shifted = arith::AddIOp::create(b, loc, rem, args[1]);
        return arith::SelectOp::create(b, loc, adjust, shifted, rem);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, *elementType)};
}

/// com.microsoft Scale, which ORT's gradients of ReduceMean and of the
/// mean-reduced losses write: X · s, or X · (1 / s) with scale_down (as ORT's
/// kernel computes it); s is one element of any number type (ORT's
/// gradient builder passes an int64 element count from Size).
static ImportResult importScale(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  if (failed(type))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  FailureOr<RankedTensorType> scaleType = getOperandType(ctx, 1);
  if (failed(elementType) || failed(scaleType))
    return failure();
  Type scaleElement = scaleType->getElementType();
  if (scaleType->getNumElements() != 1 || scaleElement.isInteger(1) ||
      !scaleElement.isIntOrFloat())
    return ctx.emitError() << "expects a one-element numeric scale, got "
                           << *scaleType;
  FailureOr<bool> down = getFlagAttr(ctx, "scale_down");
  if (failed(down))
    return failure();
  Value scale = buildReshape(ctx.builder, ctx.loc, ctx.getOperand(1), {});
  FailureOr<Value> result = buildElementwise(
      ctx, {ctx.getOperand(0), scale}, *elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value factor = muon::convertScalar(b, loc, args[1], *elementType);
        if (*down)
          factor = arith::DivFOp::create(
              b, loc, buildScalar(b, loc, *elementType, 1.0), factor);
        return arith::MulFOp::create(b, loc, args[0], factor);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// The float attributes scale_0.. of ORT's ScaledSum and BatchScale, one per
/// scaled input or output.
static SmallVector<double> getScales(NodeContext &ctx, int64_t count) {
  SmallVector<double> scales;
  for (int64_t i = 0; i < count; ++i)
    scales.push_back(
        ctx.getFloatAttr(("scale_" + Twine(i)).str()).value_or(1.0f));
  return scales;
}

/// ORT's ScaledSum (its fusion of Div(A, s) + Div(B, s) + C, DeBERTa's
/// disentangled attention scores): scale_0 * A + scale_1 * B (+ scale_2 *
/// C), inputs of one shape as its kernel requires.
static ImportResult importScaledSum(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 3);
  if (failed(type))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  SmallVector<Value> inputs;
  SmallVector<double> scales;
  for (auto [i, scale] : llvm::enumerate(getScales(ctx, 3))) {
    Value input = ctx.getOperand(i);
    if (!input)
      continue;
    if (input.getType() != *type)
      return ctx.emitError() << "expects inputs of one type, got " << *type
                             << " and " << input.getType();
    inputs.push_back(input);
    scales.push_back(scale);
  }
  FailureOr<Value> result = buildElementwise(
      ctx, inputs, *elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value sum;
        for (auto [arg, scale] : llvm::zip(args, scales)) {
          Value term = arith::MulFOp::create(
              b, loc, arg, buildScalar(b, loc, *elementType, scale));
          sum =
              sum ? arith::AddFOp::create(b, loc, sum, term).getResult() : term;
        }
        return sum;
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// ORT's BatchScale (its fusion of Mul(A, s_i) sharing A): output i is
/// scale_i * A.
static ImportResult importBatchScale(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  int64_t count = ctx.getNumResults();
  if (count < 2 || count > 3)
    return ctx.emitError() << "expects 2 or 3 outputs, got " << count;
  // ORT's kernel leaves the scale of an absent third output unused.
  ctx.ignoreAttr("scale_2");
  SmallVector<Value> results;
  for (double scale : getScales(ctx, count)) {
    FailureOr<Value> result = buildElementwise(
        ctx, ctx.getOperand(0), *elementType,
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::MulFOp::create(
              b, loc, args[0], buildScalar(b, loc, *elementType, scale));
        });
    if (failed(result))
      return failure();
    results.push_back(*result);
  }
  return results;
}

/// Clip: X clamped to [min, max], bounds from the attributes (opset 6) or
/// from optional 0-d inputs (opset 11). An absent float bound is the type's
/// largest finite value, as in ONNX Runtime's kernel (so ±inf become it); an
/// absent integer bound (integers since opset 12, signed or unsigned) clamps
/// nothing. max wins where min > max.
static ImportResult importClip(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 3);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isInteger = ctx.opsetVersion >= 12 && isa<IntegerType>(elementType) &&
                   !elementType.isInteger(1);
  if (!isInteger && failed(getFloatElementType(ctx, 0)))
    return failure();
  SmallVector<Value> inputs{ctx.getOperand(0)};
  double largest = isInteger
                       ? 0.0
                       : APFloat::getLargest(
                             cast<FloatType>(elementType).getFloatSemantics())
                             .convertToDouble();
  std::optional<double> low, high;
  bool hasLow = false, hasHigh = false;
  if (ctx.opsetVersion < 11) {
    low = ctx.getFloatAttr("min").value_or(-largest);
    high = ctx.getFloatAttr("max").value_or(largest);
  } else {
    if (!isInteger)
      low = -largest, high = largest;
    for (unsigned i = 1; i < 3; ++i) {
      Value bound = ctx.getOperand(i);
      if (!bound)
        continue;
      auto boundType = cast<RankedTensorType>(bound.getType());
      if (boundType.getRank() != 0 && boundType.getNumElements() != 1)
        return ctx.emitError()
               << "expects a scalar " << (i == 1 ? "min" : "max") << ", got "
               << boundType;
      if (boundType.getElementType() != elementType)
        return ctx.emitError() << "expects " << (i == 1 ? "min" : "max")
                               << " of the input's element type";
      inputs.push_back(buildReshape(ctx.builder, ctx.loc, bound, {}));
      (i == 1 ? hasLow : hasHigh) = true;
    }
  }
  bool isUnsigned = elementType.isUnsignedInteger();
  for (Value &input : inputs)
    input = buildSignlessTensor(ctx.builder, ctx.loc, input);
  FailureOr<Value> result = buildElementwise(
      ctx, inputs, getSignlessType(elementType),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0];
        unsigned next = 1;
        auto getBound = [&](bool fromInput,
                            std::optional<double> constant) -> Value {
          if (fromInput)
            return args[next++];
          return constant ? buildScalar(b, loc, x.getType(), *constant)
                          : Value();
        };
        Value lowValue = getBound(hasLow, low);
        Value highValue = getBound(hasHigh, high);
        if (isInteger) {
          if (lowValue)
            x = isUnsigned
                    ? arith::MaxUIOp::create(b, loc, x, lowValue).getResult()
                    : arith::MaxSIOp::create(b, loc, x, lowValue).getResult();
          if (highValue)
            x = isUnsigned
                    ? arith::MinUIOp::create(b, loc, x, highValue).getResult()
                    : arith::MinSIOp::create(b, loc, x, highValue).getResult();
          return x;
        }
        x = arith::MaximumFOp::create(b, loc, x, lowValue);
        return arith::MinimumFOp::create(b, loc, x, highValue).getResult();
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, elementType)};
}

/// x > 0 ? x : slope · x (LeakyRelu's alpha; PRelu's slope, which
/// broadcasts to x).
static Value buildLeakyRelu(OpBuilder &b, Location loc, Value x, Value slope) {
  Value zero = buildScalar(b, loc, x.getType(), 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  Value scaled = arith::MulFOp::create(b, loc, x, slope);
  return arith::SelectOp::create(b, loc, positive, x, scaled);
}

/// PRelu(X, slope): the slope broadcasts to X's shape (unidirectionally: the
/// result has X's shape), as nn.PReLU's per-channel [C, 1, 1] does.
static ImportResult importPRelu(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> type = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> slopeType = getOperandType(ctx, 1);
  if (failed(type) || failed(slopeType) || failed(getFloatElementType(ctx, 0)))
    return failure();
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes({type->getShape(), slopeType->getShape()});
  if (slopeType->getElementType() != type->getElementType() || !shape ||
      ArrayRef<int64_t>(*shape) != type->getShape())
    return ctx.emitError() << "expects a slope that broadcasts to X's type "
                           << *type << ", got " << *slopeType;
  return SmallVector<Value>{buildBroadcastMap(
      ctx.builder, ctx.loc, ctx.operands, type->getShape(),
      type->getElementType(), [](OpBuilder &b, Location loc, ValueRange args) {
        return buildLeakyRelu(b, loc, args[0], args[1]);
      })};
}

using UnaryFn = Value (*)(OpBuilder &, Location, Value);

/// The unary op `OpT` on `x`.
template <typename OpT>
static Value buildUnaryOp(OpBuilder &b, Location loc, Value x) {
  return OpT::create(b, loc, x);
}

/// Neg or Abs of a float or signed integer tensor (ORT's gradient of Pad
/// negates its int64 pads).
static ImportResult importNegOrAbs(NodeContext &ctx, bool abs) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  if (isa<FloatType>(elementType))
    return importUnaryFloat(ctx, abs ? buildUnaryOp<math::AbsFOp>
                                     : buildUnaryOp<arith::NegFOp>);
  if (!elementType.isInteger() || elementType.isInteger(1))
    return ctx.emitError() << "expects a float or integer input, got "
                           << elementType;
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.getOperand(0), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (abs)
          return math::AbsIOp::create(b, loc, args[0]);
        Value zero =
            arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
        return arith::SubIOp::create(b, loc, zero, args[0]);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

void muon::onnx_import::populateElementwiseImporters(
    OpImporterRegistry &registry) {
  // Opsets: numpy broadcasting of the binary ops since 7 (before: the
  // `broadcast`/`axis` attributes); variadic ops and unary ones since 6
  // (before: `consumed_inputs`).
  auto addFold = [&](StringRef name, BinaryKind kind, unsigned min,
                     unsigned max, bool mean = false) {
    registry.add(
        "", name,
        [=](NodeContext &ctx) { return importFold(ctx, kind, min, max, mean); },
        {/*since=*/max == 2 ? 7 : 6});
  };
  addFold("Add", BinaryKind::Add, 2, 2);
  addFold("Sub", BinaryKind::Sub, 2, 2);
  addFold("Mul", BinaryKind::Mul, 2, 2);
  addFold("Div", BinaryKind::Div, 2, 2);
  registry.add("", "Pow", importPow, {/*since=*/7});
  addFold("Sum", BinaryKind::Add, 1, ~0u);
  addFold("Mean", BinaryKind::Add, 1, ~0u, /*mean=*/true);
  addFold("Max", BinaryKind::Max, 1, ~0u);
  addFold("Min", BinaryKind::Min, 1, ~0u);

  auto addUnary = [&](StringRef name, UnaryFn fn, int64_t since = 6) {
    registry.add("", name,
                 [=](NodeContext &ctx) { return importUnaryFloat(ctx, fn); },
                 {since});
  };
  registry.add(
      "", "Neg",
      [](NodeContext &ctx) { return importNegOrAbs(ctx, /*abs=*/false); },
      {/*since=*/6});
  registry.add(
      "", "Abs",
      [](NodeContext &ctx) { return importNegOrAbs(ctx, /*abs=*/true); },
      {/*since=*/6});
  addUnary("Exp", buildUnaryOp<math::ExpOp>);
  addUnary("Log", buildUnaryOp<math::LogOp>);
  addUnary("Sqrt", buildUnaryOp<math::SqrtOp>);
  addUnary("Tanh", buildUnaryOp<math::TanhOp>);
  addUnary("Erf", buildUnaryOp<math::ErfOp>, /*since=*/9);
  addUnary("Reciprocal", [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::DivFOp::create(b, loc, buildScalar(b, loc, x.getType(), 1.0),
                                 x);
  });
  addUnary("Relu", [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::MaximumFOp::create(b, loc, x,
                                     buildScalar(b, loc, x.getType(), 0.0));
  });
  addUnary("Sigmoid", buildSigmoid);
  addUnary("Sin", buildUnaryOp<math::SinOp>, /*since=*/7);
  addUnary("Cos", buildUnaryOp<math::CosOp>, /*since=*/7);
  addUnary("Tan", buildUnaryOp<math::TanOp>, /*since=*/7);
  addUnary("Atan", buildUnaryOp<math::AtanOp>, /*since=*/7);
  addUnary("Asin", buildUnaryOp<math::AsinOp>, /*since=*/7);
  addUnary("Acos", buildUnaryOp<math::AcosOp>, /*since=*/7);
  addUnary("Sinh", buildUnaryOp<math::SinhOp>, /*since=*/9);
  addUnary("Cosh", buildUnaryOp<math::CoshOp>, /*since=*/9);
  addUnary("Asinh", buildUnaryOp<math::AsinhOp>, /*since=*/9);
  addUnary("Acosh", buildUnaryOp<math::AcoshOp>, /*since=*/9);
  addUnary("Atanh", buildUnaryOp<math::AtanhOp>, /*since=*/9);
  addUnary("Floor", buildUnaryOp<math::FloorOp>);
  // Halves to even, as ONNX specifies (math.round would round them away
  // from zero).
  addUnary("Round", buildUnaryOp<math::RoundEvenOp>, /*since=*/11);
  addUnary("Ceil", buildUnaryOp<math::CeilOp>);
  addUnary(
      "Sign",
      [](OpBuilder &b, Location loc, Value x) -> Value {
        // -1, 0 or 1; NaN stays NaN.
        Value zero = buildScalar(b, loc, x.getType(), 0.0);
        Value positive =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
        Value negative =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
        Value sign = arith::SelectOp::create(
            b, loc, positive, buildScalar(b, loc, x.getType(), 1.0),
            arith::SelectOp::create(b, loc, negative,
                                    buildScalar(b, loc, x.getType(), -1.0), x));
        return sign;
      },
      /*since=*/9);
  registry.add("", "LeakyRelu",
               [](NodeContext &ctx) {
                 double alpha = ctx.getFloatAttr("alpha").value_or(0.01f);
                 return importUnaryFloat(
                     ctx, [alpha](OpBuilder &b, Location loc, Value x) {
                       return buildLeakyRelu(
                           b, loc, x, buildScalar(b, loc, x.getType(), alpha));
                     });
               },
               {/*since=*/6});
  // Before 9 the slope broadcast only as the old `broadcast` rules said.
  registry.add("", "PRelu", importPRelu, {/*since=*/9});
  registry.add("", "Clip", importClip, {/*since=*/6});
  registry.add("", "Mod", importMod, {/*since=*/10});
  registry.add("com.microsoft", "Scale", importScale);
  registry.add("com.microsoft", "ScaledSum", importScaledSum);
  registry.add("com.microsoft", "BatchScale", importBatchScale);

  registry.add("", "Identity", [](NodeContext &ctx) -> ImportResult {
    if (failed(checkNumOperands(ctx, 1, 1)))
      return failure();
    return forwardOperand(ctx, 0);
  });
  registry.acceptUnsigned("", {"Add", "Sub", "Mul", "Div", "Pow", "Sum", "Max",
                               "Min", "Mod", "Clip", "Identity"});
  registry.acceptMinifloats("", {"Identity"});
}
