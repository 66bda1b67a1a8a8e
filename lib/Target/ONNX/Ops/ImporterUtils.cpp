//===- ImporterUtils.cpp - Shared helpers of the ONNX op importers --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"

#include <numeric>

using namespace mlir;
using namespace muon::onnx_import;

bool muon::onnx_import::hasResult(NodeContext &ctx, int64_t index) {
  return index < ctx.getNumResults() && !ctx.node.output(index).empty();
}

LogicalResult muon::onnx_import::checkNumOperands(NodeContext &ctx,
                                                  unsigned min, unsigned max) {
  unsigned count = ctx.operands.size();
  while (count > 0 && !ctx.operands[count - 1] &&
         !ctx.getSequenceOperand(count - 1))
    --count;
  if (count >= min && count <= max)
    return success();
  auto diag = ctx.emitError() << "expects ";
  if (min == max)
    diag << min;
  else if (max == ~0u)
    diag << "at least " << min;
  else
    diag << min << " to " << max;
  diag << " inputs, got " << count;
  return failure();
}

FailureOr<RankedTensorType> muon::onnx_import::getOperandType(NodeContext &ctx,
                                                              unsigned index) {
  Value value = ctx.getOperand(index);
  if (!value && ctx.getSequenceOperand(index))
    return ctx.emitError() << "input #" << index
                           << " is a sequence; expected a tensor";
  if (!value)
    return ctx.emitError() << "expects input #" << index;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return ctx.emitError() << "expects input #" << index
                           << " to be a statically shaped tensor, got "
                           << value.getType();
  return type;
}

FailureOr<RankedTensorType>
muon::onnx_import::getFirstOperandType(NodeContext &ctx, unsigned minOperands,
                                       unsigned maxOperands) {
  if (failed(checkNumOperands(ctx, minOperands, maxOperands)))
    return failure();
  return getOperandType(ctx, 0);
}

FailureOr<FloatType> muon::onnx_import::getFloatElementType(NodeContext &ctx,
                                                            unsigned index) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  auto floatType = dyn_cast<FloatType>(type->getElementType());
  if (!floatType)
    return ctx.emitError() << "expects input #" << index
                           << " to have a float element type, got "
                           << type->getElementType();
  return floatType;
}

FailureOr<Type> muon::onnx_import::getCommonElementType(NodeContext &ctx,
                                                        unsigned first) {
  Type common;
  for (unsigned i = first, e = ctx.operands.size(); i < e; ++i) {
    FailureOr<RankedTensorType> type = getOperandType(ctx, i);
    if (failed(type))
      return failure();
    Type element = type->getElementType();
    if (!common)
      common = element;
    if (element != common)
      return ctx.emitError() << "expects inputs of one element type, got "
                             << common << " and " << element;
  }
  return common;
}

FailureOr<RankedTensorType>
muon::onnx_import::getSameFloatTypes(NodeContext &ctx, unsigned first,
                                     unsigned second) {
  if (failed(getFloatElementType(ctx, first)) ||
      failed(getFloatElementType(ctx, second)))
    return failure();
  auto type = cast<RankedTensorType>(ctx.getOperand(first).getType());
  if (ctx.getOperand(second).getType() != type)
    return ctx.emitError() << "expects inputs #" << first << " and #" << second
                           << " of one type, got " << type << " and "
                           << ctx.getOperand(second).getType();
  return type;
}

