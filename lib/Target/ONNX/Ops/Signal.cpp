//===- Signal.cpp - DFT, STFT, window and mel importers -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX's signal ops. Signals are real [..., 1] or complex [..., 2] (real and
// imaginary parts) in their last dimension.
//
// DFT (opsets 17 to 20; the axis an attribute before 20, an input from 20)
// of length L (dft_length, else the axis's size; 2(n − 1) for an inverse
// one-sided one) along an axis, the input zero-padded or truncated to L:
//
//   forward  X[k] = Σ_n x[n]·e^(−2πi·kn/L)   (onesided: k <= L/2)
//   inverse  x[t] = 1/L Σ_k X[k]·e^(+2πi·kt/L)
//   inverse onesided (irfft, a real result):
//            x[t] = 1/L Σ_{k <= L/2} c_k·Re(X[k]·e^(2πi·kt/L)),
//            c_k = 1 for k = 0 and k = L/2, else 2
//
// STFT (opset 17): frames f of signal [B, S, 1|2] at f·frame_step, each
// weighted by the window and transformed: Y[b, f, k] = Σ_n w[n]·x[b,
// f·step + n]·e^(−2πi·kn/N), N = frame_length (else the window's length),
// 1 + (S − N)/step frames, k <= N/2 when onesided (the default).
//
// Both are one generic over the result with the sum as a reduction loop; the
// angle 2π·((k·n) mod L)/L is reduced in integers first, so it keeps its
// precision for long transforms. The arithmetic is f32 (f64 for doubles).
//
// HannWindow, HammingWindow and BlackmanWindow (opset 17) of a constant size
// N: a0 − a1·cos(2πn/M) + a2·cos(4πn/M), M = N (periodic, the default) or
// N − 1. MelWeightMatrix (opset 17) of constant arguments is a constant,
// computed here as ONNX's reference computes it (triangular filters between
// mel-spaced DFT bins).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// Index and float arithmetic in a generic's body.
struct BodyMath {
  OpBuilder &b;
  Location loc;
  Type type; // the float arithmetic type

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value constant(double v) { return buildScalar(b, loc, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value loop(unsigned dim) { return linalg::IndexOp::create(b, loc, dim); }
  Value equal(Value x, int64_t y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, index(y));
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  /// cos and sin of 2π·((k·n) mod length)/length.
  std::pair<Value, Value> twiddle(Value k, Value n, int64_t length) {
    Value turns = arith::RemUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, k, n), index(length));
    Value fraction = arith::DivFOp::create(
        b, loc,
        arith::UIToFPOp::create(
            b, loc, type,
            arith::IndexCastUIOp::create(b, loc, b.getI64Type(), turns)),
        constant(static_cast<double>(length)));
    Value angle = mul(fraction, constant(2.0 * M_PI));
    return {math::CosOp::create(b, loc, angle),
            math::SinOp::create(b, loc, angle)};
  }
};

/// How the transform's sum reads its input.
struct Transform {
  int64_t length; // L, the transform's length
  int64_t terms;  // the reduction's extent
  bool inverse = false;
  bool realResult = false; // irfft
};
} // namespace

/// f32, or f64 for doubles: the transforms' arithmetic type.
static Type getArithType(OpBuilder &b, Type elementType) {
  return elementType.isF64() ? elementType : b.getF32Type();
}

/// A generic over `shape` (the result's, its last dim the real/imaginary
/// component c) with a last reduction loop: `inputs` are read through
/// `maps` (over those loops, which must give the reduction its extent) and
/// `body` gets the loop indices and their elements (in the arithmetic type)
/// and returns the term added; the sum is converted to `elementType`.
static Value buildSumGeneric(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ValueRange inputs,
    ArrayRef<AffineMap> maps, Type elementType,
    llvm::function_ref<Value(BodyMath &, ArrayRef<Value>, ValueRange)> body) {
  Type arithType = getArithType(b, elementType);
  unsigned rank = shape.size();
  Value init = buildFilled(b, loc, shape, b.getFloatAttr(arithType, 0.0));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(AffineMap::getMultiDimIdentityMap(rank + 1, b.getContext())
                        .getMajorSubMap(rank));
  Value sum =
      linalg::GenericOp::create(
          b, loc, init.getType(), inputs, init, allMaps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            BodyMath m{nb, nl, arithType};
            SmallVector<Value> loops, elements;
            for (unsigned d = 0; d <= rank; ++d)
              loops.push_back(m.loop(d));
            for (Value arg : args.drop_back())
              elements.push_back(muon::convertScalar(nb, nl, arg, arithType));
            linalg::YieldOp::create(
                nb, nl,
                ValueRange{m.add(args.back(), body(m, loops, elements))});
          })
          .getResult(0);
  return muon::convertElements(b, loc, sum, elementType);
}

