//===- AttentionMatch.cpp - Find attention scores and their projections ---===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Heads are followed by value: every traced tensor carries a Layout saying,
// per dimension, which factors index it (major to minor). The projection
// output `x · W` starts as [rows][features]; reshapes split and merge
// factors, transposes permute them, slices of a fused QKV projection move
// the feature offset, broadcasts (GQA's repeat of key heads) add Repeat
// factors. At QKᵀ, the contraction dimension must be the within-head
// feature factor (stride 1, extent head_dim) on both sides and the batch
// dimensions must pair the query head factor with the key head factor (times
// its repeat), which is what makes the trace a proof of the head structure
// rather than a guess from shapes. The head factor is then followed forward
// to the scores the softmax reads. MLA's QKᵀ reads concatenated [content |
// rotary] features; each part is traced as a product of its own (the
// rotary key shared by all heads) and the parts must agree on the heads.
//
//===----------------------------------------------------------------------===//

#include "AttentionMatch.h"
#include "HeadLayout.h"
#include "RotaryMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace muon::optim;
using namespace muon::optim::heads;

//===----------------------------------------------------------------------===//
// Tracing
//===----------------------------------------------------------------------===//

/// linalg.matmul or linalg.batch_matmul with their default maps.
static bool isPlainContraction(Operation *op) {
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
    return !matmul.hasUserDefinedMaps();
  if (auto batch = dyn_cast<linalg::BatchMatmulOp>(op))
    return !batch.hasUserDefinedMaps();
  return false;
}

static std::string describe(Operation *op) {
  std::string text = "'" + op->getName().getStringRef().str() + "'";
  // Inlined ops keep their node's NameLoc inside a CallSiteLoc.
  if (auto name = op->getLoc()->findInstanceOf<NameLoc>())
    text += " (" + name.getName().str() + ")";
  return text;
}

namespace {
/// The batch factors of one side of QKᵀ: before the head, the head (stride:
/// features between heads; a shared key has none, only its repeat), the
/// repeat of a key head across its query heads, after.
struct BatchSplit {
  int64_t before = 1, heads = 1, stride = 0, repeat = 1, after = 1;
};

/// How QKᵀ pairs query heads with key heads, over `headDim` features.
struct HeadPairing {
  int64_t headDim = 0;
  BatchSplit query, key;
};

class Tracer {
public:
  explicit Tracer(AttentionMatch &match) : match(match) {}

  AttentionKind kind = AttentionKind::NotAttention;
  std::string reason;

  FailureOr<Layout> traceScores(Value value);

private:
  FailureOr<Layout> traceContraction(Operation *op);
  FailureOr<Layout> traceLatent(const ConcatView &queryParts,
                                const ConcatView &keyParts, bool batched);
  FailureOr<HeadPairing> pairHeads(const Layout &query, const Layout &key,
                                   bool batched);
  FailureOr<Layout> traceSide(Value value, ProjectionMatch &side,
                              StringRef name);
  FailureOr<Layout> traceSideElementwise(linalg::GenericOp op,
                                         ProjectionMatch &side, StringRef name);
  FailureOr<Layout> traceProjection(linalg::MatmulOp op, ProjectionMatch &side,
                                    StringRef name);
  LogicalResult untraceable(const Twine &why) {
    kind = AttentionKind::Untraceable;
    reason = why.str();
    return failure();
  }

  AttentionMatch &match;
};
} // namespace

/// Whether a contraction of two activations is reachable from `op` through
/// a few ops: the scores of an attention the tracer cannot see through.
static bool reachesScoreContraction(Operation *op, unsigned depth) {
  if (!op || depth == 0)
    return false;
  if (isPlainContraction(op))
    return !isLeaf(op->getOperand(0)) && !isLeaf(op->getOperand(1));
  if (!isa<linalg::LinalgOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
           tensor::ExtractSliceOp>(op))
    return false;
  for (Value operand : op->getOperands())
    if (reachesScoreContraction(operand.getDefiningOp(), depth - 1))
      return true;
  return false;
}

