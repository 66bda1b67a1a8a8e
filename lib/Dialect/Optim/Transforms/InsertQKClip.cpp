//===- InsertQKClip.cpp - Add QK-clip to training steps -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// For each attention AttentionMatch traces, the forward pass gains the
// per-head max of the scores and the optimizer part an optim.qk_clip of the
// updated W_q / W_k (and biases). The clip reads the max logits of the same
// step's forward pass (pre-update weights) and rescales the updated weights,
// as MuonClip prescribes.
//
//===----------------------------------------------------------------------===//

#include "AttentionMatch.h"
#include "ParameterInfo.h"

#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "llvm/ADT/MapVector.h"

#include <cmath>
#include <limits>

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMINSERTQKCLIPPASS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

namespace {
/// The head slice [offset, offset + extent) along `axis` of a parameter that
/// an optimizer op updates. A null `param` stands for an absent bias.
struct ClipSide {
  Value param;
  std::optional<ParameterUpdate> update;
  int64_t axis = 0;
  int64_t offset = 0;
  int64_t extent = 0;
};

/// Head counts and hyper-parameters of one optim.qk_clip.
struct ClipConfig {
  double tau, alpha;
  int64_t numHeads, numKeyHeads, headDim;
  /// MLA: the rotary query part and the value part of W_k's head chunks.
  std::optional<int64_t> ropeHeadDim;
  int64_t vHeadDim = 0;
};

struct OptimInsertQKClipPass
    : public muon::optim::impl::OptimInsertQKClipPassBase<
          OptimInsertQKClipPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  /// `clipped`: the parameters already clipped in this function.
  LogicalResult insertClip(Operation *softmax, const AttentionMatch &match,
                           llvm::DenseSet<Value> &clipped);
};
} // namespace

