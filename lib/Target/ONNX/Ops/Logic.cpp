//===- Logic.cpp - Comparison, logic, Where and Cast importers ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Exporters write masks with these (masked_fill is Equal/Where, boolean
// masks are Cast). All broadcast numpy-style in one generic:
//   Equal Less LessOrEqual Greater GreaterOrEqual -> bool (floats compare
//   ordered: NaN is unequal to everything; integers signed)
//   Not And Or Xor on bools, their Bitwise* forms on integers, BitShift
//   (unsigned integers since opset 11, signed ones since 28: an arithmetic
//   right shift); Where(cond, X, Y) = cond ? X : Y
//   Cast(to) between the float, integer and bool types the importer reads:
//   float -> integer truncates toward zero, x -> bool is x != 0, bool ->
//   number is 0/1, integers widen by their own signedness; BitCast(to)
//   keeps the bits.
// Unsigned integers compare and shift as unsigned (ImporterUtils.h).
//   IsNaN, IsInf(detect_negative, detect_positive) -> bool (torch's
//   scaled_dot_product_attention with a boolean mask guards its softmax
//   with IsNaN/Where for rows the mask empties)
//   Trilu: the upper or lower triangle of the last two dims (causal masks;
//   torch.tril/triu of data, whose gradient is com.microsoft's Trilu).
//   OneHot(indices, depth, [off, on]): F.one_hot (label smoothing, routing,
//   embeddings as products), one generic comparing each index with the
//   position along the new axis.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace muon::onnx_import;

/// The unsigned form of a signed integer comparison.
static arith::CmpIPredicate getUnsignedPredicate(arith::CmpIPredicate pred) {
  switch (pred) {
  case arith::CmpIPredicate::slt:
    return arith::CmpIPredicate::ult;
  case arith::CmpIPredicate::sle:
    return arith::CmpIPredicate::ule;
  case arith::CmpIPredicate::sgt:
    return arith::CmpIPredicate::ugt;
  case arith::CmpIPredicate::sge:
    return arith::CmpIPredicate::uge;
  default:
    return pred;
  }
}

static ImportResult importCompare(NodeContext &ctx, arith::CmpFPredicate fpred,
                                  arith::CmpIPredicate ipred) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<Type> type = getCommonElementType(ctx, 0);
  if (failed(type))
    return failure();
  bool isFloat = isa<FloatType>(*type);
  if (type->isUnsignedInteger())
    ipred = getUnsignedPredicate(ipred);
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), ctx.builder.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat)
          return arith::CmpFOp::create(b, loc, fpred, args[0], args[1]);
        return arith::CmpIOp::create(b, loc, ipred, args[0], args[1]);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

namespace {
enum class LogicKind { Not, And, Or, Xor };
} // namespace

/// Not And Or Xor on bools, or (`bitwise`) BitwiseNot BitwiseAnd BitwiseOr
/// BitwiseXor on integers.
static ImportResult importLogic(NodeContext &ctx, LogicKind kind,
                                bool bitwise) {
  unsigned numInputs = kind == LogicKind::Not ? 1 : 2;
  if (failed(checkNumOperands(ctx, numInputs, numInputs)))
    return failure();
  FailureOr<Type> type = getCommonElementType(ctx, 0);
  if (failed(type))
    return failure();
  if (!bitwise && !type->isInteger(1))
    return ctx.emitError() << "expects bool inputs, got " << *type;
  if (bitwise && (!type->isInteger() || type->isInteger(1)))
    return ctx.emitError() << "expects integer inputs, got " << *type;
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), getSignlessType(*type),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        switch (kind) {
        case LogicKind::Not:
          // XOr with all ones (true, for a bool) complements.
          return arith::XOrIOp::create(
              b, loc, args[0], buildScalar(b, loc, args[0].getType(), -1));
        case LogicKind::And:
          return arith::AndIOp::create(b, loc, args[0], args[1]);
        case LogicKind::Or:
          return arith::OrIOp::create(b, loc, args[0], args[1]);
        case LogicKind::Xor:
          return arith::XOrIOp::create(b, loc, args[0], args[1]);
        }
        llvm_unreachable("unknown logic op");
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, *type)};
}

