//===- CausalConv.cpp - CausalConvWithState importer ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// CausalConvWithState (opset 27), the short depthwise convolution of Mamba
// and Gated DeltaNet layers with its decoding cache. With X [B, C, L],
// W [C, 1, k] and the carried state P [B, C, k-1] (zeros when absent), on
// the sequence padded = [P, X] along the last axis:
//
//   Y[b, c, t] = act(bias[c] + Σ_j W[c, 0, j] · padded[b, c, t + j])
//   present    = padded[:, :, L : L + k - 1]
//
// act is SiLU (x · sigmoid(x), also spelled swish) or none. padded is two
// insert_slices; Y one reduction generic, accumulated in f32 for 16-bit
// floats, and one element-wise generic for bias and activation.
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;

/// Fails unless optional input `index`, when present, has type `expected`.
static LogicalResult checkOptionalType(NodeContext &ctx, unsigned index,
                                       RankedTensorType expected,
                                       StringRef what) {
  if (!ctx.getOperand(index))
    return success();
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  if (*type != expected)
    return ctx.emitError() << "expects " << what << " of type " << expected
                           << ", got " << *type;
  return success();
}

static ImportResult importCausalConvWithState(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 4);
  FailureOr<RankedTensorType> weightType = getOperandType(ctx, 1);
  if (failed(type) || failed(weightType) || failed(getFloatElementType(ctx, 0)))
    return failure();
  std::string activation = ctx.getStringAttr("activation").value_or("none");
  if (activation != "none" && activation != "silu" && activation != "swish")
    return emitUnsupportedAttr(ctx, "activation")
           << ": '" << activation << "' (expects none, silu or swish)";
  if (type->getRank() != 3)
    return ctx.emitError() << "expects input [batch, channels, length], got "
                           << *type;
  Type elementType = type->getElementType();
  int64_t batch = type->getDimSize(0), channels = type->getDimSize(1),
          length = type->getDimSize(2);
  int64_t taps = weightType->getRank() == 3 ? weightType->getDimSize(2) : 0;
  if (weightType->getElementType() != elementType || taps < 1 ||
      weightType->getShape().take_front(2) != ArrayRef<int64_t>{channels, 1})
    return ctx.emitError() << "expects weight [" << channels
                           << ", 1, k] (k >= 1) of input's elements, got "
                           << *weightType;
  int64_t carried = taps - 1;
  auto stateType =
      RankedTensorType::get({batch, channels, carried}, elementType);
  if (failed(checkOptionalType(
          ctx, 2, RankedTensorType::get({channels}, elementType), "bias")) ||
      failed(checkOptionalType(ctx, 3, stateType, "past_state")))
    return failure();

  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value past = ctx.getOperand(3);
  if (!past)
    past =
        buildFilled(b, loc, stateType.getShape(), b.getZeroAttr(elementType));
  Value padded =
      buildEmpty(b, loc, {batch, channels, length + carried}, elementType);
  SmallVector<OpFoldResult> zeros(3, b.getIndexAttr(0)),
      ones(3, b.getIndexAttr(1));
  auto insertAt = [&](Value part, int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> offsets(zeros),
        sizes = {b.getIndexAttr(batch), b.getIndexAttr(channels),
                 b.getIndexAttr(size)};
    offsets[2] = b.getIndexAttr(offset);
    padded = tensor::InsertSliceOp::create(b, loc, part, padded, offsets, sizes,
                                           ones);
  };
  insertAt(past, 0, carried);
  insertAt(ctx.getOperand(0), carried, length);

  // Σ_j W[c, j] · padded[b, c, t + j] over loops (b, c, t, j).
  Type accType =
      elementType.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : elementType;
  MLIRContext *context = b.getContext();
  AffineExpr d0, d1, d2, d3;
  bindDims(context, d0, d1, d2, d3);
  SmallVector<AffineMap> maps = {
      AffineMap::get(4, 0, {d0, d1, d2 + d3}, context),
      AffineMap::get(4, 0, {d1, d3}, context),
      AffineMap::get(4, 0, {d0, d1, d2}, context)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value weight = buildReshape(b, loc, ctx.getOperand(1), {channels, taps});
  Value init = buildFilled(b, loc, type->getShape(), b.getZeroAttr(accType));
  Value sum =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{padded, weight}, init, maps,
          iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = muon::convertScalar(nb, nl, args[0], accType);
            Value w = muon::convertScalar(nb, nl, args[1], accType);
            Value product = arith::MulFOp::create(nb, nl, x, w);
            linalg::YieldOp::create(
                nb, nl,
                ValueRange{arith::AddFOp::create(nb, nl, args[2], product)});
          })
          .getResult(0);

  SmallVector<Value> inputs = {sum};
  SmallVector<AffineMap> inputMaps = {b.getMultiDimIdentityMap(3)};
  Value bias = ctx.getOperand(2);
  if (bias) {
    inputs.push_back(bias);
    inputMaps.push_back(AffineMap::get(3, 0, {d1}, context));
  }
  Value output =
      muon::buildElementwise(b, loc, inputs, inputMaps, {*type}, accType,
                             [&](OpBuilder &nb, Location nl, ValueRange args) {
                               Value y = args[0];
                               if (bias)
                                 y = arith::AddFOp::create(nb, nl, y, args[1]);
                               if (activation != "none")
                                 y = arith::MulFOp::create(
                                     nb, nl, y, buildSigmoid(nb, nl, y));
                               return SmallVector<Value>{y};
                             })
          .front();
  // A one-tap kernel carries nothing (an empty slice at the end of padded
  // would not verify).
  Value present = buildEmpty(b, loc, stateType.getShape(), elementType);
  if (carried > 0)
    present = tensor::ExtractSliceOp::create(
        b, loc, stateType, padded,
        ArrayRef<OpFoldResult>{zeros[0], zeros[1], b.getIndexAttr(length)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(channels),
                               b.getIndexAttr(carried)},
        ones);
  SmallVector<Value> results = {output, present};
  results.resize(std::min<int64_t>(ctx.getNumResults(), results.size()));
  return results;
}

void muon::onnx_import::populateCausalConvImporters(
    OpImporterRegistry &registry) {
  registry.add("", "CausalConvWithState", importCausalConvWithState,
               {/*since=*/27});
}
