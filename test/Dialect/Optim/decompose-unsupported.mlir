// RUN: muon-opt %s -optim-decompose -verify-diagnostics

// An element type without a lowering (here f8) fails the pass with a
// diagnostic naming the type instead of producing wrong IR.
func.func @muon_f8(%w: tensor<4x4xf8E4M3FN>, %lr: tensor<f32>)
    -> tensor<4x4xf8E4M3FN> {
  // expected-error @+2 {{'optim.muon' op cannot be lowered: element type 'f8E4M3FN' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.muon'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<4x4xf8E4M3FN>, tensor<f32>
  return %w1 : tensor<4x4xf8E4M3FN>
}
