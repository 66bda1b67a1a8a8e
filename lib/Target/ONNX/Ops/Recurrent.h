//===- Recurrent.h - Shared pieces of the LSTM/GRU importers ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The recurrent importers (LSTM.cpp, GRU.cpp) build the same skeleton: the
// input projection X·Wᵀ for every time step as one GEMM before the loop, an
// `scf.for` over time carrying the state tensors and the stacked per-step
// outputs, one GEMM H·Rᵀ per step; the gradients run the loop backwards,
// stack the per-step gate gradients, and take dX, dW and dR as single GEMMs
// over all steps after it. The formulas are in docs/formulas.md.
// LinearAttention.cpp reuses the time loop and the slicing helpers.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_RECURRENT_H
#define MUON_LIB_TARGET_ONNX_OPS_RECURRENT_H

#include "ImporterUtils.h"

namespace muon::onnx_import::rnn {

/// The attributes every recurrent node shares, checked.
struct Attributes {
  int64_t hiddenSize = 0;
  int64_t numDirections = 1;
  /// Direction 0 runs backwards in time (direction "reverse").
  bool reverse = false;
};

/// The shapes of one recurrent node: S steps, B batch, I inputs, H hidden,
/// D directions.
struct Dims {
  int64_t steps, batch, input, hidden, directions;
};

/// Reads hidden_size and direction and rejects what the importers do not
/// implement (located errors): other activations than `defaultActivations`
/// (each direction's list), clip, a layout other than 0 or 1 and, with
/// `training` (ONNX Runtime's training ops are forward-only and
/// sequence-major), layout 1 and any direction but "forward".
mlir::FailureOr<Attributes>
parseAttributes(NodeContext &ctx,
                llvm::ArrayRef<llvm::StringRef> defaultActivations,
                bool training);

/// The dimensions of the node from X (input 0, [S, B, I] x f32) and `attrs`.
mlir::FailureOr<Dims> getDims(NodeContext &ctx, const Attributes &attrs);

/// Input `index` of shape [D, `shape`...], checked, as one [`shape`...]
/// value per direction (all null when the optional input is absent).
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
getPerDirection(NodeContext &ctx, unsigned index, const Dims &dims,
                llvm::ArrayRef<int64_t> shape, llvm::StringRef what,
                bool optional = true);

/// The stacked states of a one-direction training op [S, 1, B, X] as
/// [S, B, X] (null stays null).
mlir::Value dropDirection(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value);

/// Per-direction stacked states [S, B, X] as the ONNX layout [S, D, B, X].
mlir::Value stackSteps(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<mlir::Value> values);

/// Fails unless sequence_lens (input `index`) is absent or a constant
/// giving every batch entry all the steps of X (input 0, sequence-major),
/// which then changes nothing; shorter sequences are not supported.
mlir::LogicalResult checkFullSequenceLengths(NodeContext &ctx, unsigned index);

/// The static f32 type of input `index`, which must have `shape`; null
/// (success) when the optional input is absent.
mlir::FailureOr<mlir::Value> getInput(NodeContext &ctx, unsigned index,
                                      llvm::ArrayRef<int64_t> shape,
                                      llvm::StringRef what,
                                      bool optional = true);

using ImporterFn = llvm::function_ref<ImportResult(NodeContext &)>;

/// `import` (an ONNX LSTM or GRU on sequence-major tensors) for a node of
/// either layout: with layout 1 (batch-first) X [B, S, I] and the initial
/// states at `stateInputs` [B, D, H] are transposed for it, and its results
/// back: Y to [B, S, D, H], the final states to [B, D, H].
ImportResult importWithLayout(NodeContext &ctx, ImporterFn import,
                              llvm::ArrayRef<unsigned> stateInputs);

/// `values` (one per output the op defines) cut to the outputs the node
/// declares; an error when it declares more.
ImportResult takeResults(NodeContext &ctx,
                         llvm::SmallVector<mlir::Value> values);

/// Element `index` of the leading dimension, that dimension dropped
/// (`value[index]`); `index` a constant or an index value.
mlir::Value buildSlice(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value value, mlir::OpFoldResult index);

/// `value[..., offset:offset+size]` along the last dimension (or `dim`).
mlir::Value buildSliceLast(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value value, int64_t offset, int64_t size,
                           int64_t dim = -1);

/// `dest` with `dest[index] = value` (leading dimension).
mlir::Value buildInsert(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value, mlir::Value dest,
                        mlir::OpFoldResult index);

/// `dest` with `value` written at `dest[..., offset:offset+size]` (last
/// dimension, or `dim`; `value` of dest's shape but that dimension).
mlir::Value buildInsertLast(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value value, mlir::Value dest, int64_t offset,
                            int64_t dim = -1);

/// The parts of `value` along its last dimension (`count` equal parts).
llvm::SmallVector<mlir::Value> splitLast(mlir::OpBuilder &b, mlir::Location loc,
                                         mlir::Value value, int64_t count);

/// `parts` (equal shapes but along `dim`) concatenated along the last
/// dimension (or `dim`).
mlir::Value concatLast(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::ValueRange parts, int64_t dim = -1);

/// `values` (equal shapes) stacked along a new leading dimension.
mlir::Value stack(mlir::OpBuilder &b, mlir::Location loc,
                  mlir::ValueRange values);

/// lhs·rhs of two matrices (`linalg.matmul`), rhs transposed first with
/// `transposeRhs`, lhs with `transposeLhs`.
mlir::Value buildMatmul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                        mlir::Value rhs, bool transposeLhs = false,
                        bool transposeRhs = false);

