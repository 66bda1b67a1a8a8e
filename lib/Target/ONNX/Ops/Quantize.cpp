//===- Quantize.cpp - QuantizeLinear and DequantizeLinear importers -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Linear quantization, as quantization-aware training exports it (torch's
// fake-quantize modules become QuantizeLinear/DequantizeLinear pairs):
//
//   QuantizeLinear:   y = saturate(round(x / scale) + zero_point)
//   DequantizeLinear: y = (x - zero_point) · scale
//   DynamicQuantizeLinear: scale = (max(x, 0) - min(x, 0)) / 255,
//     zero_point = saturate(round(-min(x, 0) / scale)), y as QuantizeLinear
//
// round halves to even; saturate clamps to the integer type's range (int2,
// uint2, int4, uint4, int8, uint8, int16, uint16). A float8 or float4 output
// (opset 19+/23+) is x / scale (+ the zero point, 0 for float8) cast as Cast
// does, saturating to the format's largest value unless `saturate` is 0
// (float8); a float8 or float4 input dequantizes in f32. scale and
// zero_point are one per tensor (a scalar or one element), one per slice
// along `axis` (1-D), or one per block of `block_size` along `axis` (opset
// 21: X's rank, X's shape with ceil(dim / block_size) at `axis`). The
// arithmetic is in f32 for f32, f16 and bf16 scales, as ONNX Runtime
// computes it, and the integers exactly (differences in i64).
//
// MatMulInteger and QLinearMatMul multiply the centered int8/uint8 inputs
// (A − a_zero_point per tensor or row, B − b_zero_point per tensor or
// column) in i32 through the MatMul importer's products; QLinearMatMul then
// requantizes by a_scale · b_scale / y_scale as ONNX's reference does.
//
//===----------------------------------------------------------------------===//

#include "Quantization.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// Where scale and zero_point apply along X.
struct QuantAxis {
  RankedTensorType xType;
  int64_t axis;
  int64_t blockSize;
};
} // namespace

/// X's type, `axis` (as given: only per-axis and blocked parameters need it
/// in range) and `block_size`.
static FailureOr<QuantAxis> getQuantAxis(NodeContext &ctx) {
  FailureOr<RankedTensorType> xType = getFirstOperandType(ctx, 2, 3);
  if (failed(xType))
    return failure();
  int64_t axis = ctx.getIntAttr("axis").value_or(1);
  int64_t blockSize = ctx.getIntAttr("block_size").value_or(0);
  if (blockSize < 0)
    return emitUnsupportedAttr(ctx, "block_size")
           << ": " << blockSize << " (expects a positive size, or 0)";
  return QuantAxis{*xType, axis, blockSize};
}

/// Input `index` (scale or zero_point) in a form that broadcasts against X
/// numpy-style: 0-d per tensor, X's rank with X's dim at the axis (1
/// elsewhere) per axis, X's shape when blocked.
static FailureOr<Value> getBroadcastParam(NodeContext &ctx, unsigned index,
                                          const QuantAxis &q) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  OpBuilder &b = ctx.builder;
  Value param = buildSignlessTensor(b, ctx.loc, ctx.getOperand(index));
  ArrayRef<int64_t> xShape = q.xType.getShape();
  int64_t rank = q.xType.getRank();
  StringRef name = ctx.node.input(index);
  if (q.blockSize == 0 && type->getNumElements() == 1 && type->getRank() <= 1)
    return buildReshape(b, ctx.loc, param, {});
  FailureOr<int64_t> axis = normalizeAxis(ctx, q.axis, rank);
  if (failed(axis))
    return failure();
  if (q.blockSize > 0) {
    SmallVector<int64_t> expected(xShape);
    expected[*axis] = llvm::divideCeil(xShape[*axis], q.blockSize);
    if (type->getShape() != ArrayRef(expected))
      return ctx.emitError()
             << "expects '" << name << "' of X's shape with ceil(dim / "
             << q.blockSize << ") at axis " << *axis << " (blocked), got "
             << *type;
    return buildIndexedRead(
        b, ctx.loc, param, xShape,
        [&](OpBuilder &nb, Location loc, int64_t d, Value position) -> Value {
          if (d != *axis)
            return position;
          Value block = arith::ConstantIndexOp::create(nb, loc, q.blockSize);
          return arith::DivUIOp::create(nb, loc, position, block);
        });
  }
  if (type->getRank() == 1 && type->getDimSize(0) == xShape[*axis]) {
    SmallVector<int64_t> shape(rank, 1);
    shape[*axis] = xShape[*axis];
    return buildReshape(b, ctx.loc, param, shape);
  }
  return ctx.emitError() << "expects '" << name
                         << "' to be one element (per tensor) or 1-D of X's "
                            "size along axis "
                         << *axis << " (per axis), got " << *type;
}

