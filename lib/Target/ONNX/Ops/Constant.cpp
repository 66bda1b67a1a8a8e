//===- Constant.cpp - Constant, ConstantOfShape, Range, EyeLike -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Values known at import time become `arith.constant`s: Constant (one of
// value, value_float(s), value_int(s)), ConstantOfShape (a splat of `value`,
// default float 0, over a constant shape) and Range over constant scalars
// (its length is the result's static shape):
//   out[i] = start + i * delta,  i < max(ceil((limit - start) / delta), 0)
// computed in the element type, as ONNX Runtime does (2^24 elements at most).
// EyeLike: ones on diagonal k of a matrix of the input's shape, in a kernel
// rather than a constant (its shape may be large).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"

#include <cmath>

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importConstant(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 0, 0)))
    return failure();
  if (ctx.node.attribute_size() != 1)
    return ctx.emitError() << "expects exactly one value attribute, got "
                           << ctx.node.attribute_size();
  StringRef name = ctx.node.attribute(0).name();
  OpBuilder &b = ctx.builder;
  std::optional<DenseElementsAttr> value;
  if (name == "value") {
    value = ctx.getTensorAttr(name);
  } else if (name == "value_float") {
    if (std::optional<float> v = ctx.getFloatAttr(name))
      value =
          DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), *v);
  } else if (name == "value_floats") {
    if (std::optional<SmallVector<float>> v = ctx.getFloatsAttr(name))
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v->size())},
                                b.getF32Type()),
          ArrayRef<float>(*v));
  } else if (name == "value_int") {
    if (std::optional<int64_t> v = ctx.getIntAttr(name))
      value =
          DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), *v);
  } else if (name == "value_ints") {
    if (std::optional<SmallVector<int64_t>> v = ctx.getIntsAttr(name))
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v->size())},
                                b.getI64Type()),
          ArrayRef<int64_t>(*v));
  } else {
    return emitUnsupportedAttr(ctx, name)
           << ": only value, value_float(s) and value_int(s) constants";
  }
  if (!value)
    return failure();
  return SmallVector<Value>{
      arith::ConstantOp::create(b, ctx.loc, *value).getResult()};
}

static ImportResult importConstantOfShape(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = getConstantShapeOperand(ctx, 0);
  if (failed(shape))
    return failure();
  OpBuilder &b = ctx.builder;
  Attribute element = b.getF32FloatAttr(0.0f);
  if (ctx.getAttr("value")) {
    std::optional<DenseElementsAttr> value = ctx.getTensorAttr("value");
    if (!value)
      return failure();
    if (value->getNumElements() != 1)
      return ctx.emitError()
             << "expects a one-element value, got " << value->getType();
    element = *value->value_begin<Attribute>();
  }
  auto type = RankedTensorType::get(*shape, cast<TypedAttr>(element).getType());
  return SmallVector<Value>{
      arith::ConstantOp::create(b, ctx.loc,
                                DenseElementsAttr::get(type, element))
          .getResult()};
}

/// Range's elements in `T` (an arithmetic C++ type).
template <typename T>
static FailureOr<SmallVector<T>> computeRange(NodeContext &ctx, T start,
                                              T limit, T delta) {
  if (delta == T(0))
    return ctx.emitError() << "expects a non-zero delta";
  // Ranges index positions; a bound keeps the constant's host copy small.
  constexpr int64_t kMaxRange = int64_t(1) << 24;
  double steps = std::ceil((double(limit) - double(start)) / double(delta));
  if (!(steps <= double(kMaxRange)))
    return ctx.emitError() << "has more than " << kMaxRange << " elements";
  SmallVector<T> values;
  for (int64_t i = 0; i < static_cast<int64_t>(steps); ++i)
    values.push_back(static_cast<T>(start + static_cast<T>(i) * delta));
  return values;
}

