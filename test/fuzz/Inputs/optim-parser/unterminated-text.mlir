func.func @newton_schulz_f8(%u: tensor<4x4xf8E5M2>) -> tensor<4x4xf8E5M2> {
  // expected-error @+2 {{'optim.newton_schulz' op cannot be lowered: element type 'f8E5M2' is not one of f16, bf16, f32, f64}}
  // expected-error @+1 {{failed to legalize operation 'optim.newton_schulz'}}
  %o = optim.newton_schulz %u : tensor<4x4xf8E5M2>
  ret