/// BitShift on unsigned integers, and since opset 28 on signed ones, whose
/// right shift is arithmetic; a shift by a negative amount or by the width
/// or more gives the sign fill alone (-1 for a right shift of a negative X,
/// else 0), where arith's shifts would be poison.
static ImportResult importBitShift(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<Type> type = getCommonElementType(ctx, 0);
  if (failed(type))
    return failure();
  if (!type->isInteger() || type->isInteger(1))
    return ctx.emitError() << "expects integer inputs, got " << *type;
  bool isUnsigned = type->isUnsignedInteger();
  if (!isUnsigned && ctx.opsetVersion < 28)
    return ctx.emitError() << "expects unsigned integers before opset 28, got "
                           << *type;
  std::optional<std::string> direction = ctx.getStringAttr("direction");
  if (!direction || (*direction != "LEFT" && *direction != "RIGHT"))
    return emitUnsupportedAttr(ctx, "direction")
           << ": '" << direction.value_or("") << "' (expects LEFT or RIGHT)";
  bool right = *direction == "RIGHT";
  unsigned width = type->getIntOrFloatBitWidth();
  Type signless = getSignlessType(*type);
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), signless,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], amount = args[1];
        Value zero = buildScalar(b, loc, signless, 0);
        // Unsigned: one comparison also rejects what reads as negative.
        Value inRange =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, amount,
                                  buildScalar(b, loc, signless, width));
        Value safeAmount =
            arith::SelectOp::create(b, loc, inRange, amount, zero);
        Value shifted;
        if (!right)
          shifted = arith::ShLIOp::create(b, loc, x, safeAmount);
        else if (isUnsigned)
          shifted = arith::ShRUIOp::create(b, loc, x, safeAmount);
        else
          shifted = arith::ShRSIOp::create(b, loc, x, safeAmount);
        // The sign fill: x >> (width - 1) is -1 or 0.
        Value fill =
            right && !isUnsigned
                ? arith::ShRSIOp::create(
                      b, loc, x, buildScalar(b, loc, signless, width - 1))
                      .getResult()
                : zero;
        return arith::SelectOp::create(b, loc, inRange, shifted, fill);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, *type)};
}

/// IsNaN (isInf false) or IsInf: a float classified element-wise.
static ImportResult importIsSpecial(NodeContext &ctx, bool isInf) {
  if (failed(checkNumOperands(ctx, 1, 1)) ||
      failed(getFloatElementType(ctx, 0)))
    return failure();
  FailureOr<bool> negative = getFlagAttr(ctx, "detect_negative", true);
  FailureOr<bool> positive = getFlagAttr(ctx, "detect_positive", true);
  if (failed(negative) || failed(positive))
    return failure();
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, ctx.builder.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0];
        if (!isInf) // NaN alone is unordered with itself.
          return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
        auto infinity = [&](bool sign) -> Value {
          auto type = cast<FloatType>(x.getType());
          return arith::ConstantOp::create(
              b, loc,
              b.getFloatAttr(type,
                             APFloat::getInf(type.getFloatSemantics(), sign)));
        };
        auto equals = [&](bool sign) -> Value {
          return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                       infinity(sign));
        };
        Value detected = buildScalar(b, loc, b.getI1Type(), 0);
        if (*positive)
          detected = equals(/*sign=*/false);
        if (*negative)
          detected = arith::OrIOp::create(b, loc, detected, equals(true));
        return detected;
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

static ImportResult importWhere(NodeContext &ctx) {
  FailureOr<RankedTensorType> condType = getFirstOperandType(ctx, 3, 3);
  FailureOr<Type> type = getCommonElementType(ctx, 1);
  if (failed(condType) || failed(type))
    return failure();
  if (!condType->getElementType().isInteger(1))
    return ctx.emitError() << "expects a bool condition, got " << *condType;
  FailureOr<Value> result = buildElementwise(
      ctx, buildSignlessTensors(ctx), getSignlessType(*type),
      [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, *result, *type)};
}

