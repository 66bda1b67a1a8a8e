//===- GridSample.cpp - GridSample and AffineGrid importers ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The spatial transformer pair. AffineGrid (opset 20) maps the normalized
// position p of every output pixel (x along the last axis first; -1 + (2i +
// 1)/L, or -1 + 2i/(L - 1) with align_corners) through θ [N, r, r + 1]:
// grid[n, ..., k] = Σ_j θ[n, k, j]·p_j + θ[n, k, r].
//
// GridSample (opset 16: 4-D, modes bilinear/nearest/bicubic; 20: any rank,
// linear/nearest/cubic) reads X [N, C, D1..Dr] at grid [N, O1..Or, r]
// (coordinates in reverse axis order, normalized to [-1, 1]). Per axis of
// size L the position is x = (g + 1)/2·(L − 1) with align_corners, else
// ((g + 1)·L − 1)/2; outside the border [-0.5, L − 0.5] ([0, L − 1] aligned)
// padding_mode border clamps it to [0, L − 1] and reflection reflects it
// back (but for cubic, as torch and ONNX Runtime). nearest reads at rint(x);
// linear and cubic weigh the taps floor(x) (+1) and floor(x) − 1 .. + 2
// (Keys' cubic, a = −0.75) by t = x − floor(x), a tensor product over the
// axes. A tap outside X reads 0 (zeros), the edge (border) or its
// reflection. Positions in f32, as ONNX's reference; one generic over Y
// whose body unrolls the taps.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSwitch.h"

#include <functional>

using namespace mlir;
using namespace muon::onnx_import;
using muon::convertScalar;

