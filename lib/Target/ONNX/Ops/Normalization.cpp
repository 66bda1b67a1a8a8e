//===- Normalization.cpp - Layer and RMS normalization, gradients ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// LayerNormalization normalizes over the trailing dimensions [axis, rank):
//   mean = E[X], inv_std_dev = 1 / sqrt(E[(X - mean)^2] + epsilon)
//   Y = (X - mean) * inv_std_dev * Scale + B
// Mean and InvStdDev (kept dims of size 1) are the optional outputs 1 and 2,
// which ORT's com.microsoft LayerNormalizationGrad consumes:
//   x_hat = (X - mean) * inv_std_dev, g = dY * Scale
//   dX = inv_std_dev * (g - E[g] - x_hat * E[g * x_hat])
//   dScale = sum over the leading dims of dY * x_hat, dB = sum of dY.
// SimplifiedLayerNormalization (RMSNorm; ORT fuses x * rsqrt(mean(x^2) + eps)
// * w into it, and ONNX's RMSNormalization-23 is the same op with only Y)
// skips the centering and the bias, and its output 1 is InvStdDev;
// com.microsoft SimplifiedLayerNormalizationGrad(dY, X, Scale, InvStdDev) is
// the gradient above with mean = 0 and without E[g]:
//   dX = inv_std_dev * (g - x_hat * E[g * x_hat]), dScale as above.
// Only f32 inputs with stash_type = 1 (statistics in f32) are supported.
//
// BatchNormalization (ONNX's, and ORT's training form, com.microsoft
// BatchNormInternal: X [N, C, D...], Scale, B, input_mean, input_var [C])
// normalizes each channel over N and D... with the batch's statistics
// (training_mode 1) or the given ones (0). Its outputs: Y, the running
// statistics (input · momentum + batch · (1 − momentum)), saved_mean and
// saved_inv_std, which com.microsoft BatchNormalizationGrad(dY, X, Scale,
// saved_mean, saved_inv_std) reads for the gradient above (Scale is constant
// over the normalized axes): dX, dScale = sum of dY·x_hat, dB = sum of dY.
//
// InstanceNormalization (nn.InstanceNorm*d, and nn.GroupNorm as torch
// exports it: an InstanceNormalization of X viewed as [N, G, C/G·D...]) and
// GroupNormalization (opsets 18 and 21, the dynamo exporter's GroupNorm)
// view X [N, C, D...] as [N, G, C/G, S] and normalize each (n, g) over the
// last two dims, G = C for InstanceNormalization; Scale and B are per
// channel, or per group in GroupNormalization-18. Forward only: ORT has no
// gradient for either.
//
// LpNormalization divides X by its L1 or L2 norm along one axis (forward
// only).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// The normalized axes of a LayerNormalization(Grad) node and the checks
/// both ops share.
struct NormAxes {
  SmallVector<int64_t> axes;
  int64_t count = 1;
};
} // namespace

static FailureOr<NormAxes> getNormAxes(NodeContext &ctx,
                                       RankedTensorType type) {
  if (!type.getElementType().isF32())
    return ctx.emitError() << "expects f32 inputs, got "
                           << type.getElementType();
  if (ctx.getIntAttr("stash_type").value_or(1) != 1)
    return emitUnsupportedAttr(ctx, "stash_type") << ": only 1 (f32)";
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(-1), type.getRank());
  if (failed(axis))
    return failure();
  NormAxes result;
  for (int64_t i = *axis; i < type.getRank(); ++i) {
    result.axes.push_back(i);
    result.count *= type.getDimSize(i);
  }
  return result;
}

/// Fails unless input `index` is f32 and broadcasts to `shape` without
/// growing it (Scale/B over the normalized dims, statistics over the rest).
static LogicalResult checkBroadcastsTo(NodeContext &ctx, unsigned index,
                                       ArrayRef<int64_t> shape) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  std::optional<SmallVector<int64_t>> broadcast =
      broadcastShapes({type->getShape(), shape});
  if (!type->getElementType().isF32() || !broadcast ||
      ArrayRef<int64_t>(*broadcast) != shape)
    return ctx.emitError() << "input #" << index << " of type " << *type
                           << " does not broadcast to "
                           << RankedTensorType::get(
                                  shape,
                                  Float32Type::get(ctx.builder.getContext()));
  return success();
}

