//===- Attention.cpp - Fused attention op importers -----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX Attention (opsets 23 to 25; 25's sliding windows) and ONNX Runtime's
// com.microsoft MultiHeadAttention and Attention are lowered to the unfused
// form torch exports: heads split by reshape + transpose, QKᵀ as
// linalg.batch_matmul, the scale and additive masks as element-wise
// generics, the stable softmax, and a linalg.batch_matmul with V. Lowering
// rather than keeping one fused op means every later stage sees attention
// one way: the BLAS lowering takes the products, and optim-insert-qk-clip's
// matcher traces these graphs like torch's. Key/value heads of GQA are
// repeated in place (np.repeat on the head axis, as ONNX specifies).
//
// ONNX Attention's KV cache: past_key/past_value with K and V appended are
// the keys and values attended and the present_key/present_value outputs;
// the queries then sit after the past keys for the causal and window masks.
//
// nonpad_kv_seqlen (an external cache's valid lengths n[b]) masks the keys
// from n[b] on and puts the queries' causal and window frontiers at the end
// of the valid keys: a bias generic over [B, 1, S, L] instead of a constant.
// qk_matmul_output is the scores after the scale and softcap (modes 0 and 1,
// as ONNX's reference and function body), after the masks (2) or the
// probabilities (3); softmax_precision sets the softmax's float type. A
// mask shorter than the keys masks those past it.
//
// Not supported (located errors): com.microsoft's caches and outputs besides
// Y, key padding masks and masks shorter than the key sequence,
// com.microsoft rotary embeddings and packed QKV inputs.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace muon::onnx_import;

static ArrayRef<int64_t> getShape(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

static Type getElementType(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

/// [B, S, H·D] → [B, H, S, D].
static Value splitHeads(OpBuilder &b, Location loc, Value x, int64_t heads) {
  ArrayRef<int64_t> shape = getShape(x);
  Value split =
      buildReshape(b, loc, x, {shape[0], shape[1], heads, shape[2] / heads});
  return buildTranspose(b, loc, split, {0, 2, 1, 3});
}

/// [B, H, S, D] → [B, S, H·D].
static Value mergeHeads(OpBuilder &b, Location loc, Value y) {
  ArrayRef<int64_t> shape = getShape(y);
  Value transposed = buildTranspose(b, loc, y, {0, 2, 1, 3});
  return buildReshape(b, loc, transposed,
                      {shape[0], shape[2], shape[1] * shape[3]});
}

/// [B, Hkv, L, D] → [B, Hkv·repeat, L, D], each head repeated in place.
static Value repeatHeads(OpBuilder &b, Location loc, Value x, int64_t repeat) {
  if (repeat == 1)
    return x;
  ArrayRef<int64_t> s = getShape(x);
  Value unit = buildReshape(b, loc, x, {s[0], s[1], 1, s[2], s[3]});
  Value repeated = buildBroadcastMap(
      b, loc, unit, {s[0], s[1], repeat, s[2], s[3]}, getElementType(x),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  return buildReshape(b, loc, repeated, {s[0], s[1] * repeat, s[2], s[3]});
}

/// past[B, H, P, D] followed by x[B, H, L, D] along the sequence axis.
static Value appendToCache(OpBuilder &b, Location loc, Value past, Value x) {
  ArrayRef<int64_t> ps = getShape(past), xs = getShape(x);
  Value result = buildEmpty(b, loc, {xs[0], xs[1], ps[2] + xs[2], xs[3]},
                            getElementType(x));
  int64_t offset = 0;
  for (Value part : {past, x}) {
    ArrayRef<int64_t> shape = getShape(part);
    if (shape[2] == 0)
      continue; // nothing to insert, and its offset may be the extent
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)), sizes,
        strides(4, b.getIndexAttr(1));
    for (int64_t dim : shape)
      sizes.push_back(b.getIndexAttr(dim));
    offsets[2] = b.getIndexAttr(offset);
    result = tensor::InsertSliceOp::create(b, loc, part, result, offsets, sizes,
                                           strides);
    offset += shape[2];
  }
  return result;
}

/// lhs[B, H, M, K] · rhs[B, H, K, N] as one batch_matmul over B·H.
static Value buildHeadMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  ArrayRef<int64_t> l = getShape(lhs), r = getShape(rhs);
  int64_t batch = l[0] * l[1];
  Type elementType = getElementType(lhs);
  Value init = buildFilled(b, loc, {batch, l[2], r[3]},
                           b.getFloatAttr(elementType, 0.0));
  Value product =
      linalg::BatchMatmulOp::create(
          b, loc,
          ValueRange{buildReshape(b, loc, lhs, {batch, l[2], l[3]}),
                     buildReshape(b, loc, rhs, {batch, r[2], r[3]})},
          init)
          .getResult(0);
  return buildReshape(b, loc, product, {l[0], l[1], l[2], r[3]});
}

