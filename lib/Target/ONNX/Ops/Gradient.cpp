//===- Gradient.cpp - ONNX Runtime gradient op importers ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The com.microsoft gradient ops ORT's gradient builder emits, less the
// activations' (ActivationGrad.cpp) and dropout's (semantics of
// orttraining/core/graph/training_op_defs.cc and the CPU kernels):
//   SoftmaxGrad_13(dY, Y)     dX = Y * (dY - sum(dY * Y, axis))
//   LogSoftmaxGrad_13(dY, Y)  dX = dY - exp(Y) * sum(dY, axis)
//   (SoftmaxGrad/LogSoftmaxGrad: the same over the pre-13 2-D view)
//   GatherGrad(shape, I, dY)  zeros(shape) with dY scatter-added at I
//   InPlaceAccumulatorV2(buffer, value, overwrite?)
//                             buffer' = overwrite ? value : buffer + value
//   InPlaceAccumulator(old, value, update?)  update ? old + value : old
//   GatherElementsGrad(dY, shape, I)  zeros(shape) with dY[p] added at p
//                             with p[axis] = I[p], as a scatter-add of flat
//                             positions
//   DivGrad(dY, A, B)         dA = dY / B, dB = -dY * A / B^2, each summed
//                             over the dimensions its input was broadcast
//                             along (either output may be omitted)
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/ONNXImporter.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

/// dX of softmax (or log-softmax) over `axis` of same-shaped dY and Y.
static Value buildSoftmaxGrad(OpBuilder &b, Location loc, Value dy, Value y,
                              int64_t axis, bool logSoftmax) {
  auto type = cast<RankedTensorType>(y.getType());
  ArrayRef<int64_t> shape = type.getShape();
  Type elementType = type.getElementType();
  Value weighted = dy;
  if (!logSoftmax)
    weighted = buildBroadcastMap(
        b, loc, {dy, y}, shape, elementType,
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, nl, args[0], args[1]);
        });
  Value sum =
      buildReduce(b, loc, weighted, {axis}, /*keepDims=*/true, ReduceKind::Sum);
  return buildBroadcastMap(
      b, loc, {dy, y, sum}, shape, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        if (logSoftmax) {
          Value prob = math::ExpOp::create(nb, nl, args[1]);
          Value scaled = arith::MulFOp::create(nb, nl, prob, args[2]);
          return arith::SubFOp::create(nb, nl, args[0], scaled);
        }
        Value diff = arith::SubFOp::create(nb, nl, args[0], args[2]);
        return arith::MulFOp::create(nb, nl, args[1], diff);
      });
}

/// `coerce` selects the pre-opset-13 semantics (SoftmaxGrad, LogSoftmaxGrad):
/// default axis 1 and normalization over the flattened trailing block.
static ImportResult importSoftmaxGrad(NodeContext &ctx, bool logSoftmax,
                                      bool coerce) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> type = getSameFloatTypes(ctx, 0, 1);
  if (failed(type))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(
      ctx, ctx.getIntAttr("axis").value_or(coerce ? 1 : -1), type->getRank());
  if (failed(axis))
    return failure();
  OpBuilder &b = ctx.builder;
  Value dy = ctx.getOperand(0), y = ctx.getOperand(1);
  if (!coerce)
    return SmallVector<Value>{
        buildSoftmaxGrad(b, ctx.loc, dy, y, *axis, logSoftmax)};
  SmallVector<int64_t> flat = getCoercedShape(type->getShape(), *axis);
  Value result =
      buildSoftmaxGrad(b, ctx.loc, buildReshape(b, ctx.loc, dy, flat),
                       buildReshape(b, ctx.loc, y, flat), 1, logSoftmax);
  return SmallVector<Value>{buildReshape(b, ctx.loc, result, type->getShape())};
}

