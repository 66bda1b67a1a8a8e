// RUN: muon-opt %s -optim-decompose -convert-optim-to-linalg -split-input-file -verify-diagnostics

// Element types without a lowering (here f8) fail the conversion with a
// diagnostic naming the type instead of producing wrong IR.
func.func @muon_f8(%w: tensor<4x4xf8E4M3FN>, %lr: tensor<f32>)
    -> tensor<4x4xf8E4M3FN> {
  // expected-error @+2 {{'optim.muon' op cannot be lowered: element type 'f8E4M3FN' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.muon'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<4x4xf8E4M3FN>, tensor<f32>
  return %w1 : tensor<4x4xf8E4M3FN>
}

// -----

func.func @newton_schulz_f8(%u: tensor<4x4xf8E5M2>) -> tensor<4x4xf8E5M2> {
  // expected-error @+2 {{'optim.newton_schulz' op cannot be lowered: element type 'f8E5M2' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.newton_schulz'}}
  %o = optim.newton_schulz %u : tensor<4x4xf8E5M2>
  return %o : tensor<4x4xf8E5M2>
}

// -----

func.func @adamw_f8_lr(%w: tensor<4xf32>, %lr: tensor<f8E4M3FN>, %t: tensor<i64>)
    -> tensor<4xf32> {
  // expected-error @+2 {{'optim.adamw' op cannot be lowered: element type 'f8E4M3FN' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.adamw'}}
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t
      : tensor<4xf32>, tensor<f8E4M3FN>, tensor<i64>
  return %w1 : tensor<4xf32>
}

// -----

func.func @qk_clip_f8_logits(%w: tensor<8x8xf32>, %s: tensor<2xf8E4M3FN>)
    -> tensor<8x8xf32> {
  // expected-error @+2 {{'optim.qk_clip' op cannot be lowered: element type 'f8E4M3FN' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.qk_clip'}}
  %q, %k = optim.qk_clip %w, %w, %s {num_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<8x8xf32>, tensor<8x8xf32>, tensor<2xf8E4M3FN>
  return %q : tensor<8x8xf32>
}
