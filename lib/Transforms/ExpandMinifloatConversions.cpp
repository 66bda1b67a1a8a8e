//===- ExpandMinifloatConversions.cpp - float8/4 <-> wider floats ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// LLVM has no float8 or float4 types: the conversion to LLVM stores them as
// i8/i4, and `arith.extf`/`arith.truncf` of them have no lowering. Both become
// integer arithmetic on the bits here, for each of the formats ONNX exchanges
// (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E2M1FN), with the formats' parameters
// read from their APFloat semantics: width, exponent bias, mantissa width,
// largest finite value, and how NaN, infinity and negative zero are encoded.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

namespace muon {
#define GEN_PASS_DEF_EXPANDMINIFLOATCONVERSIONSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
bool isMinifloat(Type type) {
  return isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type,
             Float8E5M2FNUZType, Float4E2M1FNType>(getElementTypeOrSelf(type));
}

/// `type` (a scalar or a vector/tensor of them) with element type `element`.
Type withElementType(Type type, Type element) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(element);
  return element;
}

/// The bit layout of a minifloat format.
struct MinifloatFormat {
  explicit MinifloatFormat(FloatType type) : width(type.getWidth()) {
    const llvm::fltSemantics &semantics = type.getFloatSemantics();
    mantissaBits = llvm::APFloat::semanticsPrecision(semantics) - 1;
    minExponent = llvm::APFloat::semanticsMinExponent(semantics);
    auto bits = [](const llvm::APFloat &value) {
      return value.bitcastToAPInt().getZExtValue();
    };
    largest = bits(llvm::APFloat::getLargest(semantics));
    hasNaN = llvm::APFloat::semanticsHasNaN(semantics);
    if (hasNaN)
      nan = bits(llvm::APFloat::getQNaN(semantics));
    hasInfinity = llvm::APFloat::semanticsHasInf(semantics);
    if (hasInfinity)
      infinity = bits(llvm::APFloat::getInf(semantics));
    // FNUZ formats spend the negative zero's code on NaN.
    signedZero = bits(llvm::APFloat::getZero(semantics, true)) != 0;
  }

  /// The exponent bias: the smallest normal exponent is 1 - bias.
  int64_t getBias() const { return 1 - minExponent; }

  unsigned width, mantissaBits;
  int minExponent;
  /// Magnitude codes (sign bit clear) of the largest finite value and of
  /// infinity, and the full code of the NaN the conversions produce.
  uint64_t largest, infinity = 0, nan = 0;
  bool hasNaN, hasInfinity, signedZero;
};

/// Builds scalar-or-splat integer and float arithmetic of one shape.
struct BitsBuilder {
  BitsBuilder(PatternRewriter &rewriter, Location loc, Type shapeOf,
              unsigned width)
      : b(rewriter), loc(loc),
        intType(withElementType(shapeOf, rewriter.getIntegerType(width))),
        floatType(withElementType(shapeOf, width == 64
                                               ? Type(rewriter.getF64Type())
                                               : rewriter.getF32Type())) {}

  Value integer(uint64_t value) {
    return createScalarOrSplatConstant(
        b, loc, intType,
        APInt(getElementTypeOrSelf(intType).getIntOrFloatBitWidth(), value));
  }
  /// `value` (exact in f32: powers of two, infinity, NaN).
  Value real(double value) {
    APFloat exact(value);
    bool losesInfo;
    exact.convert(
        cast<FloatType>(getElementTypeOrSelf(floatType)).getFloatSemantics(),
        APFloat::rmNearestTiesToEven, &losesInfo);
    return createScalarOrSplatConstant(b, loc, floatType, exact);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value andi(Value x, uint64_t mask) {
    return arith::AndIOp::create(b, loc, x, integer(mask));
  }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, uint64_t n) {
    return arith::ShLIOp::create(b, loc, x, integer(n));
  }
  Value shr(Value x, uint64_t n) {
    return arith::ShRUIOp::create(b, loc, x, integer(n));
  }
  Value cmp(arith::CmpIPredicate predicate, Value x, uint64_t value) {
    return arith::CmpIOp::create(b, loc, predicate, x, integer(value));
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }

  PatternRewriter &b;
  Location loc;
  Type intType, floatType;
};