/// X (signless) and the scale and zero_point present, broadcasting to it.
static FailureOr<SmallVector<Value>> getQuantInputs(NodeContext &ctx,
                                                    const QuantAxis &q) {
  SmallVector<Value> inputs = {
      buildSignlessTensor(ctx.builder, ctx.loc, ctx.getOperand(0))};
  for (unsigned index : {1u, 2u}) {
    if (!ctx.getOperand(index))
      continue;
    FailureOr<Value> param = getBroadcastParam(ctx, index, q);
    if (failed(param))
      return failure();
    inputs.push_back(*param);
  }
  return inputs;
}

/// Whether `type` is an integer type QuantizeLinear saturates to.
static bool isQuantizedType(Type type) {
  auto intType = dyn_cast<IntegerType>(type);
  return intType && llvm::is_contained({2u, 4u, 8u, 16u}, intType.getWidth()) &&
         !intType.isSigned();
}

/// The arithmetic type of a scale type: f32, as ORT computes f16 and bf16.
static Type getComputeType(OpBuilder &b, Type scaleType) {
  return scaleType.isF64() ? scaleType : b.getF32Type();
}

/// `x` (a float of the compute type) rounded half to even, offset by the
/// zero point and clamped to `type`'s range, converted to its signless type.
static Value buildSaturatedQuantize(OpBuilder &b, Location loc, Value scaled,
                                    Value zeroPoint, Type type) {
  Type computeType = scaled.getType();
  auto intType = cast<IntegerType>(type);
  bool isUnsigned = intType.isUnsigned();
  Value rounded = math::RoundEvenOp::create(b, loc, scaled);
  if (zeroPoint)
    rounded = arith::AddFOp::create(
        b, loc, rounded, buildCast(b, loc, zeroPoint, computeType, isUnsigned));
  unsigned width = intType.getWidth();
  APInt low =
      isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width);
  APInt high =
      isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width);
  auto bound = [&](const APInt &value) {
    return buildScalar(b, loc, computeType,
                       isUnsigned ? static_cast<double>(value.getZExtValue())
                                  : static_cast<double>(value.getSExtValue()));
  };
  // maxnumf/minnumf: a NaN clamps to the low bound rather than poisoning
  // the conversion.
  Value clamped = arith::MinNumFOp::create(
      b, loc, arith::MaxNumFOp::create(b, loc, rounded, bound(low)),
      bound(high));
  return buildCast(b, loc, clamped, getSignlessType(type), false, isUnsigned);
}