/// GatherGrad: dData[pre, v, post] = sum over index positions p with
/// I[p] == v (negative I counting from the end) of dY[pre, p, post], an
/// optim.scatter_add of dY into zeros: O(|dY|) adds (a dense compare-and-add
/// over every row of data would be O(|data| * |I|)).
static ImportResult importGatherGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = getConstantShapeOperand(ctx, 0);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 1);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 2);
  if (failed(shape) || failed(indicesType) || failed(elementType))
    return failure();
  if (!isa<IntegerType>(indicesType->getElementType()))
    return ctx.emitError() << "expects integer indices";
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), shape->size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> dyShape(ArrayRef<int64_t>(*shape).take_front(*axis));
  llvm::append_range(dyShape, indicesType->getShape());
  llvm::append_range(dyShape, ArrayRef<int64_t>(*shape).drop_front(*axis + 1));
  auto dyType = cast<RankedTensorType>(ctx.getOperand(2).getType());
  if (dyType.getShape() != ArrayRef<int64_t>(dyShape))
    return ctx.emitError() << "expects dY of shape data[:axis] + indices + "
                              "data[axis+1:], got "
                           << dyType;

  OpBuilder &b = ctx.builder;
  Value init =
      buildFilled(b, ctx.loc, *shape, b.getFloatAttr(*elementType, 0.0));
  int64_t axisSize = (*shape)[*axis];
  // The scatter skips an out-of-range index (nothing is written out of
  // bounds), but the forward Gather read a clamped row: the step reports it.
  if (failed(checkIndices(ctx, 1, -axisSize, axisSize)))
    return failure();
  auto scatter = muon::optim::ScatterAddOp::create(
      b, ctx.loc, init.getType(), ctx.getOperand(2), ctx.getOperand(1), init,
      b.getI64IntegerAttr(*axis));
  return SmallVector<Value>{scatter.getResult()};
}

static ImportResult importGatherElementsGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = getConstantShapeOperand(ctx, 1);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 2);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(shape) || failed(indicesType) || failed(elementType))
    return failure();
  if (!isa<IntegerType>(indicesType->getElementType()))
    return ctx.emitError() << "expects integer indices";
  int64_t rank = shape->size();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), rank);
  if (failed(axis))
    return failure();
  auto dyType = cast<RankedTensorType>(ctx.getOperand(0).getType());
  if (dyType.getShape() != indicesType->getShape() ||
      indicesType->getRank() != rank ||
      llvm::any_of(llvm::seq<int64_t>(0, rank), [&](int64_t d) {
        return d != *axis && indicesType->getDimSize(d) > (*shape)[d];
      }))
    return ctx.emitError() << "expects dY and indices of one shape, of the "
                              "data's rank and within it outside the axis, got "
                           << dyType << " and " << *indicesType;
  int64_t axisSize = (*shape)[*axis];
  if (failed(checkIndices(ctx, 2, -axisSize, axisSize)))
    return failure();
  int64_t total = 1;
  for (int64_t size : *shape)
    total *= size;
  // Each position's flat offset in the data; an out-of-range index gets one
  // the scatter skips (-total - 1, still negative after its wrap).
  OpBuilder &b = ctx.builder;
  Type i64 = b.getI64Type();
  Value offsetsInit = buildEmpty(b, ctx.loc, indicesType->getShape(), i64);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  ArrayRef<int64_t> dataShape = *shape;
  Value offsets =
      linalg::GenericOp::create(
          b, ctx.loc, offsetsInit.getType(), ctx.getOperand(2), offsetsInit,
          maps, iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value index =
                buildWrappedIndex(nb, loc, args[0], axisSize, /*clamp=*/false);
            Value linear = arith::ConstantIndexOp::create(nb, loc, 0);
            for (int64_t d = 0; d < rank; ++d) {
              Value coord =
                  d == *axis ? index : linalg::IndexOp::create(nb, loc, d);
              linear = arith::AddIOp::create(
                  nb, loc,
                  arith::MulIOp::create(
                      nb, loc, linear,
                      arith::ConstantIndexOp::create(nb, loc, dataShape[d])),
                  coord);
            }
            Value zero = arith::ConstantIndexOp::create(nb, loc, 0);
            Value size = arith::ConstantIndexOp::create(nb, loc, axisSize);
            Value inRange = arith::AndIOp::create(
                nb, loc,
                arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sge, index,
                                      zero),
                arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, index,
                                      size));
            Value skipped = arith::ConstantIndexOp::create(nb, loc, -total - 1);
            Value offset =
                arith::SelectOp::create(nb, loc, inRange, linear, skipped);
            Value result =
                arith::IndexCastOp::create(nb, loc, nb.getI64Type(), offset);
            linalg::YieldOp::create(nb, loc, result);
          })
          .getResult(0);
  int64_t count = indicesType->getNumElements();
  Value flatUpdates = buildReshape(b, ctx.loc, ctx.getOperand(0), {count});
  Value flatOffsets = buildReshape(b, ctx.loc, offsets, {count});
  Value init =
      buildFilled(b, ctx.loc, {total}, b.getFloatAttr(*elementType, 0.0));
  auto scatter = muon::optim::ScatterAddOp::create(
      b, ctx.loc, init.getType(), flatUpdates, flatOffsets, init,
      b.getI64IntegerAttr(0));
  return SmallVector<Value>{
      buildReshape(b, ctx.loc, scatter.getResult(), *shape)};
}

