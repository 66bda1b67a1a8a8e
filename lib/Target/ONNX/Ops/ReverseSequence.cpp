//===- ReverseSequence.cpp - ReverseSequence importer ---------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ReverseSequence (opset 10): for each batch entry b, the first
// sequence_lens[b] steps along time_axis reversed, the rest copied:
//
//   Y[.., t, .., b, ..] = X[.., t < L ? L - 1 - t : t, .., b, ..],
//   L = sequence_lens[b]
//
// as one indexed read. Lengths outside [0, T] are reported by the step's
// status (and clamped meanwhile).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importReverseSequence(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<RankedTensorType> lensType = getOperandType(ctx, 1);
  if (failed(type) || failed(lensType))
    return failure();
  int64_t rank = type->getRank();
  if (rank < 2)
    return ctx.emitError() << "expects an input of rank 2 or more, got "
                           << *type;
  int64_t batchAxis = ctx.getIntAttr("batch_axis").value_or(1);
  int64_t timeAxis = ctx.getIntAttr("time_axis").value_or(0);
  if ((batchAxis != 0 && batchAxis != 1) || batchAxis == timeAxis ||
      (timeAxis != 0 && timeAxis != 1))
    return emitUnsupportedAttr(ctx, "batch_axis")
           << ": " << batchAxis << " with time_axis " << timeAxis
           << " (expects 0 and 1, or 1 and 0)";
  int64_t batch = type->getDimSize(batchAxis);
  int64_t steps = type->getDimSize(timeAxis);
  if (lensType->getShape() != ArrayRef<int64_t>{batch} ||
      !lensType->getElementType().isSignlessInteger(64))
    return ctx.emitError() << "expects int64 sequence_lens [" << batch
                           << "], got " << *lensType;
  if (failed(checkIndices(ctx, 1, 0, steps + 1)))
    return failure();
  Value lens = ctx.getOperand(1);
  return SmallVector<Value>{buildIndexedRead(
      ctx.builder, ctx.loc, ctx.getOperand(0), type->getShape(),
      [&](OpBuilder &b, Location loc, int64_t d, Value position) -> Value {
        if (d != timeAxis)
          return position;
        Value entry = tensor::ExtractOp::create(
            b, loc, lens,
            ValueRange{linalg::IndexOp::create(b, loc, batchAxis)});
        Value length = buildClampedIndex(
            b, loc, arith::IndexCastOp::create(b, loc, b.getIndexType(), entry),
            steps + 1);
        Value reversed = arith::SubIOp::create(
            b, loc,
            arith::SubIOp::create(b, loc, length,
                                  arith::ConstantIndexOp::create(b, loc, 1)),
            position);
        Value inPrefix = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::slt, position, length);
        return arith::SelectOp::create(b, loc, inPrefix, reversed, position);
      })};
}

void muon::onnx_import::populateReverseSequenceImporters(
    OpImporterRegistry &registry) {
  registry.add("", "ReverseSequence", importReverseSequence, {/*since=*/10});
  registry.acceptUnsigned("", {"ReverseSequence"});
}
