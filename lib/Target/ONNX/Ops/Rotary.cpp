//===- Rotary.cpp - RotaryEmbedding importer ------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// RotaryEmbedding (opset 23): RoPE on X [B, H, S, D] or [B, S, H·D]
// (num_heads), over the first R dims of each head (rotary_embedding_dim,
// default D). The cos/sin caches are [P, R/2] read at position_ids [B, S],
// or [B, S, R/2] without them. Each pair (x1, x2) of a head — halves
// (x[i], x[i + R/2]) or, interleaved, neighbours (x[2i], x[2i + 1]) —
// rotates by its angle:
//
//   x1' = cos_i · x1 - sin_i · x2,   x2' = sin_i · x1 + cos_i · x2
//
// One generic over X: each element reads its partner and its cache entries,
// so nothing is split, concatenated or transposed. Position ids outside
// [0, P) are reported by the step's status (and clamped meanwhile).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importRotaryEmbedding(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 3, 4);
  FailureOr<RankedTensorType> cosType = getOperandType(ctx, 1);
  FailureOr<RankedTensorType> sinType = getOperandType(ctx, 2);
  if (failed(type) || failed(cosType) || failed(sinType) ||
      failed(getFloatElementType(ctx, 0)))
    return failure();
  Type elementType = type->getElementType();
  if (cosType->getElementType() != elementType || *cosType != *sinType)
    return ctx.emitError() << "expects cos_cache and sin_cache of one type "
                              "with X's elements, got "
                           << *cosType << " and " << *sinType;
  int64_t numHeads = ctx.getIntAttr("num_heads").value_or(0);
  int64_t rotaryDim = ctx.getIntAttr("rotary_embedding_dim").value_or(0);
  FailureOr<bool> interleaved = getFlagAttr(ctx, "interleaved");
  if (failed(interleaved))
    return failure();

  // X as [B, H, S, D] (4-D) or [B, S, H, D] (3-D, viewed): where the batch
  // and the sequence index are.
  ArrayRef<int64_t> shape = type->getShape();
  SmallVector<int64_t> view(shape);
  int64_t seqDim = 2;
  if (type->getRank() == 3) {
    if (numHeads <= 0 || shape[2] % numHeads != 0)
      return ctx.emitError() << "expects num_heads dividing the hidden size "
                             << shape[2] << " of a 3-D X, got " << numHeads;
    view = {shape[0], shape[1], numHeads, shape[2] / numHeads};
    seqDim = 1;
  } else if (type->getRank() != 4) {
    return ctx.emitError() << "expects a 3-D or 4-D X, got " << *type;
  }
  int64_t headSize = view[3];
  if (rotaryDim == 0)
    rotaryDim = headSize;
  if (rotaryDim < 0 || rotaryDim > headSize || rotaryDim % 2 != 0)
    return emitUnsupportedAttr(ctx, "rotary_embedding_dim")
           << ": " << rotaryDim << " (expects an even size up to the head's "
           << headSize << ")";
  int64_t half = rotaryDim / 2;
  int64_t batch = view[0], seqLen = view[seqDim];

  Value positions = ctx.getOperand(3);
  int64_t cacheRows = cosType->getRank() == 2 ? cosType->getDimSize(0) : 0;
  SmallVector<int64_t> expectedCache =
      positions ? SmallVector<int64_t>{cacheRows, half}
                : SmallVector<int64_t>{batch, seqLen, half};
  if (cosType->getShape() != ArrayRef(expectedCache))
    return ctx.emitError() << "expects caches of shape "
                           << (positions ? "[positions, " : "[B, S, ") << half
                           << "] (rotary_embedding_dim / 2), got " << *cosType;
  if (positions) {
    FailureOr<RankedTensorType> positionsType = getOperandType(ctx, 3);
    if (failed(positionsType))
      return failure();
    if (positionsType->getShape() != ArrayRef<int64_t>{batch, seqLen} ||
        !positionsType->getElementType().isSignlessInteger(64))
      return ctx.emitError() << "expects int64 position_ids [" << batch << ", "
                             << seqLen << "], got " << *positionsType;
    if (failed(checkIndices(ctx, 3, 0, cacheRows)))
      return failure();
  }

  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value x = buildReshape(b, loc, ctx.getOperand(0), view);
  Value result = buildBroadcastMap(
      b, loc, x, view, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto constant = [&](int64_t value) -> Value {
          return arith::ConstantIndexOp::create(nb, nl, value);
        };
        SmallVector<Value> at;
        for (int64_t d = 0; d < 4; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d));
        Value d = at[3];
        // The pair's index i, the partner's position and whether this
        // element is the pair's first.
        Value pair, partner, first;
        if (*interleaved) {
          pair = arith::DivUIOp::create(nb, nl, d, constant(2));
          partner = arith::XOrIOp::create(nb, nl, d, constant(1));
          first = arith::CmpIOp::create(
              nb, nl, arith::CmpIPredicate::eq,
              arith::RemUIOp::create(nb, nl, d, constant(2)), constant(0));
        } else {
          first = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, d,
                                        constant(half));
          pair = arith::SelectOp::create(
              nb, nl, first, d,
              arith::SubIOp::create(nb, nl, d, constant(half)));
          partner = arith::SelectOp::create(
              nb, nl, first, arith::AddIOp::create(nb, nl, d, constant(half)),
              pair);
        }
        // Beyond the rotary dims, the element passes through: read it as
        // its own partner at pair 0.
        Value rotated = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult,
                                              d, constant(rotaryDim));
        pair = arith::SelectOp::create(nb, nl, rotated, pair, constant(0));
        partner = arith::SelectOp::create(nb, nl, rotated, partner, d);
        SmallVector<Value> partnerAt(at);
        partnerAt[3] = partner;
        Value other = tensor::ExtractOp::create(nb, nl, x, partnerAt);
        SmallVector<Value> cacheAt;
        if (positions) {
          Value position = tensor::ExtractOp::create(
              nb, nl, positions, ValueRange{at[0], at[seqDim]});
          cacheAt.push_back(buildClampedIndex(
              nb, nl,
              arith::IndexCastOp::create(nb, nl, nb.getIndexType(), position),
              cacheRows));
        } else {
          cacheAt = {at[0], at[seqDim]};
        }
        cacheAt.push_back(pair);
        Value cos =
            tensor::ExtractOp::create(nb, nl, ctx.getOperand(1), cacheAt);
        Value sin =
            tensor::ExtractOp::create(nb, nl, ctx.getOperand(2), cacheAt);
        // x1' = cos·x1 - sin·x2 (first), x2' = cos·x2 + sin·x1 (second).
        Value own = arith::MulFOp::create(nb, nl, cos, args[0]);
        Value cross = arith::MulFOp::create(nb, nl, sin, other);
        Value out = arith::SelectOp::create(
            nb, nl, first, arith::SubFOp::create(nb, nl, own, cross),
            arith::AddFOp::create(nb, nl, own, cross));
        return arith::SelectOp::create(nb, nl, rotated, out, args[0]);
      });
  return SmallVector<Value>{buildReshape(b, loc, result, shape)};
}

void muon::onnx_import::populateRotaryImporters(OpImporterRegistry &registry) {
  registry.add("", "RotaryEmbedding", importRotaryEmbedding, {/*since=*/23});
}
