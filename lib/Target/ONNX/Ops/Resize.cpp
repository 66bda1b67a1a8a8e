//===- Resize.cpp - ONNX Resize and ORT's ResizeGrad ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Resize (opsets 11 to 19) in modes nearest, linear and cubic, and
// com.microsoft ResizeGrad as ONNX Runtime's kernel computes it. Scales and
// sizes must be constants, so every output position's source positions and
// weights are known at import: the importer computes them on the host with
// ORT's float arithmetic (ORT's rounding of coordinates decides which pixel
// nearest picks) and emits one pass per resized axis, a "band":
//
//   target[.., j, ..] = sum over t < count[j] of
//                       weight[j][t] · source[.., start[j] + t, ..]
//
// The interpolations are separable, so Resize applies one band per resized
// axis: nearest a gather (one tap of weight 1), linear two taps
//   x = clamp(original(j), 0, in - 1), i = floor(x),
//   weights |x - (i+1)| at i and |x - i| at i + 1 (0.5 each at the edge),
// and cubic four taps at i - 1 .. i + 2 (i = floor(x), x unclamped) with
// Keys' weights for cubic_coeff_a, a tap outside [0, in) read at the edge
// (exclude_outside 0) or dropped and the weights renormalized (1), as ORT's
// kernel does; with original() the coordinate_transformation_mode:
// half_pixel, half_pixel_symmetric, pytorch_half_pixel, asymmetric,
// align_corners, tf_half_pixel_for_nn. antialias (linear and cubic) widens
// the taps by 1/scale when downsampling, as ONNX's reference does
// (getAntialiasTaps). Rejected: tf_crop_and_resize.
//
// ResizeGrad(dY, X, roi, scales): dX is the transposed map, again one
// band per axis, each dX position summing the dY positions it contributed
// to. That is a gather-style reduction over a window of constant extent, not
// a scatter-add: the contributors of every dX element are known at import,
// so each result element is written once (no atomics on a GPU, and the same
// generic in the CPU and GPU pipelines). ORT's kernel (CUDA only; derived
// from torch's upsample_bilinear2d backward) defines linear's: X
// [N, C, H, W] (here also [N, C, D...]: the same formula per axis, torch's
// linear and trilinear backward), half_pixel (source index clamped at 0) or
// align_corners, the ratio 1/scale (or in/out without scales), no axes, stretch
// policy, no antialias. ORT's artifacts also take nn.Upsample(mode="nearest")
// through a nearest ResizeGrad, which no ORT kernel computes: here it is the
// transposed gather of the forward Resize with the same attributes (the
// scale given, or out/in), checked against torch's autograd; mode cubic
// (bicubic interpolation, such as DINOv2's of its position embeddings),
// which ORT has no kernel for either, alike.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace muon::onnx_import;

namespace {
enum class CoordinateMode {
  HalfPixel,
  HalfPixelSymmetric,
  PytorchHalfPixel,
  Asymmetric,
  AlignCorners,
  TfHalfPixelForNN,
};
// Simple: ORT's rounding before opset 11 (Upsample, Resize-10): down when
// upsampling, up when downsampling.
enum class NearestMode {
  RoundPreferFloor,
  RoundPreferCeil,
  Floor,
  Ceil,
  Simple
};

enum class ResizeMode { Nearest, Linear, Cubic };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::Nearest;
  float cubicCoeffA = -0.75f;
  bool excludeOutside = false;
  bool antialias = false;
  CoordinateMode coordinates = CoordinateMode::HalfPixel;
  NearestMode nearest = NearestMode::RoundPreferFloor;
};

/// One resized dimension: sizes and the scale ORT computes with.
struct ResizedDim {
  int64_t in = 0, out = 0;
  float scale = 1.0f;
};

/// One axis's pass: target[j] = sum over t < count[j] of
/// weights[j · width + t] · source[start[j] + t].
struct Band {
  int64_t axis = 0;
  int64_t sourceSize = 0;
  int64_t width = 0;
  SmallVector<int64_t> start, count;
  SmallVector<float> weights;

  int64_t getNumTargets() const { return start.size(); }
  /// One tap of weight 1 everywhere: a plain gather.
  bool isGather() const {
    return width == 1 &&
           llvm::all_of(count, [](int64_t c) { return c == 1; }) &&
           llvm::all_of(weights, [](float w) { return w == 1.0f; });
  }
  bool isIdentity() const {
    if (getNumTargets() != sourceSize || !isGather())
      return false;
    for (auto [j, s] : llvm::enumerate(start))
      if (s != static_cast<int64_t>(j))
        return false;
    return true;
  }
};

/// Each target's taps: (source position, weight).
using Taps = SmallVector<SmallVector<std::pair<int64_t, float>, 2>>;
} // namespace

