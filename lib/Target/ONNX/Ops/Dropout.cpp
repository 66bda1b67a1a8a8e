//===- Dropout.cpp - Dropout, its ORT gradient and random tensors --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Dropout(data, ratio = 0.5, training_mode = false) -> output, mask. Outside
// training mode (and before opset 12, where Dropout is inference-only) and at
// ratio 0 it is the identity with an all-true mask. A positive ratio in
// training mode draws its mask from a counter-based generator: element i of
// step s is kept when a hash of (node, s, i) clears ratio·2^24, so
//   output = mask ? data / (1 - ratio) : 0
// is drawn afresh every step, identically on CPU and GPU and when a step is
// replayed. s is the function's random step argument (`muon.random_step`,
// added on first use after the graph's inputs); a training step passes its
// step count. The node's `seed` attribute, else its name, selects its stream.
// The masks are not ONNX Runtime's (its generator is its own).
//
// RandomUniform(shape) and RandomUniformLike(input) draw from the same
// generator: low + (high − low)·draw·2^-24, so stochastic depth (drop path:
// floor(keep + torch.rand(...))) is drawn afresh every step as Dropout is.
// Their float `seed`'s integer part selects the stream.
//
// com.microsoft DropoutGrad(dY, mask, ratio = 0.5, training_mode) follows
// ORT's CPU kernel, which ignores training_mode:
//   dX = mask ? dY / (1 - ratio) : 0
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/xxhash.h"

#include <cmath>

using namespace mlir;
using namespace muon::onnx_import;

static constexpr double kDefaultRatio = 0.5;

/// The single element of input `index`, which must be a constant of one
/// element; `what` names it in the error.
static FailureOr<Attribute> getConstantScalar(NodeContext &ctx, unsigned index,
                                              StringRef what) {
  DenseElementsAttr attr;
  if (!matchPattern(ctx.getOperand(index), m_Constant(&attr)) ||
      attr.getNumElements() != 1)
    return ctx.emitError() << "expects " << what
                           << " to be a constant of one element (an "
                              "initializer or Constant node)";
  return *attr.value_begin<Attribute>();
}

namespace {
/// What a Dropout node does: drop with probability `ratio` in training mode.
struct DropoutMode {
  double ratio = kDefaultRatio;
  bool training = false;
};
} // namespace

/// Dropout's constant ratio and training_mode (inputs 1 and 2 from opset 12;
/// earlier Dropouts are inference-only).
static FailureOr<DropoutMode> getDropoutMode(NodeContext &ctx) {
  DropoutMode mode;
  // Seeds only pick the stream of a dropping node (buildDropoutMask).
  ctx.ignoreAttr("seed");
  // Before opset 12 the ratio is an attribute of an inference-only identity.
  if (ctx.opsetVersion < 12)
    ctx.ignoreAttr("ratio");
  if (ctx.opsetVersion < 12 || !ctx.getOperand(2))
    return mode;
  FailureOr<Attribute> training = getConstantScalar(ctx, 2, "training_mode");
  if (failed(training))
    return failure();
  auto trainingAttr = dyn_cast<BoolAttr>(*training);
  if (!trainingAttr)
    return ctx.emitError() << "expects a bool training_mode";
  mode.training = trainingAttr.getValue();
  if (ctx.getOperand(1)) {
    FailureOr<Attribute> ratioAttr = getConstantScalar(ctx, 1, "ratio");
    if (failed(ratioAttr))
      return failure();
    auto floatAttr = dyn_cast<FloatAttr>(*ratioAttr);
    if (!floatAttr)
      return ctx.emitError() << "expects a float ratio";
    mode.ratio = floatAttr.getValueAsDouble();
  }
  if (mode.training && !(mode.ratio >= 0.0 && mode.ratio < 1.0)) {
    std::string ratioText;
    llvm::raw_string_ostream(ratioText) << llvm::format("%g", mode.ratio);
    return ctx.emitError() << "ratio " << ratioText
                           << " is outside [0, 1) in training mode";
  }
  return mode;
}

/// SplitMix64's finalizer: a bijection of 64-bit words whose outputs for
/// consecutive inputs pass statistical tests.
static Value buildMix64(OpBuilder &b, Location loc, Value z) {
  auto constant = [&](uint64_t v) {
    return arith::ConstantOp::create(
               b, loc, b.getI64IntegerAttr(static_cast<int64_t>(v)))
        .getResult();
  };
  auto xorShift = [&](Value x, uint64_t shift) {
    return arith::XOrIOp::create(
        b, loc, x, arith::ShRUIOp::create(b, loc, x, constant(shift)));
  };
  z = arith::MulIOp::create(b, loc, xorShift(z, 30),
                            constant(0xBF58476D1CE4E5B9ull));
  z = arith::MulIOp::create(b, loc, xorShift(z, 27),
                            constant(0x94D049BB133111EBull));
  return xorShift(z, 31);
}

