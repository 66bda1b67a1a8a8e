// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=linalg bucket=true" | FileCheck %s
// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=linalg" | FileCheck %s --check-prefix=NOBUCKET

// With bucket=true optim-bucket runs first (off by default on CPU): two same-shaped Muon updates share one
// Newton–Schulz loop of batch matmuls; with bucket=false each has its own.
// CHECK-LABEL: func.func @step
// CHECK-COUNT-1: scf.for
// CHECK-NOT: scf.for
// CHECK: linalg.batch_matmul
// NOBUCKET-LABEL: func.func @step
// NOBUCKET-COUNT-2: scf.for
// NOBUCKET-NOT: linalg.batch_matmul
func.func @step(%a: tensor<16x32xf32>, %b: tensor<16x32xf32>,
                %lr: tensor<f32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %a1, %ma = optim.muon %a, %a, %a, %lr : tensor<16x32xf32>, tensor<f32>
  %b1, %mb = optim.muon %b, %b, %b, %lr : tensor<16x32xf32>, tensor<f32>
  return %a1, %b1 : tensor<16x32xf32>, tensor<16x32xf32>
}
