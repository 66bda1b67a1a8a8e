//===- NewtonSchulzGemms.h - Newton–Schulz as runtime GEMM calls *- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The Newton–Schulz iterations as calls of the runtimes' GEMM entry points,
// the one lowering of the iterations that the GPU pipeline (cuBLASLt) and
// the CPU pipeline (oneDNN, with `blas`) share: they differ only in the
// runtime library that implements `muon_gpu_{gemm,syrk}_{f32,bf16}`.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_NEWTONSCHULZGEMMS_NEWTONSCHULZGEMMS_H
#define MUON_CONVERSION_NEWTONSCHULZGEMMS_NEWTONSCHULZGEMMS_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"

namespace muon {

/// Whether the runtimes' GEMM entry points take `computeType` (f32, bf16).
bool hasRuntimeGemm(mlir::Type computeType);

/// Fails with an error on `op` unless the runtimes' GEMMs take
/// `computeType`.
mlir::LogicalResult checkRuntimeGemmType(mlir::Operation *op,
                                         mlir::Type computeType);

/// The `steps` iterations of Newton–Schulz on the N×A×B buffer `x0` (X₀ in
/// the compute type, f32 or bf16), three calls per iteration with the
/// schedule's (a, b, c) folded into alpha/beta:
///   S = X·Xᵀ ; T = c·S·S + b·S ; X' = T·X + a·X
/// (tall matrices iterate on Xᵀ through the transpose flags: S = Xᵀ·X,
/// X' = X·Tᵀ + a·X, so no transpose is materialized). S, T and X' are stored
/// in the compute type. `x0` is overwritten by later iterates if
/// `x0IsScratch`, else only read. Returns the buffer holding the result.
mlir::Value createNewtonSchulzGemmCalls(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::Value x0, bool x0IsScratch,
                                        const optim::MatrixShape &matrix,
                                        optim::NSScheduleAttr schedule,
                                        int64_t steps);

} // namespace muon

#endif // MUON_CONVERSION_NEWTONSCHULZGEMMS_NEWTONSCHULZGEMMS_H