static FailureOr<ResizeAttrs> getResizeAttrs(NodeContext &ctx) {
  ResizeAttrs attrs;
  // It fills tf_crop_and_resize's outside samples; that mode is rejected.
  ctx.ignoreAttr("extrapolation_value");
  std::string mode = ctx.getStringAttr("mode").value_or("nearest");
  std::optional<ResizeMode> resizeMode =
      llvm::StringSwitch<std::optional<ResizeMode>>(mode)
          .Case("nearest", ResizeMode::Nearest)
          .Case("linear", ResizeMode::Linear)
          .Case("cubic", ResizeMode::Cubic)
          .Default(std::nullopt);
  if (!resizeMode)
    return emitUnsupportedAttr(ctx, "mode")
           << ": '" << mode << "' (expects 'nearest', 'linear' or 'cubic')";
  attrs.mode = *resizeMode;
  attrs.cubicCoeffA = ctx.getFloatAttr("cubic_coeff_a").value_or(-0.75f);
  FailureOr<bool> excludeOutside = getFlagAttr(ctx, "exclude_outside");
  if (failed(excludeOutside))
    return failure();
  attrs.excludeOutside = *excludeOutside;
  FailureOr<bool> antialias = getFlagAttr(ctx, "antialias");
  if (failed(antialias))
    return failure();
  if (*antialias && attrs.mode == ResizeMode::Nearest)
    return emitUnsupportedAttr(ctx, "antialias")
           << ": 1 applies to modes 'linear' and 'cubic', not 'nearest'";
  attrs.antialias = *antialias;
  std::string coordinates = ctx.getStringAttr("coordinate_transformation_mode")
                                .value_or("half_pixel");
  std::optional<CoordinateMode> coordinateMode =
      llvm::StringSwitch<std::optional<CoordinateMode>>(coordinates)
          .Case("half_pixel", CoordinateMode::HalfPixel)
          .Case("half_pixel_symmetric", CoordinateMode::HalfPixelSymmetric)
          .Case("pytorch_half_pixel", CoordinateMode::PytorchHalfPixel)
          .Case("asymmetric", CoordinateMode::Asymmetric)
          .Case("align_corners", CoordinateMode::AlignCorners)
          .Case("tf_half_pixel_for_nn", CoordinateMode::TfHalfPixelForNN)
          .Default(std::nullopt);
  if (!coordinateMode)
    return emitUnsupportedAttr(ctx, "coordinate_transformation_mode")
           << ": '" << coordinates << "' is not imported";
  attrs.coordinates = *coordinateMode;
  std::string nearest =
      ctx.getStringAttr("nearest_mode").value_or("round_prefer_floor");
  std::optional<NearestMode> nearestMode =
      llvm::StringSwitch<std::optional<NearestMode>>(nearest)
          .Case("round_prefer_floor", NearestMode::RoundPreferFloor)
          .Case("round_prefer_ceil", NearestMode::RoundPreferCeil)
          .Case("floor", NearestMode::Floor)
          .Case("ceil", NearestMode::Ceil)
          .Default(std::nullopt);
  if (!nearestMode)
    return emitUnsupportedAttr(ctx, "nearest_mode") << ": '" << nearest << "'";
  attrs.nearest = *nearestMode;
  if (ctx.hadAttributeError)
    return failure();
  return attrs;
}

/// The elements of a 1-D f32 constant, each std::nullopt where unknown:
/// an initializer or Constant, or a Concat of them (torch exports scale
/// factors so; the importer's folding computes only integer shapes).
static std::optional<SmallVector<std::optional<float>>>
getPartialConstantFloats(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 1 || !type.getElementType().isF32())
    return std::nullopt;
  DenseFPElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return llvm::to_vector_of<std::optional<float>>(attr.getValues<float>());
  if (value.getDefiningOp<tensor::EmptyOp>())
    return SmallVector<std::optional<float>>(type.getDimSize(0));
  auto insert = value.getDefiningOp<tensor::InsertSliceOp>();
  if (!insert || !insert.hasUnitStride() ||
      ShapedType::isDynamic(insert.getStaticOffsets()[0]))
    return std::nullopt;
  auto dest = getPartialConstantFloats(insert.getDest());
  auto source = getPartialConstantFloats(insert.getSource());
  if (!dest || !source)
    return std::nullopt;
  llvm::copy(*source, dest->begin() + insert.getStaticOffsets()[0]);
  return dest;
}