/// `E[value]` over `axes` (kept dims).
static Value buildMean(OpBuilder &b, Location loc, Value value,
                       const NormAxes &norm) {
  Value sum =
      buildReduce(b, loc, value, norm.axes, /*keepDims=*/true, ReduceKind::Sum);
  auto type = cast<RankedTensorType>(sum.getType());
  return buildBroadcastMap(
      b, loc, sum, type.getShape(), type.getElementType(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value count = buildScalar(nb, nl, args[0].getType(), norm.count);
        return arith::DivFOp::create(nb, nl, args[0], count);
      });
}

/// 1 / sqrt(E[centered^2] + epsilon) over the normalized axes (kept dims).
static Value buildInvStdDev(OpBuilder &b, Location loc, Value centered,
                            const NormAxes &norm, float epsilon) {
  auto type = cast<RankedTensorType>(centered.getType());
  Type f32 = type.getElementType();
  Value squares = buildBroadcastMap(
      b, loc, centered, type.getShape(), f32,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nl, args[0], args[0]);
      });
  Value variance = buildMean(b, loc, squares, norm);
  auto statType = cast<RankedTensorType>(variance.getType());
  return buildBroadcastMap(
      b, loc, variance, statType.getShape(), f32,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value eps = buildScalar(nb, nl, f32, epsilon);
        Value sum = arith::AddFOp::create(nb, nl, args[0], eps);
        return math::RsqrtOp::create(nb, nl, sum);
      });
}

/// centered · inv_std_dev · scale + bias, all broadcast to `centered`'s
/// shape.
static Value buildNormalizedAffine(OpBuilder &b, Location loc, Value centered,
                                   Value invStdDev, Value scale, Value bias) {
  auto type = cast<RankedTensorType>(centered.getType());
  return buildBroadcastMap(
      b, loc, {centered, invStdDev, scale, bias}, type.getShape(),
      type.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value normalized = arith::MulFOp::create(nb, nl, args[0], args[1]);
        Value scaled = arith::MulFOp::create(nb, nl, normalized, args[2]);
        return arith::AddFOp::create(nb, nl, scaled, args[3]);
      });
}

/// LayerNormalization (`simplified`: SimplifiedLayerNormalization, no
/// centering and no bias). Results: Y, then Mean (LayerNormalization only)
/// and InvStdDev as far as the node declares them.
static ImportResult importLayerNorm(NodeContext &ctx, bool simplified) {
  if (failed(checkNumOperands(ctx, 2, simplified ? 2 : 3)))
    return failure();
  FailureOr<RankedTensorType> type = getOperandType(ctx, 0);
  if (failed(type))
    return failure();
  FailureOr<NormAxes> norm = getNormAxes(ctx, *type);
  if (failed(norm))
    return failure();
  ArrayRef<int64_t> shape = type->getShape();
  bool hasBias = ctx.getOperand(2) != nullptr;
  if (failed(checkBroadcastsTo(ctx, 1, shape)) ||
      (hasBias && failed(checkBroadcastsTo(ctx, 2, shape))))
    return failure();
  float epsilon = ctx.getFloatAttr("epsilon").value_or(1e-5f);
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type f32 = type->getElementType();
  Value centered = ctx.getOperand(0), mean;
  if (!simplified) {
    mean = buildMean(b, loc, centered, *norm);
    centered = buildBroadcastMap(
        b, loc, {centered, mean}, shape, f32,
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::SubFOp::create(nb, nl, args[0], args[1]);
        });
  }
  Value invStdDev = buildInvStdDev(b, loc, centered, *norm, epsilon);
  SmallVector<Value> inputs = {centered, invStdDev, ctx.getOperand(1)};
  if (hasBias)
    inputs.push_back(ctx.getOperand(2));
  Value y = buildBroadcastMap(
      b, loc, inputs, shape, f32,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value normalized = arith::MulFOp::create(nb, nl, args[0], args[1]);
        Value scaled = arith::MulFOp::create(nb, nl, normalized, args[2]);
        if (!hasBias)
          return scaled;
        return arith::AddFOp::create(nb, nl, scaled, args[3]);
      });
  SmallVector<Value> results = {y};
  if (!simplified)
    results.push_back(mean);
  results.push_back(invStdDev);
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

/// Sums `value` over the leading (non-normalized) dims into the shape of
/// `like` (Scale's shape).
static Value buildParamGrad(OpBuilder &b, Location loc, Value value,
                            int64_t numLeading, RankedTensorType like) {
  Value sum = buildReduce(b, loc, value,
                          llvm::to_vector(llvm::seq<int64_t>(0, numLeading)),
                          /*keepDims=*/false, ReduceKind::Sum);
  return buildReshape(b, loc, sum, like.getShape());
}

