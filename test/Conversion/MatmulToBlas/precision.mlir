// RUN: muon-opt %s -convert-matmul-to-blas="runtime=gpu precision=tf32" | FileCheck %s --check-prefixes=CHECK,TF32
// RUN: muon-opt %s -convert-matmul-to-blas="runtime=gpu precision=bf16" | FileCheck %s --check-prefixes=CHECK,BF16
// RUN: muon-opt %s -convert-matmul-to-blas="runtime=gpu precision=fp32" | FileCheck %s --check-prefixes=CHECK,FP32
// RUN: not muon-opt %s -convert-matmul-to-blas="precision=bf16" 2>&1 | FileCheck %s --check-prefix=CPU

// GEMM precision (the GPU pipeline's gemm-precision): an f32 GEMM calls the
// runtime's entry point for it, with the same arguments; a bf16 GEMM is
// bf16 already and keeps muon_gpu_gemm_bf16.
// CHECK-LABEL: func.func @f32_gemm
// TF32: call @muon_gpu_gemm_f32_as_tf32(
// BF16: call @muon_gpu_gemm_f32_as_bf16(
// FP32: call @muon_gpu_gemm_f32(
// CHECK-LABEL: func.func @bf16_gemm
// CHECK: call @muon_gpu_gemm_bf16(
// CHECK-NOT: _as_
func.func @f32_gemm(%a: memref<64x32xf32>, %b: memref<32x16xf32>, %c: memref<64x16xf32>) {
  linalg.matmul ins(%a, %b : memref<64x32xf32>, memref<32x16xf32>) outs(%c : memref<64x16xf32>)
  return
}
func.func @bf16_gemm(%a: memref<64x32xbf16>, %b: memref<32x16xbf16>, %c: memref<64x16xbf16>) {
  linalg.matmul ins(%a, %b : memref<64x32xbf16>, memref<32x16xbf16>) outs(%c : memref<64x16xbf16>)
  return
}

// The CPU runtime's BLAS calls are fp32 only.
// CPU: error: convert-matmul-to-blas: precision=tf32/bf16 needs runtime=gpu