namespace {
enum class SampleMode { Nearest, Linear, Cubic };
enum class Padding { Zeros, Border, Reflection };

/// Float arithmetic of `type` in a generic's body.
struct FloatMath {
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(double v) { return buildScalar(b, loc, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value add(Value x, double y) { return add(x, constant(y)); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value mul(Value x, double y) { return mul(x, constant(y)); }
  Value div(Value x, double y) {
    return arith::DivFOp::create(b, loc, x, constant(y));
  }
  Value floor(Value x) { return math::FloorOp::create(b, loc, x); }
  Value abs(Value x) { return math::AbsFOp::create(b, loc, x); }
  Value less(Value x, double y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                 constant(y));
  }
  Value greater(Value x, double y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                 constant(y));
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }
  /// x clamped to [lo, hi]; NaN gives lo.
  Value clamp(Value x, double lo, double hi) {
    return arith::MinNumFOp::create(
        b, loc, arith::MaxNumFOp::create(b, loc, x, constant(lo)),
        constant(hi));
  }
  /// The index of an integral x, clamped to [lo, hi] first (NaN: lo).
  Value toIndex(Value x, int64_t lo, int64_t hi) {
    Value clamped = clamp(x, static_cast<double>(lo), static_cast<double>(hi));
    return arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        arith::FPToSIOp::create(b, loc, b.getI64Type(), clamped));
  }
  Value fromIndex(Value i) {
    return arith::SIToFPOp::create(
        b, loc, type, arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
  }
};

/// One axis of X as GridSample reads it.
struct SampledAxis {
  int64_t size;
  double low, high; // the border
};

struct GridSampleAttrs {
  SampleMode mode;
  Padding padding;
  bool alignCorners;
};
} // namespace

/// x reflected by the nearer border of [lo, hi] until inside, as ONNX's
/// reference (_gs_reflect); a range of length 0 gives lo.
static Value reflect(FloatMath &m, Value x, double lo, double hi) {
  double range = hi - lo;
  if (range <= 0.0)
    return m.constant(lo);
  Value below = m.less(x, lo), above = m.greater(x, hi);
  Value distance =
      m.select(below, m.sub(m.constant(lo), x), m.sub(x, m.constant(hi)));
  Value turns = m.floor(m.div(distance, range));
  Value rest = m.sub(distance, m.mul(turns, range));
  Value even = arith::CmpFOp::create(
      m.b, m.loc, arith::CmpFPredicate::OEQ,
      arith::RemFOp::create(m.b, m.loc, turns, m.constant(2.0)),
      m.constant(0.0));
  // An even number of turns below, or an odd one above, ends at lo + rest.
  Value fromLow =
      arith::CmpIOp::create(m.b, m.loc, arith::CmpIPredicate::eq, below, even);
  Value reflected = m.select(fromLow, m.add(m.constant(lo), rest),
                             m.sub(m.constant(hi), rest));
  Value outside = arith::OrIOp::create(m.b, m.loc, below, above);
  return m.select(outside, reflected, x);
}

/// Keys' cubic weights (a = −0.75) of the taps floor(x) − 1 .. + 2 for
/// t = x − floor(x).
static SmallVector<Value> getCubicWeights(FloatMath &m, Value t) {
  const double a = -0.75;
  auto outer = [&](Value d) { // 1 <= d < 2
    Value v = m.add(m.mul(m.add(m.mul(d, a), -5 * a), d), 8 * a);
    return m.add(m.mul(v, d), -4 * a);
  };
  auto inner = [&](Value d) { // 0 <= d <= 1
    Value v = m.add(m.mul(d, a + 2), -(a + 3));
    return m.add(m.mul(m.mul(v, d), d), 1.0);
  };
  Value d = m.abs(t);
  Value oneMinus = m.sub(m.constant(1.0), d);
  return {outer(m.add(d, 1.0)), inner(d), inner(oneMinus),
          outer(m.sub(m.constant(2.0), d))};
}

/// The element of X at tap `position` (an integral float) of `axis`: its
/// index and whether it is inside (always, but with zeros padding).
static std::pair<Value, Value> getTapIndex(FloatMath &m, Value position,
                                           const SampledAxis &axis,
                                           Padding padding) {
  int64_t last = axis.size - 1;
  if (padding == Padding::Reflection)
    position = reflect(m, position, axis.low, axis.high);
  Value index = m.toIndex(position, 0, last);
  if (padding != Padding::Zeros)
    return {index, Value()};
  Value inside = arith::AndIOp::create(
      m.b, m.loc,
      arith::CmpFOp::create(m.b, m.loc, arith::CmpFPredicate::OGE, position,
                            m.constant(0.0)),
      arith::CmpFOp::create(m.b, m.loc, arith::CmpFPredicate::OLE, position,
                            m.constant(static_cast<double>(last))));
  return {index, inside};
}

static FailureOr<GridSampleAttrs> getGridSampleAttrs(NodeContext &ctx) {
  GridSampleAttrs attrs;
  bool legacy = ctx.opsetVersion < 20;
  std::string mode =
      ctx.getStringAttr("mode").value_or(legacy ? "bilinear" : "linear");
  // Opset 20 renamed bilinear and bicubic.
  std::optional<SampleMode> parsed;
  if (mode == "nearest")
    parsed = SampleMode::Nearest;
  else if (mode == (legacy ? "bilinear" : "linear"))
    parsed = SampleMode::Linear;
  else if (mode == (legacy ? "bicubic" : "cubic"))
    parsed = SampleMode::Cubic;
  if (!parsed)
    return emitUnsupportedAttr(ctx, "mode")
           << ": '" << mode << "' (expects nearest, "
           << (legacy ? "bilinear or bicubic" : "linear or cubic") << ")";
  attrs.mode = *parsed;
  std::string padding = ctx.getStringAttr("padding_mode").value_or("zeros");
  std::optional<Padding> parsedPadding =
      llvm::StringSwitch<std::optional<Padding>>(padding)
          .Case("zeros", Padding::Zeros)
          .Case("border", Padding::Border)
          .Case("reflection", Padding::Reflection)
          .Default(std::nullopt);
  if (!parsedPadding)
    return emitUnsupportedAttr(ctx, "padding_mode")
           << ": '" << padding << "' (expects zeros, border or reflection)";
  attrs.padding = *parsedPadding;
  FailureOr<bool> align = getFlagAttr(ctx, "align_corners");
  if (failed(align))
    return failure();
  attrs.alignCorners = *align;
  return attrs;
}

static ImportResult importGridSample(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<RankedTensorType> gridType = getOperandType(ctx, 1);
  FailureOr<GridSampleAttrs> attrs = getGridSampleAttrs(ctx);
  if (failed(type) || failed(gridType) || failed(attrs) ||
      failed(getFloatElementType(ctx, 0)) ||
      failed(getFloatElementType(ctx, 1)))
    return failure();
  int64_t rank = type->getRank() - 2;
  ArrayRef<int64_t> gridShape = gridType->getShape();
  if (rank < 1 || (ctx.opsetVersion < 20 && rank != 2) ||
      gridType->getRank() != rank + 2 || gridShape[0] != type->getDimSize(0) ||
      gridShape.back() != rank || llvm::is_contained(type->getShape(), 0))
    return ctx.emitError()
           << "expects X [N, C, D1..Dr] (r = 2 before opset 20; no empty "
              "dimension) and grid [N, O1..Or, r], got "
           << *type << " and " << *gridType;
  // The body unrolls taps^r reads.
  int64_t width = attrs->mode == SampleMode::Nearest  ? 1
                  : attrs->mode == SampleMode::Linear ? 2
                                                      : 4;
  int64_t taps = 1;
  for (int64_t d = 0; d < rank && taps <= 64; ++d)
    taps *= width;
  if (taps > 64)
    return ctx.emitError() << "expects at most 64 taps per output element, "
                              "got "
                           << width << "^" << rank;
  SmallVector<SampledAxis> axes;
  for (int64_t size : type->getShape().drop_front(2))
    axes.push_back(attrs->alignCorners
                       ? SampledAxis{size, 0.0, static_cast<double>(size - 1)}
                       : SampledAxis{size, -0.5, size - 0.5});
  SmallVector<int64_t> shape = {type->getDimSize(0), type->getDimSize(1)};
  llvm::append_range(shape, gridShape.drop_front().drop_back());
  Type elementType = type->getElementType();
  Type accType = elementType.isF64() ? elementType : ctx.builder.getF32Type();
  Value x = ctx.getOperand(0), grid = ctx.getOperand(1);

  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc, {}, shape, elementType,
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        FloatMath m{b, loc, b.getF32Type()};
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank + 2; ++d)
          at.push_back(linalg::IndexOp::create(b, loc, d));
        // Per axis: the taps' indices (and insides) and weights.
        SmallVector<SmallVector<std::pair<Value, Value>>> indices(rank);
        SmallVector<SmallVector<Value>> weights(rank);
        for (int64_t d = 0; d < rank; ++d) {
          const SampledAxis &axis = axes[d];
          SmallVector<Value> gridAt = {at[0]};
          llvm::append_range(gridAt, ArrayRef(at).drop_front(2));
          gridAt.push_back(
              arith::ConstantIndexOp::create(b, loc, rank - 1 - d));
          Value g = convertScalar(
              b, loc, tensor::ExtractOp::create(b, loc, grid, gridAt), m.type);
          Value position =
              attrs->alignCorners
                  ? m.mul(m.div(m.add(g, 1.0), 2.0),
                          static_cast<double>(axis.size - 1))
                  : m.div(m.add(m.mul(m.add(g, 1.0),
                                      static_cast<double>(axis.size)),
                                -1.0),
                          2.0);
          if (attrs->mode == SampleMode::Nearest)
            position = math::RoundEvenOp::create(b, loc, position);
          // Cubic pads each tap only, as torch and ONNX Runtime do (ONNX's
          // reference also moves the position, which changes the result
          // between the border and the first pixel).
          bool padPosition = attrs->mode != SampleMode::Cubic;
          if (padPosition && attrs->padding == Padding::Border) {
            Value outside =
                arith::OrIOp::create(b, loc, m.less(position, axis.low),
                                     m.greater(position, axis.high));
            position = m.select(
                outside,
                m.clamp(position, 0.0, static_cast<double>(axis.size - 1)),
                position);
          } else if (padPosition && attrs->padding == Padding::Reflection) {
            position = reflect(m, position, axis.low, axis.high);
          }
          if (attrs->mode == SampleMode::Nearest) {
            // A reflected position may be fractional: truncated, as the
            // reference's astype(int32).
            Value whole = math::TruncOp::create(b, loc, position);
            indices[d].push_back(getTapIndex(m, whole, axis, attrs->padding));
            weights[d].push_back(m.constant(1.0));
            continue;
          }
          Value base = m.floor(position);
          Value t = m.sub(position, base);
          int64_t first = attrs->mode == SampleMode::Cubic ? -1 : 0;
          for (int64_t k = 0; k < width; ++k)
            indices[d].push_back(
                getTapIndex(m, m.add(base, static_cast<double>(first + k)),
                            axis, attrs->padding));
          weights[d] = attrs->mode == SampleMode::Cubic
                           ? getCubicWeights(m, t)
                           : SmallVector<Value>{m.sub(m.constant(1.0), t), t};
        }
        // One axis at a time, the last innermost (the reference's order):
        // Σ_k w_d[k] · (the interpolation over the later axes at tap k).
        FloatMath acc{b, loc, accType};
        SmallVector<Value> xAt = {at[0], at[1]};
        std::function<Value(int64_t, Value)> interpolate =
            [&](int64_t d, Value inside) -> Value {
          if (d == rank) {
            Value value = convertScalar(
                b, loc, tensor::ExtractOp::create(b, loc, x, xAt), accType);
            return inside ? acc.select(inside, value, acc.constant(0.0))
                          : value;
          }
          Value sum;
          for (int64_t k = 0; k < width; ++k) {
            auto [index, in] = indices[d][k];
            xAt.push_back(index);
            Value tapInside = in && inside
                                  ? arith::AndIOp::create(b, loc, inside, in)
                                  : (in ? in : inside);
            Value term = acc.mul(convertScalar(b, loc, weights[d][k], accType),
                                 interpolate(d + 1, tapInside));
            xAt.pop_back();
            sum = sum ? acc.add(sum, term) : term;
          }
          return sum;
        };
        Value sum = interpolate(0, Value());
        return convertScalar(b, loc, sum, elementType);
      });
  return SmallVector<Value>{result};
}

