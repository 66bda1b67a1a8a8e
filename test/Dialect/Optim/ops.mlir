// Round-trip of every optim op and attribute form, through the custom syntax,
// the generic syntax and bytecode.
// RUN: muon-opt %s | muon-opt | FileCheck %s
// RUN: muon-opt %s --mlir-print-op-generic | muon-opt | FileCheck %s
// RUN: muon-opt %s -emit-bytecode | muon-opt | FileCheck %s

// Defaults are elided when printed.
// CHECK-LABEL: func.func @muon_defaults
// CHECK-SAME: (%[[W:.+]]: tensor<768x3072xf32>, %[[G:.+]]: tensor<768x3072xf32>, %[[M:.+]]: tensor<768x3072xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK: optim.muon %[[W]], %[[G]], %[[M]], %[[LR]] : tensor<768x3072xf32>, tensor<f32>
func.func @muon_defaults(%w: tensor<768x3072xf32>, %g: tensor<768x3072xf32>,
                         %m: tensor<768x3072xf32>, %lr: tensor<f32>)
    -> (tensor<768x3072xf32>, tensor<768x3072xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<768x3072xf32>, tensor<f32>
  return %w1, %m1 : tensor<768x3072xf32>, tensor<768x3072xf32>
}

// Every attribute set away from its default.
// CHECK-LABEL: func.func @muon_all_attrs
// CHECK: optim.muon
// CHECK-SAME: compute_type = bf16
// CHECK-SAME: lr_adjust = #optim.lr_adjust<match_rms_adamw>
// CHECK-SAME: momentum = 9.000000e-01 : f64
// CHECK-SAME: nesterov = false
// CHECK-SAME: ns_steps = 6 : i64
// CHECK-SAME: schedule = #optim.ns_schedule<polar_express>
// CHECK-SAME: view = #optim.matrix_view<batch>
// CHECK-SAME: weight_decay = 1.000000e-01 : f64
// CHECK-SAME: : tensor<8x64x32xbf16>, tensor<f32>
func.func @muon_all_attrs(%w: tensor<8x64x32xbf16>, %lr: tensor<f32>)
    -> tensor<8x64x32xbf16> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {
      momentum = 0.9, nesterov = false, weight_decay = 0.1, ns_steps = 6 : i64,
      schedule = #optim.ns_schedule<polar_express>,
      lr_adjust = #optim.lr_adjust<match_rms_adamw>, compute_type = bf16,
      view = #optim.matrix_view<batch>} : tensor<8x64x32xbf16>, tensor<f32>
  return %w1 : tensor<8x64x32xbf16>
}

// The algorithm part of a schedule: `auto` is the absence of one; Gram
// restarts (explicit, or an empty list: none) print as written.
// CHECK-LABEL: func.func @ns_algorithms
// CHECK: schedule = #optim.ns_schedule<quintic>
// CHECK: schedule = #optim.ns_schedule<polar_express, standard>
// CHECK: schedule = #optim.ns_schedule<quintic, gram>
// CHECK: schedule = #optim.ns_schedule<custom [(3.000000e+00, -3.200000e+00, 1.200000e+00), (2.000000e+00, -1.500000e+00, 5.000000e-01), (2.000000e+00, -1.500000e+00, 5.000000e-01)], gram restarts [1, 2]>
// CHECK: schedule = #optim.ns_schedule<quintic, gram restarts []>
func.func @ns_algorithms(%u: tensor<16x64xf32>, %w: tensor<16x64xf32>, %lr: tensor<f32>) {
  %0 = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, auto>} : tensor<16x64xf32>
  %1 = optim.newton_schulz %u {schedule = #optim.ns_schedule<polar_express, standard>} : tensor<16x64xf32>
  %2 = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, gram>} : tensor<16x64xf32>
  %3 = optim.newton_schulz %u {steps = 3 : i64, schedule = #optim.ns_schedule<custom [(3.0, -3.2, 1.2), (2.0, -1.5, 0.5), (2.0, -1.5, 0.5)], gram restarts [1, 2]>} : tensor<16x64xf32>
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<quintic, gram restarts []>} : tensor<16x64xf32>, tensor<f32>
  return
}