/// `x` op a broadcast `y`, element-wise in x's shape.
template <typename OpTy>
static Value buildBinary(OpBuilder &b, Location loc, Value x, Value y) {
  return buildBroadcastMap(
      b, loc, {x, y}, getShape(x), getElementType(x),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        return OpTy::create(nb, nl, args[0], args[1]).getResult();
      });
}

namespace {
/// What the fused ops add to softmax(Q Kᵀ · scale) V.
struct AttentionOptions {
  std::optional<double> scale; // default 1/sqrt(head_size)
  double softcap = 0.0;        // > 0: c · tanh(scores / c)
  bool causal = false;         // key j > query i masked
  // Sliding windows (Attention-25): keys j < i - left or j > i + right
  // masked; none: that side unbounded.
  std::optional<int64_t> leftWindow, rightWindow;
  // The keys before the first query (a KV cache's past length): query i sits
  // at key position i + queryOffset for the causal and window masks.
  int64_t queryOffset = 0;
  Value mask; // bool (true: attend) or additive float, broadcast to scores
  // nonpad_kv_seqlen [B] (i64): keys j >= n[b] masked; query i sits at key
  // position i + n[b] - S for the causal and window masks.
  Value keyLengths;
  Type softmaxType; // the softmax's float type; null: the scores'
  // What qk_matmul_output holds (ONNX's qk_matmul_output_mode).
  int64_t qkMode = 0;
};

/// Whether key j is outside query position i's causal frontier or windows.
static Value buildFrontierMask(OpBuilder &b, Location loc,
                               const AttentionOptions &options, Value i,
                               Value j) {
  auto constant = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, v, 64);
  };
  auto greater = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x, y);
  };
  Value masked = arith::ConstantIntOp::create(b, loc, 0, 1);
  auto either = [&](Value term) {
    masked = arith::OrIOp::create(b, loc, masked, term);
  };
  if (options.causal)
    either(greater(j, i));
  // Distances, not bounds: i + right would overflow for a huge window.
  if (options.leftWindow)
    either(greater(arith::SubIOp::create(b, loc, i, j),
                   constant(*options.leftWindow)));
  if (options.rightWindow)
    either(greater(arith::SubIOp::create(b, loc, j, i),
                   constant(*options.rightWindow)));
  return masked;
}

/// The additive bias [B, 1, S, L] of nonpad_kv_seqlen's lengths n[b]: −∞
/// where key j >= n[b] or outside the frontier of query position
/// i + n[b] − S.
static Value buildKeyLengthBias(OpBuilder &b, Location loc,
                                const AttentionOptions &options, int64_t batch,
                                int64_t rows, int64_t cols, Type elementType) {
  Value lengths = buildReshape(b, loc, options.keyLengths, {batch, 1, 1, 1});
  return buildBroadcastMap(
      b, loc, lengths, {batch, 1, rows, cols}, elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto constant = [&](int64_t v) -> Value {
          return arith::ConstantIntOp::create(nb, nl, v, 64);
        };
        auto position = [&](unsigned dim) -> Value {
          return arith::IndexCastOp::create(
              nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, dim));
        };
        // Clamped so that the positions cannot wrap; past the bounds every
        // key is masked (n < 0) or none by padding (n > L).
        Value n = arith::MinSIOp::create(
            nb, nl, arith::MaxSIOp::create(nb, nl, args[0], constant(-1)),
            constant(int64_t{1} << 61));
        Value j = position(3);
        Value i = arith::AddIOp::create(
            nb, nl, position(2),
            arith::SubIOp::create(nb, nl, n, constant(rows)));
        Value masked = arith::OrIOp::create(
            nb, nl,
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, j, n),
            buildFrontierMask(nb, nl, options, i, j));
        return arith::SelectOp::create(
            nb, nl, masked,
            buildScalar(nb, nl, elementType,
                        -std::numeric_limits<double>::infinity()),
            buildScalar(nb, nl, elementType, 0.0));
      });
}
} // namespace