static ImportResult importQuantizeLinear(NodeContext &ctx) {
  FailureOr<QuantAxis> q = getQuantAxis(ctx);
  FailureOr<FloatType> scaleType = getFloatElementType(ctx, 1);
  if (failed(q) || failed(scaleType))
    return failure();
  Type xElement = q->xType.getElementType();
  if (!isa<FloatType>(xElement) && !xElement.isSignlessInteger(32))
    return ctx.emitError() << "expects float or int32 X, got " << xElement;
  // saturate applies to float8 outputs only.
  FailureOr<bool> saturate = getFlagAttr(ctx, "saturate", true);
  if (failed(saturate))
    return failure();
  if (std::optional<int64_t> precision = ctx.getIntAttr("precision");
      precision && *precision != 0 && *precision != onnx::TensorProto::FLOAT)
    return emitUnsupportedAttr(ctx, "precision")
           << ": " << *precision << " (the importer divides in f32)";
  Type outputType = ctx.convertDataType(onnx::TensorProto::UINT8);
  if (Value zeroPoint = ctx.getOperand(2))
    outputType = cast<RankedTensorType>(zeroPoint.getType()).getElementType();
  if (std::optional<int64_t> dtype = ctx.getIntAttr("output_dtype");
      dtype && *dtype != 0) {
    Type declared = ctx.convertDataType(*dtype);
    if (!declared || (!isQuantizedType(declared) && !isMinifloat(declared)))
      return emitUnsupportedAttr(ctx, "output_dtype")
             << ": " << *dtype
             << " (expects a 2-, 4-, 8- or 16-bit integer type, a FLOAT8 "
                "type or FLOAT4E2M1)";
    if (ctx.getOperand(2) && declared != outputType)
      return emitUnsupportedAttr(ctx, "output_dtype")
             << ": " << *dtype << " (y_zero_point has type " << outputType
             << ")";
    outputType = declared;
  }
  if (!isQuantizedType(outputType) && !isMinifloat(outputType))
    return ctx.emitError() << "expects a 2-, 4-, 8- or 16-bit integer, "
                              "float8 or float4 output, got "
                           << outputType;
  FailureOr<SmallVector<Value>> inputs = getQuantInputs(ctx, *q);
  if (failed(inputs))
    return failure();
  Type computeType = getComputeType(ctx.builder, *scaleType);
  FailureOr<Value> result = buildElementwise(
      ctx, *inputs, getSignlessType(outputType),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = buildCast(b, loc, args[0], computeType);
        Value scale = buildCast(b, loc, args[1], computeType);
        Value scaled = arith::DivFOp::create(b, loc, x, scale);
        Value zeroPoint = args.size() > 2 ? args[2] : Value();
        if (!isMinifloat(outputType))
          return buildSaturatedQuantize(b, loc, scaled, zeroPoint, outputType);
        // Float8 zero points are 0 (ONNX requires it; float4 ones need not
        // be, and ONNX's reference adds them): added in the compute type.
        if (zeroPoint)
          scaled = arith::AddFOp::create(
              b, loc, scaled, buildCast(b, loc, zeroPoint, computeType));
        return buildMinifloatCast(b, loc, scaled, cast<FloatType>(outputType),
                                  *saturate);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, outputType)};
}