// The `none` lr rule and a custom schedule keep their coefficients exactly.
// CHECK-LABEL: func.func @muon_custom_schedule
// CHECK: lr_adjust = #optim.lr_adjust<none>
// CHECK-SAME: ns_steps = 2 : i64
// CHECK-SAME: schedule = #optim.ns_schedule<custom [(8.1565545249024609, -22.483292925577949, 15.878769915207462), (3.444500e+00, -4.775000e+00, 2.031500e+00)]>
func.func @muon_custom_schedule(%w: tensor<16x16xf32>, %lr: tensor<f32>)
    -> tensor<16x16xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 2 : i64,
      lr_adjust = #optim.lr_adjust<none>,
      schedule = #optim.ns_schedule<custom [(8.156554524902461, -22.48329292557795, 15.878769915207462), (3.4445, -4.7750, 2.0315)]>}
      : tensor<16x16xf32>, tensor<f32>
  return %w1 : tensor<16x16xf32>
}

// Muon² with a full second moment.
// CHECK-LABEL: func.func @muon2_full
// CHECK: optim.muon2 %{{.+}}, %{{.+}}, %{{.+}}, [%{{.+}}], %{{.+}} {beta2 = 0.9899{{[0-9]+}} : f64, eps = 1.000000e-10 : f64} : tensor<64x256xf32>, [tensor<64x256xf32>], tensor<f32>
func.func @muon2_full(%w: tensor<64x256xf32>, %v: tensor<64x256xf32>,
                      %lr: tensor<f32>) -> tensor<64x256xf32> {
  %w1, %m1, %v1 = optim.muon2 %w, %w, %w, [%v], %lr {beta2 = 0.99, eps = 1.0e-10}
      : tensor<64x256xf32>, [tensor<64x256xf32>], tensor<f32>
  return %v1 : tensor<64x256xf32>
}

