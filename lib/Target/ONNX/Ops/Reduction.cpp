//===- Reduction.cpp - ONNX reduction op importers ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ReduceSum/ReduceMean/ReduceMax/ReduceMin/ReduceProd/ReduceL1/ReduceL2/
// ReduceSumSquare/ReduceLogSum as linalg.reduce;
// ReduceLogSumExp (torch.logsumexp) max-subtracted as ORT's kernel computes it,
// m + log(sum(exp(x - m))) with m the maximum (0 where it is infinite), so
// that large inputs do not overflow. The axes come from
// the second input (ReduceSum from opset 13, the others from 18) or the `axes`
// attribute (earlier opsets); no axes reduce everything unless
// noop_with_empty_axes.
//
// TopK (torch.topk, and torch.sort, which exports as a TopK of the whole
// axis; ORT differentiates both with GatherElementsGrad at the indices)
// without a sort: each element's rank along the axis is the number of
// elements ordered before it (larger, or smaller with largest = 0; an equal
// one at a lower index first, ONNX's tie rule), an O(n^2) reduction; output
// position p takes the element of rank p. The results come out sorted
// whatever `sorted` says, which ONNX allows.
//
// ArgMax/ArgMin (predictions, straight-through one-hots) as the maximum and
// then the first (or last) position holding it; Hardmax as the one-hot of
// ArgMax's first position.
//
// CumSum (RoBERTa's position ids from the padding mask, an integer CumSum
// in the forward graph: ORT has no gradient for a float one) and CumProd
// (opset 26, the same with products) as one generic
// whose extra reduction loop runs over the whole axis and combines the elements
// at or before (after, with reverse; strictly, with exclusive) each output's
// position: O(n^2) on the axis, but one kernel with no carried state, which the
// GPU pipeline runs like any reduction.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// What a reduction computes around its linalg.reduce.
enum class ReduceForm { Plain, Mean, L1, L2, SumSquare, LogSum, LogSumExp };
} // namespace

/// log(sum(exp(x))) over `axes`, shifted by the maximum (an infinite one
/// shifts by 0: -inf rows stay -inf, +inf ones +inf).
static Value buildLogSumExp(OpBuilder &b, Location loc, Value input,
                            ArrayRef<int64_t> axes, bool keepDims) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  Value max =
      buildReduce(b, loc, input, axes, /*keepDims=*/true, ReduceKind::Max);
  Value shift = buildBroadcastMap(
      b, loc, max, cast<RankedTensorType>(max.getType()).getShape(),
      elementType, [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value magnitude = math::AbsFOp::create(nb, nl, args[0]);
        Value infinity = arith::ConstantOp::create(
            nb, nl,
            nb.getFloatAttr(
                args[0].getType(),
                APFloat::getInf(
                    cast<FloatType>(args[0].getType()).getFloatSemantics())));
        Value finite = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT,
                                             magnitude, infinity);
        return arith::SelectOp::create(
            nb, nl, finite, args[0], buildScalar(nb, nl, args[0].getType(), 0));
      });
  Value exp = buildBroadcastMap(
      b, loc, {input, shift}, type.getShape(), elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return math::ExpOp::create(
            nb, nl, arith::SubFOp::create(nb, nl, args[0], args[1]));
      });
  Value sum =
      buildReduce(b, loc, exp, axes, /*keepDims=*/true, ReduceKind::Sum);
  auto keptType = cast<RankedTensorType>(sum.getType());
  Value result = buildBroadcastMap(
      b, loc, {sum, shift}, keptType.getShape(), elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::AddFOp::create(
            nb, nl, math::LogOp::create(nb, nl, args[0]), args[1]);
      });
  if (keepDims)
    return result;
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(keptType.getShape()))
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      shape.push_back(size);
  return buildReshape(b, loc, result, shape);
}

