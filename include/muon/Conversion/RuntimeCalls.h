//===- RuntimeCalls.h - Calls of the project's runtime libraries -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Lowered code calls GEMMs in runtime/ through `llvm.emit_c_interface`
// declarations taking fully dynamic strided memrefs, whatever layout
// bufferization chose for the operands.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_RUNTIMECALLS_H
#define MUON_CONVERSION_RUNTIMECALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace muon {

/// `type` with fully dynamic sizes, strides and offset.
mlir::MemRefType getDynamicStridedType(mlir::MemRefType type);

/// `memref.cast` of `value` to its fully dynamic strided type.
mlir::Value castToDynamicStrided(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value value);

/// Calls the runtime function `callee` on `args` (no results), declaring it
/// (private, `llvm.emit_c_interface`) in the enclosing module of the
/// insertion point if it is not declared yet.
mlir::func::CallOp createRuntimeCall(mlir::OpBuilder &b, mlir::Location loc,
                                     llvm::StringRef callee,
                                     mlir::ValueRange args);

/// D = alpha·op(A)·op(B) + beta·C per batch index of the rank-3 buffers,
/// through the GPU runtime's `muon_gpu_gemm_{f32,bf16}` for their element
/// type (cuBLASLt on GPU; the CPU runtime implements it for tests), with
/// `variant` appended to the name (`_as_tf32`: another compute precision).
void createGPUGemmCall(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lhs,
                       mlir::Value rhs, mlir::Value addend, mlir::Value result,
                       double alpha, double beta, bool transposeLhs,
                       bool transposeRhs, llvm::StringRef variant = "");

/// D = alpha·op(A)·op(A)ᵀ + beta·C per batch index, C symmetric, through
/// the GPU runtime's `muon_gpu_syrk_{f32,bf16}`: the product is symmetric,
/// so the runtime may compute half of it (runtime/common/SymmetricBlocks.h).
void createGPUSymmetricRankKCall(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value lhs, mlir::Value addend,
                                 mlir::Value result, double alpha, double beta,
                                 bool transposeLhs);

} // namespace muon

#endif // MUON_CONVERSION_RUNTIMECALLS_H
