//===- LSTM.cpp - LSTM, LSTMTraining and LSTMGrad importers ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX LSTM (forward, reverse, bidirectional; peepholes) and ONNX Runtime's
// com.microsoft LSTMTraining, which is LSTM's forward that also returns what
// its gradient reads: all cell states and the activated gates i, o, f, c of
// every step ("iofc", [S, 1, B, 4H]); and LSTMGrad. They share one
// per-direction recurrence (Recurrent.h); the formulas are in
// docs/formulas.md.
//
// As in ONNX Runtime's kernel, LSTMGrad takes no P: the state gradients do
// not flow through the peepholes, and dP sums each peephole's gate gradient
// times the cell state it reads. Not supported (located errors):
// sequence_lens shorter than the sequence (a constant of full lengths changes
// nothing), input_forget, clip, activations other than
// sigmoid/tanh/tanh, layout 1 for the training ops (LSTM itself takes it
// through importWithLayout).
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "Recurrent.h"

#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace muon::onnx_import;
using namespace muon::onnx_import::rnn;

static constexpr StringRef kActivations[] = {"sigmoid", "tanh", "tanh"};

namespace {
/// The inputs of one direction (null where absent).
struct DirectionInputs {
  Value x, w, r, bias, h0, c0, peephole;
};

/// The stacked outputs of one direction, each [S, B, ...] in time order, and
/// the final states [B, H].
struct DirectionOutputs {
  Value hAll, cAll, iofc, hLast, cLast;
};
} // namespace

/// One direction's forward: i, o, f from σ and c from tanh of X·Wᵀ + H·Rᵀ +
/// Wb + Rb (i and f with P⊙C_{t-1}, o with P⊙C_t), C = f⊙C_{t-1} + i⊙c,
/// H = o⊙tanh(C).
static DirectionOutputs buildDirection(OpBuilder &b, Location loc,
                                       const DirectionInputs &in,
                                       const Dims &dims, bool reverse) {
  int64_t hidden = dims.hidden;
  Value bias;
  if (in.bias) {
    SmallVector<Value> halves = splitLast(b, loc, in.bias, 2);
    bias = buildSum(b, loc, halves[0], halves[1]);
  }
  Value projected = buildInputProjection(b, loc, in.x, in.w, bias);
  Value rT = buildTranspose(b, loc, in.r, {1, 0});
  SmallVector<Value> peepholes;
  if (in.peephole)
    peepholes = splitLast(b, loc, in.peephole, 3);

  SmallVector<int64_t> state{dims.batch, hidden};
  Value h0 = in.h0 ? in.h0 : buildZeros(b, loc, state);
  Value c0 = in.c0 ? in.c0 : buildZeros(b, loc, state);
  SmallVector<Value> inits{
      buildStateSlots(b, loc, h0, dims.steps, reverse),
      buildStateSlots(b, loc, c0, dims.steps, reverse),
      buildEmpty(b, loc, {dims.steps, dims.batch, 4 * hidden}, b.getF32Type())};
  SmallVector<Value> results = buildTimeLoop(
      b, loc, dims.steps, reverse, inits,
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange args) -> SmallVector<Value> {
        Value before = getSlot(nb, nl, t, reverse, false);
        Value after = getSlot(nb, nl, t, reverse, true);
        Value h = buildSlice(nb, nl, args[0], before);
        Value c = buildSlice(nb, nl, args[1], before);
        SmallVector<Value> inputs =
            splitLast(nb, nl, buildSlice(nb, nl, projected, t), 4);
        llvm::append_range(inputs,
                           splitLast(nb, nl, buildMatmul(nb, nl, h, rT), 4));
        inputs.push_back(c);
        llvm::append_range(inputs, peepholes);
        bool hasPeepholes = !peepholes.empty();
        SmallVector<Value> gates =
            buildGateMath(nb, nl, inputs, newStates(nb, nl, state, 6),
                          [&](OpBuilder &eb, Location el,
                              ValueRange v) -> SmallVector<Value> {
                            auto add = [&](Value lhs, Value rhs) {
                              return rnn::add(eb, el, lhs, rhs);
                            };
                            auto mul = [&](Value lhs, Value rhs) {
                              return rnn::mul(eb, el, lhs, rhs);
                            };
                            Value cPrev = v[8];
                            Value ai = add(v[0], v[4]), ao = add(v[1], v[5]),
                                  af = add(v[2], v[6]), ac = add(v[3], v[7]);
                            if (hasPeepholes) {
                              ai = add(ai, mul(v[9], cPrev));
                              af = add(af, mul(v[11], cPrev));
                            }
                            Value i = buildSigmoid(eb, el, ai),
                                  f = buildSigmoid(eb, el, af),
                                  g = tanh(eb, el, ac);
                            Value cNew = add(mul(f, cPrev), mul(i, g));
                            if (hasPeepholes)
                              ao = add(ao, mul(v[10], cNew));
                            Value o = buildSigmoid(eb, el, ao);
                            Value hNew = mul(o, tanh(eb, el, cNew));
                            return {i, o, f, g, cNew, hNew};
                          });
        Value iofc = concatLast(nb, nl, ArrayRef(gates).take_front(4));
        return {buildInsert(nb, nl, gates[5], args[0], after),
                buildInsert(nb, nl, gates[4], args[1], after),
                buildInsert(nb, nl, iofc, args[2], t)};
      });
  return {getStepStates(b, loc, results[0], reverse),
          getStepStates(b, loc, results[1], reverse), results[2],
          getFinalState(b, loc, results[0], reverse),
          getFinalState(b, loc, results[1], reverse)};
}