/// The input gradient of a normalization over `norm`'s axes and dY·x_hat
/// (whose sums give dScale): x_hat = (X − mean) · inv_std_dev (no mean:
/// RMSNorm), g = dY · Scale,
///   dX = inv_std_dev · (g − E[g] − x_hat · E[g · x_hat])
/// (without E[g] when there is no mean).
static std::pair<Value, Value>
buildNormGradients(OpBuilder &b, Location loc, Value dy, Value x, Value scale,
                   Value mean, Value invStdDev, const NormAxes &norm) {
  auto type = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> shape = type.getShape();
  Type f32 = type.getElementType();
  SmallVector<Value> xHatInputs = {x, invStdDev};
  if (mean)
    xHatInputs.push_back(mean);
  Value xHat = buildBroadcastMap(
      b, loc, xHatInputs, shape, f32,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value centered = args[0];
        if (args.size() > 2)
          centered = arith::SubFOp::create(nb, nl, centered, args[2]);
        return arith::MulFOp::create(nb, nl, centered, args[1]);
      });
  auto multiply = [&](Value lhs, Value rhs) {
    return buildBroadcastMap(
        b, loc, {lhs, rhs}, shape, f32,
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, nl, args[0], args[1]);
        });
  };
  Value g = multiply(dy, scale);
  Value meanGXHat = buildMean(b, loc, multiply(g, xHat), norm);
  SmallVector<Value> dxInputs = {g, xHat, meanGXHat, invStdDev};
  if (mean)
    dxInputs.push_back(buildMean(b, loc, g, norm));
  Value dx = buildBroadcastMap(
      b, loc, dxInputs, shape, f32,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value centered = args[0];
        if (args.size() > 4)
          centered = arith::SubFOp::create(nb, nl, centered, args[4]);
        Value projected = arith::MulFOp::create(nb, nl, args[1], args[2]);
        Value diff = arith::SubFOp::create(nb, nl, centered, projected);
        return arith::MulFOp::create(nb, nl, diff, args[3]);
      });
  return {dx, multiply(dy, xHat)};
}

/// LayerNormalizationGrad(dY, X, Scale, Mean, InvStdDev) -> dX, dScale, dB;
/// `simplified`: SimplifiedLayerNormalizationGrad(dY, X, Scale, InvStdDev)
/// -> dX, dScale (mean 0, no E[g] term).
static ImportResult importLayerNormGrad(NodeContext &ctx, bool simplified) {
  unsigned numInputs = simplified ? 4 : 5;
  if (failed(checkNumOperands(ctx, numInputs, numInputs)))
    return failure();
  // The saved inverse standard deviation already holds the forward's epsilon.
  ctx.ignoreAttr("epsilon");
  FailureOr<RankedTensorType> type = getOperandType(ctx, 1);
  FailureOr<RankedTensorType> dyType = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> scaleType = getOperandType(ctx, 2);
  if (failed(type) || failed(dyType) || failed(scaleType))
    return failure();
  FailureOr<NormAxes> norm = getNormAxes(ctx, *type);
  if (failed(norm))
    return failure();
  ArrayRef<int64_t> shape = type->getShape();
  if (*dyType != *type)
    return ctx.emitError() << "expects Y_grad of the type of X, got "
                           << *dyType;
  SmallVector<int64_t> statShape = getKeptDimsShape(shape, norm->axes);
  if (failed(checkBroadcastsTo(ctx, 2, shape)))
    return failure();
  for (unsigned i = 3; i < numInputs; ++i)
    if (failed(checkBroadcastsTo(ctx, i, statShape)))
      return failure();
  if (scaleType->getNumElements() != static_cast<int64_t>(norm->count))
    return ctx.emitError() << "expects a scale with one element per "
                              "normalized position, got "
                           << *scaleType;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value dy = ctx.getOperand(0), scale = ctx.getOperand(2),
        invStdDev = ctx.getOperand(numInputs - 1);
  auto [dx, dyXHat] = buildNormGradients(
      b, loc, dy, ctx.getOperand(1), scale,
      simplified ? Value() : ctx.getOperand(3), invStdDev, *norm);
  int64_t numLeading = norm->axes.front();
  SmallVector<Value> results = {
      dx, buildParamGrad(b, loc, dyXHat, numLeading, *scaleType)};
  if (!simplified)
    results.push_back(buildParamGrad(b, loc, dy, numLeading, *scaleType));
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

/// The per-channel axes of a batch normalization of `type` [N, C, D...].
/// Fails unless `type` is an f32 X [N, C, D...].
static LogicalResult checkChannelsType(NodeContext &ctx,
                                       RankedTensorType type) {
  if (!type.getElementType().isF32() || type.getRank() < 2)
    return ctx.emitError() << "expects an f32 X [N, C, D...], got " << type;
  return success();
}

static FailureOr<NormAxes> getChannelNormAxes(NodeContext &ctx,
                                              RankedTensorType type) {
  if (failed(checkChannelsType(ctx, type)))
    return failure();
  NormAxes result;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (i != 1) {
      result.axes.push_back(i);
      result.count *= type.getDimSize(i);
    }
  return result;
}

/// Fails unless input `index` is a vector of `size` elements of `x`'s
/// element type (one per channel, or per group).
static LogicalResult checkVectorInput(NodeContext &ctx, unsigned index,
                                      int64_t size, RankedTensorType x) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  if (type->getElementType() != x.getElementType() ||
      type->getShape() != ArrayRef<int64_t>{size})
    return ctx.emitError() << "expects input #" << index << " of type "
                           << RankedTensorType::get({size}, x.getElementType())
                           << ", got " << *type;
  return success();
}