FailureOr<int64_t> muon::onnx_import::normalizeAxis(NodeContext &ctx,
                                                    int64_t axis, int64_t rank,
                                                    StringRef what) {
  if (axis < -rank || axis >= rank)
    return ctx.emitError() << what << " " << axis
                           << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
muon::onnx_import::normalizeAxes(NodeContext &ctx, ArrayRef<int64_t> axes,
                                 int64_t rank, StringRef what, bool sort) {
  SmallVector<int64_t> result;
  SmallVector<bool> seen(rank, false);
  for (int64_t axis : axes) {
    FailureOr<int64_t> normalized = normalizeAxis(ctx, axis, rank, what);
    if (failed(normalized))
      return failure();
    if (seen[*normalized])
      return ctx.emitError() << what << " name a dimension twice";
    seen[*normalized] = true;
    result.push_back(*normalized);
  }
  if (sort)
    llvm::sort(result);
  return result;
}

FailureOr<SmallVector<int64_t>>
muon::onnx_import::getConstantIntOperand(NodeContext &ctx, unsigned index) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  DenseIntElementsAttr attr;
  if (!matchPattern(ctx.getOperand(index), m_Constant(&attr)))
    return ctx.emitError() << "expects input #" << index
                           << " to be a constant integer tensor (an "
                              "initializer); computed shapes are not supported";
  // Shapes, axes, sizes and counts are vectors or scalars in every op; a
  // matrix would be read flattened where ONNX Runtime rejects it.
  if (type->getRank() > 1)
    return ctx.emitError() << "expects input #" << index
                           << " to be a scalar or a 1-D tensor, got " << *type;
  SmallVector<int64_t> values;
  for (const APInt &value : attr.getValues<APInt>())
    values.push_back(value.getSExtValue());
  return values;
}

FailureOr<SmallVector<int64_t>>
muon::onnx_import::getConstantShapeOperand(NodeContext &ctx, unsigned index) {
  FailureOr<SmallVector<int64_t>> shape = getConstantIntOperand(ctx, index);
  if (failed(shape))
    return failure();
  int64_t count = 1;
  for (int64_t dim : *shape)
    if (dim < 0 || llvm::MulOverflow(count, dim, count))
      return ctx.emitError()
             << "expects input #" << index
             << " to be a shape of non-negative dims whose product fits in 64 "
                "bits, got ["
             << llvm::make_range(shape->begin(), shape->end()) << "]";
  return shape;
}

std::optional<SmallVector<int64_t>>
muon::onnx_import::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  SmallVector<int64_t> result;
  for (ArrayRef<int64_t> shape : shapes) {
    if (shape.size() > result.size())
      result.insert(result.begin(), shape.size() - result.size(), 1);
    // Right-aligned: shape[i] lines up with result[offset + i].
    size_t offset = result.size() - shape.size();
    for (auto [i, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[offset + i];
      if (dim == out || dim == 1)
        continue;
      if (out != 1)
        return std::nullopt;
      out = dim;
    }
  }
  return result;
}

FailureOr<SmallVector<int64_t>>
muon::onnx_import::getBroadcastShape(NodeContext &ctx, ValueRange values) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value value : values)
    shapes.push_back(cast<RankedTensorType>(value.getType()).getShape());
  std::optional<SmallVector<int64_t>> result = broadcastShapes(shapes);
  if (!result) {
    auto diag = ctx.emitError() << "input shapes do not broadcast:";
    for (Value value : values)
      diag << " " << value.getType();
    return failure();
  }
  return *result;
}

InFlightDiagnostic muon::onnx_import::emitUnsupportedAttr(NodeContext &ctx,
                                                          StringRef name) {
  return ctx.emitError() << "unsupported value of attribute '" << name << "'";
}

FailureOr<bool> muon::onnx_import::getFlagAttr(NodeContext &ctx, StringRef name,
                                               bool defaultValue) {
  int64_t value = ctx.getIntAttr(name).value_or(defaultValue);
  if (value != 0 && value != 1)
    return emitUnsupportedAttr(ctx, name) << ": " << value << " (expects 0/1)";
  return value == 1;
}

ImportResult muon::onnx_import::returnGraphValues(NodeContext &ctx,
                                                  ArrayRef<GraphValue> values) {
  SmallVector<Value> results;
  for (auto [index, value] : llvm::enumerate(values)) {
    if (value.isSequence)
      ctx.sequenceResults[index] = value.values;
    results.push_back(value.isSequence ? Value() : value.values.front());
  }
  return results;
}

ImportResult muon::onnx_import::forwardOperand(NodeContext &ctx,
                                               unsigned index) {
  if (std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(index))
    return returnGraphValues(ctx, GraphValue::sequence(*elements));
  if (!ctx.getOperand(index))
    return ctx.emitError() << "expects input #" << index;
  return SmallVector<Value>{ctx.getOperand(index)};
}

ImportResult muon::onnx_import::importUnaryFloat(
    NodeContext &ctx, function_ref<Value(OpBuilder &, Location, Value)> fn) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  FailureOr<Value> result =
      buildElementwise(ctx, ctx.operands, *elementType,
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return fn(b, loc, args[0]);
                       });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