static ImportResult importReduce(NodeContext &ctx, ReduceKind kind,
                                 ReduceForm form) {
  bool mean = form == ReduceForm::Mean;
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && !(elementType.isInteger() && form == ReduceForm::Plain))
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
  FailureOr<bool> keepDims = getFlagAttr(ctx, "keepdims", true);
  FailureOr<bool> noop = getFlagAttr(ctx, "noop_with_empty_axes");
  if (failed(keepDims) || failed(noop))
    return failure();
  Value input = ctx.getOperand(0);
  if (axes.empty()) {
    if (*noop)
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
  if (form == ReduceForm::L2 || form == ReduceForm::SumSquare) // sum(x^2)
    input =
        map(input, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::MulFOp::create(b, loc, args[0], args[0]);
        });
  if (form == ReduceForm::L1) // sum(|x|)
    input =
        map(input, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return math::AbsFOp::create(b, loc, args[0]);
        });
  if (form == ReduceForm::LogSumExp)
    return SmallVector<Value>{
        buildLogSumExp(ctx.builder, ctx.loc, input, *normalized, *keepDims)};
  Value result =
      buildReduce(ctx.builder, ctx.loc, input, *normalized, *keepDims, kind);
  if (form == ReduceForm::L2)
    result =
        map(result, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return math::SqrtOp::create(b, loc, args[0]);
        });
  if (form == ReduceForm::LogSum)
    result =
        map(result, [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return math::LogOp::create(b, loc, args[0]);
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

/// CumSum's, CumProd's and TopK's data (and their second operand, a constant):
/// floats or integers.
static FailureOr<RankedTensorType> getNumberDataType(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  if (!isa<FloatType>(elementType) && !elementType.isInteger())
    return ctx.emitError() << "unsupported element type " << elementType;
  return type;
}

/// CumSum, or CumProd (`product`, opset 26).
static ImportResult importCumulative(NodeContext &ctx, bool product) {
  FailureOr<RankedTensorType> type = getNumberDataType(ctx);
  if (failed(type))
    return failure();
  Type elementType = getSignlessType(type->getElementType());
  FailureOr<SmallVector<int64_t>> axisValues = getConstantIntOperand(ctx, 1);
  if (failed(axisValues))
    return failure();
  if (axisValues->size() != 1)
    return ctx.emitError() << "expects one axis, got " << axisValues->size();
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, axisValues->front(), rank);
  if (failed(axis))
    return failure();
  FailureOr<bool> exclusive = getFlagAttr(ctx, "exclusive");
  FailureOr<bool> reverse = getFlagAttr(ctx, "reverse");
  if (failed(exclusive) || failed(reverse))
    return failure();

  // Loops d0..d(rank-1) over the output, d(rank) over the axis' sources.
  OpBuilder &b = ctx.builder;
  SmallVector<AffineMap> alongMaps =
      getAlongAxisMaps(b.getContext(), rank, *axis);
  SmallVector<AffineMap> maps = {alongMaps[1], alongMaps[0]};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = buildFilled(b, ctx.loc, type->getShape(),
                           product ? b.getOneAttr(elementType)
                                   : b.getZeroAttr(elementType));
  // Source j counts toward output i when j <= i (j >= i reversed), strictly
  // when exclusive.
  arith::CmpIPredicate predicate =
      *reverse
          ? (*exclusive ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
          : (*exclusive ? arith::CmpIPredicate::slt
                        : arith::CmpIPredicate::sle);
  Value result =
      linalg::GenericOp::create(
          b, ctx.loc, init.getType(),
          buildSignlessTensor(b, ctx.loc, ctx.getOperand(0)), init, maps,
          iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value source = linalg::IndexOp::create(nb, loc, rank);
            Value position = linalg::IndexOp::create(nb, loc, *axis);
            Value counts =
                arith::CmpIOp::create(nb, loc, predicate, source, position);
            Value combined =
                buildCombine(nb, loc, args[1], args[0],
                             product ? ReduceKind::Prod : ReduceKind::Sum);
            linalg::YieldOp::create(nb, loc,
                                    Value(arith::SelectOp::create(
                                        nb, loc, counts, combined, args[1])));
          })
          .getResult(0);
  return SmallVector<Value>{
      buildTensorOfElementType(b, ctx.loc, result, type->getElementType())};
}

static ImportResult importTopK(NodeContext &ctx) {
  // Sorted results are valid for both values (sorted = 0 leaves the order
  // unspecified).
  ctx.ignoreAttr("sorted");
  FailureOr<RankedTensorType> type = getNumberDataType(ctx);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isFloat = isa<FloatType>(elementType);
  bool isUnsigned = elementType.isUnsignedInteger();
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(-1), rank);
  FailureOr<SmallVector<int64_t>> kValues = getConstantIntOperand(ctx, 1);
  if (failed(axis) || failed(kValues))
    return failure();
  int64_t size = type->getDimSize(*axis);
  if (kValues->size() != 1 || kValues->front() < 0 || kValues->front() > size)
    return ctx.emitError() << "expects one K in [0, " << size
                           << "] (the axis' size)";
  int64_t k = kValues->front();
  FailureOr<bool> largest = getFlagAttr(ctx, "largest", true);
  if (failed(largest))
    return failure();

  // rank[x] = #{j : x_j before x_i}, loops d0..d(rank-1) over X (i on the
  // axis) and d(rank) over j.
  OpBuilder &b = ctx.builder;
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  Value input = buildSignlessTensor(b, ctx.loc, ctx.getOperand(0));
  SmallVector<AffineMap> maps = getAlongAxisMaps(context, rank, *axis);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value zeros = buildFilled(b, ctx.loc, type->getShape(), b.getZeroAttr(i64));
  Value ranks =
      linalg::GenericOp::create(
          b, ctx.loc, zeros.getType(), ValueRange{input, input}, zeros,
          {maps[0], maps[1], maps[0]}, iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value own = args[0], other = args[1];
            auto compare = [&](arith::CmpFPredicate fpred,
                               arith::CmpIPredicate ipred) -> Value {
              if (isFloat)
                return arith::CmpFOp::create(nb, loc, fpred, other, own);
              return arith::CmpIOp::create(nb, loc, ipred, other, own);
            };
            Value before =
                *largest ? compare(arith::CmpFPredicate::OGT,
                                   isUnsigned ? arith::CmpIPredicate::ugt
                                              : arith::CmpIPredicate::sgt)
                         : compare(arith::CmpFPredicate::OLT,
                                   isUnsigned ? arith::CmpIPredicate::ult
                                              : arith::CmpIPredicate::slt);
            Value equal =
                compare(arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq);
            Value lower =
                arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt,
                                      linalg::IndexOp::create(nb, loc, rank),
                                      linalg::IndexOp::create(nb, loc, *axis));
            Value counts = arith::OrIOp::create(
                nb, loc, before, arith::AndIOp::create(nb, loc, equal, lower));
            Value one = arith::ExtUIOp::create(nb, loc, i64, counts);
            linalg::YieldOp::create(
                nb, loc, Value(arith::AddIOp::create(nb, loc, args[2], one)));
          })
          .getResult(0);

  // Indices[p] = the i whose rank is p: loops over the output, d(rank) over
  // the axis' elements.
  SmallVector<int64_t> shape(type->getShape());
  shape[*axis] = k;
  Value indicesInit = buildFilled(b, ctx.loc, shape, b.getZeroAttr(i64));
  Value indices =
      linalg::GenericOp::create(
          b, ctx.loc, indicesInit.getType(), ranks, indicesInit,
          {maps[1], maps[0]}, iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value position = arith::IndexCastOp::create(
                nb, loc, i64, linalg::IndexOp::create(nb, loc, *axis));
            Value element = arith::IndexCastOp::create(
                nb, loc, i64, linalg::IndexOp::create(nb, loc, rank));
            Value hit = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq,
                                              args[0], position);
            linalg::YieldOp::create(
                nb, loc,
                Value(arith::SelectOp::create(nb, loc, hit, element, args[1])));
          })
          .getResult(0);
  Value values = buildIndexedRead(
      b, ctx.loc, input, shape,
      [&](OpBuilder &nb, Location loc, int64_t d, Value position) -> Value {
        if (d != *axis)
          return position;
        SmallVector<Value> at;
        for (int64_t e = 0; e < rank; ++e)
          at.push_back(e == d ? position : linalg::IndexOp::create(nb, loc, e));
        Value index = tensor::ExtractOp::create(nb, loc, indices, at);
        return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), index);
      });
  return SmallVector<Value>{
      buildTensorOfElementType(b, ctx.loc, values, elementType), indices};
}