static ImportResult importAffineGrid(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<SmallVector<int64_t>> size = getConstantShapeOperand(ctx, 1);
  FailureOr<bool> align = getFlagAttr(ctx, "align_corners");
  if (failed(type) || failed(size) || failed(align) ||
      failed(getFloatElementType(ctx, 0)))
    return failure();
  int64_t rank = static_cast<int64_t>(size->size()) - 2;
  if ((rank != 2 && rank != 3) || type->getRank() != 3 ||
      type->getShape() != ArrayRef<int64_t>{(*size)[0], rank, rank + 1})
    return ctx.emitError() << "expects size [N, C, H, W] or [N, C, D, H, W] "
                              "and theta [N, 2, 3] or [N, 3, 4] to match, got "
                           << *type;
  SmallVector<int64_t> shape = {(*size)[0]};
  llvm::append_range(shape, ArrayRef(*size).drop_front(2));
  shape.push_back(rank);
  RankedTensorType resultType =
      RankedTensorType::get(shape, type->getElementType());
  if (failed(checkResultSize(ctx, 0, resultType)))
    return failure();
  Value theta = ctx.getOperand(0);
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc, {}, shape, type->getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        FloatMath m{b, loc, type->getElementType()};
        Value n = linalg::IndexOp::create(b, loc, 0);
        Value k = linalg::IndexOp::create(b, loc, rank + 1);
        auto thetaAt = [&](int64_t j) -> Value {
          return tensor::ExtractOp::create(
              b, loc, theta,
              ValueRange{n, k, arith::ConstantIndexOp::create(b, loc, j)});
        };
        Value sum = thetaAt(rank);
        for (int64_t j = 0; j < rank; ++j) {
          // p_j, the normalized position along axis rank − 1 − j.
          int64_t axis = rank - 1 - j;
          double length = static_cast<double>((*size)[2 + axis]);
          double step =
              *align ? 2.0 / std::max(length - 1.0, 1.0) : 2.0 / length;
          Value i = m.fromIndex(linalg::IndexOp::create(b, loc, 1 + axis));
          Value p = m.add(m.mul(i, step), *align ? -1.0 : step / 2.0 - 1.0);
          sum = m.add(sum, m.mul(thetaAt(j), p));
        }
        return sum;
      });
  return SmallVector<Value>{result};
}

void muon::onnx_import::populateGridSampleImporters(
    OpImporterRegistry &registry) {
  registry.add("", "GridSample", importGridSample, {/*since=*/16});
  registry.add("", "AffineGrid", importAffineGrid, {/*since=*/20});
}