/// f32/f64 -> a minifloat, rounding to nearest even, as APFloat converts
/// (and so constant folding): a magnitude past the largest finite value
/// becomes infinity where the format has one, else NaN where it has one,
/// else (E2M1) the largest value; in a format without NaN, infinities and
/// NaN become zero of their sign.
Value buildEncode(PatternRewriter &rewriter, Location loc, Value x,
                  Type resultType) {
  MinifloatFormat format(cast<FloatType>(getElementTypeOrSelf(resultType)));
  Type wideType = getElementTypeOrSelf(x.getType());
  unsigned width = wideType.getIntOrFloatBitWidth();
  unsigned wideMantissa = width == 64 ? 52 : 23;
  int64_t wideBias = width == 64 ? 1023 : 127;
  BitsBuilder bb(rewriter, loc, x.getType(), width);
  Value bits = arith::BitcastOp::create(rewriter, loc, bb.intType, x);
  Value sign = bb.shr(bits, width - 1);
  Value magnitudeBits = bb.andi(bits, ~(uint64_t{1} << (width - 1)));
  Value magnitude =
      arith::BitcastOp::create(rewriter, loc, bb.floatType, magnitudeBits);

  // Normal results: round the mantissa to nearest even on the bits (a carry
  // moves into the exponent, as it should), then rebias the exponent.
  unsigned shift = wideMantissa - format.mantissaBits;
  Value halfUlp = bb.add(bb.integer((uint64_t{1} << (shift - 1)) - 1),
                         bb.andi(bb.shr(magnitudeBits, shift), 1));
  Value normal =
      bb.sub(bb.shr(bb.add(magnitudeBits, halfUlp), shift),
             bb.integer(static_cast<uint64_t>(wideBias - format.getBias())
                        << format.mantissaBits));
  // Subnormal results: the magnitude in units of the smallest subnormal
  // (exact: a power of two), rounded to an integer by adding and removing
  // 2^mantissa, which leaves no fraction bits; the integer is the code.
  Value units = arith::MulFOp::create(
      rewriter, loc, magnitude,
      bb.real(std::ldexp(1.0, format.mantissaBits - format.minExponent)));
  Value magic = bb.real(std::ldexp(1.0, wideMantissa));
  Value rounded = arith::SubFOp::create(
      rewriter, loc, arith::AddFOp::create(rewriter, loc, units, magic), magic);
  Value subnormal = arith::FPToUIOp::create(rewriter, loc, bb.intType, rounded);
  Value isSubnormal = bb.cmp(
      arith::CmpIPredicate::ult, magnitudeBits,
      static_cast<uint64_t>(format.minExponent + wideBias) << wideMantissa);
  Value code = bb.select(isSubnormal, subnormal, normal);

  Value overflow = bb.cmp(arith::CmpIPredicate::ugt, code, format.largest);
  Value signBit = bb.shl(sign, format.width - 1);
  Value result = bb.ori(signBit, code);
  if (!format.signedZero)
    result = bb.select(bb.cmp(arith::CmpIPredicate::eq, code, 0), bb.integer(0),
                       result);
  Value overflowCode =
      format.hasInfinity ? bb.ori(signBit, bb.integer(format.infinity))
      : format.hasNaN    ? bb.integer(format.nan)
                         : bb.ori(signBit, bb.integer(format.largest));
  result = bb.select(overflow, overflowCode, result);
  if (format.hasNaN) {
    Value isNaN =
        arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::UNO, x, x);
    result = bb.select(isNaN, bb.integer(format.nan), result);
  } else {
    uint64_t infinityBits = ((uint64_t{1} << (width - wideMantissa - 1)) - 1)
                            << wideMantissa;
    result = bb.select(
        bb.cmp(arith::CmpIPredicate::uge, magnitudeBits, infinityBits), signBit,
        result);
  }
  Type narrow =
      withElementType(x.getType(), rewriter.getIntegerType(format.width));
  return arith::BitcastOp::create(
      rewriter, loc, resultType,
      arith::TruncIOp::create(rewriter, loc, narrow, result));
}

