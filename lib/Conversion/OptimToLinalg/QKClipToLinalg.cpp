//===- QKClipToLinalg.cpp - optim.qk_clip to linalg.generic ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Per-head factors are computed first as small tensors (γ_h, then the W_q and
// W_k factors of the MHA, GQA or MLA rule); each weight is then one generic
// that finds the head of an entry with `linalg.index` on the head axis and
// reads its factor. Entries whose factor is exactly 1 are selected unchanged,
// so unclipped heads stay bitwise identical.
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

/// Scales `weight` head by head along `axis`: entry p of head h's `chunk`
/// entries is multiplied by first[h] when p < split, else by second[h] (1 when
/// `second` is null).
static Value buildHeadScaling(OpBuilder &b, Location loc, Value weight,
                              int64_t axis, int64_t chunk, int64_t split,
                              Value first, Value second) {
  auto type = cast<RankedTensorType>(weight.getType());
  Type elementType = type.getElementType();
  Type arithType = getElementTypeOrSelf(first.getType());
  Value chunkValue = arith::ConstantIndexOp::create(b, loc, chunk);
  Value one = createFloatConstant(b, loc, arithType, 1.0);
  // The body converts by hand: the unscaled entry must pass through as is.
  return buildElementwise(
             b, loc, weight, {}, type, elementType,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               Value index = linalg::IndexOp::create(nested, nestedLoc, axis);
               Value head =
                   arith::DivUIOp::create(nested, nestedLoc, index, chunkValue);
               Value factor =
                   tensor::ExtractOp::create(nested, nestedLoc, first, head);
               if (split < chunk) {
                 Value splitValue =
                     arith::ConstantIndexOp::create(nested, nestedLoc, split);
                 Value position = arith::RemUIOp::create(nested, nestedLoc,
                                                         index, chunkValue);
                 Value inFirst = arith::CmpIOp::create(
                     nested, nestedLoc, arith::CmpIPredicate::ult, position,
                     splitValue);
                 Value other = second ? tensor::ExtractOp::create(
                                            nested, nestedLoc, second, head)
                                            .getResult()
                                      : one;
                 factor = arith::SelectOp::create(nested, nestedLoc, inFirst,
                                                  factor, other);
               }
               Value wide =
                   convertScalar(nested, nestedLoc, args[0], arithType);
               Value product =
                   arith::MulFOp::create(nested, nestedLoc, wide, factor);
               Value scaled =
                   convertScalar(nested, nestedLoc, product, elementType);
               Value unit = arith::CmpFOp::create(
                   nested, nestedLoc, arith::CmpFPredicate::OEQ, factor, one);
               return SmallVector<Value>{arith::SelectOp::create(
                   nested, nestedLoc, unit, args[0], scaled)};
             })
      .front();
}

namespace {
/// Lowers `optim.qk_clip` to per-head factor generics and one scaling generic
/// per weight.
struct QKClipToLinalg : public OpConversionPattern<QKClipOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QKClipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    Type arithType =
        getArithmeticType(getElementTypeOrSelf(op.getWq().getType()));
    auto numHeads = static_cast<int64_t>(op.getNumHeads());
    int64_t numKeyHeads = op.getNumKeyHeads();
    auto headDim = static_cast<int64_t>(op.getHeadDim());
    auto axis = static_cast<int64_t>(op.getHeadAxis());
    double alpha = op.getAlpha().convertToDouble();
    auto constant = [&](double value) {
      return createFloatConstant(rewriter, loc, arithType, value);
    };
    Value tau = constant(op.getTau().convertToDouble());
    Value one = constant(1.0);
    Value alphaValue = constant(alpha);
    Value oneMinusAlpha = constant(1.0 - alpha);

    // γ_h = S_h > τ ? τ / S_h : 1 (exactly 1, also for S_h ≤ 0 or NaN).
    auto headsType = RankedTensorType::get({numHeads}, arithType);
    Value gamma =
        buildElementwise(
            rewriter, loc, adaptor.getMaxLogits(), {}, headsType, arithType,
            [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
              Value clipped = arith::CmpFOp::create(
                  b, bodyLoc, arith::CmpFPredicate::OGT, args[0], tau);
              Value ratio = arith::DivFOp::create(b, bodyLoc, tau, args[0]);
              return SmallVector<Value>{
                  arith::SelectOp::create(b, bodyLoc, clipped, ratio, one)};
            })
            .front();

    Value queryFactor, queryRopeFactor, keyFactor;
    if (numKeyHeads == numHeads) {
      // MHA and MLA: q (q_C) gets γ^α, k (k_C) gets γ^(1−α); MLA's q_R gets γ.
      SmallVector<Value> factors = buildElementwise(
          rewriter, loc, gamma, {}, {headsType, headsType}, arithType,
          [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
            return SmallVector<Value>{
                math::PowFOp::create(b, bodyLoc, args[0], alphaValue),
                math::PowFOp::create(b, bodyLoc, args[0], oneMinusAlpha)};
          });
      queryFactor = factors[0];
      keyFactor = factors[1];
      if (op.isMLA())
        queryRopeFactor = gamma;
    } else {
      // GQA: with m_g the smallest γ of key head g's query heads, k-head g
      // gets m_g^α and query head h of group g gets γ_h / m_g^α.
      int64_t groupSize = numHeads / numKeyHeads;
      auto assoc = groupDims({2});
      Value grouped =
          reshape(rewriter, loc, gamma, {numKeyHeads, groupSize}, assoc);
      Value groupMin = buildReduction(
          rewriter, loc, grouped, {1}, arithType, 1.0,
          [](OpBuilder &b, Location bodyLoc, Value acc, Value element) {
            return arith::MinimumFOp::create(b, bodyLoc, acc, element)
                .getResult();
          });
      keyFactor =
          buildElementwise(
              rewriter, loc, groupMin, {},
              RankedTensorType::get({numKeyHeads}, arithType), arithType,
              [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                return SmallVector<Value>{
                    math::PowFOp::create(b, bodyLoc, args[0], alphaValue)};
              })
              .front();
      SmallVector<AffineMap> maps = {
          rewriter.getMultiDimIdentityMap(2),
          getProjectionMap(rewriter.getContext(), 2, {0})};
      Value groupedFactor =
          buildElementwise(
              rewriter, loc, {grouped, keyFactor}, maps, grouped.getType(),
              arithType,
              [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
                return SmallVector<Value>{
                    arith::DivFOp::create(b, bodyLoc, args[0], args[1])};
              })
              .front();
      queryFactor = reshape(rewriter, loc, groupedFactor, {numHeads}, assoc);
    }

    Value newWq = buildHeadScaling(rewriter, loc, adaptor.getWq(), axis,
                                   op.getQueryChunk(), headDim, queryFactor,
                                   queryRopeFactor);
    Value newWk = buildHeadScaling(rewriter, loc, adaptor.getWk(), axis,
                                   op.getKeyChunk(), headDim, keyFactor,
                                   /*second=*/Value());
    rewriter.replaceOp(op, {newWq, newWk});
    return success();
  }
};
} // namespace

void muon::optim::populateQKClipToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<QKClipToLinalg>(patterns.getContext());
}
