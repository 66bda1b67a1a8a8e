//===- Det.cpp - Det importer ---------------------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Det (opset 11): the determinants of X [*, M, M] by LU decomposition with
// partial pivoting, as LAPACK's getrf (numpy.linalg.det) computes them. An
// `scf.for` over the columns k carries the matrices (in two alternating
// slots) and the permutation's sign; each step is three generics over the
// batch:
//
//   p      = argmax_{i >= k} |A[i, k]|             (the first on ties)
//   A'     = A with rows k and p swapped, then for i > k
//            A'[i, j] -= A'[i, k] / A'[k, k] · A'[k, j]  (nothing when the
//            pivot is 0: the determinant is then 0)
//   sign  *= p != k ? −1 : 1
//
// and det = sign · Π A[i, i]. The arithmetic is f32 for 16-bit floats.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "Recurrent.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

/// The pivot row of column `k` of each matrix of `a` [B, M, M]: an i64
/// tensor [B].
static Value buildPivotRows(OpBuilder &b, Location loc, Value a, Value k) {
  auto type = cast<RankedTensorType>(a.getType());
  int64_t batch = type.getDimSize(0), size = type.getDimSize(1);
  Type elementType = type.getElementType();
  Value column = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({batch, size}, elementType), a,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0), k},
      ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(size),
                             b.getIndexAttr(1)},
      ArrayRef<OpFoldResult>(SmallVector<OpFoldResult>(3, b.getIndexAttr(1))));
  MLIRContext *context = b.getContext();
  // Loops (b, i): |A[b, i, k]| compared in order, keeping the first maximum.
  AffineExpr d0, d1;
  bindDims(context, d0, d1);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, context),
                                 AffineMap::get(2, 0, d0, context),
                                 AffineMap::get(2, 0, d0, context)};
  Value bestInit =
      buildFilled(b, loc, {batch}, b.getFloatAttr(elementType, -1.0));
  Value rowInit = buildFilled(b, loc, {batch}, b.getI64IntegerAttr(0));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{bestInit.getType(), rowInit.getType()}, column,
      ValueRange{bestInit, rowInit}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = linalg::IndexOp::create(nb, nl, 1);
        Value magnitude = math::AbsFOp::create(nb, nl, args[0]);
        Value candidate = arith::AndIOp::create(
            nb, nl,
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::uge, i, k),
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, magnitude,
                                  args[1]));
        Value row = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{
                arith::SelectOp::create(nb, nl, candidate, magnitude, args[1]),
                arith::SelectOp::create(nb, nl, candidate, row, args[2])});
      });
  return generic.getResult(1);
}

/// One elimination step of column `k`: rows k and p swapped, then the rows
/// below k reduced by the pivot row.
static Value buildEliminationStep(OpBuilder &b, Location loc, Value a,
                                  Value pivots, Value k) {
  auto type = cast<RankedTensorType>(a.getType());
  Type elementType = type.getElementType();
  return buildBroadcastMap(
      b, loc, {}, type.getShape(), elementType,
      [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
        Value m = linalg::IndexOp::create(nb, nl, 0);
        Value i = linalg::IndexOp::create(nb, nl, 1);
        Value j = linalg::IndexOp::create(nb, nl, 2);
        Value p = arith::IndexCastOp::create(
            nb, nl, nb.getIndexType(),
            tensor::ExtractOp::create(nb, nl, pivots, m));
        auto equal = [&](Value x, Value y) -> Value {
          return arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, x, y);
        };
        // Row i of the swapped matrix.
        Value row = arith::SelectOp::create(
            nb, nl, equal(i, k), p,
            arith::SelectOp::create(nb, nl, equal(i, p), k, i));
        auto at = [&](Value r, Value c) -> Value {
          return tensor::ExtractOp::create(nb, nl, a, ValueRange{m, r, c});
        };
        Value value = at(row, j);
        Value pivot = at(p, k);
        Value zero = buildScalar(nb, nl, elementType, 0.0);
        Value factor = arith::SelectOp::create(
            nb, nl,
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, pivot,
                                  zero),
            zero, arith::DivFOp::create(nb, nl, at(row, k), pivot));
        Value reduced = arith::SubFOp::create(
            nb, nl, value, arith::MulFOp::create(nb, nl, factor, at(p, j)));
        Value below =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ugt, i, k);
        return arith::SelectOp::create(nb, nl, below, reduced, value);
      });
}