/// For `cond ? fill : x` or `cond ? x : fill` with x the one input that is
/// an activation (masked_fill as exporters write it: Where with a constant
/// or argument mask and fill), the index of x.
static std::optional<unsigned> getMaskedInput(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || !op.isAllParallelLoops() ||
      !op.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  Block &body = op.getRegion().front();
  auto select = dyn_cast<arith::SelectOp>(body.front());
  if (!select || body.getOperations().size() != 2 ||
      body.getTerminator()->getOperand(0) != select.getResult())
    return std::nullopt;
  std::optional<unsigned> active;
  for (auto [i, input] : llvm::enumerate(op.getDpsInputs())) {
    if (isLeaf(input))
      continue;
    if (active)
      return std::nullopt;
    active = i;
  }
  if (!active || !op.getIndexingMapsArray()[*active].isIdentity() ||
      op.getDpsInputs()[*active].getType() != op.getResult(0).getType())
    return std::nullopt;
  Value arg = body.getArgument(*active);
  if (select.getCondition() == arg ||
      (select.getTrueValue() != arg && select.getFalseValue() != arg))
    return std::nullopt;
  return active;
}

FailureOr<Layout> Tracer::traceScores(Value value) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return failure();
  if (isPlainContraction(def))
    return traceContraction(def);
  if (Value source = getViewSource(def)) {
    FailureOr<Layout> in = traceScores(source);
    if (failed(in))
      return failure();
    FailureOr<Layout> out = transferView(def, *in);
    if (failed(out))
      return untraceable("cannot follow the heads of the scores through " +
                         describe(def));
    return out;
  }
  // Scale and mask: element-wise arithmetic on the scores; a full-size mask
  // computed from activations is told apart by not coming from QKᵀ.
  if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    Operation *body = getBinaryBody(generic);
    SmallVector<unsigned, 2> inputs;
    if (body &&
        isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp>(body))
      inputs = getActivationInputs(generic);
    if (inputs.size() == 2)
      llvm::erase_if(inputs, [&](unsigned i) {
        return !reachesScoreContraction(
            generic.getDpsInputs()[i].getDefiningOp(), /*depth=*/6);
      });
    if (inputs.size() == 1)
      return traceScores(generic.getDpsInputs()[inputs.front()]);
    if (std::optional<unsigned> masked = getMaskedInput(generic))
      return traceScores(generic.getDpsInputs()[*masked]);
  }
  if (reachesScoreContraction(def, /*depth=*/6))
    return untraceable("the scores come from QKᵀ through " + describe(def) +
                       ", which the pass cannot see through");
  return failure();
}

/// Whether a dimension's factors hold projection features (or repeats).
static bool hasFeature(const Factors &factors) {
  return llvm::any_of(
      factors, [](const Factor &f) { return f.kind != FactorKind::Other; });
}

static FailureOr<BatchSplit> splitBatch(Factors batch, bool isKey) {
  dropUnitFactors(batch);
  BatchSplit split;
  auto head = llvm::find_if(
      batch, [](const Factor &f) { return f.kind != FactorKind::Other; });
  if (head == batch.end()) {
    split.before = product(batch);
    return split;
  }
  split.before = product(ArrayRef(batch.begin(), head));
  auto rest = head;
  if (head->kind == FactorKind::Feature) {
    split.heads = head->size;
    split.stride = head->stride;
    ++rest;
  } else if (!isKey) {
    return failure();
  }
  if (isKey && rest != batch.end() && rest->kind == FactorKind::Repeat)
    split.repeat = (rest++)->size;
  if (hasFeature(Factors(rest, batch.end())))
    return failure();
  split.after = product(ArrayRef(rest, batch.end()));
  return split;
}

FailureOr<HeadPairing> Tracer::pairHeads(const Layout &query, const Layout &key,
                                         bool batched) {
  // query: [batch?, M, D]; key: [batch?, D, N].
  int64_t rank = batched ? 3 : 2;
  Factors queryInner = query.dims[rank - 1], keyInner = key.dims[rank - 2];
  dropUnitFactors(queryInner);
  dropUnitFactors(keyInner);
  auto isWithinHead = [](const Factors &f) {
    return f.size() == 1 && f[0].kind == FactorKind::Feature &&
           f[0].stride == 1;
  };
  if (!isWithinHead(queryInner) || !isWithinHead(keyInner))
    return untraceable("QKᵀ does not contract over the features of one "
                       "head on both sides");
  if (hasFeature(query.dims[rank - 2]) || hasFeature(key.dims[rank - 1]))
    return untraceable("QKᵀ mixes head features into the query or key "
                       "positions");
  HeadPairing pairing;
  pairing.headDim = queryInner[0].size;
  if (batched) {
    FailureOr<BatchSplit> q = splitBatch(query.dims[0], /*isKey=*/false);
    FailureOr<BatchSplit> k = splitBatch(key.dims[0], /*isKey=*/true);
    if (failed(q) || failed(k))
      return untraceable("the batch of QKᵀ is not (…, head, …) on both "
                         "sides (a key head may be followed by its repeat)");
    pairing.query = *q;
    pairing.key = *k;
  }
  const BatchSplit &q = pairing.query, &k = pairing.key;
  if (q.before != k.before || q.after != k.after ||
      q.heads != k.heads * k.repeat)
    return untraceable("query head h does not meet key head h / " +
                       Twine(k.repeat) + " in QKᵀ");
  return pairing;
}