static ImportResult importRange(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)))
    return failure();
  SmallVector<DenseElementsAttr, 3> scalars;
  Type elementType;
  for (unsigned i = 0; i < 3; ++i) {
    DenseElementsAttr attr;
    FailureOr<RankedTensorType> type = getOperandType(ctx, i);
    if (failed(type))
      return failure();
    if (type->getNumElements() != 1 ||
        !matchPattern(ctx.getOperand(i), m_Constant(&attr)))
      return ctx.emitError() << "expects input #" << i
                             << " to be a constant scalar (the length of the "
                                "result must be static)";
    if (elementType && type->getElementType() != elementType)
      return ctx.emitError() << "expects start, limit and delta of one type";
    elementType = type->getElementType();
    scalars.push_back(attr);
  }
  auto build = [&](auto values) -> ImportResult {
    if (failed(values))
      return failure();
    auto type = RankedTensorType::get({static_cast<int64_t>(values->size())},
                                      elementType);
    return SmallVector<Value>{
        arith::ConstantOp::create(
            ctx.builder, ctx.loc,
            DenseElementsAttr::get(type, ArrayRef(*values)))
            .getResult()};
  };
  auto get = [&](unsigned i, auto zero) {
    return *scalars[i].value_begin<decltype(zero)>();
  };
  if (elementType.isF32())
    return build(
        computeRange<float>(ctx, get(0, 0.0f), get(1, 0.0f), get(2, 0.0f)));
  if (elementType.isF64())
    return build(
        computeRange<double>(ctx, get(0, 0.0), get(1, 0.0), get(2, 0.0)));
  if (elementType.isInteger(32))
    return build(computeRange<int32_t>(ctx, get(0, int32_t()),
                                       get(1, int32_t()), get(2, int32_t())));
  if (elementType.isInteger(64))
    return build(computeRange<int64_t>(ctx, get(0, int64_t()),
                                       get(1, int64_t()), get(2, int64_t())));
  if (elementType.isF16() || elementType.isBF16()) {
    // In f32, each element rounded once to the 16-bit type (as ONNX
    // Runtime's MLFloat16/BFloat16 arithmetic goes through float).
    auto wide = [&](unsigned i) {
      return (*scalars[i].value_begin<APFloat>()).convertToFloat();
    };
    FailureOr<SmallVector<float>> values =
        computeRange<float>(ctx, wide(0), wide(1), wide(2));
    if (failed(values))
      return failure();
    const llvm::fltSemantics &semantics =
        cast<FloatType>(elementType).getFloatSemantics();
    SmallVector<APFloat> narrow;
    for (float value : *values) {
      APFloat rounded(value);
      bool losesInfo;
      rounded.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
      narrow.push_back(rounded);
    }
    return build(FailureOr<SmallVector<APFloat>>(std::move(narrow)));
  }
  return ctx.emitError() << "unsupported element type " << elementType
                         << " (expects f16, bf16, f32, f64, i32 or i64)";
}

/// EyeLike: out[i][j] = (j - i == k), of `dtype` (default: the input's).
static ImportResult importEyeLike(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  if (type->getRank() != 2)
    return ctx.emitError() << "expects a 2-D input, got " << *type;
  Type elementType = type->getElementType();
  if (std::optional<int64_t> dtype = ctx.getIntAttr("dtype")) {
    elementType = ctx.convertDataType(*dtype);
    if (!elementType)
      return emitUnsupportedAttr(ctx, "dtype")
             << ": " << *dtype << " (expects a float, integer or bool type)";
  }
  int64_t k = ctx.getIntAttr("k").value_or(0);
  Type signless = getSignlessType(elementType);
  Value eye = buildBroadcastMap(
      ctx.builder, ctx.loc, ValueRange{}, type->getShape(), signless,
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        Value row = linalg::IndexOp::create(b, loc, 0);
        Value column = linalg::IndexOp::create(b, loc, 1);
        Value onDiagonal =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                  arith::SubIOp::create(b, loc, column, row),
                                  arith::ConstantIndexOp::create(b, loc, k));
        return buildCast(b, loc, onDiagonal, signless);
      });
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, eye, elementType)};
}

void muon::onnx_import::populateConstantImporters(
    OpImporterRegistry &registry) {
  registry.add("", "Constant", importConstant);
  registry.add("", "ConstantOfShape", importConstantOfShape, {/*since=*/9});
  registry.add("", "Range", importRange, {/*since=*/11});
  registry.add("", "EyeLike", importEyeLike, {/*since=*/9});
  registry.acceptUnsigned("", {"Constant", "ConstantOfShape", "EyeLike"});
}
