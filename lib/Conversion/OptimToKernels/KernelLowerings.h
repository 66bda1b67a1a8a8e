//===- KernelLowerings.h - Update ops as kernels on buffers ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELLOWERINGS_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELLOWERINGS_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

namespace muon::optim {

class BucketRows;

/// The kernels and GEMM calls of `op`, built at the insertion point on
/// `operands` (the buffers of its tensor operands, in order). Returns one
/// buffer per result, in the result's shape: `destinations[i]` where it is
/// given (an identity-layout buffer the kernels may write while they read
/// the operands: the in-place update of the operand the result replaces),
/// else a fresh one; fails, with an error on `op`, where the op has no
/// kernel lowering.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildKernels(mlir::RewriterBase &rewriter, MuonOp op, mlir::ValueRange operands,
             llvm::ArrayRef<mlir::Value> destinations);
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildKernels(mlir::RewriterBase &rewriter, Muon2Op op,
             mlir::ValueRange operands,
             llvm::ArrayRef<mlir::Value> destinations);
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildKernels(mlir::RewriterBase &rewriter, AdamWOp op,
             mlir::ValueRange operands,
             llvm::ArrayRef<mlir::Value> destinations);
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildKernels(mlir::RewriterBase &rewriter, NewtonSchulzOp op,
             mlir::ValueRange operands,
             llvm::ArrayRef<mlir::Value> destinations);

/// Newton–Schulz of the flat N·A·B buffer `input` (N = `numMatrices`), whose
/// per-matrix Σ x² is in `slots`: the normalization kernel and the GEMM
/// calls (createNewtonSchulzGemmCalls). The transposed rows of
/// `bucketRows` are B×A in `input` and iterate transposed; the result holds
/// them as A×B (BucketRows::buildPackedIndex finds their elements). Returns
/// the flat result in `computeType`.
mlir::Value buildNewtonSchulz(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input, mlir::Value slots,
                              const MatrixShape &matrix, int64_t numMatrices,
                              NSScheduleAttr schedule, int64_t steps,
                              mlir::Type computeType,
                              const BucketRows *bucketRows = nullptr);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELLOWERINGS_H