// Muon²-F: row and column factors; batched view of a 3-D parameter.
// CHECK-LABEL: func.func @muon2_factored
// CHECK: %{{.+}}, %{{.+}}, %[[V:.+]]:2 = optim.muon2
// CHECK-SAME: : tensor<4x64x256xf32>, [tensor<4x64x1xf32>, tensor<4x1x256xf32>], tensor<f32>
func.func @muon2_factored(%w: tensor<4x64x256xf32>, %vr: tensor<4x64x1xf32>,
                          %vc: tensor<4x1x256xf32>, %lr: tensor<f32>)
    -> (tensor<4x64x1xf32>, tensor<4x1x256xf32>) {
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr
      {view = #optim.matrix_view<batch>}
      : tensor<4x64x256xf32>, [tensor<4x64x1xf32>, tensor<4x1x256xf32>], tensor<f32>
  return %vr1, %vc1 : tensor<4x64x1xf32>, tensor<4x1x256xf32>
}

// AdamW on a vector with an integer step, on a 0-d parameter with a float
// step (defaults elided, torch variant), Hugging Face's variant without
// bias correction, and beta1 read at run time.
// CHECK-LABEL: func.func @adamw
// CHECK: optim.adamw {{.*}} {beta1 = 8.000000e-01 : f64, beta2 = 0.9899{{[0-9]+}} : f64, eps = 9.99{{[0-9]+}}E-7 : f64, weight_decay = 0.000000e+00 : f64} : tensor<768xf32>, tensor<f32>, tensor<i64>
// CHECK: optim.adamw %{{[^{]*}} : tensor<f16>, tensor<f16>, tensor<f32>
// CHECK: optim.adamw {{.*}} {bias_correction = false, variant = #optim.adamw_variant<huggingface>} : tensor<768xf32>
// CHECK: optim.adamw %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} beta1(%{{.*}} : tensor<f64>) {weight_decay = 1.000000e-01 : f64} : tensor<768xf32>, tensor<f32>, tensor<i64>
func.func @adamw(%w: tensor<768xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                 %s: tensor<f16>, %lr16: tensor<f16>, %tf: tensor<f32>,
                 %b1: tensor<f64>)
    -> (tensor<768xf32>, tensor<f16>) {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t {beta1 = 0.8, beta2 = 0.99,
      eps = 1.0e-6, weight_decay = 0.0} : tensor<768xf32>, tensor<f32>, tensor<i64>
  %s1, %sm, %sv = optim.adamw %s, %s, %s, %s, %lr16, %tf
      {bias_correction = true, variant = #optim.adamw_variant<torch>}
      : tensor<f16>, tensor<f16>, tensor<f32>
  %h1, %hm, %hv = optim.adamw %w, %w, %w, %w, %lr, %t
      {variant = #optim.adamw_variant<huggingface>, bias_correction = false}
      : tensor<768xf32>, tensor<f32>, tensor<i64>
  %d1, %dm, %dv = optim.adamw %w, %w, %w, %w, %lr, %t beta1(%b1 : tensor<f64>)
      {weight_decay = 0.1} : tensor<768xf32>, tensor<f32>, tensor<i64>
  return %w1, %s1 : tensor<768xf32>, tensor<f16>
}

// An AdamW bucket whose members have a step count each.
// CHECK-LABEL: func.func @adamw_step_per_member
// CHECK: optim.adamw [%{{.+}}, %{{.+}}], {{.*}} : [tensor<768xf32>, tensor<4x8xf32>], tensor<f32>, tensor<2xf32>
func.func @adamw_step_per_member(%b: tensor<768xf32>, %w: tensor<4x8xf32>,
                                 %lr: tensor<f32>, %t: tensor<2xf32>)
    -> (tensor<768xf32>, tensor<4x8xf32>) {
  %p:2, %m:2, %v:2 = optim.adamw [%b, %w], [%b, %w], [%b, %w], [%b, %w], %lr, %t
      : [tensor<768xf32>, tensor<4x8xf32>], tensor<f32>, tensor<2xf32>
  return %p#0, %p#1 : tensor<768xf32>, tensor<4x8xf32>
}

// The optional skip flag (any 0-d integer tensor), on a single update and
// on a bucket, and Muon's run-time momentum (any 0-d float tensor).
// CHECK-LABEL: func.func @skip
// CHECK: optim.muon %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} skip(%{{.+}} : tensor<i32>) {ns_steps = 2 : i64} : tensor<4x8xf32>, tensor<f32>
// CHECK: optim.muon2 {{.*}} skip(%{{.+}} : tensor<i1>) : [tensor<4x8xf32>, tensor<8x4xf32>], [tensor<4x8xf32>, tensor<8x4xf32>], tensor<f32>
// CHECK: optim.adamw {{.*}}, %{{.+}} skip(%{{.+}} : tensor<i32>) {weight_decay = 0.000000e+00 : f64} : tensor<8xf32>, tensor<f32>, tensor<i64>
// CHECK: optim.muon %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} skip(%{{.+}} : tensor<i32>) momentum(%{{.+}} : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
// CHECK: optim.muon2 {{.*}} momentum(%{{.+}} : tensor<f32>) {ns_steps = 2 : i64} : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
func.func @skip(%w: tensor<4x8xf32>, %v: tensor<8x4xf32>, %b: tensor<8xf32>,
                %lr: tensor<f32>, %t: tensor<i64>, %status: tensor<i32>,
                %failed: tensor<i1>, %mu: tensor<f64>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr skip(%status : tensor<i32>)
      {ns_steps = 2 : i64} : tensor<4x8xf32>, tensor<f32>
  %p:2, %q:2, %r:2 = optim.muon2 [%w, %v], [%w, %v], [%w, %v], [%w, %v], %lr
      skip(%failed : tensor<i1>)
      : [tensor<4x8xf32>, tensor<8x4xf32>], [tensor<4x8xf32>, tensor<8x4xf32>],
        tensor<f32>
  %b1, %bm, %bv = optim.adamw %b, %b, %b, %b, %lr, %t skip(%status : tensor<i32>)
      {weight_decay = 0.0} : tensor<8xf32>, tensor<f32>, tensor<i64>
  %w2, %m2 = optim.muon %w, %w, %w, %lr skip(%status : tensor<i32>)
      momentum(%mu : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
  %w3, %m3, %v3 = optim.muon2 %w, %w, %w, [%w], %lr momentum(%lr : tensor<f32>)
      {ns_steps = 2 : i64} : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
  return
}

// Newton–Schulz alone, default and fully specified.
// CHECK-LABEL: func.func @muon_spectral
// CHECK: lr_adjust = #optim.lr_adjust<spectral_unclamped>
func.func @muon_spectral(%w: tensor<16x32xf32>, %lr: tensor<f32>) -> tensor<16x32xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {lr_adjust = #optim.lr_adjust<spectral_unclamped>}
      : tensor<16x32xf32>, tensor<f32>
  return %w1 : tensor<16x32xf32>
}

// CHECK-LABEL: func.func @newton_schulz
// CHECK: optim.newton_schulz %{{.+}} : tensor<3072x768xf32>
// CHECK: optim.newton_schulz %{{.+}} {compute_type = f16, schedule = #optim.ns_schedule<quintic>, steps = 3 : i64, view = #optim.matrix_view<batch>} : tensor<2x3x4x5xf32>
func.func @newton_schulz(%u: tensor<3072x768xf32>, %b: tensor<2x3x4x5xf32>)
    -> (tensor<3072x768xf32>, tensor<2x3x4x5xf32>) {
  %o = optim.newton_schulz %u : tensor<3072x768xf32>
  %p = optim.newton_schulz %b {steps = 3 : i64, compute_type = f16,
      schedule = #optim.ns_schedule<quintic>, view = #optim.matrix_view<batch>}
      : tensor<2x3x4x5xf32>
  return %o, %p : tensor<3072x768xf32>, tensor<2x3x4x5xf32>
}

// QK-clip in its three forms: MHA, GQA, MLA; and on biases (rank 1).
// CHECK-LABEL: func.func @qk_clip
// CHECK: optim.qk_clip {{.*}} {head_axis = 1 : i64, head_dim = 64 : i64, num_heads = 12 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
// CHECK: optim.qk_clip {{.*}} {alpha = 2.500000e-01 : f64, head_dim = 64 : i64, num_heads = 32 : i64, num_kv_heads = 8 : i64, tau = 5.000000e+01 : f64} : tensor<2048x2048xf32>, tensor<512x2048xf32>, tensor<32xf32>
// CHECK: optim.qk_clip {{.*}} {head_dim = 128 : i64, num_heads = 4 : i64, rope_head_dim = 64 : i64, v_head_dim = 128 : i64} : tensor<768x1536xf32>, tensor<1024x512xf32>, tensor<4xf32>
// CHECK: optim.qk_clip {{.*}} {head_dim = 64 : i64, num_heads = 12 : i64} : tensor<768xf32>, tensor<768xf32>, tensor<12xf32>
func.func @qk_clip(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>,
                   %s: tensor<12xf32>, %gq: tensor<2048x2048xf32>,
                   %gk: tensor<512x2048xf32>, %gs: tensor<32xf32>,
                   %mq: tensor<768x1536xf32>, %mk: tensor<1024x512xf32>,
                   %ms: tensor<4xf32>, %bq: tensor<768xf32>, %bk: tensor<768xf32>) {
  %q1, %k1 = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64,
      head_dim = 64 : i64, head_axis = 1 : i64}
      : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  %q2, %k2 = optim.qk_clip %gq, %gk, %gs {num_heads = 32 : i64,
      num_kv_heads = 8 : i64, head_dim = 64 : i64, tau = 50.0, alpha = 0.25}
      : tensor<2048x2048xf32>, tensor<512x2048xf32>, tensor<32xf32>
  %q3, %k3 = optim.qk_clip %mq, %mk, %ms {num_heads = 4 : i64,
      head_dim = 128 : i64, rope_head_dim = 64 : i64, v_head_dim = 128 : i64}
      : tensor<768x1536xf32>, tensor<1024x512xf32>, tensor<4xf32>
  %q4, %k4 = optim.qk_clip %bq, %bk, %s {num_heads = 12 : i64, head_dim = 64 : i64}
      : tensor<768xf32>, tensor<768xf32>, tensor<12xf32>
  return
}

// Scatter-add on tensors (result) and on buffers (none), axis elided at 0.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME: (%[[DY:.+]]: tensor<8x16xf32>, %[[IDS:.+]]: tensor<8xi64>, %[[T:.+]]: tensor<100x16xf32>
// CHECK: optim.scatter_add %[[DY]] into %[[T]][%[[IDS]]] : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
// CHECK: optim.scatter_add %{{.+}} into %{{.+}}[%{{.+}}] {axis = 1 : i64} : memref<3x2x5x4xbf16>, memref<2x5xi32> into memref<3x7x4xbf16>
// CHECK-NOT: ->
func.func @scatter_add(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>,
                       %table: tensor<100x16xf32>, %mdy: memref<3x2x5x4xbf16>,
                       %mids: memref<2x5xi32>, %mtable: memref<3x7x4xbf16>)
    -> tensor<100x16xf32> {
  %g = optim.scatter_add %dy into %table[%ids] {axis = 0 : i64}
      : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  optim.scatter_add %mdy into %mtable[%mids] {axis = 1 : i64}
      : memref<3x2x5x4xbf16>, memref<2x5xi32> into memref<3x7x4xbf16>
  return %g : tensor<100x16xf32>
}

// Buckets: one op over several parameters, operands and results as lists in
// member order (a single member prints without brackets).
// CHECK-LABEL: func.func @buckets
// CHECK-SAME: (%[[A:[^:]+]]: tensor<16x32xf32>, %[[B:[^:]+]]: tensor<2x16x32xf32>, %[[R:[^:]+]]: tensor<16x1xf32>, %[[C:[^:]+]]: tensor<1x32xf32>, %[[V:[^:]+]]: tensor<7xbf16>, %[[S:[^:]+]]: tensor<bf16>, %[[LR:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<i64>)
// CHECK: %{{.+}}:2, %{{.+}}:2 = optim.muon [%[[A]], %[[B]]], [%[[A]], %[[B]]], [%[[A]], %[[B]]], %[[LR]] {ns_steps = 2 : i64, view = #optim.matrix_view<batch>} : [tensor<16x32xf32>, tensor<2x16x32xf32>], tensor<f32>
// CHECK: %{{.+}}:2, %{{.+}}:2, %{{.+}}:4 = optim.muon2 [%[[A]], %[[A]]], [%[[A]], %[[A]]], [%[[A]], %[[A]]], [%[[R]], %[[C]], %[[R]], %[[C]]], %[[LR]] {beta2 = 9.000000e-01 : f64} : [tensor<16x32xf32>, tensor<16x32xf32>], [tensor<16x1xf32>, tensor<1x32xf32>, tensor<16x1xf32>, tensor<1x32xf32>], tensor<f32>
// CHECK: %{{.+}}:2, %{{.+}}:2, %{{.+}}:2 = optim.adamw [%[[V]], %[[S]]], [%[[V]], %[[S]]], [%[[V]], %[[S]]], [%[[V]], %[[S]]], %[[LR]], %[[T]] : [tensor<7xbf16>, tensor<bf16>], tensor<f32>, tensor<i64>
// CHECK: optim.muon %[[A]], %[[A]], %[[A]], %[[LR]] : tensor<16x32xf32>, tensor<f32>
// CHECK: %[[AT:.+]] = tensor.empty() : tensor<32x16xf32>
// CHECK: optim.muon [%[[A]], %[[AT]]], [%[[A]], %[[AT]]], [%[[A]], %[[AT]]], %[[LR]] : [tensor<16x32xf32>, tensor<32x16xf32>], tensor<f32>
// CHECK: %[[N:.+]] = tensor.empty() : tensor<24x12xf32>
// CHECK: optim.muon [%[[A]], %[[N]]], [%[[A]], %[[N]]], [%[[A]], %[[N]]], %[[LR]] : [tensor<16x32xf32>, tensor<24x12xf32>], tensor<f32>
func.func @buckets(%a: tensor<16x32xf32>, %b: tensor<2x16x32xf32>,
                   %r: tensor<16x1xf32>, %c: tensor<1x32xf32>,
                   %v: tensor<7xbf16>, %s: tensor<bf16>, %lr: tensor<f32>,
                   %t: tensor<i64>) {
  %w:2, %m:2 = optim.muon [%a, %b], [%a, %b], [%a, %b], %lr
      {view = #optim.matrix_view<batch>, ns_steps = 2 : i64}
      : [tensor<16x32xf32>, tensor<2x16x32xf32>], tensor<f32>
  %fw:2, %fm:2, %fv:4 = optim.muon2 [%a, %a], [%a, %a], [%a, %a],
      [%r, %c, %r, %c], %lr {beta2 = 0.9}
      : [tensor<16x32xf32>, tensor<16x32xf32>],
        [tensor<16x1xf32>, tensor<1x32xf32>, tensor<16x1xf32>, tensor<1x32xf32>],
        tensor<f32>
  %aw:2, %am:2, %av:2 = optim.adamw [%v, %s], [%v, %s], [%v, %s], [%v, %s],
      %lr, %t : [tensor<7xbf16>, tensor<bf16>], tensor<f32>, tensor<i64>
  %one:2 = optim.muon [%a], [%a], [%a], %lr : [tensor<16x32xf32>], tensor<f32>
  // Transposed matrices share a bucket.
  %at = tensor.empty() : tensor<32x16xf32>
  %tw:2, %tm:2 = optim.muon [%a, %at], [%a, %at], [%a, %at], %lr
      : [tensor<16x32xf32>, tensor<32x16xf32>], tensor<f32>
  // So do other shapes: 24x12 runs as its 12x24 transpose, zero-padded to
  // 16x32.
  %n = tensor.empty() : tensor<24x12xf32>
  %pw:2, %pm:2 = optim.muon [%a, %n], [%a, %n], [%a, %n], %lr
      : [tensor<16x32xf32>, tensor<24x12xf32>], tensor<f32>
  return
}