/// Component `component` of `signal` [..., 1|2] with its last dim dropped and
/// dimension `dim` cut to its first `size` entries.
static Value sliceComponent(OpBuilder &b, Location loc, Value signal,
                            int64_t component, int64_t dim, int64_t size) {
  auto type = cast<RankedTensorType>(signal.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)),
      sizes = getAsIndexOpFoldResult(b.getContext(), shape),
      strides(shape.size(), b.getIndexAttr(1));
  offsets.back() = b.getIndexAttr(component);
  sizes.back() = b.getIndexAttr(1);
  shape.pop_back();
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), signal,
      offsets, sizes, strides);
}

/// Component c of x[n]·e^(∓iθ) (− forward, + inverse) for x = (re, im) (im
/// null for a real signal).
static Value buildRotatedTerm(BodyMath &m, Value c, Value re, Value im,
                              std::pair<Value, Value> twiddle, bool inverse) {
  auto [cos, sin] = twiddle;
  // forward: (re·cos + im·sin, im·cos − re·sin); inverse: the signs of the
  // sin terms flipped.
  Value realPart = m.mul(re, cos),
        imagPart = m.mul(m.constant(-1.0), m.mul(re, sin));
  if (inverse)
    imagPart = m.mul(re, sin);
  if (im) {
    Value imSin = m.mul(im, sin);
    realPart = inverse ? m.sub(realPart, imSin) : m.add(realPart, imSin);
    imagPart = m.add(imagPart, m.mul(im, cos));
  }
  return m.select(m.equal(c, 0), realPart, imagPart);
}

static FailureOr<int64_t> getOptionalScalar(NodeContext &ctx, unsigned index,
                                            int64_t defaultValue) {
  if (!ctx.getOperand(index))
    return defaultValue;
  FailureOr<SmallVector<int64_t>> values = getConstantIntOperand(ctx, index);
  if (failed(values))
    return failure();
  if (values->size() != 1)
    return ctx.emitError() << "expects input #" << index
                           << " to be a scalar, got " << values->size()
                           << " values";
  return values->front();
}

