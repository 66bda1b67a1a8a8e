//===- PatternsImpl.h - Per-op kernel lowering patterns ---------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Support/LLVM.h"

namespace muon::optim {

void populateMuonToKernelsPatterns(mlir::RewritePatternSet &patterns);
void populateAdamWToKernelsPatterns(mlir::RewritePatternSet &patterns);
void populateNewtonSchulzToKernelsPatterns(mlir::RewritePatternSet &patterns);

/// Newton–Schulz of the flat N·A·B buffer `input` (N = `numMatrices`), whose
/// per-matrix Σ x² is in `slots`: the normalization kernel and the GEMM
/// calls (createNewtonSchulzGemmCalls). Returns the flat result in
/// `computeType`.
mlir::Value buildNewtonSchulz(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input, mlir::Value slots,
                              const MatrixShape &matrix, int64_t numMatrices,
                              NSScheduleAttr schedule, int64_t steps,
                              mlir::Type computeType);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H