/// The scores [batch?, M, N] of QKᵀ, the query head marked.
static Layout getScoresLayout(const Layout &query, const Layout &key,
                              bool batched) {
  int64_t rank = batched ? 3 : 2;
  Layout scores;
  auto positions = [](Factors f) {
    for (Factor &x : f)
      x = {FactorKind::Other, x.size};
    return f;
  };
  if (batched) {
    Factors batch;
    for (const Factor &f : query.dims[0])
      batch.push_back(
          {f.kind == FactorKind::Feature ? FactorKind::Head : FactorKind::Other,
           f.size});
    scores.dims.push_back(batch);
  }
  scores.dims.push_back(positions(query.dims[rank - 2]));
  scores.dims.push_back(positions(key.dims[rank - 1]));
  return scores;
}

FailureOr<Layout> Tracer::traceContraction(Operation *op) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  // A product with a weight is a layer, not QKᵀ.
  if (isLeaf(lhs) || isLeaf(rhs))
    return failure();
  kind = AttentionKind::Untraceable;
  bool batched = isa<linalg::BatchMatmulOp>(op);
  int64_t rank = batched ? 3 : 2;
  std::optional<ConcatView> queryParts = findConcat(lhs, rank - 1);
  std::optional<ConcatView> keyParts = findConcat(rhs, rank - 2);
  // Partial rotary concatenates [rope(x[..., :r]) | x[..., r:]] of one x
  // per side: a feature mix traced as a whole, not MLA's two projections.
  auto isMixed = [](Value side) {
    return static_cast<bool>(matchFeatureMix(getViewRoot(side)));
  };
  if ((queryParts || keyParts) && !(isMixed(lhs) && isMixed(rhs))) {
    if (!queryParts || !keyParts)
      return untraceable("only one side of QKᵀ concatenates its head "
                         "features");
    return traceLatent(*queryParts, *keyParts, batched);
  }
  FailureOr<Layout> query = traceSide(lhs, match.query, "query");
  if (failed(query))
    return failure();
  FailureOr<Layout> key = traceSide(rhs, match.key, "key");
  if (failed(key))
    return failure();
  FailureOr<HeadPairing> pairing = pairHeads(*query, *key, batched);
  if (failed(pairing))
    return failure();
  int64_t headDim = pairing->headDim;
  if ((pairing->query.stride && pairing->query.stride != headDim) ||
      (pairing->key.stride && pairing->key.stride != headDim))
    return untraceable("the heads of W_q or W_k hold more features than "
                       "QKᵀ reads (only MLA's [q_C | q_R] chunks are "
                       "traced)");
  match.headDim = headDim;
  match.query.numHeads = pairing->query.heads;
  match.key.numHeads = pairing->key.heads;
  match.query.featureOffset = query->featureOffset;
  match.key.featureOffset = key->featureOffset;
  match.query.headStride = match.key.headStride = headDim;
  return getScoresLayout(*query, *key, batched);
}

