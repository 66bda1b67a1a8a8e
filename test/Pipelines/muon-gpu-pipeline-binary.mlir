// REQUIRES: ptxas
// RUN: muon-opt %s --muon-gpu-pipeline | FileCheck %s
// RUN: muon-opt %s --muon-gpu-pipeline="format=isa" | FileCheck %s --check-prefix=ISA
// RUN: muon-opt %s --muon-gpu-pipeline="format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py %t.ptx
// RUN: ptxas -arch=sm_90a %t.ptx -o %t.cubin
// RUN: test -s %t.cubin

// The final stage: LLVM-dialect host code with C-interface wrappers whose
// memref descriptors are device buffers (results as trailing out-params),
// GEMM calls and the runtime's memory calls, and the kernels embedded as a
// fatbin for sm_90a. With format=isa the object is PTX text, which ptxas
// accepts.
// CHECK-DAG: llvm.call @_mlir_ciface_muon_gpu_gemm_bf16
// CHECK-DAG: llvm.call @_mlir_ciface_muon_gpu_syrk_bf16
// CHECK: llvm.func @step(
// CHECK: llvm.call @mgpuMemAlloc
// CHECK: gpu.launch_func
// CHECK-COUNT-15: llvm.call @muon_gpu_{{gemm|syrk}}_bf16
// CHECK: gpu.launch_func
// CHECK: llvm.call @mgpuMemFree
// CHECK: llvm.func @_mlir_ciface_step(
// CHECK: gpu.binary @step_kernel [#gpu.object<#nvvm.target<chip = "sm_90a", features = "+ptx86">, properties = {{.*}}, "
// CHECK-NOT: gpu.module
// ISA: gpu.binary @step_kernel [#gpu.object<#nvvm.target<chip = "sm_90a", features = "+ptx86">, properties = {{.*}}, assembly = "
// ISA-SAME: .target sm_90a
func.func @step(%w: tensor<96x64xf32>, %g: tensor<96x64xf32>, %m: tensor<96x64xf32>,
                %lr: tensor<f32>) -> (tensor<96x64xf32>, tensor<96x64xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {compute_type = bf16, weight_decay = 0.1}
      : tensor<96x64xf32>, tensor<f32>
  return %w1, %m1 : tensor<96x64xf32>, tensor<96x64xf32>
}