/// Reads and checks the inputs and attributes shared by LSTM and
/// LSTMTraining (X, W, R, B, sequence_lens, initial_h, initial_c, P).
static FailureOr<std::pair<Dims, SmallVector<DirectionInputs>>>
getForwardInputs(NodeContext &ctx, const Attributes &attrs) {
  if (failed(checkNumOperands(ctx, 3, 8)))
    return failure();
  if (ctx.getIntAttr("input_forget").value_or(0) != 0)
    return emitUnsupportedAttr(ctx, "input_forget") << ": only 0";
  FailureOr<Dims> dims = getDims(ctx, attrs);
  if (failed(dims))
    return failure();
  int64_t h = dims->hidden;
  auto w = getPerDirection(ctx, 1, *dims, {4 * h, dims->input}, "W", false);
  auto r = getPerDirection(ctx, 2, *dims, {4 * h, h}, "R", false);
  auto bias = getPerDirection(ctx, 3, *dims, {8 * h}, "B");
  auto h0 = getPerDirection(ctx, 5, *dims, {dims->batch, h}, "initial_h");
  auto c0 = getPerDirection(ctx, 6, *dims, {dims->batch, h}, "initial_c");
  auto p = getPerDirection(ctx, 7, *dims, {3 * h}, "P");
  if (failed(w) || failed(r) || failed(bias) || failed(h0) || failed(c0) ||
      failed(p) || failed(checkFullSequenceLengths(ctx, 4)))
    return failure();
  SmallVector<DirectionInputs> inputs;
  for (int64_t d = 0; d < dims->directions; ++d)
    inputs.push_back({ctx.getOperand(0), (*w)[d], (*r)[d], (*bias)[d], (*h0)[d],
                      (*c0)[d], (*p)[d]});
  return std::make_pair(*dims, inputs);
}

/// Runs every direction (direction 1 of a bidirectional LSTM backwards).
static SmallVector<DirectionOutputs>
buildDirections(NodeContext &ctx, const Attributes &attrs, const Dims &dims,
                ArrayRef<DirectionInputs> inputs) {
  SmallVector<DirectionOutputs> outputs;
  for (auto [d, in] : llvm::enumerate(inputs))
    outputs.push_back(buildDirection(ctx.builder, ctx.loc, in, dims,
                                     attrs.reverse || d == 1));
  return outputs;
}

/// ONNX LSTM: Y [S, D, B, H], Y_h and Y_c [D, B, H].
static ImportResult importLSTM(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, false);
  if (failed(attrs))
    return failure();
  auto forward = getForwardInputs(ctx, *attrs);
  if (failed(forward))
    return failure();
  SmallVector<DirectionOutputs> outs =
      buildDirections(ctx, *attrs, forward->first, forward->second);
  OpBuilder &b = ctx.builder;
  SmallVector<Value> hAll, hLast, cLast;
  for (const DirectionOutputs &out : outs) {
    hAll.push_back(out.hAll);
    hLast.push_back(out.hLast);
    cLast.push_back(out.cLast);
  }
  return takeResults(ctx, {stackSteps(b, ctx.loc, hAll),
                           stack(b, ctx.loc, hLast), stack(b, ctx.loc, cLast)});
}

