// RUN: muon-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -split-input-file -verify-diagnostics

// Muon²-F has no fused kernels: optim-decompose (keep-fusable) decomposes
// it before bufferization.
func.func @factored(%w: tensor<8x16xf32>, %vr: tensor<8x1xf32>, %vc: tensor<1x16xf32>,
                    %lr: tensor<f32>) -> tensor<8x16xf32> {
  // expected-error @+2 {{with a factored second moment has no fused kernels: decompose it first (optim-decompose)}}
  // expected-error @+1 {{failed to bufferize op}}
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr
      : tensor<8x16xf32>, [tensor<8x1xf32>, tensor<1x16xf32>], tensor<f32>
  return %w1 : tensor<8x16xf32>
}

// -----

func.func @f16_newton_schulz(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+2 {{cannot run Newton–Schulz in 'f16' on the GPU: the GEMMs take f32 or bf16}}
  // expected-error @+1 {{failed to bufferize op}}
  %o = optim.newton_schulz %x {compute_type = f16} : tensor<8x8xf32>
  return %o : tensor<8x8xf32>
}
