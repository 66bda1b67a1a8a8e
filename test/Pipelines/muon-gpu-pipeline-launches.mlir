// Kernel launches per step: per Muon bucket 3 fused kernels + 3 GEMMs per
// Newton–Schulz iteration, independent of the number of matrices in it. (Two
// of the GEMMs are symmetric products, which the runtime splits into block
// rows + a mirror kernel for m ≥ 2048: more launches, less work; not here.)
// Budget (issue 5): buckets × (3 × ns_steps + 3).
//
// Two buckets (4 and 2 matrices, ns_steps = 5): 2 × (15 + 3) = 36 ≤ 36.
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" -split-input-file \
// RUN:   | FileCheck %s
// The same step with twice the matrices per bucket launches the same.
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" -split-input-file \
// RUN:   | grep -c -e "gpu.launch_func" -e "call @muon_gpu_" | FileCheck %s --check-prefix=COUNT
// examples/block_step.mlir: 3 Muon buckets (W_q+W_k, W_fc, W_proj) × 18 = 54
// for Muon, plus 1 AdamW kernel and 3 QK-clip kernels.
// RUN: muon-opt %S/../../examples/block_step.mlir --muon-gpu-pipeline="stop-after=gpu" \
// RUN:   | grep -c -e "gpu.launch_func" -e "call @muon_gpu_" | FileCheck %s --check-prefix=BLOCK
// COUNT: 72
// BLOCK: 58

// CHECK-LABEL: func.func @four_and_two
// CHECK-COUNT-2: gpu.launch_func
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-COUNT-1: gpu.launch_func
// CHECK-COUNT-2: gpu.launch_func
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-COUNT-1: gpu.launch_func
// CHECK-NOT: gpu.launch_func
// CHECK-NOT: call @muon_gpu_
// CHECK: return
func.func @four_and_two(%lr: tensor<f32>,
    %a0: tensor<64x96xf32>, %a1: tensor<64x96xf32>, %a2: tensor<64x96xf32>, %a3: tensor<64x96xf32>,
    %b0: tensor<96x32xf32>, %b1: tensor<96x32xf32>)
    -> (tensor<64x96xf32>, tensor<64x96xf32>, tensor<64x96xf32>, tensor<64x96xf32>,
        tensor<96x32xf32>, tensor<96x32xf32>) {
  %a0n, %ma0 = optim.muon %a0, %a0, %a0, %lr : tensor<64x96xf32>, tensor<f32>
  %a1n, %ma1 = optim.muon %a1, %a1, %a1, %lr : tensor<64x96xf32>, tensor<f32>
  %a2n, %ma2 = optim.muon %a2, %a2, %a2, %lr : tensor<64x96xf32>, tensor<f32>
  %a3n, %ma3 = optim.muon %a3, %a3, %a3, %lr : tensor<64x96xf32>, tensor<f32>
  %b0n, %mb0 = optim.muon %b0, %b0, %b0, %lr : tensor<96x32xf32>, tensor<f32>
  %b1n, %mb1 = optim.muon %b1, %b1, %b1, %lr : tensor<96x32xf32>, tensor<f32>
  return %a0n, %a1n, %a2n, %a3n, %b0n, %b1n
      : tensor<64x96xf32>, tensor<64x96xf32>, tensor<64x96xf32>, tensor<64x96xf32>,
        tensor<96x32xf32>, tensor<96x32xf32>
}

// -----

// Eight and four matrices: still 2 × 18 launches.
// CHECK-LABEL: func.func @eight_and_four
// CHECK-COUNT-2: gpu.launch_func
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-COUNT-1: gpu.launch_func
// CHECK-COUNT-2: gpu.launch_func
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-COUNT-1: gpu.launch_func
// CHECK-NOT: gpu.launch_func
// CHECK-NOT: call @muon_gpu_
// CHECK: return
func.func @eight_and_four(%lr: tensor<f32>,
    %a0: tensor<64x96xf32>, %a1: tensor<64x96xf32>, %a2: tensor<64x96xf32>, %a3: tensor<64x96xf32>,
    %a4: tensor<64x96xf32>, %a5: tensor<64x96xf32>, %a6: tensor<64x96xf32>, %a7: tensor<64x96xf32>,
    %b0: tensor<96x32xf32>, %b1: tensor<96x32xf32>, %b2: tensor<96x32xf32>, %b3: tensor<96x32xf32>)
    -> (tensor<64x96xf32>, tensor<96x32xf32>) {
  %a0n, %ma0 = optim.muon %a0, %a0, %a0, %lr : tensor<64x96xf32>, tensor<f32>
  %a1n, %ma1 = optim.muon %a1, %a1, %a1, %lr : tensor<64x96xf32>, tensor<f32>
  %a2n, %ma2 = optim.muon %a2, %a2, %a2, %lr : tensor<64x96xf32>, tensor<f32>
  %a3n, %ma3 = optim.muon %a3, %a3, %a3, %lr : tensor<64x96xf32>, tensor<f32>
  %a4n, %ma4 = optim.muon %a4, %a4, %a4, %lr : tensor<64x96xf32>, tensor<f32>
  %a5n, %ma5 = optim.muon %a5, %a5, %a5, %lr : tensor<64x96xf32>, tensor<f32>
  %a6n, %ma6 = optim.muon %a6, %a6, %a6, %lr : tensor<64x96xf32>, tensor<f32>
  %a7n, %ma7 = optim.muon %a7, %a7, %a7, %lr : tensor<64x96xf32>, tensor<f32>
  %b0n, %mb0 = optim.muon %b0, %b0, %b0, %lr : tensor<96x32xf32>, tensor<f32>
  %b1n, %mb1 = optim.muon %b1, %b1, %b1, %lr : tensor<96x32xf32>, tensor<f32>
  %b2n, %mb2 = optim.muon %b2, %b2, %b2, %lr : tensor<96x32xf32>, tensor<f32>
  %b3n, %mb3 = optim.muon %b3, %b3, %b3, %lr : tensor<96x32xf32>, tensor<f32>
  return %a7n, %b3n : tensor<64x96xf32>, tensor<96x32xf32>
}
