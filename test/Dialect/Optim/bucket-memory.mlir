// RUN: muon-opt %s -optim-bucket="max-temporary-bytes=400000 report-temporary-bytes" -split-input-file -verify-diagnostics | FileCheck %s

// A 64x256 f32 matrix's temporaries: two iterates (2·16384·4 bytes) and the
// Gram matrix with its polynomial (2·64²·4), 163840 bytes. 400000 bytes hold
// two: five updates are buckets of 2, 2 and the last one alone.
// CHECK-LABEL: func.func @two_per_bucket
// CHECK: optim.muon [%{{.*}}, %{{.*}}], {{.*}} : [tensor<64x256xf32>, tensor<64x256xf32>], tensor<f32>
// CHECK: optim.muon [%{{.*}}, %{{.*}}], {{.*}} : [tensor<64x256xf32>, tensor<64x256xf32>], tensor<f32>
// CHECK: optim.muon %{{.*}} : tensor<64x256xf32>, tensor<f32>
func.func @two_per_bucket(%w: tensor<64x256xf32>, %lr: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>,
        tensor<64x256xf32>, tensor<64x256xf32>) {
  // expected-remark @below {{bucket of 2 matrices: 327680 bytes of temporaries}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  %w2, %m2 = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  // expected-remark @below {{bucket of 2 matrices: 327680 bytes of temporaries}}
  %w3, %m3 = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  %w4, %m4 = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  %w5, %m5 = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  return %w1, %w2, %w3, %w4, %w5 : tensor<64x256xf32>, tensor<64x256xf32>,
      tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>
}

// -----

// The budget counts matrices, not ops: a batch of three 64x256 matrices
// (491520 bytes) exceeds it alone and stays on its own; the two single
// matrices after it share a bucket, the transposed one in it.
// CHECK-LABEL: func.func @batch_alone
// CHECK: optim.muon %{{.*}} {view = #optim.matrix_view<batch>} : tensor<3x64x256xf32>, tensor<f32>
// CHECK: optim.muon [%{{.*}}, %{{.*}}], {{.*}} : [tensor<64x256xf32>, tensor<256x64xf32>], tensor<f32>
func.func @batch_alone(%b: tensor<3x64x256xf32>, %w: tensor<64x256xf32>,
                       %t: tensor<256x64xf32>, %lr: tensor<f32>)
    -> (tensor<3x64x256xf32>, tensor<64x256xf32>, tensor<256x64xf32>) {
  %b1, %mb = optim.muon %b, %b, %b, %lr {view = #optim.matrix_view<batch>}
      : tensor<3x64x256xf32>, tensor<f32>
  // expected-remark @below {{bucket of 2 matrices: 327680 bytes of temporaries}}
  %w1, %mw = optim.muon %w, %w, %w, %lr : tensor<64x256xf32>, tensor<f32>
  %t1, %mt = optim.muon %t, %t, %t, %lr : tensor<256x64xf32>, tensor<f32>
  return %b1, %w1, %t1 : tensor<3x64x256xf32>, tensor<64x256xf32>, tensor<256x64xf32>
}

// -----

// In bf16 the Gram iteration's temporaries are two bf16 iterates and its
// pool of four 64x64 matrices, 98304 bytes per matrix: four share a bucket.
// AdamW updates in place and is not limited.
// CHECK-LABEL: func.func @bf16_gram
// CHECK: optim.muon [%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}], {{.*}} : [tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>], tensor<f32>
// CHECK: optim.adamw [%{{.*}}, %{{.*}}],
func.func @bf16_gram(%w: tensor<64x256xf32>, %v: tensor<1000000xf32>,
                     %lr: tensor<f32>, %s: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>,
        tensor<64x256xf32>, tensor<1000000xf32>, tensor<1000000xf32>) {
  // expected-remark @below {{bucket of 4 matrices: 393216 bytes of temporaries}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {compute_type = bf16} : tensor<64x256xf32>, tensor<f32>
  %w2, %m2 = optim.muon %w, %w, %w, %lr {compute_type = bf16} : tensor<64x256xf32>, tensor<f32>
  %w3, %m3 = optim.muon %w, %w, %w, %lr {compute_type = bf16} : tensor<64x256xf32>, tensor<f32>
  %w4, %m4 = optim.muon %w, %w, %w, %lr {compute_type = bf16} : tensor<64x256xf32>, tensor<f32>
  %v1:3 = optim.adamw %v, %v, %v, %v, %lr, %s : tensor<1000000xf32>, tensor<f32>, tensor<f32>
  %v2:3 = optim.adamw %v, %v, %v, %v, %lr, %s : tensor<1000000xf32>, tensor<f32>, tensor<f32>
  return %w1, %w2, %w3, %w4, %v1#0, %v2#0 : tensor<64x256xf32>, tensor<64x256xf32>,
      tensor<64x256xf32>, tensor<64x256xf32>, tensor<1000000xf32>, tensor<1000000xf32>
}