/// Input 0 converted to `target` (Cast, CastLike).
static ImportResult buildCastTo(NodeContext &ctx, RankedTensorType type,
                                Type target) {
  // saturate (default 1) applies to float8 targets only; round_mode to
  // FLOAT8E8M0, which the importer does not read.
  FailureOr<bool> saturate = getFlagAttr(ctx, "saturate", true);
  if (failed(saturate))
    return failure();
  ctx.ignoreAttr("round_mode");
  Type source = type.getElementType();
  if (target == source)
    return SmallVector<Value>{ctx.getOperand(0)};
  Type signlessTarget = getSignlessType(target);
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc,
      buildSignlessTensor(ctx.builder, ctx.loc, ctx.getOperand(0)),
      type.getShape(), signlessTarget,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        if (isMinifloat(target))
          return buildMinifloatCast(b, loc, args[0], cast<FloatType>(target),
                                    *saturate, source.isUnsignedInteger());
        return buildCast(b, loc, args[0], signlessTarget,
                         source.isUnsignedInteger(),
                         target.isUnsignedInteger());
      });
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, result, target)};
}

/// The element type attribute `to` names (Cast, BitCast).
static FailureOr<Type> getToType(NodeContext &ctx) {
  std::optional<int64_t> to = ctx.getIntAttr("to");
  if (!to)
    return ctx.emitError() << "expects attribute 'to'";
  Type target = ctx.convertDataType(*to);
  if (!target)
    return emitUnsupportedAttr(ctx, "to")
           << ": " << *to << " (expects a float, integer or bool type)";
  return target;
}

static ImportResult importCast(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  FailureOr<Type> target = getToType(ctx);
  if (failed(type) || failed(target))
    return failure();
  return buildCastTo(ctx, *type, *target);
}

/// CastLike(input, target_type): input cast to target_type's element type
/// (the dynamo exporter's type promotion).
static ImportResult importCastLike(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<RankedTensorType> like = getOperandType(ctx, 1);
  if (failed(type) || failed(like))
    return failure();
  return buildCastTo(ctx, *type, like->getElementType());
}

/// BitCast (opset 26): input 0's bits as `to`, a type of the same width; a
/// bool is its byte (0 or 1), so a bool reads as 0/1 and a byte as a bool is
/// its test against 0.
static ImportResult importBitCast(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  FailureOr<Type> toType = getToType(ctx);
  if (failed(type) || failed(toType))
    return failure();
  Type source = type->getElementType(), target = *toType;
  auto getBits = [](Type t) {
    return t.isInteger(1) ? 8u : t.getIntOrFloatBitWidth();
  };
  if (getBits(target) != getBits(source))
    return emitUnsupportedAttr(ctx, "to")
           << ": " << target << " (expects a type as wide as " << source << ")";
  if (source.isInteger(1) || target.isInteger(1))
    return buildCastTo(ctx, *type, target);
  // Element-wise arith.bitcast: tensor.bitcast does not bufferize.
  Type signlessTarget = getSignlessType(target);
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc,
      buildSignlessTensor(ctx.builder, ctx.loc, ctx.getOperand(0)),
      type->getShape(), signlessTarget,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (args[0].getType() == signlessTarget)
          return args[0];
        return arith::BitcastOp::create(b, loc, signlessTarget, args[0]);
      });
  return SmallVector<Value>{
      buildTensorOfElementType(ctx.builder, ctx.loc, result, target)};
}