/// The stream of a random node: its seed, else a hash of its name and
/// output.
static uint64_t getRandomSalt(NodeContext &ctx, std::optional<int64_t> seed) {
  return seed ? static_cast<uint64_t>(*seed)
              : llvm::xxh3_64bits(ctx.node.name() + "/" + ctx.node.output(0));
}

/// A tensor of `shape` whose element i (row-major) at step s is `fn` of the
/// draw bits = top 24 bits of mix(mix(salt + s·γ) + (i + 1)·γ) as an i64
/// (γ: SplitMix64's increment), so each node, step and element draws
/// independently and a step replays identically.
static Value
buildRandomMap(NodeContext &ctx, ArrayRef<int64_t> shape, uint64_t salt,
               Type elementType,
               function_ref<Value(OpBuilder &, Location, Value)> fn) {
  OpBuilder &b = ctx.builder;
  constexpr uint64_t gamma = 0x9E3779B97F4A7C15ull;
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return buildBroadcastMap(
      b, ctx.loc, ctx.getRandomStep(), shape, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto constant = [&](int64_t v) {
          return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(v))
              .getResult();
        };
        Value stream = buildMix64(
            nb, nl,
            arith::AddIOp::create(
                nb, nl, constant(static_cast<int64_t>(salt)),
                arith::MulIOp::create(nb, nl, args[0],
                                      constant(static_cast<int64_t>(gamma)))));
        Value linear = constant(1);
        for (auto [d, stride] : llvm::enumerate(strides)) {
          Value index = arith::IndexCastOp::create(
              nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, d));
          linear = arith::AddIOp::create(
              nb, nl, linear,
              arith::MulIOp::create(nb, nl, index, constant(stride)));
        }
        Value bits = arith::ShRUIOp::create(
            nb, nl,
            buildMix64(nb, nl,
                       arith::AddIOp::create(
                           nb, nl, stream,
                           arith::MulIOp::create(
                               nb, nl, linear,
                               constant(static_cast<int64_t>(gamma))))),
            constant(40));
        return fn(nb, nl, bits);
      });
}

/// The keep mask of a training-mode Dropout: an element is kept when its
/// draw is at least ratio·2^24.
static Value buildDropoutMask(NodeContext &ctx, ArrayRef<int64_t> shape,
                              double ratio) {
  auto threshold = static_cast<int64_t>(std::ceil(ratio * (1 << 24)));
  return buildRandomMap(ctx, shape, getRandomSalt(ctx, ctx.getIntAttr("seed")),
                        ctx.builder.getI1Type(),
                        [&](OpBuilder &nb, Location nl, Value bits) -> Value {
                          Value bound = arith::ConstantOp::create(
                              nb, nl, nb.getI64IntegerAttr(threshold));
                          return arith::CmpIOp::create(
                              nb, nl, arith::CmpIPredicate::uge, bits, bound);
                        });
}

static ImportResult importDropout(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 3);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(type) || failed(elementType))
    return failure();
  FailureOr<DropoutMode> mode = getDropoutMode(ctx);
  if (failed(mode))
    return failure();
  OpBuilder &b = ctx.builder;
  bool drops = mode->training && mode->ratio > 0.0;
  if (drops && !ctx.getRandomStep)
    return ctx.emitError() << "drops elements in training mode, but this "
                              "import has no random step to draw from";
  Value mask =
      drops ? buildDropoutMask(ctx, type->getShape(), mode->ratio)
            : buildFilled(b, ctx.loc, type->getShape(), b.getBoolAttr(true));
  Value output = ctx.getOperand(0);
  if (drops) {
    double scale = 1.0 / (1.0 - mode->ratio);
    output = buildBroadcastMap(
        b, ctx.loc, {output, mask}, type->getShape(), *elementType,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value kept = arith::MulFOp::create(
              nb, nl, args[0], buildScalar(nb, nl, *elementType, scale));
          return arith::SelectOp::create(
              nb, nl, args[1], kept, buildScalar(nb, nl, *elementType, 0.0));
        });
  }
  SmallVector<Value> results = {output};
  if (ctx.getNumResults() > 1)
    results.push_back(mask);
  return results;
}

