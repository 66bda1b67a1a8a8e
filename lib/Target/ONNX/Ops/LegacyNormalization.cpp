//===- LegacyNormalization.cpp - LRN, MeanVarianceNormalization -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The normalizations of older CNN exports (AlexNet/GoogLeNet, Caffe
// converters), forward only (ORT has no gradient for either):
//
//   LRN: across a window of `size` channels around c, from
//     c - floor((size - 1) / 2) to c + ceil((size - 1) / 2) (clipped to X):
//     Y = X / (bias + alpha / size · Σ x²)^beta
//   MeanVarianceNormalization over `axes` (default [0, 2, 3]), as ONNX's
//   function body computes it:
//     Y = (X - E[X]) / (sqrt(E[X²] - E[X]²) + 1e-9)
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

static ImportResult importLRN(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(type) || failed(elementType))
    return failure();
  if (type->getRank() < 2)
    return ctx.emitError() << "expects X [N, C, D...], got " << *type;
  std::optional<int64_t> size = ctx.getIntAttr("size");
  if (!size || *size < 1 || *size > (int64_t(1) << 31))
    return ctx.emitError() << "expects a size in [1, 2^31]";
  double alpha = ctx.getFloatAttr("alpha").value_or(1e-4f);
  double beta = ctx.getFloatAttr("beta").value_or(0.75f);
  double bias = ctx.getFloatAttr("bias").value_or(1.0f);

  // Σ x² over the window: the loops over X, and one reduction loop over the
  // window's taps (its extent from an empty [size] operand).
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  MLIRContext *context = b.getContext();
  Value x = ctx.getOperand(0);
  int64_t rank = type->getRank(), channels = type->getDimSize(1);
  int64_t before = (*size - 1) / 2;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank + 1, context)
                           .getSubMap(llvm::to_vector(llvm::seq<unsigned>(
                               0, static_cast<unsigned>(rank))));
  AffineMap taps = AffineMap::get(rank + 1, 0, getAffineDimExpr(rank, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value zeros =
      buildFilled(b, loc, type->getShape(), b.getFloatAttr(*elementType, 0.0));
  Value squares =
      linalg::GenericOp::create(
          b, loc, zeros.getType(), buildEmpty(b, loc, {*size}, *elementType),
          zeros, {taps, identity}, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            auto constant = [&](int64_t v) -> Value {
              return arith::ConstantIndexOp::create(nb, nl, v);
            };
            SmallVector<Value> at;
            for (int64_t d = 0; d < rank; ++d)
              at.push_back(linalg::IndexOp::create(nb, nl, d));
            Value channel = arith::SubIOp::create(
                nb, nl,
                arith::AddIOp::create(nb, nl, at[1],
                                      linalg::IndexOp::create(nb, nl, rank)),
                constant(before));
            Value inside = arith::AndIOp::create(
                nb, nl,
                arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge,
                                      channel, constant(0)),
                arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                      channel, constant(channels)));
            at[1] = buildClampedIndex(nb, nl, channel, channels);
            Value value = tensor::ExtractOp::create(nb, nl, x, at);
            Value square = arith::SelectOp::create(
                nb, nl, inside, arith::MulFOp::create(nb, nl, value, value),
                buildScalar(nb, nl, *elementType, 0.0));
            linalg::YieldOp::create(
                nb, nl, Value(arith::AddFOp::create(nb, nl, args[1], square)));
          })
          .getResult(0);
  return SmallVector<Value>{buildBroadcastMap(
      b, loc, {x, squares}, type->getShape(), *elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(
            nb, nl, args[1],
            buildScalar(nb, nl, *elementType,
                        alpha / static_cast<double>(*size)));
        Value base = arith::AddFOp::create(
            nb, nl, scaled, buildScalar(nb, nl, *elementType, bias));
        Value denominator = math::PowFOp::create(
            nb, nl, base, buildScalar(nb, nl, *elementType, beta));
        return arith::DivFOp::create(nb, nl, args[0], denominator);
      })};
}

static ImportResult importMeanVarianceNormalization(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(type) || failed(elementType))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = normalizeAxes(
      ctx, ctx.getIntsAttr("axes").value_or(SmallVector<int64_t>{0, 2, 3}),
      type->getRank());
  if (failed(axes))
    return failure();
  int64_t count = 1;
  for (int64_t axis : *axes)
    count *= type->getDimSize(axis);
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value x = ctx.getOperand(0);
  Value squares = buildBroadcastMap(
      b, loc, x, type->getShape(), *elementType,
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nl, args[0], args[0]);
      });
  Value sum = buildReduce(b, loc, x, *axes, /*keepDims=*/true, ReduceKind::Sum);
  Value sumSquares =
      buildReduce(b, loc, squares, *axes, /*keepDims=*/true, ReduceKind::Sum);
  return SmallVector<Value>{buildBroadcastMap(
      b, loc, {x, sum, sumSquares}, type->getShape(), *elementType,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value n = buildScalar(nb, nl, *elementType, static_cast<double>(count));
        Value mean = arith::DivFOp::create(nb, nl, args[1], n);
        Value meanSquare = arith::DivFOp::create(nb, nl, args[2], n);
        Value variance = arith::SubFOp::create(
            nb, nl, meanSquare, arith::MulFOp::create(nb, nl, mean, mean));
        Value std = arith::AddFOp::create(
            nb, nl, math::SqrtOp::create(nb, nl, variance),
            buildScalar(nb, nl, *elementType, 1e-9));
        return arith::DivFOp::create(
            nb, nl, arith::SubFOp::create(nb, nl, args[0], mean), std);
      })};
}

void muon::onnx_import::populateLegacyNormalizationImporters(
    OpImporterRegistry &registry) {
  registry.add("", "LRN", importLRN);
  // MeanVarianceNormalization-9 is the first standard version.
  registry.add("", "MeanVarianceNormalization", importMeanVarianceNormalization,
               {/*since=*/9});
}