/// A mask [..., L'] shorter than the L keys padded to [..., L], masking the
/// keys past it (false, or −∞), as ONNX specifies.
static Value padMaskKeys(OpBuilder &b, Location loc, Value mask, int64_t keys) {
  ArrayRef<int64_t> shape = getShape(mask);
  SmallVector<int64_t> padded(shape);
  padded.back() = keys;
  Type elementType = getElementType(mask);
  TypedAttr fill =
      elementType.isInteger(1)
          ? TypedAttr(b.getBoolAttr(false))
          : TypedAttr(b.getFloatAttr(elementType,
                                     -std::numeric_limits<double>::infinity()));
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)),
      strides(shape.size(), b.getIndexAttr(1)), sizes;
  for (int64_t dim : shape)
    sizes.push_back(b.getIndexAttr(dim));
  return tensor::InsertSliceOp::create(
      b, loc, mask, buildFilled(b, loc, padded, fill), offsets, sizes, strides);
}

/// softmax(Q Kᵀ · scale + masks) V for Q [B, H, S, D], K [B, Hkv, L, D] and
/// V [B, Hkv, L, Dv]; returns [B, H, S, Dv], and sets `qkOutput` (if given)
/// to the scores or probabilities options.qkMode selects.
static FailureOr<Value> buildAttention(NodeContext &ctx, Value q, Value k,
                                       Value v, const AttentionOptions &options,
                                       Value *qkOutput = nullptr) {
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  ArrayRef<int64_t> qs = getShape(q), ks = getShape(k), vs = getShape(v);
  if (qs.size() != 4 || ks.size() != 4 || vs.size() != 4 || qs[0] != ks[0] ||
      ks[0] != vs[0] || qs[3] != ks[3] || ks[1] != vs[1] || ks[2] != vs[2] ||
      ks[1] == 0 || qs[1] % ks[1] != 0)
    return ctx.emitError() << "expects Q [B, H, S, D], K [B, Hkv, L, D] and "
                              "V [B, Hkv, L, Dv] with Hkv dividing H, got "
                           << q.getType() << ", " << k.getType() << " and "
                           << v.getType();
  Type elementType = getElementType(q);
  if (getElementType(k) != elementType || getElementType(v) != elementType)
    return ctx.emitError() << "expects Q, K and V of one element type";
  int64_t repeat = qs[1] / ks[1];
  k = repeatHeads(b, loc, k, repeat);
  v = repeatHeads(b, loc, v, repeat);

  Value scores =
      buildHeadMatmul(b, loc, q, buildTranspose(b, loc, k, {0, 1, 3, 2}));
  SmallVector<int64_t> scoreShape(getShape(scores));
  double scale =
      options.scale.value_or(1.0 / std::sqrt(static_cast<double>(qs[3])));
  auto scalarType = RankedTensorType::get({}, elementType);
  Value scaleValue = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(scalarType, b.getFloatAttr(elementType, scale)));
  scores = buildBinary<arith::MulFOp>(b, loc, scores, scaleValue);
  if (options.softcap > 0.0)
    scores = buildBroadcastMap(
        b, loc, scores, scoreShape, elementType,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value cap = buildScalar(nb, nl, elementType, options.softcap);
          Value ratio = arith::DivFOp::create(nb, nl, args[0], cap);
          return arith::MulFOp::create(
              nb, nl, math::TanhOp::create(nb, nl, ratio), cap);
        });
  double negInf = -std::numeric_limits<double>::infinity();
  // The causal and mask terms added to the scores, which decide the rows
  // without an attended key.
  Value bias;
  if (options.keyLengths) {
    bias =
        buildKeyLengthBias(b, loc, options, qs[0], qs[2], ks[2], elementType);
  } else if (options.causal || options.leftWindow || options.rightWindow) {
    int64_t rows = qs[2], cols = ks[2];
    SmallVector<Attribute> values;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        bool masked = (options.causal && j > i + options.queryOffset) ||
                      (options.leftWindow &&
                       i + options.queryOffset - j > *options.leftWindow) ||
                      (options.rightWindow &&
                       j - i - options.queryOffset > *options.rightWindow);
        values.push_back(b.getFloatAttr(elementType, masked ? negInf : 0.0));
      }
    auto type = RankedTensorType::get({rows, cols}, elementType);
    bias =
        arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
  }
  if (Value mask = options.mask) {
    if (!broadcastShapes({scoreShape, getShape(mask)}) ||
        *broadcastShapes({scoreShape, getShape(mask)}) != scoreShape)
      return ctx.emitError() << "expects a mask that broadcasts to the scores "
                             << scores.getType() << ", got " << mask.getType();
    if (getElementType(mask).isInteger(1))
      mask = buildBroadcastMap(
          b, loc, mask, getShape(mask), elementType,
          [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
            return arith::SelectOp::create(
                nb, nl, args[0], buildScalar(nb, nl, elementType, 0.0),
                buildScalar(nb, nl, elementType, negInf));
          });
    else if (getElementType(mask) != elementType)
      return ctx.emitError() << "expects a bool mask or one of the scores' "
                                "element type, got "
                             << mask.getType();
    if (bias)
      bias = buildBroadcastMap(
          b, loc, {bias, mask},
          *broadcastShapes({getShape(bias), getShape(mask)}), elementType,
          [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
            return arith::AddFOp::create(nb, nl, args[0], args[1]);
          });
    else
      bias = mask;
  }
  if (qkOutput && options.qkMode < 2)
    *qkOutput = scores;
  if (bias)
    scores = buildBinary<arith::AddFOp>(b, loc, scores, bias);
  if (qkOutput && options.qkMode == 2)
    *qkOutput = scores;
  Type softmaxType = options.softmaxType ? options.softmaxType : elementType;
  Value probabilities = buildSoftmax(
      b, loc, muon::convertElements(b, loc, scores, softmaxType), 3,
      /*logSoftmax=*/false);
  probabilities = muon::convertElements(b, loc, probabilities, elementType);
  if (bias) {
    // A query row whose keys are all masked softmaxes to NaN; ONNX specifies
    // zero probabilities (so a zero output row) for it.
    int64_t rank = getShape(bias).size();
    Value rowMax = buildReduce(b, loc, bias, {rank - 1}, /*keepDims=*/true,
                               ReduceKind::Max);
    probabilities = buildBroadcastMap(
        b, loc, {probabilities, rowMax}, scoreShape, elementType,
        [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          Value masked =
              arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, args[1],
                                    buildScalar(nb, nl, elementType, negInf));
          return arith::SelectOp::create(
              nb, nl, masked, buildScalar(nb, nl, elementType, 0.0), args[0]);
        });
  }
  if (qkOutput && options.qkMode == 3)
    *qkOutput = probabilities;
  return buildHeadMatmul(b, loc, probabilities, v);
}