FailureOr<Value> muon::onnx_import::buildElementwise(NodeContext &ctx,
                                                     ValueRange inputs,
                                                     Type elementType,
                                                     ScalarBodyFn body) {
  FailureOr<SmallVector<int64_t>> shape = getBroadcastShape(ctx, inputs);
  if (failed(shape))
    return failure();
  return buildBroadcastMap(ctx.builder, ctx.loc, inputs, *shape, elementType,
                           body);
}

SmallVector<int64_t> muon::onnx_import::getCoercedShape(ArrayRef<int64_t> shape,
                                                        int64_t axis) {
  int64_t rows = 1, cols = 1;
  for (auto [i, dim] : llvm::enumerate(shape))
    (static_cast<int64_t>(i) < axis ? rows : cols) *= dim;
  return {rows, cols};
}

ImportResult muon::onnx_import::importAlongCoercedAxis(
    NodeContext &ctx,
    function_ref<Value(OpBuilder &, Location, Value, int64_t)> build) {
  if (failed(checkNumOperands(ctx, 1, 1)) ||
      failed(getFloatElementType(ctx, 0)))
    return failure();
  auto type = cast<RankedTensorType>(ctx.getOperand(0).getType());
  bool coerce = ctx.opsetVersion < 13;
  FailureOr<int64_t> axis = normalizeAxis(
      ctx, ctx.getIntAttr("axis").value_or(coerce ? 1 : -1), type.getRank());
  if (failed(axis))
    return failure();
  OpBuilder &b = ctx.builder;
  if (!coerce)
    return SmallVector<Value>{build(b, ctx.loc, ctx.getOperand(0), *axis)};
  Value flat = buildReshape(b, ctx.loc, ctx.getOperand(0),
                            getCoercedShape(type.getShape(), *axis));
  Value result = build(b, ctx.loc, flat, 1);
  return SmallVector<Value>{buildReshape(b, ctx.loc, result, type.getShape())};
}

Value muon::onnx_import::buildSoftmax(OpBuilder &b, Location loc, Value value,
                                      int64_t axis, bool logSoftmax) {
  auto type = cast<RankedTensorType>(value.getType());
  // A named op: attention matching and GPU code generation see a softmax,
  // and muon-decompose-softmax expands it in the pipelines.
  if (!logSoftmax)
    return linalg::SoftmaxOp::create(
               b, loc, type, value,
               buildEmpty(b, loc, type.getShape(), type.getElementType()), axis)
        .getResult()[0];
  Type elementType = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  Value max =
      buildReduce(b, loc, value, {axis}, /*keepDims=*/true, ReduceKind::Max);
  Value shifted = buildBroadcastMap(
      b, loc, {value, max}, shape, elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nl, args[0], args[1]);
      });
  Value exp = buildBroadcastMap(
      b, loc, shifted, shape, elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return math::ExpOp::create(nb, nl, args[0]);
      });
  Value sum =
      buildReduce(b, loc, exp, {axis}, /*keepDims=*/true, ReduceKind::Sum);
  return buildBroadcastMap(
      b, loc, {shifted, sum}, shape, elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value logSum = math::LogOp::create(nb, nl, args[1]);
        return arith::SubFOp::create(nb, nl, args[0], logSum);
      });
}

