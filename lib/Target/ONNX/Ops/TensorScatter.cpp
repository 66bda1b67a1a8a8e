//===- TensorScatter.cpp - TensorScatter importer -------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// TensorScatter (opset 24), the KV-cache update of LLM decoding: the present
// cache is the past one with update's S steps written along `axis` (not the
// batch's, default -2) from write_indices[b] (default 0) on; in mode
// circular the positions wrap modulo the cache's length M. As one generic
// over the cache, each position reading the update step that lands on it:
//
//   s = c - w (linear) or (c - w) mod M (circular); out = s < S ? update[s]
//                                                               : past[c]
//
// Write indices outside [0, M - S] (linear) or [0, M) (circular) are located
// errors when constant, else reported by the step's status.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importTensorScatter(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 3);
  FailureOr<RankedTensorType> updateType = getOperandType(ctx, 1);
  if (failed(type) || failed(updateType))
    return failure();
  int64_t rank = type->getRank();
  std::string mode = ctx.getStringAttr("mode").value_or("linear");
  if (mode != "linear" && mode != "circular")
    return emitUnsupportedAttr(ctx, "mode")
           << ": '" << mode << "' (expects linear or circular)";
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(-2), rank);
  if (failed(axis))
    return failure();
  if (*axis == 0)
    return ctx.emitError() << "expects the sequence axis after the batch's";
  int64_t length = type->getDimSize(*axis);
  int64_t steps = updateType->getDimSize(*axis);
  bool compatible = updateType->getElementType() == type->getElementType() &&
                    updateType->getRank() == rank && steps <= length;
  for (int64_t d = 0; d < rank && compatible; ++d)
    compatible = d == *axis || updateType->getDimSize(d) == type->getDimSize(d);
  if (!compatible)
    return ctx.emitError() << "expects an update of the cache's shape but for "
                              "at most as many steps along axis "
                           << *axis << ", got " << *updateType << " for "
                           << *type;
  bool circular = mode == "circular";
  Value writes = ctx.getOperand(2);
  if (writes) {
    FailureOr<RankedTensorType> writesType = getOperandType(ctx, 2);
    if (failed(writesType))
      return failure();
    if (writesType->getShape() != ArrayRef<int64_t>{type->getDimSize(0)} ||
        !writesType->getElementType().isSignlessInteger(64))
      return ctx.emitError() << "expects int64 write_indices ["
                             << type->getDimSize(0) << "], got " << *writesType;
    if (failed(checkIndices(ctx, 2, 0, circular ? length : length - steps + 1)))
      return failure();
  }

  Value update = ctx.getOperand(1);
  Value result = buildBroadcastMap(
      ctx.builder, ctx.loc, ctx.getOperand(0), type->getShape(),
      type->getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        auto constant = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(b, loc, v);
        };
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(b, loc, d));
        Value write = constant(0);
        if (writes)
          write = buildClampedIndex(
              b, loc,
              arith::IndexCastOp::create(
                  b, loc, b.getIndexType(),
                  tensor::ExtractOp::create(b, loc, writes, at[0])),
              length);
        // Linear: c - w, as an unsigned index (negative reads as huge);
        // circular: (c - w + M) mod M.
        Value step = arith::SubIOp::create(b, loc, at[*axis], write);
        if (circular)
          step = arith::RemUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, step, constant(length)),
              constant(length));
        Value written = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              step, constant(steps));
        at[*axis] = arith::SelectOp::create(b, loc, written, step, constant(0));
        Value value = tensor::ExtractOp::create(b, loc, update, at);
        return arith::SelectOp::create(b, loc, written, value, args[0]);
      });
  return SmallVector<Value>{result};
}

void muon::onnx_import::populateTensorScatterImporters(
    OpImporterRegistry &registry) {
  registry.add("", "TensorScatter", importTensorScatter, {/*since=*/24});
}