static ImportResult importDropoutGrad(NodeContext &ctx) {
  // ORT copies the forward's attributes; the mask input fixes the gradient.
  ctx.ignoreAttr("seed");
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 4);
  FailureOr<RankedTensorType> maskType = getOperandType(ctx, 1);
  if (failed(type) || failed(maskType) || failed(getFloatElementType(ctx, 0)))
    return failure();
  if (maskType->getShape() != type->getShape() ||
      !maskType->getElementType().isInteger(1))
    return ctx.emitError() << "expects a bool mask of the shape of dY, got "
                           << *maskType;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type elementType = type->getElementType();
  Value ratio;
  if (ctx.getOperand(2)) {
    FailureOr<RankedTensorType> ratioType = getOperandType(ctx, 2);
    if (failed(ratioType))
      return failure();
    if (ratioType->getNumElements() != 1 ||
        ratioType->getElementType() != elementType)
      return ctx.emitError() << "expects a one-element ratio of dY's element "
                                "type, got "
                             << *ratioType;
    ratio = buildReshape(b, loc, ctx.getOperand(2), {});
  } else {
    ratio = buildFilled(b, loc, {}, b.getFloatAttr(elementType, kDefaultRatio));
  }
  // 1 / (1 − ratio) once (on a GPU, in the kernel: the ratio is device data).
  Value scale =
      buildScalarGeneric(
          b, loc, ratio,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value one = buildScalar(nb, nl, elementType, 1.0);
            return SmallVector<Value>{arith::DivFOp::create(
                nb, nl, one, arith::SubFOp::create(nb, nl, one, args[0]))};
          })
          .front();
  return SmallVector<Value>{buildBroadcastMap(
      b, loc, {ctx.getOperand(0), ctx.getOperand(1), scale}, type->getShape(),
      elementType, [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value kept = arith::MulFOp::create(nb, nl, args[0], args[2]);
        Value zero = buildScalar(nb, nl, elementType, 0.0);
        return arith::SelectOp::create(nb, nl, args[1], kept, zero);
      })};
}

/// RandomUniform(Like)'s values of `shape`: low + (high − low)·u with
/// u = draw·2^-24 in [0, 1), in the output type (a float type: `dtype`, else
/// `defaultType`). The stream is the integer part of the `seed` attribute,
/// else the node's name.
static ImportResult importRandomUniformValues(NodeContext &ctx,
                                              ArrayRef<int64_t> shape,
                                              Type defaultType) {
  Type elementType = defaultType;
  if (std::optional<int64_t> dtype = ctx.getIntAttr("dtype")) {
    elementType = ctx.convertDataType(*dtype);
    if (!isa_and_nonnull<FloatType>(elementType))
      return emitUnsupportedAttr(ctx, "dtype")
             << ": " << *dtype << " (expects a float type)";
  } else if (!isa<FloatType>(elementType)) {
    return ctx.emitError() << "expects a float output type, got " << elementType
                           << " (set 'dtype')";
  }
  if (!ctx.getRandomStep)
    return ctx.emitError() << "draws random values, but this import has no "
                              "random step to draw from";
  std::optional<int64_t> seed;
  if (std::optional<float> seedAttr = ctx.getFloatAttr("seed")) {
    // Exactly representable integers, so that the stream can be named.
    if (!(std::abs(*seedAttr) < 0x1p62f))
      return emitUnsupportedAttr(ctx, "seed")
             << ": " << *seedAttr << " (expects a finite value below 2^62)";
    seed = static_cast<int64_t>(*seedAttr);
  }
  float low = ctx.getFloatAttr("low").value_or(0.0f);
  float high = ctx.getFloatAttr("high").value_or(1.0f);
  if (!(low <= high))
    return ctx.emitError() << "expects low <= high, got low " << low
                           << " and high " << high;
  return SmallVector<Value>{buildRandomMap(
      ctx, shape, getRandomSalt(ctx, seed), elementType,
      [&](OpBuilder &nb, Location nl, Value bits) -> Value {
        Value u = arith::MulFOp::create(
            nb, nl, arith::UIToFPOp::create(nb, nl, elementType, bits),
            buildScalar(nb, nl, elementType, 0x1p-24));
        if (low == 0.0f && high == 1.0f)
          return u;
        Value scaled = arith::MulFOp::create(
            nb, nl, u, buildScalar(nb, nl, elementType, high - low));
        return arith::AddFOp::create(nb, nl, scaled,
                                     buildScalar(nb, nl, elementType, low));
      })};
}

static ImportResult importRandomUniform(NodeContext &ctx) {
  std::optional<SmallVector<int64_t>> shape = ctx.getIntsAttr("shape");
  if (!shape)
    return ctx.emitError() << "expects attribute 'shape'";
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return emitUnsupportedAttr(ctx, "shape") << ": a negative dimension";
  return importRandomUniformValues(ctx, *shape, ctx.builder.getF32Type());
}

static ImportResult importRandomUniformLike(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  return importRandomUniformValues(ctx, type->getShape(),
                                   type->getElementType());
}

void muon::onnx_import::populateDropoutImporters(OpImporterRegistry &registry) {
  // Dropout-1 and 6 drop unless `is_test`.
  registry.add("", "Dropout", importDropout, {/*since=*/7});
  registry.add("com.microsoft", "DropoutGrad", importDropoutGrad);
  registry.add("", "RandomUniform", importRandomUniform);
  registry.add("", "RandomUniformLike", importRandomUniformLike);
}
