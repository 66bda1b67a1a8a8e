// GEMM precision (issue 20, item 4): `gemm-precision` of the GPU pipeline,
// `--gemm-precision` of muon-compile (--target=cuda, --pipeline=gpu-emulation).
// The f32 GEMMs of imported graphs call the runtime's entry point for the
// precision; the GPU emulation's CPU runtime rounds the inputs as tensor
// cores read them, so each library matches a float64 product of the
// correspondingly rounded inputs (1e-6 relative), and tf32/bf16 differ from
// the exact product by their precision's error.
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu gemm-precision=tf32" | FileCheck %s --check-prefix=TF32
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" | FileCheck %s --check-prefix=FP32
// TF32: call @muon_gpu_gemm_f32_as_tf32(
// FP32: call @muon_gpu_gemm_f32(
// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s --pipeline=gpu-emulation -o %t/libfp32.so
// RUN: muon-compile %s --pipeline=gpu-emulation --gemm-precision=tf32 -o %t/libtf32.so
// RUN: muon-compile %s --pipeline=gpu-emulation --gemm-precision=bf16 -o %t/libbf16.so
// RUN: %python %S/Inputs/check_gemm_precision.py %t/libfp32.so %t/libtf32.so %t/libbf16.so | FileCheck %s
// CHECK: fp32: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// CHECK: tf32: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// CHECK: bf16: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// The CPU pipeline's BLAS is fp32 only.
// RUN: not muon-compile %s --gemm-precision=bf16 -o %t/libcpu.so 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: error: --gemm-precision applies to --target=cuda and --pipeline=gpu-emulation only
// --target=cuda: the library calls the CUDA runtime's entry point, which
// the runtime defines (CUBLAS_COMPUTE_32F_FAST_16BF / _FAST_TF32; nothing is
// run without a GPU).
// RUN: %if cuda %{ muon-compile %s --target=cuda --gemm-precision=bf16 -o %t/libcuda-bf16.so %}
// RUN: %if cuda %{ llvm-nm -D --undefined-only %t/libcuda-bf16.so | FileCheck %s --check-prefix=CUDA %}
// RUN: %if cuda %{ llvm-nm -D --defined-only %muon_obj_root/lib/libmuon_cuda_runtime.so | FileCheck %s --check-prefix=RUNTIME %}
// CUDA: _mlir_ciface_muon_gpu_gemm_f32_as_bf16
// RUNTIME-DAG: _mlir_ciface_muon_gpu_gemm_f32_as_bf16
// RUNTIME-DAG: _mlir_ciface_muon_gpu_gemm_f32_as_tf32
func.func @matmul(%a: tensor<64x96xf32>, %b: tensor<96x48xf32>) -> tensor<64x48xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x48xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x48xf32>) -> tensor<64x48xf32>
  %c = linalg.matmul ins(%a, %b : tensor<64x96xf32>, tensor<96x48xf32>) outs(%init : tensor<64x48xf32>) -> tensor<64x48xf32>
  return %c : tensor<64x48xf32>
}