/// Fails unless only the node's first output is used.
static LogicalResult checkOnlyFirstOutput(NodeContext &ctx) {
  if (ctx.getNumResults() > 1)
    return ctx.emitError() << "only the first output is supported (no KV "
                              "cache or attention-weight outputs)";
  return success();
}

/// Fails when input `index` (a KV cache or padding input) is present.
static LogicalResult checkAbsent(NodeContext &ctx, unsigned index,
                                 StringRef what) {
  if (ctx.getOperand(index))
    return ctx.emitError() << what << " is not supported";
  return success();
}

/// The head count attribute `name`, which must be positive and divide `dim`.
static FailureOr<int64_t> getHeads(NodeContext &ctx, StringRef name,
                                   int64_t dim) {
  std::optional<int64_t> heads = ctx.getIntAttr(name);
  if (!heads || *heads < 1 || dim % *heads != 0)
    return ctx.emitError() << "expects a positive '" << name
                           << "' dividing the hidden size " << dim;
  return *heads;
}

/// Checks the float type of inputs [0, count).
static LogicalResult checkFloatInputs(NodeContext &ctx, unsigned count) {
  for (unsigned i = 0; i < count; ++i)
    if (failed(getFloatElementType(ctx, i)))
      return failure();
  return success();
}

/// ONNX Attention (opsets 23 to 25): Q, K, V as [B, H, S, D] or
/// [B, S, H·D] (with q_num_heads / kv_num_heads), optional attn_mask; scale,
/// softcap, is_causal, and from 25 left/right_window_size.
static ImportResult importAttention(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 7)) || failed(checkFloatInputs(ctx, 3)))
    return failure();
  Value pastKey = ctx.getOperand(4), pastValue = ctx.getOperand(5);
  if (!pastKey != !pastValue)
    return ctx.emitError() << "expects past_key and past_value together";
  AttentionOptions options;
  if (Value lengths = ctx.getOperand(6)) {
    int64_t batch = getShape(ctx.getOperand(0))[0];
    if (pastKey)
      return ctx.emitError() << "expects nonpad_kv_seqlen (an external "
                                "cache's lengths) without past_key";
    if (getShape(lengths) != ArrayRef<int64_t>{batch} ||
        !getElementType(lengths).isSignlessInteger(64))
      return ctx.emitError() << "expects an int64 nonpad_kv_seqlen [" << batch
                             << "], got " << lengths.getType();
    options.keyLengths = lengths;
  }
  options.qkMode = ctx.getIntAttr("qk_matmul_output_mode").value_or(0);
  if (options.qkMode < 0 || options.qkMode > 3)
    return emitUnsupportedAttr(ctx, "qk_matmul_output_mode")
           << ": " << options.qkMode << " (expects 0 to 3)";
  if (std::optional<int64_t> precision = ctx.getIntAttr("softmax_precision")) {
    options.softmaxType = ctx.convertDataType(*precision);
    if (!isa_and_nonnull<FloatType>(options.softmaxType))
      return emitUnsupportedAttr(ctx, "softmax_precision")
             << ": " << *precision << " (expects a float type)";
  }
  OpBuilder &b = ctx.builder;
  Value q = ctx.getOperand(0), k = ctx.getOperand(1), v = ctx.getOperand(2);
  bool packed = getShape(q).size() == 3;
  if (packed) {
    if (getShape(k).size() != 3 || getShape(v).size() != 3)
      return ctx.emitError() << "expects Q, K and V of one rank (3 or 4)";
    FailureOr<int64_t> qHeads = getHeads(ctx, "q_num_heads", getShape(q)[2]);
    if (failed(qHeads))
      return failure();
    FailureOr<int64_t> kvHeads = getHeads(ctx, "kv_num_heads", getShape(k)[2]);
    if (failed(kvHeads) || getShape(v)[2] % *kvHeads != 0)
      return ctx.emitError() << "expects 'kv_num_heads' dividing the key and "
                                "value hidden sizes";
    q = splitHeads(b, ctx.loc, q, *qHeads);
    k = splitHeads(b, ctx.loc, k, *kvHeads);
    v = splitHeads(b, ctx.loc, v, *kvHeads);
  }
  if (pastKey) {
    // The cache: [B, Hkv, P, D] and [B, Hkv, P, Dv], K and V appended.
    ArrayRef<int64_t> pk = getShape(pastKey), pv = getShape(pastValue);
    ArrayRef<int64_t> ks = getShape(k), vs = getShape(v);
    if (pk.size() != 4 || pv.size() != 4 || ks.size() != 4 || vs.size() != 4 ||
        pk[0] != ks[0] || pk[1] != ks[1] || pk[3] != ks[3] || pv[0] != vs[0] ||
        pv[1] != vs[1] || pv[3] != vs[3] || pk[2] != pv[2] ||
        getElementType(pastKey) != getElementType(k) ||
        getElementType(pastValue) != getElementType(v))
      return ctx.emitError()
             << "expects past_key [B, Hkv, P, D] and past_value [B, Hkv, P, "
                "Dv] matching K "
             << k.getType() << " and V " << v.getType() << ", got "
             << pastKey.getType() << " and " << pastValue.getType();
    options.queryOffset = pk[2];
    k = appendToCache(b, ctx.loc, pastKey, k);
    v = appendToCache(b, ctx.loc, pastValue, v);
  }
  if (std::optional<float> scale = ctx.getFloatAttr("scale"))
    options.scale = *scale;
  options.softcap = ctx.getFloatAttr("softcap").value_or(0.0f);
  FailureOr<bool> causal = getFlagAttr(ctx, "is_causal");
  if (failed(causal))
    return failure();
  options.causal = *causal;
  if (ctx.opsetVersion >= 25) {
    for (auto [name, window] :
         {std::pair{"left_window_size", &options.leftWindow},
          std::pair{"right_window_size", &options.rightWindow}}) {
      int64_t size = ctx.getIntAttr(name).value_or(-1);
      if (size < -1)
        return emitUnsupportedAttr(ctx, name)
               << ": " << size << " (expects -1, unbounded, or a size >= 0)";
      if (size >= 0)
        *window = size;
    }
  }
  options.mask = ctx.getOperand(3);
  if (Value mask = options.mask;
      mask && !getShape(mask).empty() && getShape(mask).back() < getShape(k)[2])
    options.mask = padMaskKeys(b, ctx.loc, mask, getShape(k)[2]);
  Value qk;
  FailureOr<Value> y = buildAttention(ctx, q, k, v, options, &qk);
  if (failed(y))
    return failure();
  // present_key and present_value: the cache with K and V appended.
  SmallVector<Value> results{packed ? mergeHeads(b, ctx.loc, *y) : *y, k, v,
                             qk};
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

