//===- NSCostModel.h - Standard or Gram Newton–Schulz per shape -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Executed FLOPs of the two ways of computing Newton–Schulz iterations, as
// the runtimes execute them: a product A·B of p×q and q×s matrices counts
// 2pqs, a symmetric one (`muon_gpu_syrk`, X·Xᵀ and R²) half of that. On the
// wide orientation m×n (m ≤ n), T steps, r restarts:
//
//   standard: T · (m²n + m³ + 2m²n)
//   gram:     m²n (R₀) + Σ per step m³ (Z) + 2m³ (Q, not on a segment's
//             first step) + 4m³ (R, not on a segment's last step)
//             + r · 3m²n (X = Q X, R = X Xᵀ) + 2m²n (the final Q X)
//
// With restarts every two steps Gram executes fewer FLOPs from n ≈ 2m on.
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_NSCOSTMODEL_H
#define MUON_DIALECT_OPTIM_UTILS_NSCOSTMODEL_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

namespace muon::optim {

/// Executed FLOPs of the standard iteration on one matrix.
double getStandardNSFlops(const MatrixShape &matrix, int64_t steps);

/// Executed FLOPs of the Gram iteration on one matrix, restarting before
/// each step of `restarts`.
double getGramNSFlops(const MatrixShape &matrix, int64_t steps,
                      llvm::ArrayRef<int64_t> restarts);

/// `standard` or `gram` for `schedule`'s algorithm on `matrix`: explicit
/// choices stand; `auto` picks Gram where the GEMMs are half precision
/// (`computeType` bf16/f16) and it executes fewer FLOPs.
NSAlgorithm resolveNSAlgorithm(NSScheduleAttr schedule,
                               const MatrixShape &matrix, int64_t steps,
                               mlir::Type computeType);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_NSCOSTMODEL_H