/// Per-channel input `index` ([C]) as [C, 1...] to broadcast against X.
static FailureOr<Value> getChannelInput(NodeContext &ctx, unsigned index,
                                        RankedTensorType x) {
  int64_t channels = x.getDimSize(1);
  if (failed(checkVectorInput(ctx, index, channels, x)))
    return failure();
  SmallVector<int64_t> shape{channels};
  shape.append(x.getRank() - 2, 1);
  return buildReshape(ctx.builder, ctx.loc, ctx.getOperand(index), shape);
}

/// BatchNormInternal's Y, running mean and variance, saved mean and inverse
/// standard deviation, as far as the node declares them; `training`
/// normalizes with the batch's statistics.
static ImportResult buildBatchNorm(NodeContext &ctx, bool training) {
  if (failed(checkNumOperands(ctx, 5, 5)))
    return failure();
  FailureOr<RankedTensorType> type = getOperandType(ctx, 0);
  if (failed(type))
    return failure();
  FailureOr<NormAxes> norm = getChannelNormAxes(ctx, *type);
  if (failed(norm))
    return failure();
  SmallVector<Value> channel;
  for (unsigned i = 1; i < 5; ++i) {
    FailureOr<Value> input = getChannelInput(ctx, i, *type);
    if (failed(input))
      return failure();
    channel.push_back(*input);
  }
  float epsilon = ctx.getFloatAttr("epsilon").value_or(1e-5f);
  float momentum = ctx.getFloatAttr("momentum").value_or(0.9f);
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  ArrayRef<int64_t> shape = type->getShape();
  Type f32 = type->getElementType();
  auto map = [&](ValueRange inputs, ArrayRef<int64_t> resultShape, auto body) {
    return buildBroadcastMap(b, loc, inputs, resultShape, f32, body);
  };
  auto subtract = [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
    return arith::SubFOp::create(nb, nl, args[0], args[1]);
  };
  Value mean = channel[2], variance = channel[3], invStdDev, centered;
  if (training) {
    mean = buildMean(b, loc, ctx.getOperand(0), *norm);
    centered = map({ctx.getOperand(0), mean}, shape, subtract);
    invStdDev = buildInvStdDev(b, loc, centered, *norm, epsilon);
    Value squares =
        map(centered, shape,
            [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
              return arith::MulFOp::create(nb, nl, args[0], args[0]);
            });
    variance = buildMean(b, loc, squares, *norm);
  } else {
    centered = map({ctx.getOperand(0), mean}, shape, subtract);
    invStdDev =
        map(variance, cast<RankedTensorType>(variance.getType()).getShape(),
            [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
              Value eps = buildScalar(nb, nl, f32, epsilon);
              return math::RsqrtOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, args[0], eps));
            });
  }
  // Kept-dims statistics [1, C, 1...] (batch) or [C, 1...] (given) as [C].
  int64_t channels = type->getDimSize(1);
  auto perChannel = [&](Value value) {
    return buildReshape(b, loc, value, {channels});
  };
  Value y = buildNormalizedAffine(b, loc, centered, invStdDev, channel[0],
                                  channel[1]);
  auto running = [&](unsigned index, Value batch) {
    return map({ctx.getOperand(index), perChannel(batch)}, {channels},
               [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
                 Value kept = arith::MulFOp::create(
                     nb, nl, args[0], buildScalar(nb, nl, f32, momentum));
                 Value fresh = arith::MulFOp::create(
                     nb, nl, args[1], buildScalar(nb, nl, f32, 1.0 - momentum));
                 return arith::AddFOp::create(nb, nl, kept, fresh);
               });
  };
  SmallVector<Value> results = {y, running(3, mean), running(4, variance),
                                perChannel(mean), perChannel(invStdDev)};
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

