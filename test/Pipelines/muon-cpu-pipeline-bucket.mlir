// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=linalg bucket=true" | FileCheck %s
// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=linalg" | FileCheck %s --check-prefix=NOBUCKET

// With bucket=true optim-bucket runs first (off by default on CPU): two same-shaped Muon updates share one
// Newton–Schulz, whose 3 × 5 runtime GEMM calls each cover both matrices (2x16x32); with bucket=false each
// has its own 15 calls on a 16x32 buffer (viewed as 1x16x32).
// CHECK-LABEL: func.func @step
// CHECK: bufferization.to_buffer %{{.+}} read_only : tensor<2x16x32xf32> to memref<2x16x32xf32>
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-NOT: call @muon_gpu_
// NOBUCKET-LABEL: func.func @step
// NOBUCKET: bufferization.to_buffer %{{.+}} read_only : tensor<16x32xf32> to memref<16x32xf32>
// NOBUCKET-COUNT-30: call @muon_gpu_{{gemm|syrk}}_f32
// NOBUCKET-NOT: call @muon_gpu_
func.func @step(%a: tensor<16x32xf32>, %b: tensor<16x32xf32>,
                %lr: tensor<f32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %a1, %ma = optim.muon %a, %a, %a, %lr : tensor<16x32xf32>, tensor<f32>
  %b1, %mb = optim.muon %b, %b, %b, %lr : tensor<16x32xf32>, tensor<f32>
  return %a1, %b1 : tensor<16x32xf32>, tensor<16x32xf32>
}
