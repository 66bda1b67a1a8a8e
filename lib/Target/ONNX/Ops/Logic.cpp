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
//   Not And Or Xor on bools; Where(cond, X, Y) = cond ? X : Y
//   Cast(to) between the float, signed integer and bool types the importer
//   reads: float -> integer truncates toward zero, x -> bool is x != 0,
//   bool -> number is 0/1.
//   Trilu: the upper or lower triangle of the last two dims (causal masks).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importCompare(NodeContext &ctx, arith::CmpFPredicate fpred,
                                  arith::CmpIPredicate ipred) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<Type> type = getCommonElementType(ctx, 0);
  if (failed(type))
    return failure();
  bool isFloat = isa<FloatType>(*type);
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, ctx.builder.getI1Type(),
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

static ImportResult importLogic(NodeContext &ctx, LogicKind kind) {
  unsigned numInputs = kind == LogicKind::Not ? 1 : 2;
  if (failed(checkNumOperands(ctx, numInputs, numInputs)))
    return failure();
  FailureOr<Type> type = getCommonElementType(ctx, 0);
  if (failed(type))
    return failure();
  if (!type->isInteger(1))
    return ctx.emitError() << "expects bool inputs, got " << *type;
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, *type,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        switch (kind) {
        case LogicKind::Not:
          return arith::XOrIOp::create(
              b, loc, args[0], buildScalar(b, loc, args[0].getType(), 1));
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
      ctx, ctx.operands, *type,
      [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// `value` converted to `to` with Cast's semantics.
static Value buildCast(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
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
  if (toFloat)
    return fromBool ? arith::UIToFPOp::create(b, loc, to, value).getResult()
                    : arith::SIToFPOp::create(b, loc, to, value).getResult();
  if (fromFloat)
    return arith::FPToSIOp::create(b, loc, to, value);
  if (fromWidth < toWidth)
    return fromBool ? arith::ExtUIOp::create(b, loc, to, value).getResult()
                    : arith::ExtSIOp::create(b, loc, to, value).getResult();
  return arith::TruncIOp::create(b, loc, to, value);
}

static ImportResult importCast(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  std::optional<int64_t> to = ctx.getIntAttr("to");
  if (!to)
    return ctx.emitError() << "expects attribute 'to'";
  Type target = ctx.convertDataType(*to);
  if (!target)
    return emitUnsupportedAttr(ctx, "to")
           << ": " << *to << " (expects a float, signed integer or bool type)";
  if (ctx.getIntAttr("saturate").value_or(1) != 1)
    return emitUnsupportedAttr(ctx, "saturate") << ": only 1";
  if (target == type->getElementType())
    return SmallVector<Value>{ctx.getOperand(0)};
  return SmallVector<Value>{buildBroadcastMap(
      ctx.builder, ctx.loc, ctx.getOperand(0), type->getShape(), target,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return buildCast(b, loc, args[0], target);
      })};
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
  bool upper = ctx.getIntAttr("upper").value_or(1) != 0;
  int64_t rank = type->getRank();
  Type elementType = type->getElementType();
  return SmallVector<Value>{buildBroadcastMap(
      ctx.builder, ctx.loc, ctx.getOperand(0), type->getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value row = linalg::IndexOp::create(b, loc, rank - 2);
        Value column = linalg::IndexOp::create(b, loc, rank - 1);
        Value offset = arith::SubIOp::create(b, loc, column, row);
        Value diagonal = arith::ConstantIndexOp::create(b, loc, k);
        Value keep = arith::CmpIOp::create(b, loc,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           offset, diagonal);
        Value zero = buildScalar(b, loc, elementType, 0);
        return arith::SelectOp::create(b, loc, keep, args[0], zero);
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
    registry.add("", name,
                 [=](NodeContext &ctx) { return importLogic(ctx, kind); },
                 {/*since=*/kind == LogicKind::Not ? 1 : 7});
  };
  addLogic("Not", LogicKind::Not);
  addLogic("And", LogicKind::And);
  addLogic("Or", LogicKind::Or);
  addLogic("Xor", LogicKind::Xor);
  registry.add("", "Where", importWhere, {/*since=*/9});
  // Cast-1 names `to` by string.
  registry.add("", "Cast", importCast, {/*since=*/6});
  registry.add("", "Trilu", importTrilu, {/*since=*/14});
}