/// Collapses the leading [S, B] of `value` into one dimension of S·B rows.
mlir::Value flattenSteps(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value);

/// A float tensor of `shape` filled with zeros.
mlir::Value buildZeros(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<int64_t> shape);

/// A state carried through the time loop lives in S+1 slots of one
/// loop-carried tensor [S+1, ...]: step t reads the slot before it and
/// writes the one after it (t and t+1 forwards, t+1 and t backwards). Every
/// yield is then an insert_slice into the iter_arg, which bufferizes in
/// place; a state tensor yielded afresh each step would not (fusion
/// replaces the destination of the op computing it with a new tensor).
/// Returns the slots with `initial` in the first slot read.
mlir::Value buildStateSlots(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value initial, int64_t steps, bool backwards);

/// The slot step t reads (`after` false) or writes (`after` true).
mlir::Value getSlot(mlir::OpBuilder &b, mlir::Location loc, mlir::Value t,
                    bool backwards, bool after);

/// The states after each step [S, ...] in time order, from the slots.
mlir::Value getStepStates(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value slots, bool backwards);

/// The state after the last step, from the slots.
mlir::Value getFinalState(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value slots, bool backwards);

/// The states before each step: [initial, all[0], ..., all[S-2]] of the
/// stacked states `all` [S, B, H] (in time order).
mlir::Value buildPreviousStates(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value all, mlir::Value initial);

/// X·Wᵀ (+ `bias` broadcast over rows, if any) for all steps as one GEMM:
/// X [S, B, I], W [G, I] -> [S, B, G].
mlir::Value buildInputProjection(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value x, mlir::Value w,
                                 mlir::Value bias);

/// One step's body: gets the step's time index t and the loop-carried
/// values, returns the values to carry on.
using StepFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value t, mlir::ValueRange)>;

/// An `scf.for` over `steps` time steps carrying `inits`; step i visits
/// t = i, or t = steps-1-i with `backwards`. Returns the final values.
llvm::SmallVector<mlir::Value>
buildTimeLoop(mlir::OpBuilder &b, mlir::Location loc, int64_t steps,
              bool backwards, mlir::ValueRange inits, StepFn body);

/// An element-wise generic over [B, H] computing one tensor per `dests`
/// from `inputs`, each either [B, H] or a per-unit vector [H] broadcast over
/// the batch; `dests` (e.g. from `newStates`) give the results' types.
llvm::SmallVector<mlir::Value>
buildGateMath(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
              mlir::ValueRange dests, muon::GenericBodyFn body);

/// `count` fresh [B, H] tensors (tensor.empty) for buildGateMath.
llvm::SmallVector<mlir::Value> newStates(mlir::OpBuilder &b, mlir::Location loc,
                                         llvm::ArrayRef<int64_t> shape,
                                         unsigned count);

/// Builds lhs + rhs of two floats.
mlir::Value add(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                mlir::Value rhs);
/// Builds lhs · rhs of two floats.
mlir::Value mul(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                mlir::Value rhs);
/// The element-wise sum of two tensors of one shape.
mlir::Value buildSum(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                     mlir::Value rhs);

/// Builds tanh(x).
mlir::Value tanh(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// The gradients of the weights from the stacked gate gradients dA [S, B, G]
/// of all steps: dX = dA·W [S, B, I], dW = dAᵀ·X [G, I]; and the sum of dA
/// over steps and batch [G] (the bias gradient of each half of B).
struct WeightGradients {
  mlir::Value dX, dW, dBias;
};
WeightGradients buildWeightGradients(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value dA, mlir::Value x,
                                     mlir::Value w);

} // namespace muon::onnx_import::rnn

#endif // MUON_LIB_TARGET_ONNX_OPS_RECURRENT_H
