//===- LinearAttention.cpp - LinearAttention importer ---------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// LinearAttention (opset 27): the recurrent attention of linear-attention,
// GLA/RetNet, DeltaNet and Gated DeltaNet layers. Q [B, T, Hq·dk],
// K [B, T, Hkv·dk] and V [B, T, Hkv·dv] are unpacked per head; each KV head
// carries a state S [dk, dv] (past_state, else zeros). Per token t, with
// γ = exp(decay_t) (per key dim, or per head) and β = beta_t:
//
//   linear       S = S + k ⊗ v
//   gated        S = γ·S + k ⊗ v
//   delta        S = S + k ⊗ β(v − Sᵀk)
//   gated_delta  S = γ·S + k ⊗ β(v − (γ·S)ᵀk)
//   o = scale · qᵀS            (query head i reads KV head i / (Hq/Hkv))
//
// An `scf.for` over the tokens carries S, updated in place by one generic,
// and the stacked outputs [T, B, Hkv, Hq/Hkv, dv]; the retrieval Sᵀk and the
// read qᵀS are reductions over dk. Everything runs in f32 (the reference's
// precision); Y takes Q's type, present_state past_state's (else Q's).
// scale 0 means 1/√dk; chunk_size is a tuning hint of chunked kernels.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "Recurrent.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// The node's heads and sizes, checked.
struct Heads {
  int64_t batch, steps, queryHeads, kvHeads, keySize, valueSize;
  int64_t getGroup() const { return queryHeads / kvHeads; }
};
} // namespace

/// Fails, with a located error naming `what`, unless input `index` is
/// [B, T, one of `lastDims`] of `elementType`.
static LogicalResult checkPacked(NodeContext &ctx, unsigned index,
                                 const Heads &heads, Type elementType,
                                 ArrayRef<int64_t> lastDims, StringRef what) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  if (type->getRank() == 3 && type->getElementType() == elementType &&
      type->getDimSize(0) == heads.batch &&
      type->getDimSize(1) == heads.steps &&
      llvm::is_contained(lastDims, type->getDimSize(2)))
    return success();
  InFlightDiagnostic diag = ctx.emitError()
                            << "expects " << what << " [" << heads.batch << ", "
                            << heads.steps << ", ";
  llvm::interleave(lastDims, diag, " or ");
  return diag << "] of " << elementType << ", got " << *type;
}

static FailureOr<Heads> getHeads(NodeContext &ctx, Type elementType) {
  Heads heads;
  std::optional<int64_t> queryHeads = ctx.getIntAttr("q_num_heads");
  std::optional<int64_t> kvHeads = ctx.getIntAttr("kv_num_heads");
  if (!queryHeads || !kvHeads || *queryHeads <= 0 || *kvHeads <= 0 ||
      *queryHeads % *kvHeads != 0)
    return ctx.emitError() << "expects q_num_heads a positive multiple of a "
                              "positive kv_num_heads, got "
                           << queryHeads.value_or(0) << " and "
                           << kvHeads.value_or(0);
  heads.queryHeads = *queryHeads;
  heads.kvHeads = *kvHeads;
  SmallVector<RankedTensorType> types;
  for (unsigned i = 0; i < 3; ++i) {
    FailureOr<RankedTensorType> type = getOperandType(ctx, i);
    if (failed(type))
      return failure();
    if (type->getRank() != 3 || type->getElementType() != elementType)
      return ctx.emitError() << "expects query, key and value [B, T, heads · "
                                "head size] of one float type, got "
                             << *type;
    types.push_back(*type);
  }
  heads.batch = types[0].getDimSize(0);
  heads.steps = types[0].getDimSize(1);
  int64_t queryDim = types[0].getDimSize(2), valueDim = types[2].getDimSize(2);
  if (queryDim % heads.queryHeads != 0 || valueDim % heads.kvHeads != 0)
    return ctx.emitError() << "expects query's last dimension (" << queryDim
                           << ") divisible by q_num_heads and value's ("
                           << valueDim << ") by kv_num_heads";
  heads.keySize = queryDim / heads.queryHeads;
  heads.valueSize = valueDim / heads.kvHeads;
  if (failed(checkPacked(ctx, 1, heads, elementType,
                         {heads.kvHeads * heads.keySize}, "key")) ||
      failed(checkPacked(ctx, 2, heads, elementType,
                         {heads.kvHeads * heads.valueSize}, "value")))
    return failure();
  return heads;
}

