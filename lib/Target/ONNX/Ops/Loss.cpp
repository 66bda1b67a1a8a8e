//===- Loss.cpp - Cross-entropy and NLL losses, gradient ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// SoftmaxCrossEntropyLoss(scores [N, C, D...], labels [N, D...], weights [C]):
//   log_prob = log_softmax(scores, axis 1)
//   w_i = 0 if labels_i == ignore_index else (weights[labels_i] or 1)
//   loss_i = -w_i * log_prob[i, labels_i]
//   none: loss_i; sum: sum_i loss_i; mean: sum_i loss_i / W
// NegativeLogLikelihoodLoss(log_prob [N, C, D...], labels, weights) is the
// same without the log_softmax (torch's nll_loss; its only output is the
// loss), with ONNX's and ONNX Runtime's semantics where they differ from
// ORT's cross-entropy kernels: no default ignore_index, and a mean over zero
// total weight is 0 / 0 = NaN, as torch's nll_loss gives too.
// com.microsoft SoftmaxCrossEntropyLossGrad(dY, log_prob, labels, weights):
//   d_scores[i, c] = (exp(log_prob[i, c]) - [c == labels_i]) * w_i * s_i
//   with s_i = dY_i (none), dY (sum), dY / W (mean),
// W = sum_i w_i, or 1 where that is 0: ONNX Runtime's kernels skip the
// mean's division then, so that a batch whose labels are all ignored (all
// padding) gives loss 0 and zero gradients rather than NaN (ONNX's reference
// gives NaN there, for both losses).
// As in ONNX Runtime's kernels, SoftmaxCrossEntropyLoss's ignore_index
// defaults to -1. Labels outside [0, C) other than ignore_index fail the
// step's input check.
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
enum class Reduction { None, Sum, Mean };

/// The operands and attributes both ops share, checked.
struct LossOperands {
  Value scores;  // scores (forward) or log_prob (gradient), [N, C, D...]
  Value labels;  // [N, D...], integer
  Value weights; // [C] or null
  Reduction reduction;
  std::optional<int64_t> ignoreIndex;
  RankedTensorType scoresType;
};
} // namespace

/// `defaultIgnoreIndex`: the label ignored when the node names none.
static FailureOr<LossOperands>
getLossOperands(NodeContext &ctx, unsigned scoresIndex,
                std::optional<int64_t> defaultIgnoreIndex) {
  LossOperands result;
  FailureOr<FloatType> elementType = getFloatElementType(ctx, scoresIndex);
  FailureOr<RankedTensorType> labelsType = getOperandType(ctx, scoresIndex + 1);
  if (failed(elementType) || failed(labelsType))
    return failure();
  result.scores = ctx.getOperand(scoresIndex);
  result.labels = ctx.getOperand(scoresIndex + 1);
  result.scoresType = cast<RankedTensorType>(result.scores.getType());
  ArrayRef<int64_t> shape = result.scoresType.getShape();
  if (shape.size() < 2)
    return ctx.emitError() << "expects scores of rank >= 2 ([N, C, D...])";
  SmallVector<int64_t> labelShape(shape);
  labelShape.erase(labelShape.begin() + 1);
  if (labelsType->getShape() != ArrayRef<int64_t>(labelShape) ||
      !isa<IntegerType>(labelsType->getElementType()))
    return ctx.emitError() << "expects integer labels of shape [N, D...] "
                              "matching the scores, got "
                           << *labelsType;
  if (Value weights = ctx.getOperand(scoresIndex + 2)) {
    FailureOr<RankedTensorType> weightsType =
        getOperandType(ctx, scoresIndex + 2);
    if (failed(weightsType))
      return failure();
    if (weightsType->getShape() != ArrayRef<int64_t>{shape[1]} ||
        weightsType->getElementType() != *elementType)
      return ctx.emitError()
             << "expects weights of shape [C] = [" << shape[1]
             << "] and the scores' element type, got " << *weightsType;
    result.weights = weights;
  }
  std::string reduction = ctx.getStringAttr("reduction").value_or("mean");
  if (reduction == "none")
    result.reduction = Reduction::None;
  else if (reduction == "sum")
    result.reduction = Reduction::Sum;
  else if (reduction == "mean")
    result.reduction = Reduction::Mean;
  else
    return emitUnsupportedAttr(ctx, "reduction")
           << ": '" << reduction << "' (expects none, sum or mean)";
  result.ignoreIndex = ctx.getIntAttr("ignore_index");
  if (!result.ignoreIndex)
    result.ignoreIndex = defaultIgnoreIndex;
  if (failed(
          checkIndices(ctx, scoresIndex + 1, 0, shape[1], result.ignoreIndex)))
    return failure();
  return result;
}