static ImportResult importDet(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type) || failed(getFloatElementType(ctx, 0)))
    return failure();
  ArrayRef<int64_t> shape = type->getShape();
  int64_t rank = type->getRank();
  if (rank < 2 || shape[rank - 1] != shape[rank - 2])
    return ctx.emitError() << "expects square matrices [*, M, M], got "
                           << *type;
  int64_t size = shape.back();
  int64_t batch = 1;
  for (int64_t dim : shape.drop_back(2))
    batch *= dim;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type elementType = type->getElementType();
  Type arithType =
      elementType.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : elementType;
  Value a = muon::convertElements(
      b, loc, buildReshape(b, loc, ctx.getOperand(0), {batch, size, size}),
      arithType);
  Value sign = buildFilled(b, loc, {batch}, b.getFloatAttr(arithType, 1.0));
  // The matrices alternate between two slots of one loop-carried tensor and
  // the sign is updated in place: every yield reuses its buffer (the GPU
  // pipeline's loops must not carry fresh ones).
  Value slots = rnn::buildInsert(
      b, loc, a, buildEmpty(b, loc, {2, batch, size, size}, arithType),
      b.getIndexAttr(0));
  auto slotOf = [](OpBuilder &nb, Location nl, Value k, int64_t offset) {
    return arith::RemUIOp::create(
        nb, nl,
        arith::AddIOp::create(nb, nl, k,
                              arith::ConstantIndexOp::create(nb, nl, offset)),
        arith::ConstantIndexOp::create(nb, nl, 2));
  };
  SmallVector<Value> carried = rnn::buildTimeLoop(
      b, loc, size, /*backwards=*/false, {slots, sign},
      [&](OpBuilder &nb, Location nl, Value k,
          ValueRange values) -> SmallVector<Value> {
        Value current = rnn::buildSlice(nb, nl, values[0],
                                        slotOf(nb, nl, k, 0).getResult());
        Value pivots = buildPivotRows(nb, nl, current, k);
        Value eliminated = buildEliminationStep(nb, nl, current, pivots, k);
        Value flipped = muon::buildElementwiseUpdate(
            nb, nl, pivots, values[1], Type(),
            [&](OpBuilder &bb, Location bl, ValueRange args) {
              Value swapped = arith::CmpIOp::create(
                  bb, bl, arith::CmpIPredicate::ne, args[0],
                  arith::IndexCastOp::create(bb, bl, bb.getI64Type(), k));
              return SmallVector<Value>{arith::SelectOp::create(
                  bb, bl, swapped, arith::NegFOp::create(bb, bl, args[1]),
                  args[1])};
            });
        return {rnn::buildInsert(nb, nl, eliminated, values[0],
                                 slotOf(nb, nl, k, 1).getResult()),
                flipped};
      });
  carried[0] = rnn::buildSlice(b, loc, carried[0], b.getIndexAttr(size % 2));
  // det = sign · Π diag, over loops (b, i).
  MLIRContext *context = b.getContext();
  AffineExpr d0, d1;
  bindDims(context, d0, d1);
  Value diagonal = buildBroadcastMap(
      b, loc, {}, {batch, size}, arithType,
      [&](OpBuilder &nb, Location nl, ValueRange) -> Value {
        Value i = linalg::IndexOp::create(nb, nl, 1);
        return tensor::ExtractOp::create(
            nb, nl, carried[0],
            ValueRange{linalg::IndexOp::create(nb, nl, 0), i, i});
      });
  Value product =
      linalg::GenericOp::create(
          b, loc, carried[1].getType(), diagonal, carried[1],
          {AffineMap::get(2, 0, {d0, d1}, context),
           AffineMap::get(2, 0, d0, context)},
          {utils::IteratorType::parallel, utils::IteratorType::reduction},
          [](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                ValueRange{arith::MulFOp::create(nb, nl, args[1], args[0])});
          })
          .getResult(0);
  return SmallVector<Value>{
      buildReshape(b, loc, muon::convertElements(b, loc, product, elementType),
                   shape.drop_back(2))};
}

void muon::onnx_import::populateDetImporters(OpImporterRegistry &registry) {
  registry.add("", "Det", importDet, {/*since=*/11});
}