/// MLA (DeepSeek-V3, Kimi K2): q = [q_C | rope(q_R)] per head from the
/// up-projection W_uq (per-head chunks [q_C | q_R]); k = [k_C | rope(k_R)]
/// with k_C from W_ukv (per-head chunks [k_C | V]) and k_R one rotary key
/// shared by all heads (from the compressed projection, not clipped).
FailureOr<Layout> Tracer::traceLatent(const ConcatView &queryParts,
                                      const ConcatView &keyParts,
                                      bool batched) {
  auto offsetsOf = [](const ConcatView &parts) {
    return llvm::map_to_vector(parts.pieces,
                               [](const ConcatPiece &p) { return p.offset; });
  };
  if (queryParts.pieces.size() != 2 ||
      offsetsOf(queryParts) != offsetsOf(keyParts))
    return untraceable("QKᵀ concatenates head features other than MLA's "
                       "[content | rotary] parts");
  ProjectionMatch ropeQuery, ropeKey;
  SmallVector<Layout, 2> queries, keys;
  for (auto [i, q, k] : llvm::enumerate(queryParts.pieces, keyParts.pieces)) {
    ProjectionMatch &querySide = i == 0 ? match.query : ropeQuery;
    ProjectionMatch &keySide = i == 0 ? match.key : ropeKey;
    FailureOr<Layout> query = traceSide(q.source, querySide, "query");
    if (failed(query))
      return failure();
    FailureOr<Layout> key = traceSide(k.source, keySide, "key");
    if (failed(key))
      return failure();
    FailureOr<Layout> queryView = transferPiece(queryParts, *query);
    FailureOr<Layout> keyView = transferPiece(keyParts, *key);
    if (failed(queryView) || failed(keyView))
      return untraceable("cannot follow the heads of the concatenated "
                         "query or key to QKᵀ");
    queries.push_back(*queryView);
    keys.push_back(*keyView);
  }
  FailureOr<HeadPairing> content = pairHeads(queries[0], keys[0], batched);
  if (failed(content))
    return failure();
  FailureOr<HeadPairing> rotary = pairHeads(queries[1], keys[1], batched);
  if (failed(rotary))
    return failure();
  int64_t heads = content->query.heads, headDim = content->headDim;
  int64_t ropeDim = rotary->headDim, queryStride = content->query.stride;
  int64_t keyStride = content->key.stride;
  auto numFeatures = [](const ProjectionMatch &side) {
    return getShape(side.weight)[side.featureAxis];
  };
  if (content->key.heads != heads || content->key.repeat != 1 ||
      rotary->key.heads != 1 || rotary->query.heads != heads)
    return untraceable("MLA expects one content key head per query head and "
                       "one rotary key shared by all heads");
  if (ropeQuery.weight != match.query.weight ||
      ropeQuery.featureAxis != match.query.featureAxis ||
      ropeQuery.bias != match.query.bias ||
      rotary->query.stride != queryStride ||
      queries[1].featureOffset != queries[0].featureOffset + headDim ||
      queryStride != headDim + ropeDim || keyStride < headDim ||
      queries[0].featureOffset != 0 || keys[0].featureOffset != 0 ||
      numFeatures(match.query) != heads * queryStride ||
      numFeatures(match.key) != heads * keyStride)
    return untraceable("MLA expects W_uq with per-head [q_C | q_R] chunks "
                       "and W_ukv with per-head [k_C | V] chunks");
  match.headDim = headDim;
  match.ropeHeadDim = ropeDim;
  match.query.numHeads = match.key.numHeads = heads;
  match.query.headStride = queryStride;
  match.key.headStride = keyStride;
  return getScoresLayout(queries[0], keys[0], batched);
}

FailureOr<Layout> Tracer::traceSide(Value value, ProjectionMatch &side,
                                    StringRef name) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return untraceable("the " + name + " is a function argument");
  if (auto matmul = dyn_cast<linalg::MatmulOp>(def);
      matmul && !matmul.hasUserDefinedMaps())
    return traceProjection(matmul, side, name);
  // A rotary embedding (any form: half-split, interleaved, partial) keeps
  // each feature within its head.
  if (Value source = matchFeatureMix(value)) {
    FailureOr<Layout> in = traceSide(source, side, name);
    if (failed(in))
      return failure();
    FailureOr<Layout> out =
        transferReshape(*in, getShape(source), getShape(value));
    if (failed(out))
      return untraceable("cannot follow the " + name +
                         " heads through its rotary embedding " +
                         describe(def));
    return out;
  }

  if (Value source = getViewSource(def)) {
    FailureOr<Layout> in = traceSide(source, side, name);
    if (failed(in))
      return failure();
    FailureOr<Layout> out = transferView(def, *in);
    if (failed(out))
      return untraceable("cannot follow the " + name + " heads through " +
                         describe(def));
    return out;
  }
  if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    if (getBinaryBody(generic))
      return traceSideElementwise(generic, side, name);
  }
  return untraceable("the " + name + " comes from " + describe(def) +
                     ", not from a projection x·W (+ b) through reshapes, "
                     "transposes, slices, broadcasts and constant scaling");
}

