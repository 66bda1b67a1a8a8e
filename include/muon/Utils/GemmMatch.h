//===- GemmMatch.h - Contractions the runtime GEMMs compute -----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_UTILS_GEMMMATCH_H
#define MUON_UTILS_GEMMMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace muon {

/// A contraction that is a (batched) GEMM once each operand's dims are
/// grouped: optional batch dims, then the two matrix dims — A: M, K (K, M
/// when transposed); B: K, N (N, K); C: M, N. A group may span several loop
/// dims, as elementwise fusion folds reshapes into the contraction.
struct GemmMatch {
  bool hasBatch = false;
  bool transposeA = false;
  bool transposeB = false;
  /// The result's batch dims are all missing from A, which every batch
  /// index reads whole.
  bool broadcastA = false;
  /// Whether `operand` (0: A, 1: B, 2: C) is broadcast along the batch dims.
  bool isBroadcast(unsigned operand) const {
    return operand == 0 && broadcastA;
  }
  /// Per operand (A, B, C): the order in which the GEMM reads its dims,
  /// batch dims first, where that is not their stored order (batch dims
  /// between matrix dims, as attention's heads between its sequence and
  /// head dims); empty otherwise.
  llvm::SmallVector<int64_t> permutations[3];
  /// Per operand: its dims, permuted as above, as [batch,] rows, cols groups.
  llvm::SmallVector<mlir::ReassociationIndices> groups[3];
};

/// Named (batch) matmuls and the multiply-accumulate generics fusion makes
/// of them, one operand possibly without the batch dims; failure for other
/// broadcasts, transposed results, and dims whose
/// order differs between operands (their groups would not linearize alike).
/// Batch dims may sit anywhere in an operand; the matrix dims of each kind
/// must be adjacent once the batch dims are taken out.
mlir::FailureOr<GemmMatch> matchGemm(mlir::linalg::LinalgOp op);

/// The same for a multiply-accumulate body with these indexing maps (A, B,
/// C) and iterator types: whether a contraction not yet built would be one.
mlir::FailureOr<GemmMatch>
matchGemm(llvm::ArrayRef<mlir::AffineMap> maps,
          llvm::ArrayRef<mlir::utils::IteratorType> iterators);

} // namespace muon

#endif // MUON_UTILS_GEMMMATCH_H
