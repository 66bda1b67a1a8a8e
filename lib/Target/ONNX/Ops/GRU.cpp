//===- GRU.cpp - GRU, GRUTraining and GRUGrad importers -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX GRU (forward, reverse, bidirectional; both linear_before_reset
// forms) and ONNX Runtime's com.microsoft GRUTraining, GRU's forward that
// also returns the activated gates z, r and the candidate h̃ of every step
// ("zrh", [S, 1, B, 3H]), and GRUGrad. They share the recurrence skeleton
// of Recurrent.h with LSTM; the formulas are in docs/formulas.md.
//
// Not supported (located errors): sequence_lens shorter than the sequence
// (a constant of full lengths changes nothing), clip, activations other
// than sigmoid/tanh, layout 1 for the training ops (GRU itself takes it
// through importWithLayout).
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "Recurrent.h"

#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace muon::onnx_import;
using namespace muon::onnx_import::rnn;

static constexpr StringRef kActivations[] = {"sigmoid", "tanh"};

namespace {
/// The inputs of one direction (null where absent).
struct DirectionInputs {
  Value x, w, r, bias, h0;
};

/// One direction's outputs: all hidden states and zrh [S, B, ...] in time
/// order, the final state [B, H].
struct DirectionOutputs {
  Value hAll, zrh, hLast;
};
} // namespace

/// H = (1 - z)⊙h̃ + z⊙H_{t-1}.
static Value buildNewState(OpBuilder &b, Location loc, Value z, Value candidate,
                           Value hPrev) {
  Value one = buildScalar(b, loc, z.getType(), 1.0);
  return add(b, loc,
             mul(b, loc, arith::SubFOp::create(b, loc, one, z), candidate),
             mul(b, loc, z, hPrev));
}