/// Trilu keeps the upper (upper = 1) or lower triangle of the last two dims
/// shifted by diagonal k (constant input 1, default 0), zeroing the rest:
/// element (i, j) stays when j - i >= k (upper) or j - i <= k (lower).
static ImportResult importTrilu(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  if (failed(type))
    return failure();
  if (type->getRank() < 2)
    return ctx.emitError() << "expects a tensor of rank 2 or more, got "
                           << *type;
  int64_t k = 0;
  if (ctx.getOperand(1)) {
    FailureOr<SmallVector<int64_t>> diagonal = getConstantIntOperand(ctx, 1);
    if (failed(diagonal))
      return failure();
    if (diagonal->size() != 1)
      return ctx.emitError() << "expects a single k";
    k = diagonal->front();
  }
  FailureOr<bool> upper = getFlagAttr(ctx, "upper", true);
  if (failed(upper))
    return failure();
  int64_t rank = type->getRank();
  Type elementType = getSignlessType(type->getElementType());
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc,
      buildSignlessTensor(ctx.builder, ctx.loc, ctx.getOperand(0)),
      type->getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value row = linalg::IndexOp::create(b, loc, rank - 2);
        Value column = linalg::IndexOp::create(b, loc, rank - 1);
        Value offset = arith::SubIOp::create(b, loc, column, row);
        Value diagonal = arith::ConstantIndexOp::create(b, loc, k);
        Value keep = arith::CmpIOp::create(b, loc,
                                           *upper ? arith::CmpIPredicate::sge
                                                  : arith::CmpIPredicate::sle,
                                           offset, diagonal);
        Value zero = buildScalar(b, loc, elementType, 0);
        return arith::SelectOp::create(b, loc, keep, args[0], zero);
      });
  return SmallVector<Value>{buildTensorOfElementType(
      ctx.builder, ctx.loc, result, type->getElementType())};
}

/// OneHot: `on` where the index (negative ones wrapped once by depth) equals
/// the position along `axis`, `off` elsewhere; an index outside [-depth,
/// depth) matches nothing, as ONNX specifies. Float indices truncate.
static ImportResult importOneHot(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 3, 3);
  FailureOr<RankedTensorType> valuesType = getOperandType(ctx, 2);
  if (failed(type) || failed(valuesType))
    return failure();
  Type indexType = type->getElementType();
  if (!isa<FloatType>(indexType) &&
      (!indexType.isSignlessInteger() || indexType.isInteger(1)))
    return ctx.emitError() << "unsupported indices element type " << indexType;
  Type elementType = valuesType->getElementType();
  if (valuesType->getRank() != 1 || valuesType->getDimSize(0) != 2)
    return ctx.emitError() << "expects values [off, on] of shape [2], got "
                           << *valuesType;
  // A float depth is cast to int64 (truncated), as ONNX specifies.
  std::optional<int64_t> depth;
  DenseFPElementsAttr floatDepth;
  if (matchPattern(ctx.getOperand(1), m_Constant(&floatDepth))) {
    if (floatDepth.getNumElements() == 1) {
      double value =
          (*floatDepth.getValues<FloatAttr>().begin()).getValueAsDouble();
      // Beyond 2^62 no tensor fits anyway; the bound keeps the cast defined.
      if (value >= 1 && value < 0x1p62)
        depth = static_cast<int64_t>(value);
    }
  } else {
    FailureOr<SmallVector<int64_t>> depthValues = getConstantIntOperand(ctx, 1);
    if (failed(depthValues))
      return failure();
    if (depthValues->size() == 1 && depthValues->front() >= 1)
      depth = depthValues->front();
  }
  if (!depth)
    return ctx.emitError() << "expects one positive depth";
  int64_t rank = type->getRank() + 1;
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(-1), rank);
  if (failed(axis))
    return failure();

  // The indices with a unit dimension at `axis` broadcast over the output;
  // off and on as 0-d inputs.
  OpBuilder &b = ctx.builder;
  SmallVector<int64_t> unitShape(type->getShape());
  unitShape.insert(unitShape.begin() + *axis, 1);
  SmallVector<int64_t> shape(unitShape);
  shape[*axis] = *depth;
  SmallVector<Value> inputs = {
      buildReshape(b, ctx.loc, ctx.getOperand(0), unitShape)};
  for (int64_t i = 0; i < 2; ++i) {
    Value slice = tensor::ExtractSliceOp::create(
        b, ctx.loc, ctx.getOperand(2),
        ArrayRef<OpFoldResult>{b.getIndexAttr(i)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    inputs.push_back(buildReshape(b, ctx.loc, slice, {}));
  }
  Type i64 = b.getI64Type();
  return SmallVector<Value>{buildBroadcastMap(
      b, ctx.loc, inputs, shape, elementType,
      [&](OpBuilder &nb, Location loc, ValueRange args) -> Value {
        Value index = args[0];
        if (isa<FloatType>(indexType))
          index = arith::FPToSIOp::create(nb, loc, i64, index);
        index = buildWrappedIndex(nb, loc, index, *depth, /*clamp=*/false);
        Value position = linalg::IndexOp::create(nb, loc, *axis);
        Value hot = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq,
                                          index, position);
        return arith::SelectOp::create(nb, loc, hot, args[2], args[1]);
      })};
}