/// com.microsoft MultiHeadAttention, unpacked [B, S, hidden] query, key and
/// value; optional attention_bias (additive); num_heads, scale,
/// unidirectional.
static ImportResult importMultiHeadAttention(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 8)) || failed(checkFloatInputs(ctx, 3)) ||
      failed(checkAbsent(ctx, 3, "bias")) ||
      failed(checkAbsent(ctx, 4, "key_padding_mask")) ||
      failed(checkAbsent(ctx, 6, "past_key")) ||
      failed(checkAbsent(ctx, 7, "past_value")) ||
      failed(checkOnlyFirstOutput(ctx)))
    return failure();
  // It fills the rejected key_padding_mask's masked scores.
  ctx.ignoreAttr("mask_filter_value");
  Value q = ctx.getOperand(0), k = ctx.getOperand(1), v = ctx.getOperand(2);
  if (getShape(q).size() != 3 || getShape(k).size() != 3 ||
      getShape(v).size() != 3)
    return ctx.emitError() << "expects query, key and value of shape "
                              "[B, S, hidden] (packed forms are not supported)";
  FailureOr<int64_t> heads = getHeads(ctx, "num_heads", getShape(q)[2]);
  if (failed(heads))
    return failure();
  OpBuilder &b = ctx.builder;
  AttentionOptions options;
  if (std::optional<float> scale = ctx.getFloatAttr("scale");
      scale && *scale != 0.0f)
    options.scale = *scale;
  FailureOr<bool> causal = getFlagAttr(ctx, "unidirectional");
  if (failed(causal))
    return failure();
  options.causal = *causal;
  options.mask = ctx.getOperand(5);
  FailureOr<Value> y = buildAttention(
      ctx, splitHeads(b, ctx.loc, q, *heads), splitHeads(b, ctx.loc, k, *heads),
      splitHeads(b, ctx.loc, v, *heads), options);
  if (failed(y))
    return failure();
  return SmallVector<Value>{mergeHeads(b, ctx.loc, *y)};
}

