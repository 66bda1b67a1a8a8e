// Every optim op and attribute kind as of optim bytecode version 1;
// optim-v1.mlirbc is this module written by muon-opt --emit-bytecode then
// (test/Dialect/Optim/bytecode.mlir).

func.func @muon_defaults(%w: tensor<768x3072xf32>, %g: tensor<768x3072xf32>,
                         %m: tensor<768x3072xf32>, %lr: tensor<f32>)
    -> (tensor<768x3072xf32>, tensor<768x3072xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<768x3072xf32>, tensor<f32>
  return %w1, %m1 : tensor<768x3072xf32>, tensor<768x3072xf32>
}

func.func @muon_all_attrs(%w: tensor<8x64x32xbf16>, %lr: tensor<f32>)
    -> tensor<8x64x32xbf16> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {
      momentum = 0.9, nesterov = false, weight_decay = 0.1, ns_steps = 6 : i64,
      schedule = #optim.ns_schedule<polar_express>,
      lr_adjust = #optim.lr_adjust<match_rms_adamw>, compute_type = bf16,
      view = #optim.matrix_view<batch>} : tensor<8x64x32xbf16>, tensor<f32>
  return %w1 : tensor<8x64x32xbf16>
}

func.func @muon_custom_schedule(%w: tensor<16x16xf32>, %lr: tensor<f32>)
    -> tensor<16x16xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 2 : i64,
      lr_adjust = #optim.lr_adjust<none>,
      schedule = #optim.ns_schedule<custom [(8.156554524902461, -22.48329292557795, 15.878769915207462), (3.4445, -4.7750, 2.0315)]>}
      : tensor<16x16xf32>, tensor<f32>
  return %w1 : tensor<16x16xf32>
}

func.func @muon2_full(%w: tensor<64x256xf32>, %v: tensor<64x256xf32>,
                      %lr: tensor<f32>) -> tensor<64x256xf32> {
  %w1, %m1, %v1 = optim.muon2 %w, %w, %w, [%v], %lr {beta2 = 0.99, eps = 1.0e-10}
      : tensor<64x256xf32>, [tensor<64x256xf32>], tensor<f32>
  return %v1 : tensor<64x256xf32>
}

func.func @muon2_factored(%w: tensor<4x64x256xf32>, %vr: tensor<4x64x1xf32>,
                          %vc: tensor<4x1x256xf32>, %lr: tensor<f32>)
    -> (tensor<4x64x1xf32>, tensor<4x1x256xf32>) {
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr
      {view = #optim.matrix_view<batch>}
      : tensor<4x64x256xf32>, [tensor<4x64x1xf32>, tensor<4x1x256xf32>], tensor<f32>
  return %vr1, %vc1 : tensor<4x64x1xf32>, tensor<4x1x256xf32>
}

func.func @adamw(%w: tensor<768xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                 %s: tensor<f16>, %lr16: tensor<f16>, %tf: tensor<f32>)
    -> (tensor<768xf32>, tensor<f16>) {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t {beta1 = 0.8, beta2 = 0.99,
      eps = 1.0e-6, weight_decay = 0.0} : tensor<768xf32>, tensor<f32>, tensor<i64>
  %s1, %sm, %sv = optim.adamw %s, %s, %s, %s, %lr16, %tf
      {bias_correction = true, variant = #optim.adamw_variant<torch>}
      : tensor<f16>, tensor<f16>, tensor<f32>
  %h1, %hm, %hv = optim.adamw %w, %w, %w, %w, %lr, %t
      {variant = #optim.adamw_variant<huggingface>, bias_correction = false}
      : tensor<768xf32>, tensor<f32>, tensor<i64>
  return %w1, %s1 : tensor<768xf32>, tensor<f16>
}

func.func @muon_spectral(%w: tensor<16x32xf32>, %lr: tensor<f32>) -> tensor<16x32xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {lr_adjust = #optim.lr_adjust<spectral_unclamped>}
      : tensor<16x32xf32>, tensor<f32>
  return %w1 : tensor<16x32xf32>
}

func.func @newton_schulz(%u: tensor<3072x768xf32>, %b: tensor<2x3x4x5xf32>)
    -> (tensor<3072x768xf32>, tensor<2x3x4x5xf32>) {
  %o = optim.newton_schulz %u : tensor<3072x768xf32>
  %p = optim.newton_schulz %b {steps = 3 : i64, compute_type = f16,
      schedule = #optim.ns_schedule<quintic>, view = #optim.matrix_view<batch>}
      : tensor<2x3x4x5xf32>
  return %o, %p : tensor<3072x768xf32>, tensor<2x3x4x5xf32>
}

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

func.func @momentum(%x: tensor<4x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<4x8xf32> {
  %x1, %v1 = optim.momentum %x, %x, %x, %lr, %t {alpha = 0.95, beta = 0.1, norm_coefficient = 0.001, nesterov = true} : tensor<4x8xf32>, tensor<f32>, tensor<i64>
  return %x1 : tensor<4x8xf32>
}

func.func @adagrad(%x: tensor<3xbf16>, %lr: tensor<f32>, %t: tensor<f32>) -> tensor<3xbf16> {
  %x1, %h1 = optim.adagrad %x, %x, %x, %lr, %t {decay_factor = 0.1, epsilon = 1.0e-6} : tensor<3xbf16>, tensor<f32>, tensor<f32>
  return %x1 : tensor<3xbf16>
}

func.func @adam(%x: tensor<f32>, %lr: tensor<f32>, %t: tensor<i32>) -> tensor<f32> {
  %x1, %v1, %h1 = optim.adam %x, %x, %x, %x, %lr, %t {norm_coefficient_post = 0.01} : tensor<f32>, tensor<f32>, tensor<i32>
  return %x1 : tensor<f32>
}