/// Packed [B, T, H·D] as f32 [T, B, H, D] (`scale` applied, if not 1).
static Value unpackTimeMajor(OpBuilder &b, Location loc, Value packed,
                             int64_t heads, double scale = 1.0) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(packed.getType()).getShape();
  Value split = buildReshape(b, loc, packed,
                             {shape[0], shape[1], heads, shape[2] / heads});
  Value timeMajor = buildTranspose(b, loc, split, {1, 0, 2, 3});
  return buildBroadcastMap(
      b, loc, timeMajor, cast<RankedTensorType>(timeMajor.getType()).getShape(),
      b.getF32Type(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value x = muon::convertScalar(nb, nl, args[0], nb.getF32Type());
        if (scale == 1.0)
          return x;
        return arith::MulFOp::create(
            nb, nl, x,
            muon::createFloatConstant(nb, nl, nb.getF32Type(), scale));
      });
}

/// Σ over the last loop of the product of `inputs` (read through `maps`,
/// whose loops are `shape`'s then the reduced one): an f32 tensor of
/// `shape`.
static Value buildSumOfProducts(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> maps,
                                ArrayRef<int64_t> shape) {
  unsigned rank = shape.size();
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(AffineMap::getMultiDimIdentityMap(rank + 1, b.getContext())
                        .getMajorSubMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = buildFilled(b, loc, shape, b.getF32FloatAttr(0.0f));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, allMaps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value product = args.front();
               for (Value factor : args.drop_front().drop_back())
                 product = arith::MulFOp::create(nb, nl, product, factor);
               linalg::YieldOp::create(nb, nl,
                                       ValueRange{arith::AddFOp::create(
                                           nb, nl, args.back(), product)});
             })
      .getResult(0);
}