/// Constant scaling (linear in W, so it commutes with the clip) and the
/// bias of the projection.
FailureOr<Layout> Tracer::traceSideElementwise(linalg::GenericOp op,
                                               ProjectionMatch &side,
                                               StringRef name) {
  Operation *body = getBinaryBody(op);
  std::optional<unsigned> input = getActivationInput(op);
  auto notLinear = [&] {
    return untraceable("the " + name + " goes through " + describe(op) +
                       ", which is not linear in its projection");
  };
  if (!input)
    return notLinear();
  Value other = op.getDpsInputs()[1 - *input];
  Block &block = op.getRegion().front();
  bool tracedFirst = body->getOperand(0) == block.getArgument(*input);
  bool isScale =
      isa<arith::MulFOp>(body) || (isa<arith::DivFOp>(body) && tracedFirst);
  if (isScale && matchPattern(other, m_Constant()))
    return traceSide(op.getDpsInputs()[*input], side, name);
  if (!isa<arith::AddFOp>(body) || side.bias || !isa<BlockArgument>(other) ||
      getShape(other).size() != 1)
    return notLinear();
  FailureOr<Layout> in = traceSide(op.getDpsInputs()[*input], side, name);
  if (failed(in))
    return failure();
  // The bias must index the projection's features directly.
  AffineMap map = op.getIndexingMapsArray()[1 - *input];
  auto dim = dyn_cast<AffineDimExpr>(map.getResult(0));
  Factors features = dim ? in->dims[dim.getPosition()] : Factors();
  dropUnitFactors(features);
  if (in->featureOffset != 0 || features.size() != 1 ||
      features[0].kind != FactorKind::Feature || features[0].stride != 1 ||
      features[0].size != getShape(other)[0])
    return notLinear();
  side.bias = other;
  return in;
}

FailureOr<Layout> Tracer::traceProjection(linalg::MatmulOp op,
                                          ProjectionMatch &side,
                                          StringRef name) {
  Value weight = op.getInputs()[1];
  side.featureAxis = 1;
  if (auto transpose = weight.getDefiningOp<linalg::TransposeOp>()) {
    weight = transpose.getInput();
    side.featureAxis = 0;
  }
  if (!isa<BlockArgument>(weight) && !matchPattern(weight, m_Constant()))
    return untraceable("the " + name + " projection " + describe(op) +
                       " does not multiply by a weight (a function argument "
                       "or constant, optionally transposed)");
  side.weight = weight;
  ArrayRef<int64_t> shape = getShape(op.getResult(0));
  Layout out;
  out.dims.push_back({{FactorKind::Other, shape[0]}});
  out.dims.push_back({{FactorKind::Feature, shape[1], 1}});
  for (Factors &factors : out.dims)
    dropUnitFactors(factors);
  return out;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::optional<Value> muon::optim::getSoftmaxInput(Operation *op) {
  if (auto softmax = dyn_cast<linalg::SoftmaxOp>(op))
    return softmax.getInput();
  return std::nullopt;
}

AttentionKind muon::optim::matchAttention(Value scores, AttentionMatch &match,
                                          std::string &reason) {
  match = AttentionMatch();
  Tracer tracer(match);
  FailureOr<Layout> layout = tracer.traceScores(scores);
  if (failed(layout)) {
    reason = tracer.reason;
    return tracer.kind;
  }
  match.scores = scores;
  int64_t numHeadFactors = 0;
  for (const Factors &factors : layout->dims)
    numHeadFactors += llvm::count_if(
        factors, [](const Factor &f) { return f.kind == FactorKind::Head; });
  if (numHeadFactors > 1 ||
      (numHeadFactors == 0 && match.query.numHeads != 1)) {
    reason = "the heads are split across dimensions of the scores";
    return AttentionKind::Untraceable;
  }
  // One head: a unit head dimension in front.
  if (numHeadFactors == 0)
    layout->dims.front().insert(layout->dims.front().begin(),
                                {FactorKind::Head, 1});
  // One expand_shape dimension per factor (a unit one for a dimension of
  // size 1), so that the head is a dimension of its own.
  for (Factors factors : layout->dims) {
    llvm::erase_if(factors, [](const Factor &f) {
      return f.size == 1 && f.kind != FactorKind::Head;
    });
    if (factors.empty())
      factors.push_back({FactorKind::Other, 1});
    SmallVector<int64_t, 2> group;
    for (const Factor &f : factors) {
      if (f.kind == FactorKind::Head)
        match.headFactor = match.factorShape.size();
      group.push_back(match.factorShape.size());
      match.factorShape.push_back(f.size);
    }
    match.factorGroups.push_back(group);
  }
  return AttentionKind::Matched;
}