void muon::onnx_import::populateLogicImporters(OpImporterRegistry &registry) {
  // Numpy broadcasting since opset 7 (before: `broadcast`/`axis`).
  auto addCompare = [&](StringRef name, arith::CmpFPredicate fpred,
                        arith::CmpIPredicate ipred, int64_t since = 7) {
    registry.add(
        "", name,
        [=](NodeContext &ctx) { return importCompare(ctx, fpred, ipred); },
        {since});
  };
  addCompare("Equal", arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq);
  addCompare("Less", arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt);
  addCompare("LessOrEqual", arith::CmpFPredicate::OLE,
             arith::CmpIPredicate::sle, /*since=*/12);
  addCompare("Greater", arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt);
  addCompare("GreaterOrEqual", arith::CmpFPredicate::OGE,
             arith::CmpIPredicate::sge, /*since=*/12);
  auto addLogic = [&](StringRef name, LogicKind kind) {
    registry.add(
        "", name,
        [=](NodeContext &ctx) { return importLogic(ctx, kind, false); },
        {/*since=*/kind == LogicKind::Not ? 1 : 7});
    registry.add("", ("Bitwise" + name).str(),
                 [=](NodeContext &ctx) { return importLogic(ctx, kind, true); },
                 {/*since=*/18});
  };
  addLogic("Not", LogicKind::Not);
  addLogic("And", LogicKind::And);
  addLogic("Or", LogicKind::Or);
  addLogic("Xor", LogicKind::Xor);
  registry.add("", "BitShift", importBitShift, {/*since=*/11});
  registry.add("", "Where", importWhere, {/*since=*/9});
  registry.add("", "IsNaN",
               [](NodeContext &ctx) { return importIsSpecial(ctx, false); },
               {/*since=*/9});
  registry.add("", "IsInf",
               [](NodeContext &ctx) { return importIsSpecial(ctx, true); },
               {/*since=*/10});
  // Cast-1 names `to` by string.
  registry.add("", "Cast", importCast, {/*since=*/6});
  registry.add("", "CastLike", importCastLike, {/*since=*/15});
  registry.add("", "BitCast", importBitCast, {/*since=*/26});
  registry.add("", "Trilu", importTrilu, {/*since=*/14});
  // ORT's own Trilu (the contrib op predating ONNX's), which its gradient
  // of Trilu emits: the same inputs and attribute.
  registry.add("com.microsoft", "Trilu", importTrilu);
  registry.add("", "OneHot", importOneHot, {/*since=*/9});
  registry.acceptUnsigned("", {"Equal", "Less", "LessOrEqual", "Greater",
                               "GreaterOrEqual", "BitwiseNot", "BitwiseAnd",
                               "BitwiseOr", "BitwiseXor", "BitShift", "Where",
                               "Cast", "CastLike", "BitCast", "Trilu"});
  registry.acceptMinifloats("", {"Cast", "CastLike"});
}