/// The values of input `index` if it is a constant f32 tensor.
static FailureOr<SmallVector<float>> getConstantFloatOperand(NodeContext &ctx,
                                                             unsigned index) {
  auto partial = getPartialConstantFloats(ctx.getOperand(index));
  if (!partial || llvm::any_of(*partial, [](std::optional<float> v) {
        return !v.has_value();
      }))
    return ctx.emitError() << "expects input #" << index
                           << " to be a constant float tensor (an initializer "
                              "or Constant); computed scales are not supported";
  return llvm::map_to_vector(*partial,
                             [](std::optional<float> v) { return *v; });
}

/// Whether optional input `index` is given with at least one element (opset
/// 11 spells an absent scales as an empty tensor).
static bool hasElements(NodeContext &ctx, unsigned index) {
  Value value = ctx.getOperand(index);
  if (!value)
    return false;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return !type || !type.hasStaticShape() || type.getNumElements() != 0;
}

/// Resize's `axes` (opset 18), in the order scales and sizes follow.
static FailureOr<SmallVector<int64_t>> getResizeAxes(NodeContext &ctx,
                                                     int64_t rank) {
  std::optional<SmallVector<int64_t>> given = ctx.getIntsAttr("axes");
  if (!given)
    return llvm::to_vector(llvm::seq<int64_t>(0, rank));
  SmallVector<int64_t> axes;
  SmallVector<bool> seen(rank, false);
  for (int64_t axis : *given) {
    FailureOr<int64_t> normalized = normalizeAxis(ctx, axis, rank, "axes");
    if (failed(normalized))
      return failure();
    if (seen[*normalized])
      return ctx.emitError() << "axes name a dimension twice";
    seen[*normalized] = true;
    axes.push_back(*normalized);
  }
  return axes;
}

/// The largest resized dimension: the importer's tables hold a row per
/// position, as constants (2^22 rows take seconds to build; 2^24 took 16).
static constexpr int64_t kMaxResizedDim = int64_t(1) << 22;

/// Sets `axes`' output sizes floor(scale · in) (in float, as ORT computes
/// them) and scales.
static LogicalResult applyScales(NodeContext &ctx,
                                 MutableArrayRef<ResizedDim> dims,
                                 ArrayRef<int64_t> axes,
                                 ArrayRef<float> scales) {
  for (auto [axis, scale] : llvm::zip_equal(axes, scales)) {
    if (!(scale > 0.0f))
      return ctx.emitError() << "expects positive scales, got " << scale;
    ResizedDim &dim = dims[axis];
    dim.scale = scale;
    // A larger float would not convert to int64_t.
    float out = scale * static_cast<float>(dim.in);
    if (!(out <= static_cast<float>(kMaxResizedDim)))
      return ctx.emitError()
             << "resizes dimension " << axis << " of size " << dim.in << " by "
             << scale << ": more than " << kMaxResizedDim;
    dim.out = static_cast<int64_t>(out);
  }
  return success();
}

/// Every dimension of X with its output size and scale, as ORT's kernel
/// computes them (in float: floor(scale · in) for scales, sizes / in as the
/// scale for sizes, the aspect ratio policies scaling all axes alike).
static FailureOr<SmallVector<ResizedDim>> getResizedDims(NodeContext &ctx,
                                                         RankedTensorType x) {
  FailureOr<SmallVector<int64_t>> axes = getResizeAxes(ctx, x.getRank());
  if (failed(axes))
    return failure();
  SmallVector<ResizedDim> dims;
  for (int64_t size : x.getShape())
    dims.push_back({size, size, 1.0f});
  bool hasScales = hasElements(ctx, 2), hasSizes = hasElements(ctx, 3);
  if (hasScales == hasSizes)
    return ctx.emitError()
           << "expects exactly one of scales (input #2) and sizes (input #3)";
  auto checkCount = [&](size_t count, StringRef what) -> LogicalResult {
    if (count == axes->size())
      return success();
    return ctx.emitError() << "expects " << axes->size() << " " << what
                           << " (one per resized axis), got " << count;
  };
  if (hasScales) {
    // ONNX applies the policy to sizes only.
    ctx.ignoreAttr("keep_aspect_ratio_policy");
    FailureOr<SmallVector<float>> scales = getConstantFloatOperand(ctx, 2);
    if (failed(scales) || failed(checkCount(scales->size(), "scales")))
      return failure();
    if (failed(applyScales(ctx, dims, *axes, *scales)))
      return failure();
  } else {
    FailureOr<SmallVector<int64_t>> sizes = getConstantIntOperand(ctx, 3);
    if (failed(sizes) || failed(checkCount(sizes->size(), "sizes")))
      return failure();
    std::string policy =
        ctx.getStringAttr("keep_aspect_ratio_policy").value_or("stretch");
    if (policy != "stretch" && policy != "not_larger" &&
        policy != "not_smaller")
      return emitUnsupportedAttr(ctx, "keep_aspect_ratio_policy")
             << ": '" << policy << "'";
    float common =
        policy == "not_larger" ? std::numeric_limits<float>::max() : 0.0f;
    for (auto [axis, size] : llvm::zip_equal(*axes, *sizes)) {
      if (size < 1 || size > kMaxResizedDim)
        return ctx.emitError() << "expects sizes from 1 to " << kMaxResizedDim
                               << ", got " << size;
      ResizedDim &dim = dims[axis];
      dim.out = size;
      dim.scale = static_cast<float>(size) / static_cast<float>(dim.in);
      common = policy == "not_larger" ? std::min(common, dim.scale)
                                      : std::max(common, dim.scale);
    }
    if (policy != "stretch")
      for (int64_t axis : *axes) {
        ResizedDim &dim = dims[axis];
        dim.scale = common;
        dim.out = static_cast<int64_t>(
            std::round(common * static_cast<float>(dim.in)));
      }
  }
  for (auto [axis, dim] : llvm::enumerate(dims))
    if (dim.in == 0 ? dim.out != 0 : dim.out < 1 || dim.out > kMaxResizedDim)
      return ctx.emitError()
             << "resizes dimension " << axis << " of size " << dim.in << " to "
             << dim.out << ": expects 1 to " << kMaxResizedDim
             << " (0 from an empty dimension)";
  return dims;
}

