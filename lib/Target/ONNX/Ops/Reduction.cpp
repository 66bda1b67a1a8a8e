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
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
}
