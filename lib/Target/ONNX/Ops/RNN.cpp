//===- RNN.cpp - Simple RNN importer --------------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX RNN (torch's nn.RNN with tanh; forward, reverse, bidirectional,
// layout 0 or 1): H_t = tanh(X_t·Wᵀ + H_{t-1}·Rᵀ + Wb + Rb), on the
// recurrence skeleton of Recurrent.h that LSTM and GRU share. Forward only:
// ONNX Runtime has no training op for it.
//
// Not supported (located errors): sequence_lens shorter than the sequence
// (a constant of full lengths changes nothing), clip, activations other
// than tanh (nn.RNN's relu nonlinearity among them).
//
//===----------------------------------------------------------------------===//

#include "Recurrent.h"

#include "muon/Target/ONNX/OpImporters.h"

using namespace mlir;
using namespace muon::onnx_import;
using namespace muon::onnx_import::rnn;

static constexpr StringRef kActivations[] = {"tanh"};

/// One direction: all hidden states [S, B, H] in time order and the final
/// one [B, H].
static std::pair<Value, Value> buildDirection(OpBuilder &b, Location loc,
                                              Value x, Value w, Value r,
                                              Value bias, Value h0,
                                              const Dims &dims, bool reverse) {
  if (bias) {
    SmallVector<Value> parts = splitLast(b, loc, bias, 2);
    bias = buildSum(b, loc, parts[0], parts[1]);
  }
  Value projected = buildInputProjection(b, loc, x, w, bias);
  Value rT = buildTranspose(b, loc, r, {1, 0});
  SmallVector<int64_t> state{dims.batch, dims.hidden};
  if (!h0)
    h0 = buildZeros(b, loc, state);
  SmallVector<Value> results = buildTimeLoop(
      b, loc, dims.steps, reverse,
      {buildStateSlots(b, loc, h0, dims.steps, reverse)},
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange args) -> SmallVector<Value> {
        Value h =
            buildSlice(nb, nl, args[0], getSlot(nb, nl, t, reverse, false));
        Value next =
            buildGateMath(
                nb, nl,
                {buildSlice(nb, nl, projected, t), buildMatmul(nb, nl, h, rT)},
                newStates(nb, nl, state, 1),
                [](OpBuilder &eb, Location el,
                   ValueRange v) -> SmallVector<Value> {
                  return {tanh(eb, el, add(eb, el, v[0], v[1]))};
                })
                .front();
        return {buildInsert(nb, nl, next, args[0],
                            getSlot(nb, nl, t, reverse, true))};
      });
  return {getStepStates(b, loc, results[0], reverse),
          getFinalState(b, loc, results[0], reverse)};
}

/// ONNX RNN on sequence-major tensors: Y [S, D, B, H], Y_h [D, B, H].
static ImportResult importRNN(NodeContext &ctx) {
  FailureOr<Attributes> attrs =
      parseAttributes(ctx, kActivations, /*training=*/false);
  if (failed(attrs) || failed(checkNumOperands(ctx, 3, 6)))
    return failure();
  FailureOr<Dims> dims = getDims(ctx, *attrs);
  if (failed(dims))
    return failure();
  int64_t h = dims->hidden;
  auto w = getPerDirection(ctx, 1, *dims, {h, dims->input}, "W", false);
  auto r = getPerDirection(ctx, 2, *dims, {h, h}, "R", false);
  auto bias = getPerDirection(ctx, 3, *dims, {2 * h}, "B");
  auto h0 = getPerDirection(ctx, 5, *dims, {dims->batch, h}, "initial_h");
  if (failed(w) || failed(r) || failed(bias) || failed(h0) ||
      failed(checkFullSequenceLengths(ctx, 4)))
    return failure();
  SmallVector<Value> hAll, hLast;
  for (int64_t d = 0; d < dims->directions; ++d) {
    auto [all, last] = buildDirection(ctx.builder, ctx.loc, ctx.getOperand(0),
                                      (*w)[d], (*r)[d], (*bias)[d], (*h0)[d],
                                      *dims, attrs->reverse || d == 1);
    hAll.push_back(all);
    hLast.push_back(last);
  }
  return takeResults(ctx, {stackSteps(ctx.builder, ctx.loc, hAll),
                           stack(ctx.builder, ctx.loc, hLast)});
}

void muon::onnx_import::populateRNNImporters(OpImporterRegistry &registry) {
  // initial_h is input 5.
  registry.add(
      "", "RNN",
      [](NodeContext &ctx) { return importWithLayout(ctx, importRNN, {5}); },
      {/*since=*/7});
}
