// RUN: muon-opt %s -convert-optim-to-linalg=keep-fusable=true -split-input-file -verify-diagnostics | FileCheck %s

// keep-fusable (the GPU pipeline): the ops that bufferize into fused
// kernels stay on tensors, QK-clip still becomes linalg.
// CHECK-LABEL: func.func @mixed
// CHECK: optim.muon
// CHECK: optim.muon2 %{{.*}}, [%{{.*}}]
// CHECK: optim.adamw
// CHECK: optim.newton_schulz
// CHECK-NOT: optim.qk_clip
// CHECK: linalg.generic
func.func @mixed(%w: tensor<64x32xf32>, %v: tensor<64x32xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                 %s: tensor<4xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
                                        tensor<64x32xf32>, tensor<64x32xf32>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<64x32xf32>, tensor<f32>
  %w2, %m2, %v2 = optim.muon2 %w, %w, %w, [%v], %lr : tensor<64x32xf32>, [tensor<64x32xf32>], tensor<f32>
  %w3, %m3, %v3 = optim.adamw %w, %w, %w, %v, %lr, %t : tensor<64x32xf32>, tensor<f32>, tensor<i64>
  %o = optim.newton_schulz %w : tensor<64x32xf32>
  %q, %k = optim.qk_clip %w1, %w2, %s {num_heads = 4 : i64, head_dim = 8 : i64, head_axis = 1 : i64}
      : tensor<64x32xf32>, tensor<64x32xf32>, tensor<4xf32>
  return %q, %k, %w3, %o, %m1 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// Muon²-F has no fused kernels: it must still be decomposed first.
func.func @factored(%w: tensor<8x16xf32>, %vr: tensor<8x1xf32>, %vc: tensor<1x16xf32>,
                    %lr: tensor<f32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{must be decomposed first (optim-decompose)}}
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr
      : tensor<8x16xf32>, [tensor<8x1xf32>, tensor<1x16xf32>], tensor<f32>
  return %w1 : tensor<8x16xf32>
}