LogicalResult muon::onnx_import::checkIndices(NodeContext &ctx,
                                              unsigned operand, int64_t lower,
                                              int64_t size,
                                              std::optional<int64_t> allowed) {
  Value indices = ctx.getOperand(operand);
  auto inRange = [&](int64_t value) {
    return (value >= lower && value < size) || value == allowed;
  };
  std::string range =
      "[" + std::to_string(lower) + ", " + std::to_string(size) + ")" +
      (allowed ? " and is not " + std::to_string(*allowed) : "");
  std::string input = ctx.node.input(operand);
  DenseIntElementsAttr constant;
  if (matchPattern(indices, m_Constant(&constant))) {
    for (auto [position, value] : llvm::enumerate(constant.getValues<APInt>()))
      if (!inRange(value.getSExtValue()))
        return ctx.emitError()
               << "index " << value.getSExtValue() << " (element " << position
               << " of constant input '" << input << "') is outside " << range;
    return success();
  }

  assertEachIndex(
      ctx, operand, "is outside " + range,
      [&](OpBuilder &nb, Location nl, Value index, ValueRange) {
        Type type = index.getType();
        auto compare = [&](arith::CmpIPredicate predicate, int64_t bound) {
          return arith::CmpIOp::create(nb, nl, predicate, index,
                                       buildScalar(nb, nl, type, bound));
        };
        Value valid = arith::AndIOp::create(
            nb, nl, compare(arith::CmpIPredicate::sge, lower),
            compare(arith::CmpIPredicate::slt, size));
        if (allowed)
          valid = arith::OrIOp::create(
              nb, nl, valid, compare(arith::CmpIPredicate::eq, *allowed));
        return valid;
      });
  return success();
}

void muon::onnx_import::assertEachIndex(NodeContext &ctx, unsigned operand,
                                        StringRef violation,
                                        IndexPredicate valid,
                                        StringRef element) {
  // all(valid(i)), as a reduction to a 0-d i1.
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value indices = buildSignlessTensor(b, loc, ctx.getOperand(operand));
  int64_t rank = cast<RankedTensorType>(indices.getType()).getRank();
  Value init = buildFilled(b, loc, {}, b.getBoolAttr(true));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Value ok =
      linalg::GenericOp::create(
          b, loc, init.getType(), indices, init, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            SmallVector<Value> position;
            for (int64_t d = 0; d < rank; ++d)
              position.push_back(linalg::IndexOp::create(nb, nl, d));
            Value element = valid(nb, nl, args[0], position);
            linalg::YieldOp::create(
                nb, nl,
                arith::AndIOp::create(nb, nl, args[1], element).getResult());
          })
          .getResult(0);
  Value condition = tensor::ExtractOp::create(b, loc, ok);
  cf::AssertOp::create(b, loc, condition,
                       (ctx.node.op_type() + " '" + ctx.getName() +
                        "': " + element + " in input '" +
                        ctx.node.input(operand) + "' " + violation)
                           .str());
}

LogicalResult muon::onnx_import::checkDivisors(NodeContext &ctx,
                                               unsigned operand) {
  Value divisors = ctx.getOperand(operand);
  DenseIntElementsAttr constant;
  if (matchPattern(divisors, m_Constant(&constant))) {
    for (auto [position, value] : llvm::enumerate(constant.getValues<APInt>()))
      if (value.isZero())
        return ctx.emitError()
               << "divisor 0 (element " << position << " of constant input '"
               << ctx.node.input(operand) << "')";
    return success();
  }
  assertEachIndex(
      ctx, operand, "is 0",
      [](OpBuilder &nb, Location nl, Value divisor, ValueRange) -> Value {
        return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, divisor,
                                     buildScalar(nb, nl, divisor.getType(), 0));
      },
      "a divisor");
  return success();
}

Value muon::onnx_import::buildSafeDivision(OpBuilder &b, Location loc,
                                           Value lhs, Value rhs, bool remainder,
                                           bool isUnsigned) {
  Type type = rhs.getType();
  auto equals = [&](int64_t value) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rhs,
                                 buildScalar(b, loc, type, value));
  };
  Value one = buildScalar(b, loc, type, 1);
  if (isUnsigned) {
    Value divisor = arith::SelectOp::create(b, loc, equals(0), one, rhs);
    if (remainder)
      return arith::RemUIOp::create(b, loc, lhs, divisor);
    return arith::DivUIOp::create(b, loc, lhs, divisor);
  }
  Value minusOne = equals(-1);
  Value divisor = arith::SelectOp::create(
      b, loc, arith::OrIOp::create(b, loc, equals(0), minusOne), one, rhs);
  if (remainder)
    return arith::SelectOp::create(
        b, loc, minusOne, buildScalar(b, loc, type, 0),
        arith::RemSIOp::create(b, loc, lhs, divisor));
  Value negated =
      arith::SubIOp::create(b, loc, buildScalar(b, loc, type, 0), lhs);
  return arith::SelectOp::create(b, loc, minusOne, negated,
                                 arith::DivSIOp::create(b, loc, lhs, divisor));
}

