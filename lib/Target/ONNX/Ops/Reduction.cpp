//===- Reduction.cpp - ONNX reduction op importers ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ReduceSum/ReduceMean/ReduceMax/ReduceL2 as linalg.reduce. The axes come from
// the second input (ReduceSum from opset 13, the others from 18) or the `axes`
// attribute (earlier opsets); no axes reduce everything unless
// noop_with_empty_axes.
//
// CumSum (RoBERTa's position ids from the padding mask, an integer CumSum
// in the forward graph: ORT has no gradient for a float one) as one generic
// whose extra reduction loop runs over the whole axis and adds the elements at
// or before (after, with reverse; strictly, with exclusive) each output's
// position: O(n^2) on the axis, but one kernel with no carried state, which the
// GPU pipeline runs like any reduction.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// What a reduction computes around its linalg.reduce.
enum class ReduceForm { Plain, Mean, L2 };
} // namespace

static ImportResult importReduce(NodeContext &ctx, ReduceKind kind,
                                 ReduceForm form) {
  bool mean = form == ReduceForm::Mean;
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat &&
      !(elementType.isSignlessInteger() && form == ReduceForm::Plain))
    return ctx.emitError() << "unsupported element type " << elementType;
  SmallVector<int64_t> axes;
  if (ctx.getOperand(1)) {
    FailureOr<SmallVector<int64_t>> values = getConstantIntOperand(ctx, 1);
    if (failed(values))
      return failure();
    axes = *values;
  } else if (auto attr = ctx.getIntsAttr("axes")) {
    axes = *attr;
  }
  int64_t keepDims = ctx.getIntAttr("keepdims").value_or(1);
  if (keepDims != 0 && keepDims != 1)
    return emitUnsupportedAttr(ctx, "keepdims") << ": " << keepDims;
  Value input = ctx.getOperand(0);
  if (axes.empty()) {
    if (ctx.getIntAttr("noop_with_empty_axes").value_or(0) != 0)
      return SmallVector<Value>{input};
    axes = llvm::to_vector(llvm::seq<int64_t>(0, type->getRank()));
  }
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(ctx, axes, type->getRank());
  if (failed(normalized))
    return failure();
  auto map = [&](Value value, auto fn) {
    auto valueType = cast<RankedTensorType>(value.getType());
    return buildBroadcastMap(ctx.builder, ctx.loc, value, valueType.getShape(),
                             valueType.getElementType(), fn);
  };
  if (form == ReduceForm::L2) // sqrt(sum(x^2))
    input =
        map(input, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::MulFOp::create(b, loc, args[0], args[0]);
        });
  Value result = buildReduce(ctx.builder, ctx.loc, input, *normalized,
                             keepDims == 1, kind);
  if (form == ReduceForm::L2)
    result =
        map(result, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return math::SqrtOp::create(b, loc, args[0]);
        });
  if (mean) {
    int64_t count = 1;
    for (int64_t axis : *normalized)
      count *= type->getDimSize(axis);
    auto resultType = cast<RankedTensorType>(result.getType());
    result = buildBroadcastMap(
        ctx.builder, ctx.loc, result, resultType.getShape(),
        resultType.getElementType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value divisor = buildScalar(b, loc, args[0].getType(), count);
          return arith::DivFOp::create(b, loc, args[0], divisor);
        });
  }
  return SmallVector<Value>{result};
}

static ImportResult importCumSum(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && !elementType.isSignlessInteger())
    return ctx.emitError() << "unsupported element type " << elementType;
  FailureOr<SmallVector<int64_t>> axisValues = getConstantIntOperand(ctx, 1);
  if (failed(axisValues))
    return failure();
  if (axisValues->size() != 1)
    return ctx.emitError() << "expects one axis, got " << axisValues->size();
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, axisValues->front(), rank);
  if (failed(axis))
    return failure();
  auto getFlag = [&](StringRef name) -> FailureOr<bool> {
    int64_t value = ctx.getIntAttr(name).value_or(0);
    if (value != 0 && value != 1)
      return emitUnsupportedAttr(ctx, name)
             << ": " << value << " (expects 0/1)";
    return value == 1;
  };
  FailureOr<bool> exclusive = getFlag("exclusive");
  FailureOr<bool> reverse = getFlag("reverse");
  if (failed(exclusive) || failed(reverse))
    return failure();

  // Loops d0..d(rank-1) over the output, d(rank) over the axis' sources.
  OpBuilder &b = ctx.builder;
  MLIRContext *context = b.getContext();
  SmallVector<AffineExpr> sourceExprs, outputExprs;
  for (int64_t d = 0; d < rank; ++d) {
    outputExprs.push_back(getAffineDimExpr(d, context));
    sourceExprs.push_back(getAffineDimExpr(d == *axis ? rank : d, context));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, sourceExprs, context),
      AffineMap::get(rank + 1, 0, outputExprs, context)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init =
      buildFilled(b, ctx.loc, type->getShape(), b.getZeroAttr(elementType));
  // Source j counts toward output i when j <= i (j >= i reversed), strictly
  // when exclusive.
  arith::CmpIPredicate predicate =
      *reverse
          ? (*exclusive ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
          : (*exclusive ? arith::CmpIPredicate::slt
                        : arith::CmpIPredicate::sle);
  Value result =
      linalg::GenericOp::create(
          b, ctx.loc, init.getType(), ctx.getOperand(0), init, maps, iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value source = linalg::IndexOp::create(nb, loc, rank);
            Value position = linalg::IndexOp::create(nb, loc, *axis);
            Value counts =
                arith::CmpIOp::create(nb, loc, predicate, source, position);
            Value sum = isFloat
                            ? arith::AddFOp::create(nb, loc, args[1], args[0])
                                  .getResult()
                            : arith::AddIOp::create(nb, loc, args[1], args[0])
                                  .getResult();
            linalg::YieldOp::create(
                nb, loc,
                Value(arith::SelectOp::create(nb, loc, counts, sum, args[1])));
          })
          .getResult(0);
  return SmallVector<Value>{result};
}

void muon::onnx_import::populateReductionImporters(
    OpImporterRegistry &registry) {
  registry.add("", "ReduceSum", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::Plain);
  });
  registry.add("", "ReduceMean", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::Mean);
  });
  registry.add("", "ReduceMax", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Max, ReduceForm::Plain);
  });
  registry.add("", "ReduceL2", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::L2);
  });
  registry.add("", "CumSum", importCumSum, {/*since=*/11});
}
