//===- MatmulToBlas.h - Matmuls to runtime GEMM calls -----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
#define MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H

#include "mlir/Pass/Pass.h"
#include "llvm/Support/CommandLine.h"

namespace muon {

/// Whose GEMM entry points bufferized matmuls call.
enum class BlasRuntime {
  /// The CPU runtime's oneDNN calls.
  CPU,
  /// The GPU runtime's `muon_gpu_gemm_*` (which the CPU runtime implements
  /// too, so that the GPU pipeline's GEMM lowering can run on CPU).
  GPU,
};

/// How the GPU runtime computes f32 GEMMs (`convert-matmul-to-blas`
/// `precision`, the GPU pipeline's `gemm-precision`).
enum class GemmPrecision {
  /// fp32 products and accumulation (`muon_gpu_gemm_f32`): parity with
  /// fp32 references.
  FP32,
  /// Inputs rounded to TF32 (10 mantissa bits) on tensor cores, f32
  /// accumulation (`muon_gpu_gemm_f32_as_tf32`).
  TF32,
  /// Inputs rounded to bf16 on tensor cores, f32 accumulation and output
  /// (`muon_gpu_gemm_f32_as_bf16`).
  BF16,
};

/// The command-line values of a GemmPrecision.
inline llvm::cl::ValuesClass getGemmPrecisionValues() {
  return llvm::cl::values(
      clEnumValN(GemmPrecision::FP32, "fp32", "fp32 products (default)"),
      clEnumValN(GemmPrecision::TF32, "tf32",
                 "inputs rounded to TF32, f32 accumulation"),
      clEnumValN(GemmPrecision::BF16, "bf16",
                 "inputs rounded to bf16, f32 accumulation"));
}

#define GEN_PASS_DECL_CONVERTMATMULTOBLASPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_MATMULTOBLAS_MATMULTOBLAS_H