Value muon::onnx_import::buildClampedIndex(OpBuilder &b, Location loc,
                                           Value index, int64_t size) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value last =
      arith::ConstantIndexOp::create(b, loc, std::max<int64_t>(size - 1, 0));
  Value low = arith::MaxSIOp::create(b, loc, index, zero);
  return arith::MinSIOp::create(b, loc, low, last);
}

Value muon::onnx_import::buildIndexedRead(
    OpBuilder &b, Location loc, Value source, ArrayRef<int64_t> shape,
    function_ref<Value(OpBuilder &, Location, int64_t, Value)> getIndex) {
  Type elementType = cast<RankedTensorType>(source.getType()).getElementType();
  int64_t rank = shape.size();
  return linalg::GenericOp::create(
             b, loc, TypeRange{RankedTensorType::get(shape, elementType)},
             ValueRange{}, ValueRange{buildEmpty(b, loc, shape, elementType)},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> indices;
               for (int64_t d = 0; d < rank; ++d)
                 indices.push_back(
                     getIndex(nb, nl, d, linalg::IndexOp::create(nb, nl, d)));
               Value element =
                   tensor::ExtractOp::create(nb, nl, source, indices);
               linalg::YieldOp::create(nb, nl, element);
             })
      .getResult(0);
}

SmallVector<AffineMap> muon::onnx_import::getAlongAxisMaps(MLIRContext *context,
                                                           int64_t rank,
                                                           int64_t axis) {
  SmallVector<AffineExpr> own, along;
  for (int64_t d = 0; d < rank; ++d) {
    own.push_back(getAffineDimExpr(d, context));
    along.push_back(getAffineDimExpr(d == axis ? rank : d, context));
  }
  return {AffineMap::get(rank + 1, 0, own, context),
          AffineMap::get(rank + 1, 0, along, context)};
}

Value muon::onnx_import::buildWrappedIndex(OpBuilder &b, Location loc,
                                           Value index, int64_t size,
                                           bool clamp) {
  index = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  Value wrapped = arith::AddIOp::create(
      b, loc, index, arith::ConstantIndexOp::create(b, loc, size));
  index = arith::SelectOp::create(b, loc, negative, wrapped, index);
  return clamp ? buildClampedIndex(b, loc, index, size) : index;
}

bool muon::onnx_import::isMinifloat(Type type) {
  return isa<FloatType>(type) && type.getIntOrFloatBitWidth() <= 8;
}

Value muon::onnx_import::buildMinifloatCast(OpBuilder &b, Location loc,
                                            Value value, FloatType target,
                                            bool saturate, bool fromUnsigned) {
  bool isFloat4 = target.getWidth() == 4;
  if (!saturate && !isFloat4)
    return buildCast(b, loc, value, target, fromUnsigned);
  // Wider floats hold the bounds exactly; the others go through f32.
  if (!isa<FloatType>(value.getType()) || isMinifloat(value.getType()))
    value = buildCast(b, loc, value, b.getF32Type(), fromUnsigned);
  auto type = cast<FloatType>(value.getType());
  auto bound = [&](bool negative) -> Value {
    APFloat largest = APFloat::getLargest(target.getFloatSemantics(), negative);
    bool losesInfo;
    largest.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, largest));
  };
  value = arith::MinimumFOp::create(b, loc, value, bound(false));
  value = arith::MaximumFOp::create(b, loc, value, bound(true));
  if (isFloat4) {
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, value, value);
    value = arith::SelectOp::create(b, loc, isNaN,
                                    buildScalar(b, loc, type, -0.0), value);
  }
  return arith::TruncFOp::create(b, loc, target, value);
}