static ImportResult importDFT(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 3);
  if (failed(type) || failed(getFloatElementType(ctx, 0)))
    return failure();
  bool axisInput = ctx.opsetVersion >= 20;
  FailureOr<int64_t> axisValue =
      axisInput ? getOptionalScalar(ctx, 2, -2)
                : FailureOr<int64_t>(ctx.getIntAttr("axis").value_or(1));
  FailureOr<bool> inverse = getFlagAttr(ctx, "inverse");
  FailureOr<bool> onesided = getFlagAttr(ctx, "onesided");
  if (failed(axisValue) || failed(inverse) || failed(onesided))
    return failure();
  if (!axisInput && ctx.getOperand(2))
    return ctx.emitError() << "takes the axis as an attribute before opset 20";
  int64_t rank = type->getRank();
  ArrayRef<int64_t> shape = type->getShape();
  int64_t axis = *axisValue < 0 ? *axisValue + rank : *axisValue;
  if (rank < 2 || (shape.back() != 1 && shape.back() != 2) || axis < 0 ||
      axis >= rank - 1)
    return ctx.emitError() << "expects a signal [..., 1 or 2] and an axis "
                              "before its last dimension, got axis "
                           << *axisValue << " of " << *type;
  int64_t size = shape[axis];
  FailureOr<int64_t> length =
      getOptionalScalar(ctx, 1, *inverse && *onesided ? 2 * (size - 1) : size);
  if (failed(length))
    return failure();
  if (*length < 1 || *length > (int64_t{1} << 31))
    return ctx.emitError() << "expects a positive dft_length, got " << *length;
  bool complex = shape.back() == 2;
  Transform transform{*length, std::min(size, *length), *inverse, false};
  SmallVector<int64_t> resultShape(shape);
  if (*inverse && *onesided) {
    // irfft: the first L/2 + 1 frequencies make a real signal of length L.
    transform.realResult = true;
    transform.terms = std::min(size, *length / 2 + 1);
    resultShape.back() = 1;
  } else {
    resultShape.back() = 2;
  }
  resultShape[axis] = !*inverse && *onesided ? *length / 2 + 1 : *length;
  RankedTensorType resultType =
      RankedTensorType::get(resultShape, type->getElementType());
  if (failed(checkResultSize(ctx, 0, resultType)))
    return failure();
  if (transform.terms == 0)
    return SmallVector<Value>{
        buildFilled(ctx.builder, ctx.loc, resultShape,
                    ctx.builder.getFloatAttr(type->getElementType(), 0.0))};

  // The parts read at n along the axis, the other loops as they are.
  int64_t resultRank = resultShape.size();
  MLIRContext *context = ctx.builder.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < resultRank - 1; ++d)
    exprs.push_back(getAffineDimExpr(d == axis ? resultRank : d, context));
  AffineMap partMap = AffineMap::get(resultRank + 1, 0, exprs, context);
  SmallVector<Value> parts;
  for (int64_t c = 0; c < (complex ? 2 : 1); ++c)
    parts.push_back(sliceComponent(ctx.builder, ctx.loc, ctx.getOperand(0), c,
                                   axis, transform.terms));
  SmallVector<AffineMap> maps(parts.size(), partMap);
  Value result = buildSumGeneric(
      ctx.builder, ctx.loc, resultShape, parts, maps, type->getElementType(),
      [&](BodyMath &m, ArrayRef<Value> loops, ValueRange x) {
        // loops: the result's (its axis the output index), then n.
        Value out = loops[axis], n = loops[resultRank];
        Value re = x[0], im = complex ? x[1] : Value();
        std::pair<Value, Value> twiddle = m.twiddle(out, n, transform.length);
        Value term;
        if (transform.realResult) {
          // c_n·(re·cos − im·sin), c_n = 1 at 0 and L/2.
          Value part = m.mul(re, twiddle.first);
          if (im)
            part = m.sub(part, m.mul(im, twiddle.second));
          Value edge = m.equal(n, 0);
          if (transform.length % 2 == 0)
            edge = arith::OrIOp::create(m.b, m.loc, edge,
                                        m.equal(n, transform.length / 2));
          term = m.mul(part, m.select(edge, m.constant(1.0), m.constant(2.0)));
        } else {
          term = buildRotatedTerm(m, loops[resultRank - 1], re, im, twiddle,
                                  transform.inverse);
        }
        if (transform.inverse)
          term = m.mul(term,
                       m.constant(1.0 / static_cast<double>(transform.length)));
        return term;
      });
  return SmallVector<Value>{result};
}

static ImportResult importSTFT(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 4);
  if (failed(type) || failed(getFloatElementType(ctx, 0)))
    return failure();
  FailureOr<int64_t> step = getOptionalScalar(ctx, 1, 0);
  FailureOr<bool> onesided = getFlagAttr(ctx, "onesided", true);
  if (failed(step) || failed(onesided))
    return failure();
  ArrayRef<int64_t> shape = type->getShape();
  if (type->getRank() != 3 || (shape[2] != 1 && shape[2] != 2))
    return ctx.emitError() << "expects a signal [batch, length, 1 or 2], got "
                           << *type;
  Value window = ctx.getOperand(2);
  int64_t windowSize = 0;
  if (window) {
    FailureOr<RankedTensorType> windowType = getOperandType(ctx, 2);
    if (failed(windowType))
      return failure();
    if (windowType->getRank() != 1 ||
        windowType->getElementType() != type->getElementType())
      return ctx.emitError() << "expects a window [N] of the signal's "
                                "element type, got "
                             << *windowType;
    windowSize = windowType->getDimSize(0);
  }
  FailureOr<int64_t> frameLength =
      getOptionalScalar(ctx, 3, window ? windowSize : shape[1]);
  if (failed(frameLength))
    return failure();
  int64_t length = *frameLength;
  if (*step < 1 || length < 1 || length > shape[1])
    return ctx.emitError() << "expects a positive frame_step and a frame "
                              "length in [1, "
                           << shape[1] << "], got " << *step << " and "
                           << length;
  int64_t frames = 1 + (shape[1] - length) / *step;
  // A window shorter than the frames weighs its length of samples (the
  // rest are ONNX's reference's zero padding); a longer one's extra samples
  // fall outside the N-point transform.
  int64_t taps = window ? std::min(windowSize, length) : length;
  SmallVector<int64_t> resultShape = {shape[0], frames,
                                      *onesided ? length / 2 + 1 : length, 2};
  if (failed(checkResultSize(
          ctx, 0, RankedTensorType::get(resultShape, type->getElementType()))))
    return failure();
  // Loops b, f, k, c, n: the parts read at f·step + n (inside the signal,
  // as n < taps <= N), the window (ones when absent) at n.
  MLIRContext *context = ctx.builder.getContext();
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(context, d0, d1, d2, d3, d4);
  AffineMap partMap = AffineMap::get(5, 0, {d0, d1 * *step + d4}, context);
  SmallVector<Value> inputs;
  for (int64_t c = 0; c < shape[2]; ++c)
    inputs.push_back(sliceComponent(ctx.builder, ctx.loc, ctx.getOperand(0), c,
                                    1, shape[1]));
  SmallVector<AffineMap> maps(inputs.size(), partMap);
  Type elementType = type->getElementType();
  inputs.push_back(
      window ? sliceComponent(
                   ctx.builder, ctx.loc,
                   buildReshape(ctx.builder, ctx.loc, window, {windowSize, 1}),
                   0, 0, taps)
             : buildFilled(ctx.builder, ctx.loc, {taps},
                           ctx.builder.getFloatAttr(elementType, 1.0)));
  maps.push_back(AffineMap::get(5, 0, {d4}, context));
  bool complex = shape[2] == 2;
  Value result = buildSumGeneric(
      ctx.builder, ctx.loc, resultShape, inputs, maps, elementType,
      [&](BodyMath &m, ArrayRef<Value> loops, ValueRange x) {
        Value weight = x.back();
        Value re = m.mul(x[0], weight);
        Value im = complex ? m.mul(x[1], weight) : Value();
        return buildRotatedTerm(m, loops[3], re, im,
                                m.twiddle(loops[2], loops[4], length), false);
      });
  return SmallVector<Value>{result};
}