static ImportResult importLinearAttention(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 6)))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  FailureOr<Heads> heads = getHeads(ctx, *elementType);
  if (failed(heads))
    return failure();
  std::string rule = ctx.getStringAttr("update_rule").value_or("gated_delta");
  if (rule != "linear" && rule != "gated" && rule != "delta" &&
      rule != "gated_delta")
    return emitUnsupportedAttr(ctx, "update_rule")
           << ": '" << rule
           << "' (expects linear, gated, delta or gated_delta)";
  bool gated = rule == "gated" || rule == "gated_delta";
  bool delta = rule == "delta" || rule == "gated_delta";
  Value decay = ctx.getOperand(4), beta = ctx.getOperand(5);
  if (gated != static_cast<bool>(decay) || delta != static_cast<bool>(beta))
    return ctx.emitError() << "update_rule '" << rule << "' "
                           << (gated ? "needs" : "takes no") << " decay and "
                           << (delta ? "needs" : "takes no") << " beta";
  int64_t batch = heads->batch, steps = heads->steps, kvHeads = heads->kvHeads,
          keySize = heads->keySize, valueSize = heads->valueSize,
          group = heads->getGroup();
  if (decay && failed(checkPacked(ctx, 4, *heads, *elementType,
                                  {kvHeads * keySize, kvHeads}, "decay")))
    return failure();
  if (beta &&
      failed(checkPacked(ctx, 5, *heads, *elementType, {kvHeads, 1}, "beta")))
    return failure();
  SmallVector<int64_t> stateShape = {batch, kvHeads, keySize, valueSize};
  Type stateElementType = *elementType;
  Value past = ctx.getOperand(3);
  if (past) {
    FailureOr<RankedTensorType> pastType = getOperandType(ctx, 3);
    if (failed(pastType))
      return failure();
    if (pastType->getShape() != ArrayRef(stateShape) ||
        !isa<FloatType>(pastType->getElementType()))
      return ctx.emitError()
             << "expects a float past_state [" << batch << ", " << kvHeads
             << ", " << keySize << ", " << valueSize << "], got " << *pastType;
    stateElementType = pastType->getElementType();
  }
  // A tuning hint of chunked kernels; the result does not depend on it.
  ctx.ignoreAttr("chunk_size");
  double scale = ctx.getFloatAttr("scale").value_or(0.0f);
  if (scale == 0.0)
    scale = 1.0 / std::sqrt(static_cast<double>(keySize));

  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type f32 = b.getF32Type();
  // Time-major f32 operands; Q scaled and split as [T, B, Hkv, group, dk].
  Value query = buildReshape(
      b, loc,
      unpackTimeMajor(b, loc, ctx.getOperand(0), heads->queryHeads, scale),
      {steps, batch, kvHeads, group, keySize});
  Value key = unpackTimeMajor(b, loc, ctx.getOperand(1), kvHeads);
  Value value = unpackTimeMajor(b, loc, ctx.getOperand(2), kvHeads);
  SmallVector<int64_t> keysShape = {steps, batch, kvHeads, keySize};
  Value gate, rate;
  if (decay) {
    // γ = exp(decay), a per-head decay ([T, B, Hkv, 1]) broadcast over dk.
    gate = buildBroadcastMap(b, loc, unpackTimeMajor(b, loc, decay, kvHeads),
                             keysShape, f32,
                             [](OpBuilder &nb, Location nl, ValueRange args) {
                               return math::ExpOp::create(nb, nl, args[0]);
                             });
  }
  if (beta) {
    // β as [T, B, Hkv], one shared rate broadcast over the heads.
    Value timeMajor = buildTranspose(b, loc, beta, {1, 0, 2});
    rate = buildBroadcastMap(b, loc, timeMajor, {steps, batch, kvHeads}, f32,
                             [](OpBuilder &nb, Location nl, ValueRange args) {
                               return muon::convertScalar(nb, nl, args[0],
                                                          nb.getF32Type());
                             });
  }

  Value initial = past ? muon::convertElements(b, loc, past, f32)
                       : buildFilled(b, loc, stateShape, b.getF32FloatAttr(0));
  Value outputs =
      buildEmpty(b, loc, {steps, batch, kvHeads, group, valueSize}, f32);
  MLIRContext *context = b.getContext();
  auto map = [&](unsigned loops, ArrayRef<unsigned> dims) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : dims)
      exprs.push_back(getAffineDimExpr(d, context));
    return AffineMap::get(loops, 0, exprs, context);
  };
  SmallVector<Value> carriedOut = rnn::buildTimeLoop(
      b, loc, steps, /*backwards=*/false, {initial, outputs},
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange carried) -> SmallVector<Value> {
        Value state = carried[0];
        Value k = rnn::buildSlice(nb, nl, key, t);
        Value v = rnn::buildSlice(nb, nl, value, t);
        Value g = gate ? rnn::buildSlice(nb, nl, gate, t) : Value();
        // Inputs of the update over loops (b, h, d, m): S's element comes
        // last; γ, k and β are read per key dim or head.
        SmallVector<Value> inputs = {k, v};
        SmallVector<AffineMap> maps = {map(4, {0, 1, 2}), map(4, {0, 1, 3})};
        if (delta) {
          // Retrieval Σ_d γ[d]·S[d, m]·k[d] over loops (b, h, m, d).
          SmallVector<Value> factors = {state, k};
          SmallVector<AffineMap> factorMaps = {map(4, {0, 1, 3, 2}),
                                               map(4, {0, 1, 3})};
          if (g) {
            factors.push_back(g);
            factorMaps.push_back(map(4, {0, 1, 3}));
          }
          inputs.push_back(buildSumOfProducts(nb, nl, factors, factorMaps,
                                              {batch, kvHeads, valueSize}));
          maps.push_back(map(4, {0, 1, 3}));
          inputs.push_back(rnn::buildSlice(nb, nl, rate, t));
          maps.push_back(map(4, {0, 1}));
        }
        if (g) {
          inputs.push_back(g);
          maps.push_back(map(4, {0, 1, 2}));
        }
        maps.push_back(b.getMultiDimIdentityMap(4));
        SmallVector<utils::IteratorType> iterators(
            4, utils::IteratorType::parallel);
        Value updated =
            linalg::GenericOp::create(
                nb, nl, state.getType(), inputs, state, maps, iterators,
                [&](OpBuilder &bb, Location bl, ValueRange args) {
                  // args: k, v, [retrieved, β], [γ], S.
                  Value s = args.back();
                  if (g)
                    s = arith::MulFOp::create(bb, bl, args[args.size() - 2], s);
                  Value written = args[1];
                  if (delta)
                    written = arith::MulFOp::create(
                        bb, bl, args[3],
                        arith::SubFOp::create(bb, bl, args[1], args[2]));
                  Value outer = arith::MulFOp::create(bb, bl, args[0], written);
                  linalg::YieldOp::create(
                      bb, bl,
                      ValueRange{arith::AddFOp::create(bb, bl, s, outer)});
                })
                .getResult(0);
        // o[b, h, j, m] = Σ_d q[b, h, j, d]·S[b, h, d, m] over loops
        // (b, h, j, m, d).
        Value read = buildSumOfProducts(
            nb, nl, {rnn::buildSlice(nb, nl, query, t), updated},
            {map(5, {0, 1, 2, 4}), map(5, {0, 1, 4, 3})},
            {batch, kvHeads, group, valueSize});
        return {updated, rnn::buildInsert(nb, nl, read, carried[1], t)};
      });

  Value output = buildReshape(
      b, loc, buildTranspose(b, loc, carriedOut[1], {1, 0, 2, 3, 4}),
      {batch, steps, heads->queryHeads * valueSize});
  SmallVector<Value> results = {
      muon::convertElements(b, loc, output, *elementType),
      muon::convertElements(b, loc, carriedOut[0], stateElementType)};
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

void muon::onnx_import::populateLinearAttentionImporters(
    OpImporterRegistry &registry) {
  registry.add("", "LinearAttention", importLinearAttention, {/*since=*/27});
}