static ImportResult importDequantizeLinear(NodeContext &ctx) {
  FailureOr<QuantAxis> q = getQuantAxis(ctx);
  FailureOr<FloatType> scaleType = getFloatElementType(ctx, 1);
  if (failed(q) || failed(scaleType))
    return failure();
  Type xElement = q->xType.getElementType();
  if (!isQuantizedType(xElement) && !xElement.isSignlessInteger(32) &&
      !isMinifloat(xElement))
    return ctx.emitError() << "expects 2-, 4-, 8- or 16-bit integer, int32, "
                              "float8 or float4 X, got "
                           << xElement;
  if (Value zeroPoint = ctx.getOperand(2);
      zeroPoint &&
      cast<RankedTensorType>(zeroPoint.getType()).getElementType() != xElement)
    return ctx.emitError() << "expects x_zero_point of X's type " << xElement
                           << ", got " << zeroPoint.getType();
  Type outputType = *scaleType;
  if (std::optional<int64_t> dtype = ctx.getIntAttr("output_dtype");
      dtype && *dtype != 0) {
    outputType = ctx.convertDataType(*dtype);
    if (!outputType || !isa<FloatType>(outputType))
      return emitUnsupportedAttr(ctx, "output_dtype")
             << ": " << *dtype << " (expects a float type)";
  }
  FailureOr<SmallVector<Value>> inputs = getQuantInputs(ctx, *q);
  if (failed(inputs))
    return failure();
  bool isUnsigned = xElement.isUnsignedInteger();
  Type computeType = getComputeType(ctx.builder, *scaleType);
  FailureOr<Value> result = buildElementwise(
      ctx, *inputs, outputType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        // The difference exactly: integers in i64, minifloats (which the
        // compute type holds) in floats; then the product in floats.
        bool isFloat = isMinifloat(xElement);
        Type differenceType = isFloat ? computeType : b.getI64Type();
        Value x = buildCast(b, loc, args[0], differenceType, isUnsigned);
        if (args.size() > 2) {
          Value zeroPoint =
              buildCast(b, loc, args[2], differenceType, isUnsigned);
          x = isFloat ? arith::SubFOp::create(b, loc, x, zeroPoint).getResult()
                      : arith::SubIOp::create(b, loc, x, zeroPoint).getResult();
        }
        Value product =
            arith::MulFOp::create(b, loc, buildCast(b, loc, x, computeType),
                                  buildCast(b, loc, args[1], computeType));
        return buildCast(b, loc, product, outputType);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// DynamicQuantizeLinear: uint8 parameters from the range of X and 0.
static ImportResult importDynamicQuantizeLinear(NodeContext &ctx) {
  FailureOr<RankedTensorType> xType = getFirstOperandType(ctx, 1, 1);
  if (failed(xType))
    return failure();
  if (!xType->getElementType().isF32())
    return ctx.emitError() << "expects f32 X, got " << *xType;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value x = ctx.getOperand(0);
  auto axes = llvm::to_vector(llvm::seq<int64_t>(0, xType->getRank()));
  Value low = buildReduce(b, loc, x, axes, /*keepDims=*/false, ReduceKind::Min);
  Value high =
      buildReduce(b, loc, x, axes, /*keepDims=*/false, ReduceKind::Max);
  Type f32 = b.getF32Type();
  Type u8 = ctx.convertDataType(onnx::TensorProto::UINT8);
  // The range always includes 0, so that 0 quantizes exactly.
  Value scale = buildBroadcastMap(
      b, loc, {low, high}, {}, f32,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value zero = buildScalar(nb, nl, f32, 0.0);
        Value range = arith::SubFOp::create(
            nb, nl, arith::MaximumFOp::create(nb, nl, args[1], zero),
            arith::MinimumFOp::create(nb, nl, args[0], zero));
        return arith::DivFOp::create(nb, nl, range,
                                     buildScalar(nb, nl, f32, 255.0));
      });
  Value zeroPoint = buildBroadcastMap(
      b, loc, {low, scale}, {}, b.getI8Type(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value zero = buildScalar(nb, nl, f32, 0.0);
        Value negLow = arith::NegFOp::create(
            nb, nl, arith::MinimumFOp::create(nb, nl, args[0], zero));
        return buildSaturatedQuantize(
            nb, nl, arith::DivFOp::create(nb, nl, negLow, args[1]), Value(),
            u8);
      });
  Value y = buildBroadcastMap(
      b, loc, {x, scale, zeroPoint}, xType->getShape(), b.getI8Type(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return buildSaturatedQuantize(
            nb, nl, arith::DivFOp::create(nb, nl, args[0], args[1]), args[2],
            u8);
      });
  return SmallVector<Value>{buildTensorOfElementType(b, loc, y, u8), scale,
                            buildTensorOfElementType(b, loc, zeroPoint, u8)};
}

Value muon::onnx_import::alignVector(OpBuilder &b, Location loc, Value param,
                                     int64_t rank, int64_t dim) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getRank() != 1 || type.getNumElements() == 1)
    return param;
  SmallVector<int64_t> shape(rank, 1);
  shape[dim] = type.getDimSize(0);
  return buildReshape(b, loc, param, shape);
}