/// The 0-d/1-element boolean flag `index` as a 0-d tensor, or null when the
/// input is omitted. (Element-wise generics take it as an input: on a GPU it
/// is device data, which host code cannot read.)
static FailureOr<Value> getFlag(NodeContext &ctx, unsigned index) {
  if (!ctx.getOperand(index))
    return Value();
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  if (!type->getElementType().isInteger(1) || type->getNumElements() != 1)
    return ctx.emitError() << "expects input #" << index
                           << " to be a single bool, got " << *type;
  return buildReshape(ctx.builder, ctx.loc, ctx.getOperand(index), {});
}

/// `flag ? onTrue : onFalse` on tensors (the flag is a runtime value, so an
/// element-wise select keeps the IR free of control flow).
static Value buildSelect(OpBuilder &b, Location loc, Value flag, Value onTrue,
                         Value onFalse) {
  auto type = cast<RankedTensorType>(onTrue.getType());
  return buildBroadcastMap(
      b, loc, {flag, onTrue, onFalse}, type.getShape(), type.getElementType(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::SelectOp::create(nb, nl, args[0], args[1], args[2]);
      });
}

/// `value` converted to the float type `type` (extension or truncation).
static Value buildFloatCast(OpBuilder &b, Location loc, Value value,
                            Type type) {
  unsigned from = value.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (from < to)
    return arith::ExtFOp::create(b, loc, type, value);
  if (from > to)
    return arith::TruncFOp::create(b, loc, type, value);
  return value;
}

/// InPlaceAccumulator(V2); the value may have another float type than the
/// buffer (an f16 gradient into an f32 buffer). Value semantics cannot update
/// a buffer in place, so V2 needs its optional output 1 (the updated buffer)
/// declared: without it the accumulated gradient would be dropped.
static ImportResult importAccumulator(NodeContext &ctx, bool v2) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 3);
  FailureOr<RankedTensorType> valueType = getOperandType(ctx, 1);
  if (failed(type) || failed(valueType))
    return failure();
  StringRef param = ctx.node.input(0);
  if (type->getShape() != valueType->getShape() &&
      param.consume_back(kGradientBufferSuffix))
    return ctx.emitError()
           << "the gradient of parameter '" << param << "' is " << *valueType
           << ", not of the parameter's shape " << *type
           << ": ORT's gradient graph did not reduce it to the parameter "
              "(a broadcast of the parameter, e.g. through Where, left "
              "unreduced)";
  if (!isa<FloatType>(type->getElementType()) ||
      type->getShape() != valueType->getShape() ||
      !isa<FloatType>(valueType->getElementType()))
    return ctx.emitError() << "expects float buffer and value of one shape, "
                              "got "
                           << *type << " and " << *valueType;
  if (v2 && ctx.getNumResults() < 2)
    return ctx.emitError()
           << "updates its buffer in place, which value semantics cannot "
              "express: declare output 1 (accumulation_buffer_out)";
  FailureOr<Value> flag = getFlag(ctx, 2);
  if (failed(flag))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value buffer = ctx.getOperand(0), value = ctx.getOperand(1);
  ArrayRef<int64_t> shape = type->getShape();
  Type elementType = type->getElementType();
  Value sum = buildBroadcastMap(
      b, loc, {buffer, value}, shape, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value converted = buildFloatCast(nb, nl, args[1], elementType);
        return arith::AddFOp::create(nb, nl, args[0], converted);
      });
  if (!v2) {
    // The flag asks for the update; without it the old sum stays.
    Value result = *flag ? buildSelect(b, loc, *flag, sum, buffer) : sum;
    return SmallVector<Value>{result};
  }
  Value result = sum;
  if (*flag) {
    Value overwritten = buildBroadcastMap(
        b, loc, value, shape, elementType,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return buildFloatCast(nb, nl, args[0], elementType);
        });
    result = buildSelect(b, loc, *flag, overwritten, sum);
  }
  Value updated = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({1}, b.getI1Type()),
                             b.getBoolAttr(true)));
  return SmallVector<Value>{updated, result};
}