/// A minifloat -> f32, exactly.
Value buildDecode(PatternRewriter &rewriter, Location loc, Value x) {
  MinifloatFormat format(cast<FloatType>(getElementTypeOrSelf(x.getType())));
  BitsBuilder bb(rewriter, loc, x.getType(), 32);
  Type narrow =
      withElementType(x.getType(), rewriter.getIntegerType(format.width));
  Value code = arith::ExtUIOp::create(
      rewriter, loc, bb.intType,
      arith::BitcastOp::create(rewriter, loc, narrow, x));
  uint64_t signCode = uint64_t{1} << (format.width - 1);
  Value magnitude = bb.andi(code, signCode - 1);
  unsigned mantissaBits = format.mantissaBits;
  Value exponent = bb.shr(magnitude, mantissaBits);
  Value mantissa = bb.andi(magnitude, (uint64_t{1} << mantissaBits) - 1);
  Value normalBits =
      bb.ori(bb.shl(bb.add(exponent, bb.integer(127 - format.getBias())), 23),
             bb.shl(mantissa, 23 - mantissaBits));
  Value normal =
      arith::BitcastOp::create(rewriter, loc, bb.floatType, normalBits);
  Value subnormal = arith::MulFOp::create(
      rewriter, loc,
      arith::UIToFPOp::create(rewriter, loc, bb.floatType, mantissa),
      bb.real(std::ldexp(1.0, format.minExponent - (int)mantissaBits)));
  Value value = bb.select(bb.cmp(arith::CmpIPredicate::eq, exponent, 0),
                          subnormal, normal);
  if (format.hasInfinity)
    value =
        bb.select(bb.cmp(arith::CmpIPredicate::eq, magnitude, format.infinity),
                  bb.real(std::numeric_limits<double>::infinity()), value);
  Value negative = bb.cmp(arith::CmpIPredicate::uge, code, signCode);
  value =
      bb.select(negative, arith::NegFOp::create(rewriter, loc, value), value);
  if (!format.hasNaN)
    return value;
  // NaN: magnitudes past the largest finite one (but infinity's), or the
  // code of the negative zero in FNUZ formats.
  Value isNaN = bb.cmp(arith::CmpIPredicate::ugt, magnitude,
                       format.hasInfinity ? format.infinity : format.largest);
  if (!format.signedZero)
    isNaN = arith::OrIOp::create(
        rewriter, loc, isNaN, bb.cmp(arith::CmpIPredicate::eq, code, signCode));
  return bb.select(isNaN, bb.real(std::numeric_limits<double>::quiet_NaN()),
                   value);
}

/// arith.truncf to a minifloat type: from f32 or f64 on their bits; f16 and
/// bf16 widen to f32 first, exactly.
struct ExpandTruncToF8 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isMinifloat(op.getType()) || op.getRoundingmodeAttr())
      return failure();
    Value x = op.getIn();
    Type wide = getElementTypeOrSelf(x.getType());
    if (isMinifloat(wide) || wide.getIntOrFloatBitWidth() < 32)
      x = arith::ExtFOp::create(
          rewriter, op.getLoc(),
          withElementType(x.getType(), rewriter.getF32Type()), x);
    rewriter.replaceOp(op, buildEncode(rewriter, op.getLoc(), x, op.getType()));
    return success();
  }
};

/// arith.extf from a minifloat type: to f32 on the bits, then (exactly) to the
/// result type.
struct ExpandExtFromF8 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isMinifloat(op.getIn().getType()))
      return failure();
    Value f32 = buildDecode(rewriter, op.getLoc(), op.getIn());
    Type result = getElementTypeOrSelf(op.getType());
    if (result.isF32())
      rewriter.replaceOp(op, f32);
    else if (result.getIntOrFloatBitWidth() > 32)
      rewriter.replaceOpWithNewOp<arith::ExtFOp>(op, op.getType(), f32);
    else
      rewriter.replaceOpWithNewOp<arith::TruncFOp>(op, op.getType(), f32);
    return success();
  }
};

struct ExpandMinifloatConversionsPass
    : muon::impl::ExpandMinifloatConversionsPassBase<
          ExpandMinifloatConversionsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandTruncToF8, ExpandExtFromF8>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What is left computes on minifloats, which nothing lowers.
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (!isa<arith::ArithDialect>(op->getDialect()) ||
          isa<arith::ConstantOp, arith::BitcastOp, arith::SelectOp>(op))
        return WalkResult::advance();
      for (Type type :
           llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
        if (isMinifloat(type)) {
          op->emitOpError(
              "computes on float8/float4 values; only conversions to "
              "and from wider floats are supported");
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