/// A per-row parameter of a 2-D operand given as a vector [M] lines up with
/// its rows as [M, 1]; every other form (a scalar, [..., M, 1], a per-column
/// [N] or [..., 1, N]) broadcasts as it is.
static Value alignPerRow(NodeContext &ctx, Value param, RankedTensorType x,
                         bool perRow) {
  if (!perRow || x.getRank() != 2)
    return param;
  return alignVector(ctx.builder, ctx.loc, param, 2, 0);
}

FailureOr<Value> muon::onnx_import::buildCenteredInteger(NodeContext &ctx,
                                                         unsigned index,
                                                         Value zeroPoint) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  if (!elementType.isInteger(8))
    return ctx.emitError() << "expects int8 or uint8 input #" << index
                           << ", got " << *type;
  bool isUnsigned = elementType.isUnsignedInteger();
  OpBuilder &b = ctx.builder;
  SmallVector<Value> inputs = {
      buildSignlessTensor(b, ctx.loc, ctx.getOperand(index))};
  if (zeroPoint) {
    if (cast<RankedTensorType>(zeroPoint.getType()).getElementType() !=
        elementType)
      return ctx.emitError()
             << "expects the zero point of input #" << index
             << " of its element type, got " << zeroPoint.getType();
    inputs.push_back(buildSignlessTensor(b, ctx.loc, zeroPoint));
    FailureOr<SmallVector<int64_t>> shape = getBroadcastShape(ctx, inputs);
    if (failed(shape))
      return failure();
    if (ArrayRef<int64_t>(*shape) != type->getShape())
      return ctx.emitError() << "expects the zero point of input #" << index
                             << " to broadcast to " << *type;
  }
  return buildBroadcastMap(
      b, ctx.loc, inputs, type->getShape(), b.getI32Type(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto widen = [&](Value v) -> Value {
          if (isUnsigned)
            return arith::ExtUIOp::create(nb, nl, nb.getI32Type(), v);
          return arith::ExtSIOp::create(nb, nl, nb.getI32Type(), v);
        };
        Value x = widen(args[0]);
        return args.size() == 1
                   ? x
                   : arith::SubIOp::create(nb, nl, x, widen(args[1]));
      });
}

FailureOr<Value> muon::onnx_import::buildRequantized(NodeContext &ctx,
                                                     Value accumulator,
                                                     ValueRange scales,
                                                     Value zeroPoint) {
  Type scaleType = getElementTypeOrSelf(scales[0].getType());
  if (!isa<FloatType>(scaleType) || llvm::any_of(scales, [&](Value v) {
        return getElementTypeOrSelf(v.getType()) != scaleType;
      }))
    return ctx.emitError() << "expects the scales of one float type";
  Type outType = getElementTypeOrSelf(zeroPoint.getType());
  if (!outType.isInteger(8))
    return ctx.emitError() << "expects an int8 or uint8 y_zero_point, got "
                           << zeroPoint.getType();
  SmallVector<Value> inputs = {accumulator};
  llvm::append_range(inputs, scales);
  inputs.push_back(buildSignlessTensor(ctx.builder, ctx.loc, zeroPoint));
  FailureOr<SmallVector<int64_t>> shape = getBroadcastShape(ctx, inputs);
  if (failed(shape))
    return failure();
  ArrayRef<int64_t> accShape =
      cast<RankedTensorType>(accumulator.getType()).getShape();
  if (ArrayRef<int64_t>(*shape) != accShape)
    return ctx.emitError() << "expects scales and y_zero_point that "
                              "broadcast to the accumulator "
                           << accumulator.getType();
  OpBuilder &b = ctx.builder;
  Value y = buildBroadcastMap(
      b, ctx.loc, inputs, accShape, getSignlessType(outType),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Type f64 = nb.getF64Type();
        Value factor = arith::DivFOp::create(
            nb, nl, arith::MulFOp::create(nb, nl, args[1], args[2]), args[3]);
        if (!factor.getType().isF64())
          factor = arith::ExtFOp::create(nb, nl, f64, factor);
        Value scaled = arith::MulFOp::create(
            nb, nl, arith::SIToFPOp::create(nb, nl, f64, args[0]), factor);
        return buildSaturatedQuantize(nb, nl, scaled, args[4], outType);
      });
  return buildTensorOfElementType(b, ctx.loc, y, outType);
}

