//===- MatmulToBlas.h - Matmuls to runtime GEMM calls -----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
#define MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H

#include "mlir/Pass/Pass.h"

namespace muon {

/// Whose GEMM entry points bufferized matmuls call.
enum class BlasRuntime {
  /// The CPU runtime's OpenBLAS/oneDNN calls.
  CPU,
  /// The GPU runtime's `muon_gpu_gemm_*` (which the CPU runtime implements
  /// too, so that the GPU pipeline's GEMM lowering can run on CPU).
  GPU,
};

#define GEN_PASS_DECL_CONVERTMATMULTOBLASPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