/// The source coordinate of output position `x` (ORT's float arithmetic).
static float getOriginalCoordinate(CoordinateMode mode, float x, float scale,
                                   float outLength, float inLength) {
  switch (mode) {
  case CoordinateMode::HalfPixel:
    return (x + 0.5f) / scale - 0.5f;
  case CoordinateMode::HalfPixelSymmetric: {
    // Centers the resized extent (scale · in, not the rounded out).
    float adjustment = outLength / (scale * inLength);
    float offset = inLength / 2 * (1 - adjustment);
    return offset + (x + 0.5f) / scale - 0.5f;
  }
  case CoordinateMode::PytorchHalfPixel:
    return outLength > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  case CoordinateMode::Asymmetric:
    return x / scale;
  case CoordinateMode::AlignCorners:
    return outLength == 1 ? 0.0f : x * (inLength - 1) / (outLength - 1);
  case CoordinateMode::TfHalfPixelForNN:
    return (x + 0.5f) / scale;
  }
  llvm_unreachable("unknown coordinate mode");
}

static int64_t getNearestPixel(NearestMode mode, float x) {
  switch (mode) {
  case NearestMode::RoundPreferFloor:
    if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f)
      return static_cast<int64_t>(std::floor(x));
    return static_cast<int64_t>(std::round(x));
  case NearestMode::RoundPreferCeil:
    return static_cast<int64_t>(std::round(x));
  case NearestMode::Floor:
    return static_cast<int64_t>(std::floor(x));
  case NearestMode::Ceil:
  case NearestMode::Simple: // resolved per scale by the caller
    return static_cast<int64_t>(std::ceil(x));
  }
  llvm_unreachable("unknown nearest mode");
}

/// The band of `taps` (one list per target position), the taps of a target
/// at one source position summed.
static Band buildBand(int64_t axis, int64_t sourceSize, const Taps &taps) {
  Band band;
  band.axis = axis;
  band.sourceSize = sourceSize;
  for (const auto &list : taps) {
    int64_t first = sourceSize, last = -1;
    for (auto [position, weight] : list) {
      first = std::min(first, position);
      last = std::max(last, position);
    }
    band.start.push_back(last < 0 ? 0 : first);
    band.count.push_back(last < 0 ? 0 : last - first + 1);
    band.width = std::max(band.width, band.count.back());
  }
  band.weights.assign(band.getNumTargets() * band.width, 0.0f);
  for (auto [j, list] : llvm::enumerate(taps))
    for (auto [position, weight] : list)
      band.weights[j * band.width + position - band.start[j]] += weight;
  return band;
}

/// Keys' cubic convolution weights of the taps at floor(x) - 1 .. + 2 for
/// s = x - floor(x), in ORT's float arithmetic (GetCubicCoeffs).
static std::array<float, 4> getCubicCoeffs(float s, float a) {
  auto outer = [a](float d) { // 1 <= d < 2
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  };
  auto inner = [a](float d) { // 0 <= d <= 1
    return ((a + 2) * d - (a + 3)) * d * d + 1;
  };
  float d = std::fabs(s);
  return {outer(d + 1), inner(d), inner(1 - d), outer(2 - d)};
}

