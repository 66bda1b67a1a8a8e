// muon-gpu-emulation-pipeline: the GPU pipeline's program lowered for the
// host. No gpu op, gpu.module or GPU runtime (mgpu*) call is left; the GEMMs
// are still the GPU entry points (which the CPU runtime implements), and the
// kernels are host loops in the step itself.
// RUN: muon-opt %s --muon-gpu-emulation-pipeline | FileCheck %s
// The same module stopped at the gpu stage has the launches the emulation
// replaces.
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" | FileCheck %s --check-prefix=GPU

// CHECK-NOT: gpu.
// CHECK-NOT: mgpu
// CHECK: llvm.func @step(
// CHECK: llvm.br
// CHECK: llvm.call @muon_gpu_syrk_f32
// CHECK: llvm.call @muon_gpu_gemm_f32
// CHECK: llvm.func @_mlir_ciface_step(
// CHECK-NOT: gpu.
// CHECK-NOT: mgpu

// GPU: gpu.launch_func
// GPU: gpu.module
func.func @step(%w: tensor<32x48xf32>, %g: tensor<32x48xf32>, %m: tensor<32x48xf32>,
                %lr: tensor<f32>) -> (tensor<32x48xf32>, tensor<32x48xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {weight_decay = 0.1} : tensor<32x48xf32>, tensor<f32>
  return %w1, %m1 : tensor<32x48xf32>, tensor<32x48xf32>
}