/// The first (`last`: last) position along `axis` of `input` holding its
/// maximum, a NaN counting as it as in torch, as i64 with `axis` kept as 1.
/// Two passes, O(n): the maximum, then the lowest (highest) position equal
/// to it.
static Value buildArgMax(OpBuilder &b, Location loc, Value input, int64_t axis,
                         bool last) {
  auto type = cast<RankedTensorType>(input.getType());
  bool isFloat = isa<FloatType>(type.getElementType());
  int64_t rank = type.getRank();
  Value max = buildSignlessTensor(
      b, loc,
      buildReduce(b, loc, input, {axis}, /*keepDims=*/true, ReduceKind::Max));
  input = buildSignlessTensor(b, loc, input);
  int64_t size = type.getDimSize(axis);
  Type i64 = b.getI64Type();
  auto keptType = cast<RankedTensorType>(max.getType());
  Value init = buildFilled(b, loc, keptType.getShape(),
                           b.getIntegerAttr(i64, last ? 0 : size - 1));
  SmallVector<AffineMap> maps = getAlongAxisMaps(b.getContext(), rank, axis);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input, max}, init,
             {maps[1], maps[0], maps[0]}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value hit;
               if (isFloat)
                 hit = arith::OrIOp::create(
                     nb, nl,
                     arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                           args[0], args[1]),
                     arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNO,
                                           args[0], args[0]));
               else
                 hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                             args[0], args[1]);
               Value position = arith::IndexCastOp::create(
                   nb, nl, i64, linalg::IndexOp::create(nb, nl, rank));
               Value better =
                   last ? arith::MaxSIOp::create(nb, nl, args[2], position)
                              .getResult()
                        : arith::MinSIOp::create(nb, nl, args[2], position)
                              .getResult();
               linalg::YieldOp::create(nb, nl,
                                       Value(arith::SelectOp::create(
                                           nb, nl, hit, better, args[2])));
             })
      .getResult(0);
}