/// The antialiased taps of source coordinate `x` (linear or cubic), as
/// ONNX's reference computes them: when downsampling (scale < 1) the
/// kernel stretches by 1/scale, its taps at base + k for the integers k of
/// its support, base + ratio = x with ratio in (0, 1]; weights normalized to
/// sum 1, taps outside the input read at the edge or, with exclude_outside,
/// dropped before normalizing.
static SmallVector<std::pair<int64_t, float>, 2>
getAntialiasTaps(const ResizeAttrs &attrs, const ResizedDim &dim, double x) {
  double scale = std::min<double>(dim.scale, 1.0);
  double base = std::floor(x), ratio = x - base;
  if (ratio == 0.0) {
    ratio = 1.0;
    base -= 1.0;
  }
  bool cubic = attrs.mode == ResizeMode::Cubic;
  auto kernel = [&](double t) {
    t = std::fabs(t);
    if (!cubic)
      return std::clamp(1.0 - t, 0.0, 1.0);
    double a = attrs.cubicCoeffA;
    if (t <= 1.0)
      return ((a + 2) * t - (a + 3)) * t * t + 1;
    return t < 2.0 ? ((a * t - 5 * a) * t + 8 * a) * t - 4 * a : 0.0;
  };
  auto first =
      static_cast<int64_t>(std::floor((cubic ? -2.0 : -1.0) / scale)) + 1;
  SmallVector<std::pair<int64_t, double>> weights;
  double sum = 0.0;
  for (int64_t k = first; k <= 1 - first; ++k) {
    auto position = static_cast<int64_t>(base) + k;
    double weight = kernel(scale * (static_cast<double>(k) - ratio));
    weights.push_back({position, weight});
    sum += weight;
  }
  SmallVector<std::pair<int64_t, float>, 2> taps;
  double kept = 0.0;
  for (auto &[position, weight] : weights) {
    weight /= sum;
    if (attrs.excludeOutside && (position < 0 || position >= dim.in))
      weight = 0.0;
    kept += weight;
  }
  for (auto [position, weight] : weights)
    taps.push_back({std::clamp<int64_t>(position, 0, dim.in - 1),
                    static_cast<float>(weight / kept)});
  return taps;
}

/// Resize's taps along one axis: each output position's sources.
static Taps getResizeTaps(const ResizeAttrs &attrs, const ResizedDim &dim) {
  Taps taps(dim.out);
  float outLength = dim.out, inLength = dim.in;
  bool isNearest = attrs.mode == ResizeMode::Nearest;
  for (int64_t j = 0; j < dim.out; ++j) {
    float x = static_cast<float>(j);
    // ORT's linear and cubic kernels take a scale of 1 as the identity.
    if (isNearest || dim.scale != 1.0f)
      x = getOriginalCoordinate(attrs.coordinates, x, dim.scale, outLength,
                                inLength);
    if (attrs.antialias) {
      taps[j] = getAntialiasTaps(attrs, dim, x);
      continue;
    }
    if (attrs.mode == ResizeMode::Cubic) {
      float floorX = std::floor(x);
      std::array<float, 4> coeffs =
          getCubicCoeffs(x - floorX, attrs.cubicCoeffA);
      auto first = static_cast<int64_t>(floorX) - 1;
      float kept = 0.0f;
      for (int64_t t = 0; t < 4; ++t) {
        bool inside = first + t >= 0 && first + t < dim.in;
        if (attrs.excludeOutside && !inside)
          coeffs[t] = 0.0f;
        kept += coeffs[t];
      }
      for (int64_t t = 0; t < 4; ++t) {
        float weight = attrs.excludeOutside ? coeffs[t] / kept : coeffs[t];
        taps[j].push_back(
            {std::clamp<int64_t>(first + t, 0, dim.in - 1), weight});
      }
      continue;
    }
    if (isNearest) {
      NearestMode mode = attrs.nearest;
      if (mode == NearestMode::Simple)
        mode = dim.scale < 1.0f ? NearestMode::Ceil : NearestMode::Floor;
      int64_t nearest = getNearestPixel(mode, x);
      taps[j].push_back({std::clamp<int64_t>(nearest, 0, dim.in - 1), 1.0f});
      continue;
    }
    x = std::max(0.0f, std::min(x, inLength - 1));
    int64_t low = std::min(static_cast<int64_t>(x), dim.in - 1);
    int64_t high = std::min(low + 1, dim.in - 1);
    float lowDistance = std::fabs(x - static_cast<float>(low));
    float highDistance = std::fabs(x - static_cast<float>(high));
    if (low == high)
      lowDistance = highDistance = 0.5f;
    taps[j].push_back({low, highDistance});
    taps[j].push_back({high, lowDistance});
  }
  return taps;
}

/// Resize's band along `axis`: each output position's taps.
static Band buildResizeBand(const ResizeAttrs &attrs, int64_t axis,
                            const ResizedDim &dim) {
  return buildBand(axis, dim.in, getResizeTaps(attrs, dim));
}