/// com.microsoft Attention: the QKV projection input · weights + bias (one
/// [In, hq + hk + hv] weight), then multi-head attention; num_heads,
/// qkv_hidden_sizes, scale, unidirectional; optional attention_bias.
static ImportResult importORTAttention(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 7)) || failed(checkFloatInputs(ctx, 2)) ||
      failed(checkAbsent(ctx, 3, "mask_index")) ||
      failed(checkAbsent(ctx, 4, "past")) ||
      failed(checkAbsent(ctx, 6, "past_sequence_length")) ||
      failed(checkOnlyFirstOutput(ctx)))
    return failure();
  if (ctx.getIntAttr("do_rotary").value_or(0) != 0)
    return emitUnsupportedAttr(ctx, "do_rotary");
  // Options of the rejected rotary, mask_index and past inputs.
  for (StringRef name : {"rotary_embedding_dim", "mask_filter_value",
                         "past_present_share_buffer"})
    ctx.ignoreAttr(name);
  Value input = ctx.getOperand(0), weights = ctx.getOperand(1);
  ArrayRef<int64_t> inShape = getShape(input), wShape = getShape(weights);
  if (inShape.size() != 3 || wShape.size() != 2 || wShape[0] != inShape[2])
    return ctx.emitError() << "expects input [B, S, In] and weights "
                              "[In, hidden], got "
                           << input.getType() << " and " << weights.getType();
  SmallVector<int64_t> sizes =
      ctx.getIntsAttr("qkv_hidden_sizes")
          .value_or(SmallVector<int64_t>(3, wShape[1] / 3));
  if (sizes.size() != 3 || sizes[0] != sizes[1] ||
      sizes[0] + sizes[1] + sizes[2] != wShape[1])
    return ctx.emitError() << "expects qkv_hidden_sizes (equal Q and K) "
                              "summing to the weights' columns "
                           << wShape[1];
  FailureOr<int64_t> heads = getHeads(ctx, "num_heads", sizes[0]);
  if (failed(heads) || sizes[2] % *heads != 0)
    return ctx.emitError() << "expects 'num_heads' dividing each of "
                              "qkv_hidden_sizes";
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  // input · weights over the flattened rows (one GEMM), then the bias.
  int64_t rows = inShape[0] * inShape[1];
  Value init = buildFilled(b, loc, {rows, wShape[1]},
                           b.getFloatAttr(getElementType(input), 0.0));
  Value qkv =
      linalg::MatmulOp::create(
          b, loc,
          ValueRange{buildReshape(b, loc, input, {rows, inShape[2]}), weights},
          init)
          .getResult(0);
  qkv = buildReshape(b, loc, qkv, {inShape[0], inShape[1], wShape[1]});
  if (Value bias = ctx.getOperand(2)) {
    if (getShape(bias) != ArrayRef<int64_t>{wShape[1]})
      return ctx.emitError() << "expects a bias of shape [" << wShape[1]
                             << "], got " << bias.getType();
    qkv = buildBinary<arith::AddFOp>(b, loc, qkv, bias);
  }
  SmallVector<Value, 3> parts;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                         b.getIndexAttr(offset)};
    SmallVector<OpFoldResult> extents = {b.getIndexAttr(inShape[0]),
                                         b.getIndexAttr(inShape[1]),
                                         b.getIndexAttr(size)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value part =
        tensor::ExtractSliceOp::create(b, loc, qkv, offsets, extents, strides);
    parts.push_back(splitHeads(b, loc, part, *heads));
    offset += size;
  }
  AttentionOptions options;
  if (std::optional<float> scale = ctx.getFloatAttr("scale");
      scale && *scale != 0.0f)
    options.scale = *scale;
  FailureOr<bool> causal = getFlagAttr(ctx, "unidirectional");
  if (failed(causal))
    return failure();
  options.causal = *causal;
  options.mask = ctx.getOperand(5);
  FailureOr<Value> y =
      buildAttention(ctx, parts[0], parts[1], parts[2], options);
  if (failed(y))
    return failure();
  return SmallVector<Value>{mergeHeads(b, loc, *y)};
}

