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
// A batch of products sharing their left operand (MLP-Mixer's token
// mixing, [M, K]·[b, K, N]) calls the same entry point once per batch index.
// TF32-LABEL: func.func @mixing
// TF32: scf.for
// TF32: call @muon_gpu_gemm_f32_as_tf32(
// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s --function=matmul --pipeline=gpu-emulation -o %t/libfp32.so
// RUN: muon-compile %s --function=matmul --pipeline=gpu-emulation --gemm-precision=tf32 -o %t/libtf32.so
// RUN: muon-compile %s --function=matmul --pipeline=gpu-emulation --gemm-precision=bf16 -o %t/libbf16.so
// RUN: %python %S/Inputs/check_gemm_precision.py matmul %t/libfp32.so %t/libtf32.so %t/libbf16.so | FileCheck %s
// RUN: muon-compile %s --function=mixing --pipeline=gpu-emulation -o %t/libmixfp32.so
// RUN: muon-compile %s --function=mixing --pipeline=gpu-emulation --gemm-precision=tf32 -o %t/libmixtf32.so
// RUN: muon-compile %s --function=mixing --pipeline=gpu-emulation --gemm-precision=bf16 -o %t/libmixbf16.so
// RUN: %python %S/Inputs/check_gemm_precision.py mixing %t/libmixfp32.so %t/libmixtf32.so %t/libmixbf16.so | FileCheck %s
// CHECK: fp32: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// CHECK: tf32: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// CHECK: bf16: rel err vs rounded-input reference {{.*}} <= 1e-06; vs exact {{.*}}
// The CPU pipeline's BLAS is fp32 only.
// RUN: not muon-compile %s --function=matmul --gemm-precision=bf16 -o %t/libcpu.so 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: error: --gemm-precision applies to --target=cuda and --pipeline=gpu-emulation only
// --target=cuda: the library calls the CUDA runtime's entry point, which
// the runtime defines (CUBLAS_COMPUTE_32F_FAST_16BF / _FAST_TF32; nothing is
// run without a GPU).
// RUN: %if cuda %{ muon-compile %s --function=matmul --target=cuda --gemm-precision=bf16 -o %t/libcuda-bf16.so %}
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

func.func @mixing(%a: tensor<64x96xf32>, %b: tensor<3x96x48xf32>) -> tensor<3x64x48xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<3x64x48xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x64x48xf32>) -> tensor<3x64x48xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (m, k)>,
                                        affine_map<(b, m, n, k) -> (b, k, n)>,
                                        affine_map<(b, m, n, k) -> (b, m, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<64x96xf32>, tensor<3x96x48xf32>) outs(%init : tensor<3x64x48xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x64x48xf32>
  return %c : tensor<3x64x48xf32>
}