namespace {
/// a0 − a1·cos(2πn/M) + a2·cos(4πn/M).
struct WindowCoefficients {
  double a0, a1, a2;
};
} // namespace

static ImportResult importWindow(NodeContext &ctx,
                                 WindowCoefficients coefficients) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<int64_t> size = getOptionalScalar(ctx, 0, 0);
  FailureOr<bool> periodic = getFlagAttr(ctx, "periodic", true);
  if (failed(size) || failed(periodic))
    return failure();
  int64_t dataType =
      ctx.getIntAttr("output_datatype").value_or(onnx::TensorProto::FLOAT);
  Type elementType = ctx.convertDataType(dataType);
  if (!elementType || !elementType.isIntOrFloat() || elementType.isInteger(1))
    return emitUnsupportedAttr(ctx, "output_datatype")
           << ": " << dataType << " (expects a float or integer type)";
  if (*size < 0)
    return ctx.emitError() << "expects a size >= 0, got " << *size;
  if (failed(
          checkResultSize(ctx, 0, RankedTensorType::get({*size}, elementType))))
    return failure();
  double period = *periodic ? *size : *size - 1;
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc, {}, {*size}, elementType,
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        BodyMath m{b, loc, b.getF64Type()};
        Value n = arith::UIToFPOp::create(
            b, loc, m.type,
            arith::IndexCastUIOp::create(b, loc, b.getI64Type(), m.loop(0)));
        auto cosine = [&](double turns) -> Value {
          return math::CosOp::create(
              b, loc, m.mul(n, m.constant(2.0 * M_PI * turns / period)));
        };
        Value w = m.sub(m.constant(coefficients.a0),
                        m.mul(m.constant(coefficients.a1), cosine(1.0)));
        if (coefficients.a2 != 0.0)
          w = m.add(w, m.mul(m.constant(coefficients.a2), cosine(2.0)));
        return buildCast(b, loc, w, elementType);
      });
  return SmallVector<Value>{result};
}