/// The gradient of a nearest or cubic Resize's band along `axis`: each input
/// position sums the outputs it fed, by their weights (the forward band
/// transposed).
static Band buildTransposedBand(const ResizeAttrs &attrs, int64_t axis,
                                const ResizedDim &dim) {
  Taps transposed(dim.in);
  for (auto [j, list] : llvm::enumerate(getResizeTaps(attrs, dim)))
    for (auto [position, weight] : list)
      transposed[position].push_back({static_cast<int64_t>(j), weight});
  return buildBand(axis, dim.out, transposed);
}

/// A 1-D i64 constant.
static Value buildIndexTable(OpBuilder &b, Location loc,
                             ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

/// `source` resampled along the band's axis: one generic over the result's
/// dims (and the taps, a reduction, unless the band is a gather) reading
/// the source at start + tap, clamped (a tap past count adds nothing).
static Value applyBand(OpBuilder &b, Location loc, Value source,
                       const Band &band) {
  auto type = cast<RankedTensorType>(source.getType());
  Type elementType = type.getElementType();
  MLIRContext *context = b.getContext();
  int64_t rank = type.getRank(), targets = band.getNumTargets();
  bool gather = band.isGather();
  int64_t numLoops = gather ? rank : rank + 1;
  SmallVector<int64_t> shape(type.getShape());
  shape[band.axis] = targets;

  AffineMap targetMap =
      AffineMap::get(numLoops, 0, getAffineDimExpr(band.axis, context));
  SmallVector<Value> inputs{buildIndexTable(b, loc, band.start)};
  SmallVector<AffineMap> maps{targetMap};
  if (!gather) {
    inputs.push_back(buildIndexTable(b, loc, band.count));
    maps.push_back(targetMap);
    SmallVector<Attribute> weights =
        llvm::map_to_vector(band.weights, [&](float w) -> Attribute {
          return b.getFloatAttr(elementType, w);
        });
    inputs.push_back(arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({targets, band.width}, elementType),
            weights)));
    maps.push_back(AffineMap::get(
        numLoops, 0,
        {getAffineDimExpr(band.axis, context), getAffineDimExpr(rank, context)},
        context));
  }
  maps.push_back(AffineMap::get(numLoops, 0,
                                llvm::map_to_vector(llvm::seq<int64_t>(0, rank),
                                                    [&](int64_t d) {
                                                      return getAffineDimExpr(
                                                          d, context);
                                                    }),
                                context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  if (!gather)
    iterators.push_back(utils::IteratorType::reduction);
  Value init =
      gather ? buildEmpty(b, loc, shape, elementType)
             : buildFilled(b, loc, shape, b.getFloatAttr(elementType, 0.0));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type indexType = nb.getIndexType();
        Value position = arith::IndexCastOp::create(nb, nl, indexType, args[0]);
        Value tap;
        if (!gather) {
          tap = linalg::IndexOp::create(nb, nl, rank);
          position = arith::AddIOp::create(nb, nl, position, tap);
        }
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(
              d == band.axis
                  ? buildClampedIndex(nb, nl, position, band.sourceSize)
                  : linalg::IndexOp::create(nb, nl, d).getResult());
        Value value = tensor::ExtractOp::create(nb, nl, source, indices);
        if (gather) {
          linalg::YieldOp::create(nb, nl, value);
          return;
        }
        Value accumulator = args.back();
        Value inside = arith::CmpIOp::create(
            nb, nl, arith::CmpIPredicate::slt, tap,
            arith::IndexCastOp::create(nb, nl, indexType, args[1]));
        Value sum = arith::AddFOp::create(
            nb, nl, accumulator, arith::MulFOp::create(nb, nl, args[2], value));
        linalg::YieldOp::create(
            nb, nl,
            arith::SelectOp::create(nb, nl, inside, sum, accumulator)
                .getResult());
      });
  return generic.getResult(0);
}

/// `source` through every band but the identities, those that shrink the
/// most first (the later passes then read less).
static Value applyBands(OpBuilder &b, Location loc, Value source,
                        SmallVector<Band> bands) {
  llvm::stable_sort(bands, [](const Band &lhs, const Band &rhs) {
    return lhs.getNumTargets() * rhs.sourceSize <
           rhs.getNumTargets() * lhs.sourceSize;
  });
  for (const Band &band : bands)
    if (!band.isIdentity())
      source = applyBand(b, loc, source, band);
  return source;
}