/// `value` converted to `to` with Cast's semantics.
Value muon::onnx_import::buildCast(OpBuilder &b, Location loc, Value value,
                                   Type to, bool fromUnsigned,
                                   bool toUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  // Minifloats convert only to and from wider floats (the compiler expands
  // nothing else, muon-expand-minifloat-conversions): other types go through
  // f32, which holds every float8/float4 value, and every integer they can
  // (larger ones overflow either way).
  Type f32 = b.getF32Type();
  if (isMinifloat(from) && !isa<FloatType>(to))
    return buildCast(b, loc, arith::ExtFOp::create(b, loc, f32, value), to,
                     fromUnsigned, toUnsigned);
  if (isMinifloat(to) && (!isa<FloatType>(from) || isMinifloat(from)))
    return arith::TruncFOp::create(
        b, loc, to, buildCast(b, loc, value, f32, fromUnsigned, toUnsigned));
  if (to.isInteger(1)) {
    Value zero = buildScalar(b, loc, from, 0);
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value, zero);
  }
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  bool fromBool = from.isInteger(1);
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromFloat && toFloat) {
    if (fromWidth < toWidth)
      return arith::ExtFOp::create(b, loc, to, value);
    // f16 <-> bf16 have one width: through f32.
    if (fromWidth == toWidth)
      value = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, value);
  }
  bool zeroExtend = fromBool || fromUnsigned;
  if (toFloat)
    return zeroExtend ? arith::UIToFPOp::create(b, loc, to, value).getResult()
                      : arith::SIToFPOp::create(b, loc, to, value).getResult();
  if (fromFloat && toWidth < 8) {
    // 2- and 4-bit results: a value whose truncation the type cannot hold
    // (or NaN) becomes 0, as ONNX's reference (ml_dtypes) converts.
    int64_t low = toUnsigned ? 0 : -(int64_t{1} << (toWidth - 1));
    int64_t high = toUnsigned ? (int64_t{1} << toWidth) - 1
                              : (int64_t{1} << (toWidth - 1)) - 1;
    Value inRange = arith::AndIOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, value,
                              buildScalar(b, loc, from, low - 1)),
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, value,
                              buildScalar(b, loc, from, high + 1)));
    value = arith::SelectOp::create(b, loc, inRange, value,
                                    buildScalar(b, loc, from, 0));
    return arith::TruncIOp::create(
        b, loc, to, buildCast(b, loc, value, b.getI32Type(), false, false));
  }
  if (fromFloat)
    return toUnsigned ? arith::FPToUIOp::create(b, loc, to, value).getResult()
                      : arith::FPToSIOp::create(b, loc, to, value).getResult();
  if (fromWidth < toWidth)
    return zeroExtend ? arith::ExtUIOp::create(b, loc, to, value).getResult()
                      : arith::ExtSIOp::create(b, loc, to, value).getResult();
  if (fromWidth == toWidth)
    return value;
  return arith::TruncIOp::create(b, loc, to, value);
}

LogicalResult muon::onnx_import::checkResultSize(NodeContext &ctx,
                                                 unsigned index,
                                                 RankedTensorType type) {
  uint64_t count = 1;
  for (int64_t dim : type.getShape()) {
    if (dim != 0 && count > ctx.maxTensorElements / static_cast<uint64_t>(dim))
      return ctx.emitError()
             << "output '" << ctx.node.output(index) << "' of type " << type
             << " has more than " << ctx.maxTensorElements
             << " elements (the tensor size limit)";
    count *= static_cast<uint64_t>(dim);
  }
  return success();
}

bool muon::onnx_import::isUnsignedTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isUnsignedInteger();
}

Type muon::onnx_import::getSignlessType(Type type) {
  if (!type.isUnsignedInteger())
    return type;
  return IntegerType::get(type.getContext(), type.getIntOrFloatBitWidth());
}

Value muon::onnx_import::buildSignlessTensor(OpBuilder &b, Location loc,
                                             Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Type signless = getSignlessType(type.getElementType());
  if (signless == type.getElementType())
    return tensor;
  return tensor::BitcastOp::create(b, loc, type.clone(signless), tensor);
}

SmallVector<Value> muon::onnx_import::buildSignlessTensors(NodeContext &ctx) {
  return llvm::map_to_vector(ctx.operands, [&](Value operand) {
    return operand ? buildSignlessTensor(ctx.builder, ctx.loc, operand)
                   : operand;
  });
}

Value muon::onnx_import::buildTensorOfElementType(OpBuilder &b, Location loc,
                                                  Value tensor,
                                                  Type elementType) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == elementType)
    return tensor;
  return tensor::BitcastOp::create(b, loc, type.clone(elementType), tensor);
}