/// com.microsoft LSTMTraining: all hidden states, final hidden and cell
/// states, all cell states, iofc.
static ImportResult importLSTMTraining(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, true);
  if (failed(attrs))
    return failure();
  auto forward = getForwardInputs(ctx, *attrs);
  if (failed(forward))
    return failure();
  DirectionOutputs out =
      buildDirections(ctx, *attrs, forward->first, forward->second).front();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  return takeResults(ctx,
                     {stackSteps(b, loc, out.hAll), stack(b, loc, out.hLast),
                      stack(b, loc, out.cLast), stackSteps(b, loc, out.cAll),
                      stackSteps(b, loc, out.iofc)});
}

/// com.microsoft LSTMGrad (inputs X, W, R, sequence_lens, initial_h,
/// initial_c, all_hidden_states, all_cell_states, iofc, and the gradients of
/// all hidden states, the final hidden and cell state): dX, dW, dR, dB, dH0,
/// dC0. Backwards over time carrying dH, dC:
///   dH += dHAll[t];  dC += dH⊙o⊙(1 - tanh²(C_t))
///   d(i, o, f, c) pre-activation = (dC⊙c, dH⊙tanh(C_t), dC⊙C_{t-1}, dC⊙i)
///                                  ⊙ (σ', σ', σ', tanh')
///   dC ← dC⊙f;  dH ← dA·R
/// then dX = dA·W, dW = dAᵀ·X, dR = dAᵀ·H_{t-1} over all steps, dB = Σ dA
/// (twice: Wb and Rb), dP = Σ (dai⊙C_{t-1}, dao⊙C_t, daf⊙C_{t-1}).
static ImportResult importLSTMGrad(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, true);
  if (failed(attrs) || failed(checkNumOperands(ctx, 9, 12)))
    return failure();
  if (ctx.getIntAttr("input_forget").value_or(0) != 0)
    return emitUnsupportedAttr(ctx, "input_forget") << ": only 0";
  FailureOr<Dims> dims = getDims(ctx, *attrs);
  if (failed(dims))
    return failure();
  int64_t steps = dims->steps, batch = dims->batch, h = dims->hidden;
  auto w = getPerDirection(ctx, 1, *dims, {4 * h, dims->input}, "W", false);
  auto r = getPerDirection(ctx, 2, *dims, {4 * h, h}, "R", false);
  auto h0 = getPerDirection(ctx, 4, *dims, {batch, h}, "initial_h");
  auto c0 = getPerDirection(ctx, 5, *dims, {batch, h}, "initial_c");
  FailureOr<Value> hAll =
      getInput(ctx, 6, {steps, 1, batch, h}, "all_hidden_states", false);
  FailureOr<Value> cAll =
      getInput(ctx, 7, {steps, 1, batch, h}, "all_cell_states", false);
  FailureOr<Value> iofcAll =
      getInput(ctx, 8, {steps, 1, batch, 4 * h}, "iofc", false);
  FailureOr<Value> dHAll =
      getInput(ctx, 9, {steps, 1, batch, h}, "grad_all_hidden_states");
  auto dHt = getPerDirection(ctx, 10, *dims, {batch, h}, "grad_final_h");
  auto dCt = getPerDirection(ctx, 11, *dims, {batch, h}, "grad_final_c");
  if (failed(w) || failed(r) || failed(h0) || failed(c0) || failed(hAll) ||
      failed(cAll) || failed(iofcAll) || failed(dHAll) || failed(dHt) ||
      failed(dCt) || failed(checkFullSequenceLengths(ctx, 3)))
    return failure();

  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  SmallVector<int64_t> state{batch, h};
  Value wD = (*w)[0], rD = (*r)[0];
  Value initialH = (*h0)[0] ? (*h0)[0] : buildZeros(b, loc, state);
  Value initialC = (*c0)[0] ? (*c0)[0] : buildZeros(b, loc, state);
  Value hs = dropDirection(b, loc, *hAll), cs = dropDirection(b, loc, *cAll);
  Value iofc = dropDirection(b, loc, *iofcAll);
  Value dHs = dropDirection(b, loc, *dHAll);
  Value cPrevAll = buildPreviousStates(b, loc, cs, initialC);
  Value dH = (*dHt)[0] ? (*dHt)[0] : buildZeros(b, loc, state);
  Value dC = (*dCt)[0] ? (*dCt)[0] : buildZeros(b, loc, state);

  // Backwards: the gradients of the states before step t are in slot t.
  SmallVector<Value> inits{
      buildStateSlots(b, loc, dH, steps, /*backwards=*/true),
      buildStateSlots(b, loc, dC, steps, /*backwards=*/true),
      buildEmpty(b, loc, {steps, batch, 4 * h}, b.getF32Type())};
  SmallVector<Value> results = buildTimeLoop(
      b, loc, steps, /*backwards=*/true, inits,
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange args) -> SmallVector<Value> {
        Value carried = getSlot(nb, nl, t, true, false);
        SmallVector<Value> inputs =
            splitLast(nb, nl, buildSlice(nb, nl, iofc, t), 4);
        inputs.push_back(buildSlice(nb, nl, cs, t));
        inputs.push_back(buildSlice(nb, nl, cPrevAll, t));
        inputs.push_back(buildSlice(nb, nl, args[0], carried));
        inputs.push_back(buildSlice(nb, nl, args[1], carried));
        if (dHs)
          inputs.push_back(buildSlice(nb, nl, dHs, t));
        SmallVector<Value> grads = buildGateMath(
            nb, nl, inputs, newStates(nb, nl, state, 5),
            [&](OpBuilder &eb, Location el,
                ValueRange v) -> SmallVector<Value> {
              auto mul = [&](Value lhs, Value rhs) {
                return rnn::mul(eb, el, lhs, rhs);
              };
              Value i = v[0], o = v[1], f = v[2], g = v[3], c = v[4],
                    cPrev = v[5], dh = v[6], dc = v[7];
              if (v.size() > 8)
                dh = add(eb, el, dh, v[8]);
              Value tc = tanh(eb, el, c);
              dc = add(eb, el, dc, mul(mul(dh, o), buildTanhSlope(eb, el, tc)));
              Value dai = mul(mul(dc, g), buildSigmoidSlope(eb, el, i));
              Value dao = mul(mul(dh, tc), buildSigmoidSlope(eb, el, o));
              Value daf = mul(mul(dc, cPrev), buildSigmoidSlope(eb, el, f));
              Value dag = mul(mul(dc, i), buildTanhSlope(eb, el, g));
              return {dai, dao, daf, dag, mul(dc, f)};
            });
        Value dA = concatLast(nb, nl, ArrayRef(grads).take_front(4));
        return {buildInsert(nb, nl, buildMatmul(nb, nl, dA, rD), args[0], t),
                buildInsert(nb, nl, grads[4], args[1], t),
                buildInsert(nb, nl, dA, args[2], t)};
      });
  Value dA = results[2];
  WeightGradients grads =
      buildWeightGradients(b, loc, dA, ctx.getOperand(0), wD);
  Value hPrevAll = buildPreviousStates(b, loc, hs, initialH);
  Value dR = buildMatmul(b, loc, flattenSteps(b, loc, dA),
                         flattenSteps(b, loc, hPrevAll),
                         /*transposeLhs=*/true);
  Value dB = concatLast(b, loc, {grads.dBias, grads.dBias});
  // dP = Σ (dai⊙C_{t-1}, dao⊙C_t, daf⊙C_{t-1}) over steps and batch.
  SmallVector<Value> dAParts = splitLast(b, loc, dA, 4);
  SmallVector<Value> dPParts, dPStates{cPrevAll, cs, cPrevAll};
  for (auto [part, states] :
       llvm::zip_equal(ArrayRef(dAParts).take_front(3), dPStates))
    dPParts.push_back(buildReduce(
        b, loc,
        buildBroadcastMap(
            b, loc, {part, states}, {steps, batch, h}, b.getF32Type(),
            [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
              return mul(nb, nl, args[0], args[1]);
            }),
        {0, 1}, /*keepDims=*/false, ReduceKind::Sum));
  Value dP = concatLast(b, loc, dPParts);
  return takeResults(ctx,
                     {grads.dX, stack(b, loc, {grads.dW}), stack(b, loc, {dR}),
                      stack(b, loc, {dB}),
                      stack(b, loc, {getFinalState(b, loc, results[0], true)}),
                      stack(b, loc, {getFinalState(b, loc, results[1], true)}),
                      stack(b, loc, {dP})});
}

void muon::onnx_import::populateLSTMImporters(OpImporterRegistry &registry) {
  // initial_h and initial_c are inputs 5 and 6.
  registry.add("", "LSTM",
               [](NodeContext &ctx) {
                 return importWithLayout(ctx, importLSTM, {5, 6});
               },
               {/*since=*/7});
  registry.add("com.microsoft", "LSTMTraining", importLSTMTraining);
  registry.add("com.microsoft", "LSTMGrad", importLSTMGrad);
}