/// Input `index` (an int8 or uint8 matrix) minus its zero point (input
/// `zeroIndex`, if present; per tensor, per row with `perRow`, else per
/// column), as i32.
static FailureOr<Value> buildCentered(NodeContext &ctx, unsigned index,
                                      unsigned zeroIndex, bool perRow) {
  Value zeroPoint = ctx.getOperand(zeroIndex);
  if (zeroPoint)
    zeroPoint = alignPerRow(
        ctx, zeroPoint, cast<RankedTensorType>(ctx.getOperand(index).getType()),
        perRow);
  return buildCenteredInteger(ctx, index, zeroPoint);
}

/// (A − a_zero_point) · (B − b_zero_point) in i32.
static FailureOr<Value> buildIntegerProduct(NodeContext &ctx, unsigned a,
                                            unsigned aZero, unsigned b,
                                            unsigned bZero) {
  FailureOr<Value> lhs = buildCentered(ctx, a, aZero, /*perRow=*/true);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = buildCentered(ctx, b, bZero, /*perRow=*/false);
  if (failed(rhs))
    return failure();
  return buildMatMul(ctx, *lhs, *rhs);
}

/// MatMulInteger (opset 10): (A − a_zero_point) · (B − b_zero_point), i32.
static ImportResult importMatMulInteger(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 4)))
    return failure();
  FailureOr<Value> product = buildIntegerProduct(ctx, 0, 2, 1, 3);
  if (failed(product))
    return failure();
  return SmallVector<Value>{*product};
}

/// QLinearMatMul (opsets 10 and 21): the i32 product of the centered
/// inputs requantized, y = saturate(rint(C · (a_scale · b_scale / y_scale))
/// + y_zero_point): the factor in the scales' type, the product in f64, as
/// ONNX's reference computes them.
static ImportResult importQLinearMatMul(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 8, 8)))
    return failure();
  FailureOr<Value> product = buildIntegerProduct(ctx, 0, 2, 3, 5);
  if (failed(product))
    return failure();
  auto aType = cast<RankedTensorType>(ctx.getOperand(0).getType());
  FailureOr<Value> y = buildRequantized(
      ctx, *product,
      {alignPerRow(ctx, ctx.getOperand(1), aType, /*perRow=*/true),
       ctx.getOperand(4), ctx.getOperand(6)},
      ctx.getOperand(7));
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

void muon::onnx_import::populateQuantizeImporters(
    OpImporterRegistry &registry) {
  // Opset 13 adds axis (per-axis parameters), 19 float8 types, 21 blocks
  // and int16/uint16, 23 output_dtype for DequantizeLinear, 25 precision.
  registry.add("", "QuantizeLinear", importQuantizeLinear, {/*since=*/10});
  registry.add("", "DequantizeLinear", importDequantizeLinear, {/*since=*/10});
  registry.add("", "DynamicQuantizeLinear", importDynamicQuantizeLinear,
               {/*since=*/11});
  registry.add("", "MatMulInteger", importMatMulInteger, {/*since=*/10});
  registry.add("", "QLinearMatMul", importQLinearMatMul, {/*since=*/10});
  registry.acceptMinifloats("", {"QuantizeLinear", "DequantizeLinear"});
  registry.acceptUnsigned("", {"QuantizeLinear", "DequantizeLinear",
                               "DynamicQuantizeLinear", "MatMulInteger",
                               "QLinearMatMul"});
}