/// `value` (of a broadcast result's shape) summed over the dimensions along
/// which a tensor of `shape` was broadcast to it, in that shape.
static Value sumToShape(OpBuilder &b, Location loc, Value value,
                        ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> full = cast<RankedTensorType>(value.getType()).getShape();
  int64_t leading = full.size() - shape.size();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, leading));
  for (auto [i, size] : llvm::enumerate(shape))
    if (size == 1 && full[leading + i] != 1)
      axes.push_back(leading + i);
  if (!axes.empty())
    value =
        buildReduce(b, loc, value, axes, /*keepDims=*/false, ReduceKind::Sum);
  return buildReshape(b, loc, value, shape);
}

static ImportResult importDivGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)))
    return failure();
  FailureOr<Type> elementType = getCommonElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  if (!isa<FloatType>(*elementType))
    return ctx.emitError() << "expects float tensors, got " << *elementType;
  FailureOr<SmallVector<int64_t>> shape =
      getBroadcastShape(ctx, {ctx.getOperand(1), ctx.getOperand(2)});
  if (failed(shape))
    return failure();
  if (cast<RankedTensorType>(ctx.getOperand(0).getType()).getShape() !=
      ArrayRef<int64_t>(*shape))
    return ctx.emitError() << "expects dY of the broadcast shape of A and B";
  auto shapeOf = [&](unsigned i) {
    return cast<RankedTensorType>(ctx.getOperand(i).getType()).getShape();
  };
  SmallVector<Value> results(2);
  OpBuilder &b = ctx.builder;
  if (hasResult(ctx, 0)) {
    FailureOr<Value> dA = buildElementwise(
        ctx, {ctx.getOperand(0), ctx.getOperand(2)}, *elementType,
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::DivFOp::create(b, loc, args[0], args[1]);
        });
    if (failed(dA))
      return failure();
    results[0] = sumToShape(b, ctx.loc, *dA, shapeOf(1));
  }
  if (hasResult(ctx, 1)) {
    FailureOr<Value> dB = buildElementwise(
        ctx, {ctx.getOperand(0), ctx.getOperand(1), ctx.getOperand(2)},
        *elementType, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          // -dY * (A / B) / B: B^2 alone could overflow.
          Value quotient = arith::DivFOp::create(b, loc, args[1], args[2]);
          Value scaled = arith::MulFOp::create(b, loc, args[0], quotient);
          Value negated = arith::NegFOp::create(b, loc, scaled);
          return arith::DivFOp::create(b, loc, negated, args[2]);
        });
    if (failed(dB))
      return failure();
    results[1] = sumToShape(b, ctx.loc, *dB, shapeOf(2));
  }
  results.resize(std::min<int64_t>(ctx.getNumResults(), 2));
  return results;
}

void muon::onnx_import::populateGradientImporters(
    OpImporterRegistry &registry) {
  auto addSoftmaxGrad = [&](StringRef name, bool logSoftmax, bool coerce) {
    registry.add("com.microsoft", name, [=](NodeContext &ctx) {
      return importSoftmaxGrad(ctx, logSoftmax, coerce);
    });
  };
  addSoftmaxGrad("SoftmaxGrad_13", /*logSoftmax=*/false, /*coerce=*/false);
  addSoftmaxGrad("LogSoftmaxGrad_13", /*logSoftmax=*/true, /*coerce=*/false);
  addSoftmaxGrad("SoftmaxGrad", /*logSoftmax=*/false, /*coerce=*/true);
  addSoftmaxGrad("LogSoftmaxGrad", /*logSoftmax=*/true, /*coerce=*/true);
  registry.add("com.microsoft", "GatherGrad", importGatherGrad);
  registry.add("com.microsoft", "DivGrad", importDivGrad);
  registry.add("com.microsoft", "GatherElementsGrad", importGatherElementsGrad);
  registry.add("com.microsoft", "InPlaceAccumulator", [](NodeContext &ctx) {
    return importAccumulator(ctx, /*v2=*/false);
  });
  registry.add("com.microsoft", "InPlaceAccumulatorV2", [](NodeContext &ctx) {
    return importAccumulator(ctx, /*v2=*/true);
  });
}