/// X resized to `dims` by `attrs`, the output's size and declared type
/// checked first.
static ImportResult buildResized(NodeContext &ctx, RankedTensorType type,
                                 const ResizeAttrs &attrs,
                                 ArrayRef<ResizedDim> dims) {
  SmallVector<int64_t> shape =
      llvm::map_to_vector(dims, [](const ResizedDim &dim) { return dim.out; });
  std::optional<RankedTensorType> declared = ctx.getDeclaredResultType(0);
  if (declared && declared->getShape() != ArrayRef<int64_t>(shape))
    return ctx.emitError() << "declares its output as " << *declared
                           << ", but resizes " << type << " to "
                           << RankedTensorType::get(shape,
                                                    type.getElementType());
  // The bands' tables grow with the output's dims: its size is checked
  // before they are built (a fuzzer found 11 s of tables for a result the
  // limit then rejected).
  if (failed(checkResultSize(
          ctx, 0, RankedTensorType::get(shape, type.getElementType()))))
    return failure();
  if (llvm::is_contained(shape, 0)) // An empty result reads nothing.
    return SmallVector<Value>{
        buildEmpty(ctx.builder, ctx.loc, shape, type.getElementType())};
  SmallVector<Band> bands;
  for (auto [axis, dim] : llvm::enumerate(dims))
    bands.push_back(buildResizeBand(attrs, axis, dim));
  return SmallVector<Value>{
      applyBands(ctx.builder, ctx.loc, ctx.getOperand(0), bands)};
}

static ImportResult importResize(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 4);
  if (failed(type))
    return failure();
  if (!isa<FloatType>(type->getElementType()) || type->getRank() < 1)
    return ctx.emitError() << "expects a float X of rank 1 or more, got "
                           << *type;
  FailureOr<ResizeAttrs> attrs = getResizeAttrs(ctx);
  if (failed(attrs))
    return failure();
  FailureOr<SmallVector<ResizedDim>> dims = getResizedDims(ctx, *type);
  if (failed(dims))
    return failure();
  return buildResized(ctx, *type, *attrs, *dims);
}

/// Upsample (opsets 7 to 9) and Resize-10: every axis scaled (the scales an
/// attribute at 7, then input 1), asymmetric coordinates, nearest rounding
/// as ORT's (down when upsampling, up when downsampling) or linear.
static ImportResult importUpsample(NodeContext &ctx) {
  bool scalesInput = ctx.opsetVersion >= 9;
  FailureOr<RankedTensorType> type =
      getFirstOperandType(ctx, scalesInput ? 2 : 1, scalesInput ? 2 : 1);
  if (failed(type))
    return failure();
  if (!isa<FloatType>(type->getElementType()) || type->getRank() < 1)
    return ctx.emitError() << "expects a float X of rank 1 or more, got "
                           << *type;
  ResizeAttrs attrs;
  attrs.coordinates = CoordinateMode::Asymmetric;
  attrs.nearest = NearestMode::Simple;
  std::string mode = ctx.getStringAttr("mode").value_or("nearest");
  if (mode != "nearest" && mode != "linear")
    return emitUnsupportedAttr(ctx, "mode")
           << ": '" << mode << "' (expects 'nearest' or 'linear')";
  attrs.mode = mode == "linear" ? ResizeMode::Linear : ResizeMode::Nearest;
  FailureOr<SmallVector<float>> scales =
      scalesInput
          ? getConstantFloatOperand(ctx, 1)
          : FailureOr<SmallVector<float>>(
                ctx.getFloatsAttr("scales").value_or(SmallVector<float>{}));
  if (failed(scales))
    return failure();
  if (static_cast<int64_t>(scales->size()) != type->getRank())
    return ctx.emitError() << "expects " << type->getRank()
                           << " scales (one per axis), got " << scales->size();
  SmallVector<ResizedDim> dims;
  for (int64_t size : type->getShape())
    dims.push_back({size, size, 1.0f});
  if (failed(applyScales(ctx, dims,
                         llvm::to_vector(llvm::seq<int64_t>(type->getRank())),
                         *scales)))
    return failure();
  return buildResized(ctx, *type, attrs, dims);
}

/// ResizeGrad's band along spatial `axis`: each dX position's taps in dY,
/// transposed from the forward taps ORT's kernel scatters (torch's
/// upsample_bilinear2d backward: source index ratio · (o + 0.5) - 0.5
/// clamped at 0, or ratio · o with align_corners).
static Band buildResizeGradBand(int64_t axis, int64_t in, int64_t out,
                                bool alignCorners, std::optional<float> scale) {
  float ratio;
  if (alignCorners)
    ratio = out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                    : 0.0f;
  else
    ratio = scale ? 1.0f / *scale
                  : static_cast<float>(in) / static_cast<float>(out);
  Taps taps(in);
  for (int64_t o = 0; o < out; ++o) {
    float source =
        alignCorners
            ? ratio * static_cast<float>(o)
            : std::max(0.0f, ratio * (static_cast<float>(o) + 0.5f) - 0.5f);
    int64_t low = std::min(static_cast<int64_t>(source), in - 1);
    int64_t high = low < in - 1 ? low + 1 : low;
    float highWeight = source - static_cast<float>(low);
    taps[low].push_back({o, 1.0f - highWeight});
    taps[high].push_back({o, highWeight});
  }
  return buildBand(axis, out, taps);
}

