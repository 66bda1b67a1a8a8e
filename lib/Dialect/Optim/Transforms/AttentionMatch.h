//===- AttentionMatch.h - Find attention scores and their projections -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Recognizes the pre-softmax scores of an attention in linalg/tensor IR (as
// the ONNX importer emits it, or written by hand) and traces the query and
// key operands of QKᵀ back to the projections `x · W (+ b)` whose weights
// the optimizer updates. Used by `optim-insert-qk-clip`.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ATTENTIONMATCH_H
#define MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ATTENTIONMATCH_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace muon::optim {

/// The query or key side of an attention: features
/// [featureOffset, featureOffset + numHeads · headDim) of `x · W (+ b)`.
struct ProjectionMatch {
  /// The weight (a rank-2 function argument or constant).
  mlir::Value weight;
  /// Axis of `weight` along which the output features run (1 for `x · W`,
  /// 0 for `x · Wᵀ`, torch's Linear layout).
  int64_t featureAxis = 1;
  /// Rank-1 bias added to the features, if any.
  mlir::Value bias;
  /// First feature of this side (non-zero when Q/K/V share one projection).
  int64_t featureOffset = 0;
  int64_t numHeads = 1;
  /// Features from one head to the next: head_dim, or for MLA the per-head
  /// chunk of the up-projection ([q_C | q_R] or [k_C | V]).
  int64_t headStride = 0;
};

/// One attention traced to its projections.
struct AttentionMatch {
  /// The scores the softmax normalizes (scale and mask included).
  mlir::Value scores;
  ProjectionMatch query, key;
  int64_t headDim = 0;
  /// MLA: features of the rotary query part q_R per head.
  std::optional<int64_t> ropeHeadDim;
  /// `scores` seen with each dimension split into its factors (shape and
  /// reassociation for a `tensor.expand_shape`), and the factor that is the
  /// query head.
  llvm::SmallVector<int64_t> factorShape;
  llvm::SmallVector<llvm::SmallVector<int64_t, 2>> factorGroups;
  int64_t headFactor = 0;
};

/// The input of a `linalg.softmax` (the ONNX importer emits softmaxes as
/// that named op); empty for any other op.
std::optional<mlir::Value> getSoftmaxInput(mlir::Operation *op);

enum class AttentionKind {
  /// The softmax does not normalize QKᵀ (a contraction of two activations).
  NotAttention,
  /// Traced: see AttentionMatch.
  Matched,
  /// QKᵀ found, but Q or K could not be traced to parameter projections.
  Untraceable,
};

/// Classifies the softmax input `scores`. For `Matched`, fills `match`; for
/// `Untraceable`, `reason` says where tracing stopped.
AttentionKind matchAttention(mlir::Value scores, AttentionMatch &match,
                             std::string &reason);

} // namespace muon::optim

#endif // MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ATTENTIONMATCH_H