static ImportResult importBatchNorm(NodeContext &ctx) {
  FailureOr<bool> training = getFlagAttr(ctx, "training_mode");
  if (failed(training))
    return failure();
  return buildBatchNorm(ctx, *training);
}

/// ONNX BatchNormalization (the forward graph torch exports; ORT's training
/// graph has BatchNormInternal instead): Y, then the running statistics.
/// Before opset 14 the node trains when it declares them, as ORT decides,
/// and may declare BatchNormalization-9's saved mean and variance, which ORT
/// computes as BatchNormInternal's saved mean and inverse standard deviation;
/// from 14 its training_mode attribute says.
static ImportResult importBatchNormalization(NodeContext &ctx) {
  FailureOr<bool> training = ctx.opsetVersion >= 14
                                 ? getFlagAttr(ctx, "training_mode")
                                 : FailureOr<bool>(hasResult(ctx, 1));
  if (failed(training))
    return failure();
  return buildBatchNorm(ctx, *training);
}

static ImportResult importBatchNormGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 5, 5)))
    return failure();
  // saved_inv_std already holds the forward's epsilon.
  ctx.ignoreAttr("epsilon");
  FailureOr<RankedTensorType> type = getOperandType(ctx, 1);
  FailureOr<RankedTensorType> dyType = getOperandType(ctx, 0);
  if (failed(type) || failed(dyType))
    return failure();
  FailureOr<NormAxes> norm = getChannelNormAxes(ctx, *type);
  if (failed(norm))
    return failure();
  if (*dyType != *type)
    return ctx.emitError() << "expects dY of the type of X, got " << *dyType;
  SmallVector<Value> channel;
  for (unsigned i = 2; i < 5; ++i) {
    FailureOr<Value> input = getChannelInput(ctx, i, *type);
    if (failed(input))
      return failure();
    channel.push_back(*input);
  }
  Value scale = channel[0], mean = channel[1], invStdDev = channel[2];
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  auto [dx, dyXHat] =
      buildNormGradients(b, loc, ctx.getOperand(0), ctx.getOperand(1), scale,
                         mean, invStdDev, *norm);
  auto channelSum = [&](Value value) {
    return buildReduce(b, loc, value, norm->axes, /*keepDims=*/false,
                       ReduceKind::Sum);
  };
  SmallVector<Value> results = {dx, channelSum(dyXHat),
                                channelSum(ctx.getOperand(0))};
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

/// InstanceNormalization (`instance`) or GroupNormalization(X, scale, bias).
static ImportResult importGroupNorm(NodeContext &ctx, bool instance) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 3, 3);
  if (failed(type) || failed(checkChannelsType(ctx, *type)))
    return failure();
  int64_t batch = type->getDimSize(0), channels = type->getDimSize(1);
  int64_t groups = channels;
  // GroupNormalization-18 scales per group; 21 made it per channel.
  bool perGroup = false;
  if (!instance) {
    std::optional<int64_t> numGroups = ctx.getIntAttr("num_groups");
    if (!numGroups)
      return ctx.emitError() << "expects attribute 'num_groups'";
    if (*numGroups <= 0 || channels % *numGroups != 0)
      return ctx.emitError()
             << "num_groups " << *numGroups << " does not divide the "
             << channels << " channels";
    if (ctx.getIntAttr("stash_type").value_or(1) != 1)
      return emitUnsupportedAttr(ctx, "stash_type") << ": only 1 (f32)";
    groups = *numGroups;
    perGroup = ctx.opsetVersion < 21;
  }
  int64_t perGroupChannels = groups ? channels / groups : 0;
  int64_t paramSize = perGroup ? groups : channels;
  if (failed(checkVectorInput(ctx, 1, paramSize, *type)) ||
      failed(checkVectorInput(ctx, 2, paramSize, *type)))
    return failure();
  int64_t spatial = 1;
  for (int64_t dim : type->getShape().drop_front(2))
    spatial *= dim;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  SmallVector<int64_t> view = {batch, groups, perGroupChannels, spatial};
  NormAxes norm{{2, 3}, perGroupChannels * spatial};
  Value x = buildReshape(b, loc, ctx.getOperand(0), view);
  Value mean = buildMean(b, loc, x, norm);
  Value centered = buildBroadcastMap(
      b, loc, {x, mean}, view, type->getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nl, args[0], args[1]);
      });
  float epsilon = ctx.getFloatAttr("epsilon").value_or(1e-5f);
  Value invStdDev = buildInvStdDev(b, loc, centered, norm, epsilon);
  SmallVector<int64_t> paramShape = {groups, perGroup ? 1 : perGroupChannels,
                                     1};
  Value scale = buildReshape(b, loc, ctx.getOperand(1), paramShape);
  Value bias = buildReshape(b, loc, ctx.getOperand(2), paramShape);
  Value y = buildNormalizedAffine(b, loc, centered, invStdDev, scale, bias);
  return SmallVector<Value>{buildReshape(b, loc, y, type->getShape())};
}