/// ArgMax, or ArgMin (`min`, float data only: an ArgMax of -x).
static ImportResult importArgMax(NodeContext &ctx, bool min) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  Type elementType = type->getElementType();
  bool isFloat = isa<FloatType>(elementType);
  if (!isFloat && (min || !elementType.isInteger()))
    return ctx.emitError() << "unsupported element type " << elementType;
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), type->getRank());
  if (failed(axis))
    return failure();
  FailureOr<bool> keepDims = getFlagAttr(ctx, "keepdims", true);
  FailureOr<bool> last = getFlagAttr(ctx, "select_last_index");
  if (failed(keepDims) || failed(last))
    return failure();
  OpBuilder &b = ctx.builder;
  Value input = ctx.getOperand(0);
  if (min)
    input = buildBroadcastMap(
        b, ctx.loc, input, type->getShape(), elementType,
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return arith::NegFOp::create(nb, nl, args[0]);
        });
  Value index = buildArgMax(b, ctx.loc, input, *axis, *last);
  if (!*keepDims) {
    SmallVector<int64_t> shape(type->getShape());
    shape.erase(shape.begin() + *axis);
    index = buildReshape(b, ctx.loc, index, shape);
  }
  return SmallVector<Value>{index};
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. From opset
/// 13 over the one dimension `axis` (default -1); earlier opsets flatten to
/// 2-D at `axis` (default 1), as Softmax does.
static ImportResult importHardmax(NodeContext &ctx) {
  return importAlongCoercedAxis(ctx, [](OpBuilder &b, Location loc, Value x,
                                        int64_t axis) {
    auto type = cast<RankedTensorType>(x.getType());
    Type elementType = type.getElementType();
    Value index = buildArgMax(b, loc, x, axis, /*last=*/false);
    return buildBroadcastMap(
        b, loc, index, type.getShape(), elementType,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value position = arith::IndexCastOp::create(
              nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
          Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                            args[0], position);
          return arith::SelectOp::create(nb, nl, hit,
                                         buildScalar(nb, nl, elementType, 1.0),
                                         buildScalar(nb, nl, elementType, 0.0));
        });
  });
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
  registry.add("", "ReduceMin", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Min, ReduceForm::Plain);
  });
  registry.add("", "ReduceProd", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Prod, ReduceForm::Plain);
  });
  registry.add("", "ReduceL1", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::L1);
  });
  registry.add("", "ReduceL2", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::L2);
  });
  registry.add("", "ReduceSumSquare", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::SumSquare);
  });
  registry.add("", "ReduceLogSum", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Sum, ReduceForm::LogSum);
  });
  registry.add("", "ReduceLogSumExp", [](NodeContext &ctx) {
    return importReduce(ctx, ReduceKind::Max, ReduceForm::LogSumExp);
  });
  registry.add(
      "", "CumSum",
      [](NodeContext &ctx) { return importCumulative(ctx, /*product=*/false); },
      {/*since=*/11});
  registry.add(
      "", "CumProd",
      [](NodeContext &ctx) { return importCumulative(ctx, /*product=*/true); },
      {/*since=*/26});
  // ArgMax-11 allows negative axes, 12 adds select_last_index.
  registry.add("", "ArgMax",
               [](NodeContext &ctx) { return importArgMax(ctx, false); },
               {/*since=*/11});
  registry.add("", "ArgMin",
               [](NodeContext &ctx) { return importArgMax(ctx, true); },
               {/*since=*/11});
  registry.add("", "Hardmax", importHardmax);
  // TopK-10 takes K as an input, TopK-11 adds largest and sorted.
  registry.add("", "TopK", importTopK, {/*since=*/11});
  registry.acceptUnsigned("",
                          {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                           "CumSum", "CumProd", "ArgMax", "TopK"});
}