/// ONNX's reference MelWeightMatrix: [dft_length/2 + 1, bins] triangles
/// between the DFT bins of num_mel_bins + 2 mel-spaced frequencies.
static SmallVector<double> getMelWeights(int64_t bins, int64_t dftLength,
                                         int64_t sampleRate, double lower,
                                         double upper) {
  int64_t rows = dftLength / 2 + 1;
  auto toMel = [](double hz) {
    return 2595.0 * std::log1p(hz / 700.0) / std::log(10.0);
  };
  double low = toMel(lower), high = toMel(upper);
  double step = (high - low) / static_cast<double>(bins + 2);
  // An edge far past the sample rate puts points far past the rows: they
  // stay within ±2^53 (where doubles count exactly and the cast is defined),
  // and the loops visit only rows that exist.
  constexpr double kMaxPoint = 0x1p53;
  SmallVector<int64_t> points;
  for (int64_t i = 0; i < bins + 2; ++i) {
    double hz = 700.0 * std::expm1((i * step + low) / 2595.0 * std::log(10.0));
    double point =
        std::floor((dftLength + 1) * hz / static_cast<double>(sampleRate));
    points.push_back(
        static_cast<int64_t>(std::clamp(point, -kMaxPoint, kMaxPoint)));
  }
  SmallVector<double> weights(rows * bins, 0.0);
  auto set = [&](int64_t row, int64_t bin, double value) {
    if (row >= 0 && row < rows)
      weights[row * bins + bin] = value;
  };
  for (int64_t i = 0; i < bins; ++i) {
    int64_t left = points[i], center = points[i + 1], right = points[i + 2];
    if (center == left)
      set(center, i, 1.0);
    for (int64_t j = std::max<int64_t>(left, 0);
         center > left && j <= std::min(center, rows - 1); ++j)
      set(j, i, static_cast<double>(j - left) / (center - left));
    for (int64_t j = std::max<int64_t>(center, 0);
         right > center && j < std::min(right, rows); ++j)
      set(j, i, static_cast<double>(right - j) / (right - center));
  }
  return weights;
}

static FailureOr<double> getConstantFloatScalar(NodeContext &ctx,
                                                unsigned index) {
  Value value = ctx.getOperand(index);
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)) ||
      attr.getNumElements() != 1 || !isa<FloatType>(attr.getElementType()))
    return ctx.emitError() << "expects input #" << index
                           << " to be a constant float scalar";
  return (*attr.getValues<APFloat>().begin()).convertToDouble();
}

static ImportResult importMelWeightMatrix(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 5, 5)))
    return failure();
  FailureOr<int64_t> bins = getOptionalScalar(ctx, 0, 0);
  FailureOr<int64_t> dftLength = getOptionalScalar(ctx, 1, 0);
  FailureOr<int64_t> sampleRate = getOptionalScalar(ctx, 2, 0);
  FailureOr<double> lower = getConstantFloatScalar(ctx, 3);
  FailureOr<double> upper = getConstantFloatScalar(ctx, 4);
  if (failed(bins) || failed(dftLength) || failed(sampleRate) ||
      failed(lower) || failed(upper))
    return failure();
  int64_t dataType =
      ctx.getIntAttr("output_datatype").value_or(onnx::TensorProto::FLOAT);
  Type elementType = ctx.convertDataType(dataType);
  if (!isa_and_nonnull<FloatType>(elementType))
    return emitUnsupportedAttr(ctx, "output_datatype")
           << ": " << dataType << " (expects a float type)";
  auto type = RankedTensorType::get({*dftLength / 2 + 1, *bins}, elementType);
  if (*bins < 1 || *dftLength < 1 || *sampleRate < 1 || !(*lower >= 0.0) ||
      !(*upper > *lower) || !std::isfinite(*upper))
    return ctx.emitError() << "expects positive num_mel_bins, dft_length and "
                              "sample_rate and finite 0 <= lower_edge_hertz < "
                              "upper_edge_hertz";
  if (failed(checkResultSize(ctx, 0, type)))
    return failure();
  SmallVector<Attribute> values;
  for (double w : getMelWeights(*bins, *dftLength, *sampleRate, *lower, *upper))
    values.push_back(ctx.builder.getFloatAttr(elementType, w));
  return SmallVector<Value>{arith::ConstantOp::create(
      ctx.builder, ctx.loc, DenseElementsAttr::get(type, values))};
}

void muon::onnx_import::populateSignalImporters(OpImporterRegistry &registry) {
  registry.add("", "DFT", importDFT, {/*since=*/17});
  registry.add("", "STFT", importSTFT, {/*since=*/17});
  registry.add("", "MelWeightMatrix", importMelWeightMatrix, {/*since=*/17});
  registry.add("", "HannWindow",
               [](NodeContext &ctx) {
                 return importWindow(ctx, {0.5, 0.5, 0.0});
               },
               {/*since=*/17});
  registry.add("", "HammingWindow",
               [](NodeContext &ctx) {
                 return importWindow(ctx, {25.0 / 46.0, 21.0 / 46.0, 0.0});
               },
               {/*since=*/17});
  registry.add("", "BlackmanWindow",
               [](NodeContext &ctx) {
                 return importWindow(ctx, {0.42, 0.5, 0.08});
               },
               {/*since=*/17});
}