/// The label of an element as an index, 0 for ignored ones (whose weight is
/// 0), and whether it is ignored. Out-of-range labels fail the step's input
/// check (getLossOperands) and are clamped to a class meanwhile.
static std::pair<Value, Value>
buildLabelIndex(OpBuilder &b, Location loc, Value label,
                std::optional<int64_t> ignoreIndex, int64_t numClasses) {
  Value ignored = arith::ConstantIntOp::create(b, loc, 0, 1);
  if (ignoreIndex) {
    Value ignore = buildScalar(b, loc, label.getType(), *ignoreIndex);
    ignored =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, label, ignore);
  }
  Value safe = arith::SelectOp::create(
      b, loc, ignored, buildScalar(b, loc, label.getType(), 0), label);
  Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), safe);
  return {buildClampedIndex(b, loc, index, numClasses), ignored};
}

/// A parallel generic over the label shape reading the labels; `body` gets
/// the label index, the ignored flag and the loop indices.
static Value buildOverLabels(
    OpBuilder &b, Location loc, const LossOperands &ops,
    function_ref<Value(OpBuilder &, Location, Value, Value, ValueRange)> body) {
  auto labelsType = cast<RankedTensorType>(ops.labels.getType());
  int64_t rank = labelsType.getRank();
  Type elementType = ops.scoresType.getElementType();
  Value init = buildEmpty(b, loc, labelsType.getShape(), elementType);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ops.labels, init,
             SmallVector<AffineMap>{identity, identity}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               auto [index, ignored] =
                   buildLabelIndex(nb, nl, args[0], ops.ignoreIndex,
                                   ops.scoresType.getDimSize(1));
               SmallVector<Value> loops;
               for (int64_t i = 0; i < rank; ++i)
                 loops.push_back(linalg::IndexOp::create(nb, nl, i));
               linalg::YieldOp::create(nb, nl,
                                       body(nb, nl, index, ignored, loops));
             })
      .getResult(0);
}

/// w_i: 0 for ignored labels, else weights[label] or 1.
static Value buildSampleWeights(OpBuilder &b, Location loc,
                                const LossOperands &ops) {
  return buildOverLabels(
      b, loc, ops,
      [&](OpBuilder &nb, Location nl, Value index, Value ignored,
          ValueRange) -> Value {
        Type type = ops.scoresType.getElementType();
        Value weight = ops.weights ? tensor::ExtractOp::create(
                                         nb, nl, ops.weights, ValueRange{index})
                                         .getResult()
                                   : buildScalar(nb, nl, type, 1.0);
        return arith::SelectOp::create(nb, nl, ignored,
                                       buildScalar(nb, nl, type, 0.0), weight);
      });
}

/// Sum of all elements of `value` as a 0-d tensor.
static Value buildTotal(OpBuilder &b, Location loc, Value value) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  return buildReduce(b, loc, value,
                     llvm::to_vector(llvm::seq<int64_t>(0, rank)),
                     /*keepDims=*/false, ReduceKind::Sum);
}

/// W of the header: the total of the sample weights, 1 where it is 0 as
/// ORT's cross-entropy kernels divide (`zeroAsOne`), else as it is.
static Value buildMeanDivisor(OpBuilder &b, Location loc, Value weights,
                              bool zeroAsOne = true) {
  Value total = buildTotal(b, loc, weights);
  if (!zeroAsOne)
    return total;
  auto type = cast<RankedTensorType>(total.getType());
  return buildBroadcastMap(
      b, loc, {total}, type.getShape(), type.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Type element = args[0].getType();
        Value isZero =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, args[0],
                                  buildScalar(nb, nl, element, 0.0));
        return arith::SelectOp::create(
            nb, nl, isZero, buildScalar(nb, nl, element, 1.0), args[0]);
      });
}

static Value buildDivide(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  auto type = cast<RankedTensorType>(lhs.getType());
  return buildBroadcastMap(
      b, loc, {lhs, rhs}, type.getShape(), type.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nl, args[0], args[1]);
      });
}