/// One direction's forward: z, r = σ(X·Wᵀ + H·Rᵀ + Wb + Rb) and
///   h̃ = tanh(X·Whᵀ + (r⊙H)·Rhᵀ + Wbh + Rbh)     (linear_before_reset 0)
///   h̃ = tanh(X·Whᵀ + r⊙(H·Rhᵀ + Rbh) + Wbh)     (linear_before_reset 1)
/// then H = (1 - z)⊙h̃ + z⊙H.
static DirectionOutputs buildDirection(OpBuilder &b, Location loc,
                                       const DirectionInputs &in,
                                       const Dims &dims, bool reverse,
                                       bool linearBeforeReset) {
  int64_t hidden = dims.hidden;
  // Every bias but Rbh with linear_before_reset joins the input projection.
  Value bias, recurrentCandidateBias;
  if (in.bias) {
    SmallVector<Value> parts = splitLast(b, loc, in.bias, 6);
    if (linearBeforeReset) {
      recurrentCandidateBias = parts[5];
      parts[5] = buildZeros(b, loc, {hidden});
    }
    bias = buildSum(b, loc, concatLast(b, loc, ArrayRef(parts).take_front(3)),
                    concatLast(b, loc, ArrayRef(parts).drop_front(3)));
  }
  Value projected = buildInputProjection(b, loc, in.x, in.w, bias);
  SmallVector<Value> recurrent =
      splitLast(b, loc, buildTranspose(b, loc, in.r, {1, 0}), 3);
  // [Rzᵀ Rrᵀ] without linear_before_reset; Rᵀ with it.
  Value rT = linearBeforeReset
                 ? concatLast(b, loc, recurrent)
                 : concatLast(b, loc, {recurrent[0], recurrent[1]});
  SmallVector<int64_t> state{dims.batch, hidden};
  Value h0 = in.h0 ? in.h0 : buildZeros(b, loc, state);
  SmallVector<Value> inits{
      buildStateSlots(b, loc, h0, dims.steps, reverse),
      buildEmpty(b, loc, {dims.steps, dims.batch, 3 * hidden}, b.getF32Type())};
  SmallVector<Value> results = buildTimeLoop(
      b, loc, dims.steps, reverse, inits,
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange args) -> SmallVector<Value> {
        Value h =
            buildSlice(nb, nl, args[0], getSlot(nb, nl, t, reverse, false));
        SmallVector<Value> x =
            splitLast(nb, nl, buildSlice(nb, nl, projected, t), 3);
        SmallVector<Value> hr = splitLast(nb, nl, buildMatmul(nb, nl, h, rT),
                                          linearBeforeReset ? 3 : 2);
        SmallVector<Value> gates;
        if (linearBeforeReset) {
          SmallVector<Value> inputs{x[0], x[1], x[2], hr[0], hr[1], hr[2], h};
          if (recurrentCandidateBias)
            inputs.push_back(recurrentCandidateBias);
          gates = buildGateMath(
              nb, nl, inputs, newStates(nb, nl, state, 4),
              [&](OpBuilder &eb, Location el,
                  ValueRange v) -> SmallVector<Value> {
                Value z = buildSigmoid(eb, el, add(eb, el, v[0], v[3]));
                Value r = buildSigmoid(eb, el, add(eb, el, v[1], v[4]));
                Value hh = v.size() > 7 ? add(eb, el, v[5], v[7]) : v[5];
                Value candidate =
                    tanh(eb, el, add(eb, el, v[2], mul(eb, el, r, hh)));
                return {z, r, candidate,
                        buildNewState(eb, el, z, candidate, v[6])};
              });
        } else {
          // r⊙H first: the candidate's GEMM reads it.
          SmallVector<Value> zr = buildGateMath(
              nb, nl, {x[0], x[1], hr[0], hr[1], h},
              newStates(nb, nl, state, 3),
              [&](OpBuilder &eb, Location el,
                  ValueRange v) -> SmallVector<Value> {
                Value z = buildSigmoid(eb, el, add(eb, el, v[0], v[2]));
                Value r = buildSigmoid(eb, el, add(eb, el, v[1], v[3]));
                return {z, r, mul(eb, el, r, v[4])};
              });
          Value hh = buildMatmul(nb, nl, zr[2], recurrent[2]);
          SmallVector<Value> rest = buildGateMath(
              nb, nl, {x[2], hh, zr[0], h}, newStates(nb, nl, state, 2),
              [&](OpBuilder &eb, Location el,
                  ValueRange v) -> SmallVector<Value> {
                Value candidate = tanh(eb, el, add(eb, el, v[0], v[1]));
                return {candidate,
                        buildNewState(eb, el, v[2], candidate, v[3])};
              });
          gates = {zr[0], zr[1], rest[0], rest[1]};
        }
        Value zrh = concatLast(nb, nl, ArrayRef(gates).take_front(3));
        return {buildInsert(nb, nl, gates[3], args[0],
                            getSlot(nb, nl, t, reverse, true)),
                buildInsert(nb, nl, zrh, args[1], t)};
      });
  return {getStepStates(b, loc, results[0], reverse), results[1],
          getFinalState(b, loc, results[0], reverse)};
}

/// Reads and checks what GRU and GRUTraining share (X, W, R, B,
/// sequence_lens, initial_h) and runs every direction (direction 1 of a
/// bidirectional GRU backwards).
static FailureOr<SmallVector<DirectionOutputs>>
buildForward(NodeContext &ctx, const Attributes &attrs) {
  if (failed(checkNumOperands(ctx, 3, 6)))
    return failure();
  FailureOr<Dims> dims = getDims(ctx, attrs);
  if (failed(dims))
    return failure();
  int64_t h = dims->hidden;
  auto w = getPerDirection(ctx, 1, *dims, {3 * h, dims->input}, "W", false);
  auto r = getPerDirection(ctx, 2, *dims, {3 * h, h}, "R", false);
  auto bias = getPerDirection(ctx, 3, *dims, {6 * h}, "B");
  auto h0 = getPerDirection(ctx, 5, *dims, {dims->batch, h}, "initial_h");
  if (failed(w) || failed(r) || failed(bias) || failed(h0) ||
      failed(checkFullSequenceLengths(ctx, 4)))
    return failure();
  FailureOr<bool> linearBeforeResetAttr =
      getFlagAttr(ctx, "linear_before_reset");
  if (failed(linearBeforeResetAttr))
    return failure();
  bool linearBeforeReset = *linearBeforeResetAttr;
  SmallVector<DirectionOutputs> outputs;
  for (int64_t d = 0; d < dims->directions; ++d)
    outputs.push_back(buildDirection(
        ctx.builder, ctx.loc,
        {ctx.getOperand(0), (*w)[d], (*r)[d], (*bias)[d], (*h0)[d]}, *dims,
        attrs.reverse || d == 1, linearBeforeReset));
  return outputs;
}