/// Imports FlexAttention's GRAPH attribute `name` (score_mod, prob_mod) on
/// `value`, which it must map to a tensor of the same type; absent: `value`.
static FailureOr<Value> applyModGraph(NodeContext &ctx, StringRef name,
                                      Value value) {
  const onnx::GraphProto *graph = ctx.getGraphAttr(name);
  if (!graph)
    return ctx.hadAttributeError ? FailureOr<Value>(failure())
                                 : FailureOr<Value>(value);
  FailureOr<SmallVector<GraphValue>> results =
      ctx.importSubgraph(*graph, GraphValue::tensor(value), ctx.builder);
  if (failed(results))
    return failure();
  if (results->size() != 1 || results->front().isSequence ||
      results->front().values.front().getType() != value.getType())
    return ctx.emitError() << "subgraph '" << name << "' must map "
                           << value.getType()
                           << " to one tensor of the same type";
  return results->front().values.front();
}

/// ai.onnx.preview FlexAttention: softmax(score_mod(Q Kᵀ · scale)) through
/// prob_mod, times V, with GQA's heads repeated. As ONNX's reference
/// computes it: Q and K scaled by √scale in their type, the scores, softmax
/// and modifiers in softmax_precision (f32 for 16-bit inputs), the result
/// cast back.
static ImportResult importFlexAttention(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)) || failed(checkFloatInputs(ctx, 3)))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value q = ctx.getOperand(0), k = ctx.getOperand(1), v = ctx.getOperand(2);
  ArrayRef<int64_t> qs = getShape(q), ks = getShape(k), vs = getShape(v);
  Type elementType = getElementType(q);
  if (qs.size() != 4 || ks.size() != 4 || vs.size() != 4 || qs[0] != ks[0] ||
      ks[0] != vs[0] || qs[3] != ks[3] || ks[1] != vs[1] || ks[2] != vs[2] ||
      ks[1] == 0 || qs[1] % ks[1] != 0 || getElementType(k) != elementType ||
      getElementType(v) != elementType)
    return ctx.emitError() << "expects Q [B, H, L, E], K [B, Hkv, S, E] and "
                              "V [B, Hkv, S, Ev] of one type, Hkv dividing H, "
                              "got "
                           << q.getType() << ", " << k.getType() << " and "
                           << v.getType();
  Type computeType =
      elementType.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : elementType;
  if (std::optional<int64_t> precision = ctx.getIntAttr("softmax_precision")) {
    computeType = ctx.convertDataType(*precision);
    if (!isa_and_nonnull<FloatType>(computeType))
      return emitUnsupportedAttr(ctx, "softmax_precision")
             << ": data type " << *precision << " is not a float type";
  }
  double scale = ctx.getFloatAttr("scale").value_or(
      1.0 / std::sqrt(static_cast<double>(qs[3])));
  auto scalarType = RankedTensorType::get({}, elementType);
  Value rootScale = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          scalarType,
          b.getFloatAttr(elementType, std::sqrt(static_cast<float>(scale)))));
  int64_t repeat = qs[1] / ks[1];
  auto prepare = [&](Value x) {
    return muon::convertElements(
        b, loc, buildBinary<arith::MulFOp>(b, loc, x, rootScale), computeType);
  };
  Value keys = repeatHeads(b, loc, prepare(k), repeat);
  Value scores = buildHeadMatmul(b, loc, prepare(q),
                                 buildTranspose(b, loc, keys, {0, 1, 3, 2}));
  FailureOr<Value> modified = applyModGraph(ctx, "score_mod", scores);
  if (failed(modified))
    return failure();
  Value probabilities =
      buildSoftmax(b, loc, *modified, 3, /*logSoftmax=*/false);
  modified = applyModGraph(ctx, "prob_mod", probabilities);
  if (failed(modified))
    return failure();
  Value values = repeatHeads(
      b, loc, muon::convertElements(b, loc, v, computeType), repeat);
  return SmallVector<Value>{muon::convertElements(
      b, loc, buildHeadMatmul(b, loc, *modified, values), elementType)};
}

void muon::onnx_import::populateAttentionImporters(
    OpImporterRegistry &registry) {
  // Attention-25's sliding windows are not imported.
  registry.add("", "Attention", importAttention, {/*since=*/23});
  registry.add("com.microsoft", "MultiHeadAttention", importMultiHeadAttention);
  registry.add("com.microsoft", "Attention", importORTAttention);
  registry.add("ai.onnx.preview", "FlexAttention", importFlexAttention);
}