static ImportResult importResizeGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 4)))
    return failure();
  FailureOr<RankedTensorType> dyType = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> xType = getOperandType(ctx, 1);
  if (failed(dyType) || failed(xType))
    return failure();
  int64_t rank = xType->getRank();
  if (!isa<FloatType>(dyType->getElementType()) ||
      dyType->getElementType() != xType->getElementType() || rank < 3 ||
      dyType->getRank() != rank ||
      dyType->getShape().take_front(2) != xType->getShape().take_front(2))
    return ctx.emitError() << "expects dY and X [N, C, D...] of one float "
                              "type and rank with the same N and C, got "
                           << *dyType << " and " << *xType;
  FailureOr<ResizeAttrs> attrs = getResizeAttrs(ctx);
  if (failed(attrs))
    return failure();
  if (attrs->mode == ResizeMode::Linear &&
      attrs->coordinates != CoordinateMode::HalfPixel &&
      attrs->coordinates != CoordinateMode::AlignCorners)
    return ctx.emitError() << "imports what ONNX Runtime's kernel computes: "
                              "mode 'linear' with coordinate_transformation_"
                              "mode 'half_pixel' or 'align_corners'";
  if (ctx.getAttr("axes"))
    return emitUnsupportedAttr(ctx, "axes") << ": ORT's kernel has none";
  if (ctx.getStringAttr("keep_aspect_ratio_policy").value_or("stretch") !=
      "stretch")
    return emitUnsupportedAttr(ctx, "keep_aspect_ratio_policy")
           << ": only 'stretch' is imported";
  SmallVector<std::optional<float>> scales(rank);
  if (hasElements(ctx, 3)) {
    FailureOr<SmallVector<float>> given = getConstantFloatOperand(ctx, 3);
    if (failed(given))
      return failure();
    if (static_cast<int64_t>(given->size()) != rank ||
        !llvm::all_of(llvm::drop_begin(*given, 2),
                      [](float scale) { return scale > 0.0f; }))
      return ctx.emitError()
             << "expects " << rank << " scales, positive for the spatial dims";
    llvm::copy(*given, scales.begin());
  }
  Value dy = ctx.getOperand(0);
  // Nothing flows back through an empty dY (or into an empty X).
  if (dyType->getNumElements() == 0 || xType->getNumElements() == 0)
    return SmallVector<Value>{
        buildFilled(ctx.builder, ctx.loc, xType->getShape(),
                    ctx.builder.getZeroAttr(xType->getElementType()))};
  // As ORT's kernel: no resize, whatever the scales.
  if (dyType->getShape() == xType->getShape())
    return SmallVector<Value>{dy};
  SmallVector<Band> bands;
  for (int64_t axis = 2; axis < rank; ++axis) {
    int64_t in = xType->getDimSize(axis), out = dyType->getDimSize(axis);
    // Scales that do not give dY's size from X's (ORT's CUDA kernel would
    // index outside them) describe no Resize to differentiate.
    if (scales[axis]) {
      float resized = std::floor(static_cast<float>(in) * *scales[axis]);
      if (!(resized == static_cast<float>(out)))
        return ctx.emitError() << "scale " << *scales[axis] << " of dimension "
                               << axis << " resizes " << in << " positions to "
                               << resized << ", not to dY's " << out;
    }
    if (attrs->mode == ResizeMode::Linear) {
      bands.push_back(buildResizeGradBand(
          axis, in, out, attrs->coordinates == CoordinateMode::AlignCorners,
          scales[axis]));
      continue;
    }
    // The forward's scale: the given one, else out / in as Resize derives
    // it from sizes.
    float scale =
        scales[axis].value_or(static_cast<float>(out) / static_cast<float>(in));
    bands.push_back(buildTransposedBand(*attrs, axis, {in, out, scale}));
  }
  return SmallVector<Value>{applyBands(ctx.builder, ctx.loc, dy, bands)};
}

void muon::onnx_import::populateResizeImporters(OpImporterRegistry &registry) {
  // Opset 10's Resize, with neither roi nor sizes, is Upsample renamed.
  registry.add("", "Resize",
               [](NodeContext &ctx) {
                 return ctx.opsetVersion < 11 ? importUpsample(ctx)
                                              : importResize(ctx);
               },
               {/*since=*/10});
  registry.add("", "Upsample", importUpsample, {/*since=*/7, /*until=*/9});
  registry.add("com.microsoft", "ResizeGrad", importResizeGrad);
}
