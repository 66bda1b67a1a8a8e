// Degenerate and huge shapes: what the verifiers accept (with a defined
// result, see docs/numerics.md) and what they reject.
// RUN: muon-opt %s -split-input-file -verify-diagnostics

// Accepted: 1×N and N×1 matrices (Newton–Schulz of a vector is its
// direction), and an empty AdamW parameter (an empty update).
func.func @f(%row: tensor<1x16xf32>, %col: tensor<16x1xf32>, %e: tensor<0xf32>,
             %lr: tensor<f32>, %t: tensor<i64>) {
  %w1, %m1 = optim.muon %row, %row, %row, %lr : tensor<1x16xf32>, tensor<f32>
  %w2, %m2 = optim.muon %col, %col, %col, %lr : tensor<16x1xf32>, tensor<f32>
  %w3, %m3, %v3 = optim.adamw %e, %e, %e, %e, %lr, %t : tensor<0xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// Muon²: an empty matrix cannot be orthogonalized.
func.func @f(%w: tensor<8x0xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op cannot orthogonalize an empty matrix 'tensor<8x0xf32>'}}
  %w1, %m1, %v1 = optim.muon2 %w, %w, %w, [%w], %lr : tensor<8x0xf32>, [tensor<8x0xf32>], tensor<f32>
  return
}

// -----

// Newton–Schulz: an empty batch of matrices is empty too.
func.func @f(%u: tensor<0x4x4xf32>) {
  // expected-error @+1 {{'optim.newton_schulz' op cannot orthogonalize an empty matrix 'tensor<0x4x4xf32>'}}
  %o = optim.newton_schulz %u {view = #optim.matrix_view<batch>} : tensor<0x4x4xf32>
  return
}

// -----

// Muon: 2^62 × 4 f32 is 2^66 bytes, beyond a 64-bit index (the flattened
// column count alone would overflow).
func.func @f(%w: tensor<2x4611686018427387904x4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op operand of type 'tensor<2x4611686018427387904x4xf32>' has more bytes than a 64-bit index can address}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<2x4611686018427387904x4xf32>, tensor<f32>
  return
}

// -----

// AdamW: 2^61 f32 elements are 2^63 bytes, one more than int64 can count.
func.func @f(%w: tensor<2305843009213693952xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op operand of type 'tensor<2305843009213693952xf32>' has more bytes than a 64-bit index can address}}
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<2305843009213693952xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// Newton–Schulz on bf16: 2 bytes per element count.
func.func @f(%u: tensor<4611686018427387904x2xbf16>) {
  // expected-error @+1 {{'optim.newton_schulz' op operand of type 'tensor<4611686018427387904x2xbf16>' has more bytes than a 64-bit index can address}}
  %o = optim.newton_schulz %u : tensor<4611686018427387904x2xbf16>
  return
}

// -----

// Muon²: factored moments of a huge matrix.
func.func @f(%w: tensor<4611686018427387904x4xf32>, %r: tensor<4611686018427387904x1xf32>, %c: tensor<1x4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op operand of type 'tensor<4611686018427387904x4xf32>' has more bytes than a 64-bit index can address}}
  %w1, %m1, %r1, %c1 = optim.muon2 %w, %w, %w, [%r, %c], %lr : tensor<4611686018427387904x4xf32>, [tensor<4611686018427387904x1xf32>, tensor<1x4xf32>], tensor<f32>
  return
}

// -----

// QK-clip: huge projections.
func.func @f(%wq: tensor<4611686018427387904x64xf32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op operand of type 'tensor<4611686018427387904x64xf32>' has more bytes than a 64-bit index can address}}
  %q, %k = optim.qk_clip %wq, %wq, %s {num_heads = 1 : i64, head_dim = 64 : i64, head_axis = 1 : i64} : tensor<4611686018427387904x64xf32>, tensor<4611686018427387904x64xf32>, tensor<1xf32>
  return
}

// -----

// QK-clip: 770 columns do not split into 12 heads.
func.func @f(%wq: tensor<768x770xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_q to have 12 heads x 64 entries along head axis 1, got 770}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, head_axis = 1 : i64} : tensor<768x770xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip (MLA): the head chunk head_dim + rope_head_dim overflows.
func.func @f(%wq: tensor<16x64xf32>, %wk: tensor<16x64xf32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'head_dim' plus 'rope_head_dim' or 'v_head_dim' to fit in 64 bits}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 1 : i64, head_dim = 9223372036854775807 : i64, rope_head_dim = 2 : i64, head_axis = 1 : i64} : tensor<16x64xf32>, tensor<16x64xf32>, tensor<1xf32>
  return
}

// -----

// QK-clip: an empty head axis cannot hold positive-sized heads.
func.func @f(%wq: tensor<16x0xf32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_q to have 1 heads x 64 entries along head axis 1, got 0}}
  %q, %k = optim.qk_clip %wq, %wq, %s {num_heads = 1 : i64, head_dim = 64 : i64, head_axis = 1 : i64} : tensor<16x0xf32>, tensor<16x0xf32>, tensor<1xf32>
  return
}