/// LpNormalization (F.normalize's op): X / ||X||_p along `axis` (default
/// -1), p 1 or 2 (default 2); a zero norm gives 0, as in ONNX Runtime's
/// kernel and ONNX's reference.
static ImportResult importLpNormalization(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  auto type = cast<RankedTensorType>(ctx.getOperand(0).getType());
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(-1), type.getRank());
  if (failed(axis))
    return failure();
  int64_t p = ctx.getIntAttr("p").value_or(2);
  if (p != 1 && p != 2)
    return emitUnsupportedAttr(ctx, "p") << ": " << p << " (expects 1 or 2)";
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value magnitudes = buildBroadcastMap(
      b, loc, ctx.getOperand(0), type.getShape(), *elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        if (p == 1)
          return math::AbsFOp::create(nb, nl, args[0]);
        return arith::MulFOp::create(nb, nl, args[0], args[0]);
      });
  Value norm = buildReduce(b, loc, magnitudes, {*axis}, /*keepDims=*/true,
                           ReduceKind::Sum);
  return SmallVector<Value>{buildBroadcastMap(
      b, loc, {ctx.getOperand(0), norm}, type.getShape(), *elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value sum = args[1];
        Value zero = buildScalar(nb, nl, *elementType, 0.0);
        Value isZero =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, sum, zero);
        Value norm = p == 1 ? sum : math::SqrtOp::create(nb, nl, sum);
        Value y = arith::DivFOp::create(nb, nl, args[0], norm);
        return arith::SelectOp::create(nb, nl, isZero, zero, y);
      })};
}

void muon::onnx_import::populateNormalizationImporters(
    OpImporterRegistry &registry) {
  for (bool simplified : {false, true}) {
    StringRef name =
        simplified ? "SimplifiedLayerNormalization" : "LayerNormalization";
    // ORT defines both in the ONNX domain as of opset 1, with opset 17's
    // semantics (axis, epsilon, stash_type; Mean and InvStdDev outputs): its
    // LayerNormFusion writes LayerNormalization into training graphs of
    // models exported at any opset, before ONNX standardized it at 17.
    registry.add("", name, [=](NodeContext &ctx) {
      return importLayerNorm(ctx, simplified);
    });
    registry.add("com.microsoft", (name + "Grad").str(), [=](NodeContext &ctx) {
      return importLayerNormGrad(ctx, simplified);
    });
  }
  // ONNX's RMSNormalization (opset 23, the dynamo exporter's nn.RMSNorm) is
  // SimplifiedLayerNormalization with the one output Y.
  registry.add("", "RMSNormalization",
               [](NodeContext &ctx) {
                 return importLayerNorm(ctx, /*simplified=*/true);
               },
               {/*since=*/23});
  registry.add("com.microsoft", "BatchNormInternal", importBatchNorm);
  // BatchNormalization-7 and earlier had the spatial attribute.
  registry.add("", "BatchNormalization", importBatchNormalization,
               {/*since=*/9});
  registry.add("com.microsoft", "BatchNormalizationGrad", importBatchNormGrad);
  registry.add(
      "", "InstanceNormalization",
      [](NodeContext &ctx) { return importGroupNorm(ctx, /*instance=*/true); },
      {/*since=*/6});
  registry.add(
      "", "GroupNormalization",
      [](NodeContext &ctx) { return importGroupNorm(ctx, /*instance=*/false); },
      {/*since=*/18});
  registry.add("", "LpNormalization", importLpNormalization);
}
