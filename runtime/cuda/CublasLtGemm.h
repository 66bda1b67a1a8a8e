//===- CublasLtGemm.h - Strided-batched GEMMs through cuBLASLt --*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The GEMM behind `muon_gpu_gemm_*`, shared with the symmetric products of
// `muon_gpu_syrk_*`, which run it on sub-blocks of their operands.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNTIME_CUDA_CUBLASLTGEMM_H
#define MUON_RUNTIME_CUDA_CUBLASLTGEMM_H

#include <library_types.h>

#include <cstdint>

namespace muon::cuda {

/// MLIR's ranked memref descriptor (mlir/ExecutionEngine/CRunnerUtils.h).
template <typename T> struct MemRef3D {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
};

/// The compute type of an f32 GEMM: fp32 (TF32 when
/// muon_gpu_set_allow_tf32 allows it), or the tensor-core input rounding the
/// compiled step asked for (`gemm-precision`).
enum class GemmCompute { Default, TF32, BF16 };

/// Per batch b: D[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b], enqueued
/// on the current call's stream; errors are recorded under `name`. `T` is
/// the element type's storage (uint16_t for bf16, float for f32).
template <typename T>
void gemm(const char *name, cudaDataType_t type, MemRef3D<T> *a, MemRef3D<T> *b,
          MemRef3D<T> *c, MemRef3D<T> *d, float alpha, float beta, bool transA,
          bool transB, GemmCompute computeKind = GemmCompute::Default);

} // namespace muon::cuda

#endif // MUON_RUNTIME_CUDA_CUBLASLTGEMM_H
