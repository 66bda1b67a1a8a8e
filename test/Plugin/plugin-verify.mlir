// Ops parsed by the system mlir-opt through the plugin are checked by the
// dialect's own verifiers.
// RUN: %mlir_opt %s --load-dialect-plugin=%muon_plugin -split-input-file -verify-diagnostics

func.func @f(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects a matrix operand (rank >= 2), got rank 1; use optim.adamw for vectors}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<16xf32>, tensor<f32>
  return
}

// -----

func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op has a custom NS schedule of 1 (a, b, c) tuples for 5 iterations}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<custom [(3.0, -4.0, 2.0)]>} : tensor<4x8xf32>, tensor<f32>
  return
}