/// ONNX GRU: Y [S, D, B, H], Y_h [D, B, H].
static ImportResult importGRU(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, false);
  if (failed(attrs))
    return failure();
  FailureOr<SmallVector<DirectionOutputs>> outs = buildForward(ctx, *attrs);
  if (failed(outs))
    return failure();
  SmallVector<Value> hAll, hLast;
  for (const DirectionOutputs &out : *outs) {
    hAll.push_back(out.hAll);
    hLast.push_back(out.hLast);
  }
  return takeResults(ctx, {stackSteps(ctx.builder, ctx.loc, hAll),
                           stack(ctx.builder, ctx.loc, hLast)});
}

/// com.microsoft GRUTraining: all hidden states, the final one, zrh.
static ImportResult importGRUTraining(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, true);
  if (failed(attrs))
    return failure();
  FailureOr<SmallVector<DirectionOutputs>> outs = buildForward(ctx, *attrs);
  if (failed(outs))
    return failure();
  const DirectionOutputs &out = outs->front();
  OpBuilder &b = ctx.builder;
  return takeResults(ctx, {stackSteps(b, ctx.loc, out.hAll),
                           stack(b, ctx.loc, out.hLast),
                           stackSteps(b, ctx.loc, out.zrh)});
}

/// com.microsoft GRUGrad (inputs X, W, R, B, sequence_lens, initial_h,
/// all_hidden_states, zrh, and the gradients of all hidden states and the
/// final one): dX, dW, dR, dB, dH0. Backwards over time carrying dH:
///   dH += dHAll[t]
///   daz = dH⊙(H_{t-1} - h̃)⊙σ'(z);  dah = dH⊙(1 - z)⊙tanh'(h̃)
///   dar = ((dah·Rh)⊙H_{t-1})⊙σ'(r)               (linear_before_reset 0)
///   dar = (dah⊙(H_{t-1}·Rhᵀ + Rbh))⊙σ'(r)        (linear_before_reset 1)
///   dH ← dH⊙z + daz·Rz + dar·Rr + (dah·Rh)⊙r      (0)
///                                 + (dah⊙r)·Rh     (1)
/// then over all steps dX = dA·W, dW = dAᵀ·X with dA = [daz dar dah];
/// dR = dA'ᵀ·H_{t-1} with dA' = [daz dar dah⊙r] (1), or [daz dar]ᵀ·H_{t-1}
/// and dahᵀ·(r⊙H_{t-1}) (0); dB = [Σ dA, Σ dA'] (dA' = dA with 0).
static ImportResult importGRUGrad(NodeContext &ctx) {
  FailureOr<Attributes> attrs = parseAttributes(ctx, kActivations, true);
  if (failed(attrs) || failed(checkNumOperands(ctx, 8, 10)))
    return failure();
  FailureOr<Dims> dims = getDims(ctx, *attrs);
  if (failed(dims))
    return failure();
  int64_t steps = dims->steps, batch = dims->batch, h = dims->hidden;
  auto w = getPerDirection(ctx, 1, *dims, {3 * h, dims->input}, "W", false);
  auto r = getPerDirection(ctx, 2, *dims, {3 * h, h}, "R", false);
  auto bias = getPerDirection(ctx, 3, *dims, {6 * h}, "B");
  auto h0 = getPerDirection(ctx, 5, *dims, {batch, h}, "initial_h");
  FailureOr<Value> hAll =
      getInput(ctx, 6, {steps, 1, batch, h}, "all_hidden_states", false);
  FailureOr<Value> zrhAll =
      getInput(ctx, 7, {steps, 1, batch, 3 * h}, "zrh", false);
  FailureOr<Value> dHAll =
      getInput(ctx, 8, {steps, 1, batch, h}, "grad_all_hidden_states");
  auto dHt = getPerDirection(ctx, 9, *dims, {batch, h}, "grad_final_h");
  if (failed(w) || failed(r) || failed(bias) || failed(h0) || failed(hAll) ||
      failed(zrhAll) || failed(dHAll) || failed(dHt) ||
      failed(checkFullSequenceLengths(ctx, 4)))
    return failure();
  FailureOr<bool> linearBeforeResetAttr =
      getFlagAttr(ctx, "linear_before_reset");
  if (failed(linearBeforeResetAttr))
    return failure();
  bool linearBeforeReset = *linearBeforeResetAttr;

  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  SmallVector<int64_t> state{batch, h};
  Value x = ctx.getOperand(0), wD = (*w)[0], rD = (*r)[0];
  // Rows [Rz; Rr] and Rh of R.
  Value rZR = buildSliceLast(b, loc, rD, 0, 2 * h, /*dim=*/0);
  Value rH = buildSliceLast(b, loc, rD, 2 * h, h, /*dim=*/0);
  Value initialH = (*h0)[0] ? (*h0)[0] : buildZeros(b, loc, state);
  Value hs = dropDirection(b, loc, *hAll);
  Value zrh = dropDirection(b, loc, *zrhAll);
  Value dHs = dropDirection(b, loc, *dHAll);
  Value hPrevAll = buildPreviousStates(b, loc, hs, initialH);
  // H_{t-1}·Rhᵀ + Rbh of every step, one GEMM before the loop.
  Value linear;
  if (linearBeforeReset) {
    linear = buildMatmul(b, loc, flattenSteps(b, loc, hPrevAll), rH,
                         /*transposeLhs=*/false, /*transposeRhs=*/true);
    if (Value biasD = (*bias)[0]) {
      Value rbh = buildSliceLast(b, loc, biasD, 5 * h, h);
      linear = buildBroadcastMap(
          b, loc, {linear, rbh}, {steps * batch, h}, b.getF32Type(),
          [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
            return add(nb, nl, args[0], args[1]);
          });
    }
    linear = buildReshape(b, loc, linear, {steps, batch, h});
  }
  Value dH = (*dHt)[0] ? (*dHt)[0] : buildZeros(b, loc, state);

  // dA, and with linear_before_reset dA' (whose dah is scaled by r).
  SmallVector<Value> inits{
      buildStateSlots(b, loc, dH, steps, /*backwards=*/true),
      buildEmpty(b, loc, {steps, batch, 3 * h}, b.getF32Type())};
  if (linearBeforeReset)
    inits.push_back(buildEmpty(b, loc, {steps, batch, 3 * h}, b.getF32Type()));
  SmallVector<Value> results = buildTimeLoop(
      b, loc, steps, /*backwards=*/true, inits,
      [&](OpBuilder &nb, Location nl, Value t,
          ValueRange args) -> SmallVector<Value> {
        SmallVector<Value> inputs =
            splitLast(nb, nl, buildSlice(nb, nl, zrh, t), 3);
        inputs.push_back(buildSlice(nb, nl, hPrevAll, t));
        inputs.push_back(
            buildSlice(nb, nl, args[0], getSlot(nb, nl, t, true, false)));
        bool hasAllGrads = static_cast<bool>(dHs);
        if (hasAllGrads)
          inputs.push_back(buildSlice(nb, nl, dHs, t));
        if (linearBeforeReset)
          inputs.push_back(buildSlice(nb, nl, linear, t));
        // daz, dah, dH⊙z, and with linear_before_reset dar and dah⊙r.
        SmallVector<Value> grads = buildGateMath(
            nb, nl, inputs, newStates(nb, nl, state, linearBeforeReset ? 5 : 3),
            [&](OpBuilder &eb, Location el,
                ValueRange v) -> SmallVector<Value> {
              Value z = v[0], rr = v[1], candidate = v[2], hPrev = v[3],
                    dh = v[4];
              unsigned next = 5;
              if (hasAllGrads)
                dh = add(eb, el, dh, v[next++]);
              Value one = buildScalar(eb, el, z.getType(), 1.0);
              Value daz =
                  mul(eb, el,
                      mul(eb, el, dh,
                          arith::SubFOp::create(eb, el, hPrev, candidate)),
                      buildSigmoidSlope(eb, el, z));
              Value dah =
                  mul(eb, el,
                      mul(eb, el, dh, arith::SubFOp::create(eb, el, one, z)),
                      buildTanhSlope(eb, el, candidate));
              SmallVector<Value> out{daz, dah, mul(eb, el, dh, z)};
              if (linearBeforeReset) {
                out.push_back(mul(eb, el, mul(eb, el, dah, v[next]),
                                  buildSigmoidSlope(eb, el, rr)));
                out.push_back(mul(eb, el, dah, rr));
              }
              return out;
            });
        Value daz = grads[0], dah = grads[1], dar, carried = grads[2];
        Value dA, dARecurrent;
        if (linearBeforeReset) {
          dar = grads[3];
          dA = concatLast(nb, nl, {daz, dar, dah});
          dARecurrent = concatLast(nb, nl, {daz, dar, grads[4]});
          carried =
              buildSum(nb, nl, carried, buildMatmul(nb, nl, dARecurrent, rD));
        } else {
          Value dahR = buildMatmul(nb, nl, dah, rH);
          SmallVector<Value> rest = buildGateMath(
              nb, nl, {dahR, inputs[1], inputs[3], carried},
              newStates(nb, nl, state, 2),
              [&](OpBuilder &eb, Location el,
                  ValueRange v) -> SmallVector<Value> {
                Value dr = mul(eb, el, v[0], v[2]);
                return {mul(eb, el, dr, buildSigmoidSlope(eb, el, v[1])),
                        add(eb, el, v[3], mul(eb, el, v[0], v[1]))};
              });
          dar = rest[0];
          dA = concatLast(nb, nl, {daz, dar, dah});
          carried = buildSum(
              nb, nl, rest[1],
              buildMatmul(nb, nl, concatLast(nb, nl, {daz, dar}), rZR));
        }
        SmallVector<Value> yields{buildInsert(nb, nl, carried, args[0], t),
                                  buildInsert(nb, nl, dA, args[1], t)};
        if (linearBeforeReset)
          yields.push_back(buildInsert(nb, nl, dARecurrent, args[2], t));
        return yields;
      });
  Value dA = results[1];
  WeightGradients grads = buildWeightGradients(b, loc, dA, x, wD);
  Value flatHPrev = flattenSteps(b, loc, hPrevAll);
  Value dR, dRecurrentBias;
  if (linearBeforeReset) {
    Value flatDA = flattenSteps(b, loc, results[2]);
    dR = buildMatmul(b, loc, flatDA, flatHPrev, /*transposeLhs=*/true);
    dRecurrentBias =
        buildReduce(b, loc, flatDA, {0}, /*keepDims=*/false, ReduceKind::Sum);
  } else {
    // [dazᵀ dazᵀ]·H_{t-1} and dahᵀ·(r⊙H_{t-1}), stacked by rows.
    Value flatDA = flattenSteps(b, loc, dA);
    Value r = buildSliceLast(b, loc, flattenSteps(b, loc, zrh), h, h);
    Value resetH = buildBroadcastMap(
        b, loc, {r, flatHPrev}, {steps * batch, h}, b.getF32Type(),
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return mul(nb, nl, args[0], args[1]);
        });
    Value dRZR = buildMatmul(b, loc, buildSliceLast(b, loc, flatDA, 0, 2 * h),
                             flatHPrev, /*transposeLhs=*/true);
    Value dRH = buildMatmul(b, loc, buildSliceLast(b, loc, flatDA, 2 * h, h),
                            resetH, /*transposeLhs=*/true);
    dR = concatLast(b, loc, {dRZR, dRH}, /*dim=*/0);
    dRecurrentBias = grads.dBias;
  }
  Value dB = concatLast(b, loc, {grads.dBias, dRecurrentBias});
  return takeResults(ctx, {grads.dX, stack(b, loc, {grads.dW}),
                           stack(b, loc, {dR}), stack(b, loc, {dB}),
                           stack(b, loc,
                                 {getFinalState(b, loc, results[0],
                                                /*backwards=*/true)})});
}

void muon::onnx_import::populateGRUImporters(OpImporterRegistry &registry) {
  // initial_h is input 5.
  registry.add(
      "", "GRU",
      [](NodeContext &ctx) { return importWithLayout(ctx, importGRU, {5}); },
      {/*since=*/7});
  registry.add("com.microsoft", "GRUTraining", importGRUTraining);
  registry.add("com.microsoft", "GRUGrad", importGRUGrad);
}