static SmallVector<OpFoldResult> getIndexAttrs(OpBuilder &b,
                                               ArrayRef<int64_t> values) {
  return llvm::map_to_vector(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

/// Offsets, sizes and strides of `side`'s slice of a tensor of `shape`.
static std::array<SmallVector<OpFoldResult>, 3>
getSliceParams(OpBuilder &b, ArrayRef<int64_t> shape, const ClipSide &side) {
  SmallVector<int64_t> offsets(shape.size(), 0), sizes(shape);
  offsets[side.axis] = side.offset;
  sizes[side.axis] = side.extent;
  return {getIndexAttrs(b, offsets), getIndexAttrs(b, sizes),
          getIndexAttrs(b, SmallVector<int64_t>(shape.size(), 1))};
}

static bool isWholeTensor(const ClipSide &side) {
  return side.offset == 0 &&
         side.extent ==
             cast<ShapedType>(side.param.getType()).getDimSize(side.axis);
}

/// The updated head slice of `side`, of type `sliceType` (zeros for an
/// absent bias).
static Value readSide(OpBuilder &b, Location loc, const ClipSide &side,
                      RankedTensorType sliceType) {
  if (!side.param)
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(sliceType,
                               b.getZeroAttr(sliceType.getElementType())));
  Value updated = side.update->newParam;
  if (isWholeTensor(side))
    return updated;
  auto [offsets, sizes, strides] = getSliceParams(
      b, cast<RankedTensorType>(updated.getType()).getShape(), side);
  return tensor::ExtractSliceOp::create(b, loc, sliceType, updated, offsets,
                                        sizes, strides);
}

/// `clippedSlice` written back into `into` (the updated parameter).
static Value writeSide(OpBuilder &b, Location loc, const ClipSide &side,
                       Value clippedSlice, Value into) {
  if (isWholeTensor(side))
    return clippedSlice;
  auto [offsets, sizes, strides] = getSliceParams(
      b, cast<RankedTensorType>(into.getType()).getShape(), side);
  return tensor::InsertSliceOp::create(b, loc, clippedSlice, into, offsets,
                                       sizes, strides);
}

/// One optim.qk_clip of the updated slices of `q` and `k`, placed after
/// `after`; users of the updated parameters placed after it read the clipped
/// ones.
static void clipPair(OpBuilder &b, Location loc, Operation *after, ClipSide q,
                     ClipSide k, Value maxLogits, const ClipConfig &config) {
  const ClipSide &present = q.param ? q : k;
  // An absent bias takes the shape of the other side's (rank 1).
  auto sliceType = [&](const ClipSide &side) {
    auto type =
        cast<RankedTensorType>((side.param ? side : present).param.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[present.axis] = side.extent;
    return RankedTensorType::get(shape, type.getElementType());
  };
  b.setInsertionPointAfter(after);
  SmallPtrSet<Operation *, 8> created;
  auto track = [&](Value v) {
    if (Operation *def = v.getDefiningOp())
      created.insert(def);
    return v;
  };
  Value wq = track(readSide(b, loc, q, sliceType(q)));
  Value wk = track(readSide(b, loc, k, sliceType(k)));
  auto clip = QKClipOp::create(b, loc, wq, wk, maxLogits, APFloat(config.tau),
                               APFloat(config.alpha), config.numHeads,
                               config.numKeyHeads == config.numHeads
                                   ? IntegerAttr()
                                   : b.getI64IntegerAttr(config.numKeyHeads),
                               config.headDim, present.axis,
                               config.ropeHeadDim
                                   ? b.getI64IntegerAttr(*config.ropeHeadDim)
                                   : IntegerAttr(),
                               config.vHeadDim);
  created.insert(clip);

  // Write back: Q and K may be slices of one fused parameter.
  llvm::MapVector<Value, Value> results;
  for (auto [side, clippedSlice] :
       {std::pair(&q, clip.getNewWq()), std::pair(&k, clip.getNewWk())}) {
    if (!side->param)
      continue;
    Value updated = side->update->newParam;
    Value &into = results.try_emplace(updated, updated).first->second;
    into = track(writeSide(b, loc, *side, clippedSlice, into));
  }
  Operation *last = b.getInsertionPoint() == b.getBlock()->end()
                        ? &b.getBlock()->back()
                        : b.getInsertionPoint()->getPrevNode();
  for (auto [updated, final] : results)
    updated.replaceUsesWithIf(final, [&](OpOperand &use) {
      Operation *user = use.getOwner();
      return !created.contains(user) &&
             last->getBlock()->findAncestorOpInBlock(*user) &&
             last->isBeforeInBlock(
                 last->getBlock()->findAncestorOpInBlock(*user));
    });
}

static Value combineMax(OpBuilder &b, Location loc, Value acc, Value element) {
  return arith::MaximumFOp::create(b, loc, acc, element).getResult();
}

/// The per-head max of the scores, computed right after them: the row max
/// over the softmax dim (which the decomposed softmax computes too, and
/// muon-decompose-softmax shares), then the max of the row maxes over every
/// factor but the head. The scores are read once, by the row max.
static Value buildMaxLogits(OpBuilder &b, Location loc,
                            const AttentionMatch &match, int64_t softmaxDim) {
  b.setInsertionPointAfterValue(match.scores);
  Type elementType =
      cast<RankedTensorType>(match.scores.getType()).getElementType();
  double lowest = -std::numeric_limits<double>::infinity();
  ArrayRef<int64_t> softmaxFactors = match.factorGroups[softmaxDim];
  Value rows = match.scores;
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> groups;
  int64_t head = match.headFactor;
  if (llvm::is_contained(softmaxFactors, match.headFactor)) {
    // Not an attention's softmax over key positions: reduce the scores.
    shape = match.factorShape;
    for (const auto &group : match.factorGroups)
      groups.push_back(ReassociationIndices(group.begin(), group.end()));
  } else {
    rows = buildReduction(b, loc, match.scores, {softmaxDim}, elementType,
                          lowest, combineMax);
    int64_t removed = softmaxFactors.size();
    int64_t first = softmaxFactors.front();
    for (auto [dim, group] : llvm::enumerate(match.factorGroups)) {
      if (static_cast<int64_t>(dim) == softmaxDim)
        continue;
      ReassociationIndices &kept = groups.emplace_back();
      for (int64_t factor : group) {
        kept.push_back(factor < first ? factor : factor - removed);
        shape.push_back(match.factorShape[factor]);
      }
    }
    if (head > first)
      head -= removed;
  }
  Value factors = reshape(b, loc, rows, shape, groups);
  SmallVector<int64_t> reduced;
  for (int64_t dim = 0, e = shape.size(); dim < e; ++dim)
    if (dim != head)
      reduced.push_back(dim);
  return buildReduction(b, loc, factors, reduced, elementType, lowest,
                        combineMax);
}

/// Warns at `softmax` that its attention is left unclipped, naming the
/// attention by its node (the NameLoc the ONNX importer sets, also inside
/// the CallSiteLoc of inlined ops).
static InFlightDiagnostic warnUnclipped(Operation *softmax) {
  InFlightDiagnostic diag = softmax->emitWarning() << "attention ";
  if (auto name = softmax->getLoc()->findInstanceOf<NameLoc>())
    diag << "'" << name.getName().str() << "' ";
  diag << "not clipped: ";
  return diag;
}

LogicalResult
OptimInsertQKClipPass::insertClip(Operation *softmax,
                                  const AttentionMatch &match,
                                  llvm::DenseSet<Value> &clipped) {
  auto warn = [&]() {
    ++numUntraced;
    return warnUnclipped(softmax);
  };
  const ProjectionMatch &query = match.query, &key = match.key;
  if (query.featureAxis != key.featureAxis) {
    warn() << "W_q and W_k hold their heads on different axes";
    return failure();
  }
  // One parameter may hold both (fused QKV), but not the same features
  // (tied Q/K weights): their factors differ.
  auto overlaps = [](int64_t a, int64_t aSize, int64_t b, int64_t bSize) {
    return a < b + bSize && b < a + aSize;
  };
  if (query.weight == key.weight &&
      overlaps(query.featureOffset, query.numHeads * query.headStride,
               key.featureOffset, key.numHeads * key.headStride)) {
    warn() << "W_q and W_k share features (tied weights): the query and key "
              "factors cannot both apply";
    return failure();
  }
  // Every parameter involved must be updated once, in the softmax's block,
  // and not be clipped already by another attention.
  SmallVector<std::pair<Value, StringRef>> params = {{query.weight, "W_q"},
                                                     {key.weight, "W_k"}};
  if (query.bias)
    params.push_back({query.bias, "the query bias"});
  if (key.bias)
    params.push_back({key.bias, "the key bias"});
  Block *block = softmax->getBlock();
  Operation *last = match.scores.getDefiningOp();
  for (auto [param, role] : params) {
    std::string name = getParameterNameOrUnnamed(param);
    std::optional<ParameterUpdate> update = getParameterUpdate(param);
    if (!update || update->op->getBlock() != block) {
      warn() << role << " ('" << name
             << "') is not updated by exactly one optimizer op in this block";
      return failure();
    }
    if (clipped.contains(param)) {
      warn() << role << " ('" << name
             << "') is already clipped for another attention";
      return failure();
    }
    if (last->isBeforeInBlock(update->op))
      last = update->op;
  }

  OpBuilder b(softmax->getContext());
  Location loc = softmax->getLoc();
  Value maxLogits = buildMaxLogits(
      b, loc, match, cast<linalg::SoftmaxOp>(softmax).getDimension());
  if (last == match.scores.getDefiningOp())
    last = maxLogits.getDefiningOp();
  ClipConfig config{tau,
                    alpha,
                    query.numHeads,
                    key.numHeads,
                    match.headDim,
                    match.ropeHeadDim,
                    key.headStride - match.headDim};
  // An absent bias still has its extent: the clip reads zeros in its place.
  auto side = [&](Value param, int64_t axis, const ProjectionMatch &proj) {
    ClipSide result;
    result.param = param;
    if (param)
      result.update = getParameterUpdate(param);
    result.axis = axis;
    result.offset = proj.featureOffset;
    result.extent = proj.numHeads * proj.headStride;
    return result;
  };
  clipPair(b, loc, last, side(query.weight, query.featureAxis, query),
           side(key.weight, key.featureAxis, key), maxLogits, config);
  if (query.bias || key.bias)
    clipPair(b, loc, last, side(query.bias, 0, query), side(key.bias, 0, key),
             maxLogits, config);
  for (auto [param, role] : params)
    clipped.insert(param);
  ++numClipped;
  return success();
}

void OptimInsertQKClipPass::runOnOperation() {
  // As optim.qk_clip's verifier: an infinite tau would clip nothing.
  if (!(std::isfinite(tau) && tau > 0.0) || !(alpha >= 0.0 && alpha <= 1.0)) {
    emitError(UnknownLoc::get(&getContext()))
        << "optim-insert-qk-clip expects a finite tau > 0 and alpha in [0, 1], "
           "got tau="
        << tau << ", alpha=" << alpha;
    return signalPassFailure();
  }
  SmallVector<std::pair<Operation *, Value>> softmaxes;
  getOperation().walk([&](Operation *op) {
    if (std::optional<Value> input = getSoftmaxInput(op))
      softmaxes.push_back({op, *input});
  });
  llvm::DenseSet<Value> clipped;
  for (auto [softmax, scores] : softmaxes) {
    AttentionMatch match;
    std::string reason;
    switch (matchAttention(scores, match, reason)) {
    case AttentionKind::NotAttention:
      break;
    case AttentionKind::Untraceable:
      ++numUntraced;
      warnUnclipped(softmax) << reason;
      break;
    case AttentionKind::Matched:
      (void)insertClip(softmax, match, clipped);
      break;
    }
  }
}