/// SoftmaxCrossEntropyLoss, or with `fromLogProb` NegativeLogLikelihoodLoss,
/// whose input is log_prob already.
static ImportResult importLoss(NodeContext &ctx, bool fromLogProb) {
  if (failed(checkNumOperands(ctx, 2, 3)))
    return failure();
  FailureOr<LossOperands> ops = getLossOperands(
      ctx, 0, fromLogProb ? std::nullopt : std::optional<int64_t>(-1));
  if (failed(ops))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value logProb =
      fromLogProb ? ops->scores
                  : buildSoftmax(b, loc, ops->scores, 1, /*logSoftmax=*/true);
  Value weights = buildSampleWeights(b, loc, *ops);
  Value picked = buildOverLabels(
      b, loc, *ops,
      [&](OpBuilder &nb, Location nl, Value index, Value, ValueRange loops) {
        SmallVector<Value> coords(loops);
        coords.insert(coords.begin() + 1, index);
        return tensor::ExtractOp::create(nb, nl, logProb, coords).getResult();
      });
  auto labelShape = cast<RankedTensorType>(weights.getType()).getShape();
  Value losses = buildBroadcastMap(
      b, loc, {weights, picked}, labelShape, ops->scoresType.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
        return arith::NegFOp::create(nb, nl, product);
      });
  Value loss = losses;
  if (ops->reduction != Reduction::None)
    loss = buildTotal(b, loc, losses);
  if (ops->reduction == Reduction::Mean)
    loss = buildDivide(b, loc, loss,
                       buildMeanDivisor(b, loc, weights,
                                        /*zeroAsOne=*/!fromLogProb));
  SmallVector<Value> results = {loss};
  if (!fromLogProb && ctx.getNumResults() > 1)
    results.push_back(logProb);
  return results;
}

static ImportResult importLossGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 4)))
    return failure();
  FailureOr<LossOperands> ops =
      getLossOperands(ctx, 1, /*defaultIgnoreIndex=*/-1);
  FailureOr<RankedTensorType> dyType = getOperandType(ctx, 0);
  if (failed(ops) || failed(dyType))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value weights = buildSampleWeights(b, loc, *ops);
  auto weightsType = cast<RankedTensorType>(weights.getType());
  bool perSample = ops->reduction == Reduction::None;
  if (dyType->getElementType() != ops->scoresType.getElementType() ||
      (perSample ? dyType->getShape() != weightsType.getShape()
                 : dyType->getNumElements() != 1))
    return ctx.emitError() << "expects dY of the loss' shape ("
                           << (perSample ? "[N, D...]" : "one element")
                           << "), got " << *dyType;
  Value scale = ctx.getOperand(0);
  if (!perSample)
    scale = buildReshape(b, loc, scale, {});
  if (ops->reduction == Reduction::Mean)
    scale = buildDivide(b, loc, scale, buildMeanDivisor(b, loc, weights));
  // Per sample: w_i * s_i, broadcast along C below.
  Value sampleScale = buildBroadcastMap(
      b, loc, {weights, scale}, weightsType.getShape(),
      weightsType.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nl, args[0], args[1]);
      });

  MLIRContext *context = b.getContext();
  ArrayRef<int64_t> shape = ops->scoresType.getShape();
  int64_t rank = shape.size();
  SmallVector<AffineExpr> sampleExprs;
  for (int64_t i = 0; i < rank; ++i)
    if (i != 1)
      sampleExprs.push_back(getAffineDimExpr(i, context));
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap sampleMap = AffineMap::get(rank, 0, sampleExprs, context);
  Value init = buildEmpty(b, loc, shape, ops->scoresType.getElementType());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  std::optional<int64_t> ignoreIndex = ops->ignoreIndex;
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{ops->scores, ops->labels, sampleScale},
      init, SmallVector<AffineMap>{identity, sampleMap, sampleMap, identity},
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Type type = args[0].getType();
        Value prob = math::ExpOp::create(nb, nl, args[0]);
        // Ignored samples have zero weight already.
        Value index =
            buildLabelIndex(nb, nl, args[1], ignoreIndex, shape[1]).first;
        Value cls = linalg::IndexOp::create(nb, nl, 1);
        Value hit =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, index, cls);
        Value oneHot =
            arith::SelectOp::create(nb, nl, hit, buildScalar(nb, nl, type, 1.0),
                                    buildScalar(nb, nl, type, 0.0));
        Value diff = arith::SubFOp::create(nb, nl, prob, oneHot);
        linalg::YieldOp::create(
            nb, nl, arith::MulFOp::create(nb, nl, diff, args[2]).getResult());
      });
  return SmallVector<Value>{generic.getResult(0)};
}

void muon::onnx_import::populateLossImporters(OpImporterRegistry &registry) {
  registry.add(
      "", "SoftmaxCrossEntropyLoss",
      [](NodeContext &ctx) { return importLoss(ctx, /*fromLogProb=*/false); },
      {/*since=*/12});
  registry.add(
      "", "NegativeLogLikelihoodLoss",
      [](NodeContext &ctx) { return importLoss(ctx, /*fromLogProb=*/true); },
      {/*since=*/12});
  registry.add("com.microsoft", "SoftmaxCrossEntropyLossGrad", importLossGrad);
}
