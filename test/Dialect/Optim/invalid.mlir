// Every verifier rule of the optim dialect, one case each.
// RUN: muon-opt %s -split-input-file -verify-diagnostics

// Muon needs a matrix.
func.func @f(%w: tensor<16xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects a matrix operand (rank >= 2), got rank 1; use optim.adamw for vectors}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<16xf32>, tensor<f32>
  return
}

// -----

// At least one NS iteration.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects at least one Newton-Schulz iteration, got 0}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 0 : i64} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// A custom schedule has one tuple per iteration.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op has a custom NS schedule of 1 (a, b, c) tuples for 5 iterations}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<custom [(3.0, -4.0, 2.0)]>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// The compute type is a float type.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op attribute 'compute_type' failed to satisfy constraint: type attribute of floating-point}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {compute_type = i32} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// ... and one the GEMMs can run in.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects 'compute_type' to be f16, bf16, f32 or f64, got 'f8E4M3FN'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {compute_type = f8E4M3FN} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// An empty matrix has no polar factor.
func.func @f(%w: tensor<0x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op cannot orthogonalize an empty matrix 'tensor<0x8xf32>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<0x8xf32>, tensor<f32>
  return
}

// -----

// Momentum in [0, 1).
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects 'momentum' in [0, 1), got 1}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {momentum = 1.0} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Weight decay is not negative.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects 'weight_decay' to be finite and >= 0, got -0.1}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {weight_decay = -0.1} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Parameter, gradient and momentum share one type (generic form).
func.func @f(%w: tensor<4x8xf32>, %g: tensor<8x4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op failed to verify that 'grads' have the types of 'params'}}
  %r:2 = "optim.muon"(%w, %g, %w, %lr) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}> : (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

// Element types match too.
func.func @f(%w: tensor<4x8xf32>, %g: tensor<4x8xbf16>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op failed to verify that 'grads' have the types of 'params'}}
  %r:2 = "optim.muon"(%w, %g, %w, %lr) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}> : (tensor<4x8xf32>, tensor<4x8xbf16>, tensor<4x8xf32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

// Shapes are static.
func.func @f(%w: tensor<?x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'params' must be variadic of statically shaped tensor of floating-point values, but got 'tensor<?x8xf32>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<?x8xf32>, tensor<f32>
  return
}

// -----

// Parameters are floating point.
func.func @f(%w: tensor<4x8xi32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'params' must be variadic of statically shaped tensor of floating-point values, but got 'tensor<4x8xi32>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<4x8xi32>, tensor<f32>
  return
}

// -----

// The learning rate is a 0-d tensor.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<1xf32>) {
  // expected-error @+1 {{'optim.muon' op operand #3 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<4x8xf32>, tensor<1xf32>
  return
}

// -----

// Unknown schedule names are rejected where they are written.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{unknown NS schedule 'cubic', expected 'quintic', 'polar_express' or 'custom'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<cubic>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Unknown algorithms are rejected where they are written.
func.func @f(%u: tensor<4x8xf32>) {
  // expected-error @+1 {{unknown NS algorithm 'cholesky', expected 'auto', 'standard' or 'gram'}}
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, cholesky>} : tensor<4x8xf32>
  return
}

// -----

// Restarts belong to the Gram iteration.
func.func @f(%u: tensor<4x8xf32>) {
  // expected-error @+1 {{NS restarts need the 'gram' algorithm, got 'standard'}}
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, standard restarts [2]>} : tensor<4x8xf32>
  return
}

// -----

// Restarts are increasing steps from 1 on.
func.func @f(%u: tensor<4x8xf32>) {
  // expected-error @+1 {{NS restarts must be increasing steps >= 1, got 2 after 3}}
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, gram restarts [3, 2]>} : tensor<4x8xf32>
  return
}

// -----

func.func @f(%u: tensor<4x8xf32>) {
  // expected-error @+1 {{NS restarts must be increasing steps >= 1, got 0}}
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, gram restarts [0]>} : tensor<4x8xf32>
  return
}

// -----

// A restart before a step that does not run is a mistake, not a no-op.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op restarts its Gram iteration before step 3 of 3; restarts must be below 3}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 3 : i64, schedule = #optim.ns_schedule<quintic, gram restarts [1, 3]>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// A custom schedule is not empty.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{custom NS schedule needs one or more (a, b, c) tuples, got 0 coefficients}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<custom []>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Custom tuples have exactly three coefficients.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{expected ')'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<custom [(1.0, 2.0, 3.0, 4.0)]>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Named schedules take no coefficients.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{expected '>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {schedule = #optim.ns_schedule<quintic [(1.0, 2.0, 3.0)]>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Unknown lr adjustment rules are rejected.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+2 {{expected ::muon::optim::LrAdjust to be one of: original, match_rms_adamw, spectral_unclamped, none}}
  // expected-error @+1 {{failed to parse Optim_LrAdjustAttr parameter 'value' which is to be a `::muon::optim::LrAdjust`}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {lr_adjust = #optim.lr_adjust<sqrt>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

// Muon²: beta2 in [0, 1).
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects 'beta2' in [0, 1), got 1}}
  %r:3 = optim.muon2 %w, %w, %w, [%w], %lr {beta2 = 1.0} : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
  return
}

// -----

// Muon²: eps is positive.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects 'eps' to be finite and > 0, got 0}}
  %r:3 = optim.muon2 %w, %w, %w, [%w], %lr {eps = 0.0} : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
  return
}

// -----

// Muon²: a full second moment has the parameter's type.
func.func @f(%w: tensor<4x8xf32>, %v: tensor<8x4xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects the second moment to have the parameter's type 'tensor<4x8xf32>', got 'tensor<8x4xf32>'}}
  %r:3 = optim.muon2 %w, %w, %w, [%v], %lr : tensor<4x8xf32>, [tensor<8x4xf32>], tensor<f32>
  return
}

// -----

// Muon²-F: row and column factors of the matrix view.
func.func @f(%w: tensor<4x8xf32>, %vr: tensor<4x1xf32>, %vc: tensor<8x1xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects factored second moments of types 'tensor<4x1xf32>' and 'tensor<1x8xf32>', got 'tensor<4x1xf32>' and 'tensor<8x1xf32>'}}
  %r:4 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr : tensor<4x8xf32>, [tensor<4x1xf32>, tensor<8x1xf32>], tensor<f32>
  return
}

// -----

// Muon²-F of a flattened 3-D parameter uses the flattened matrix.
func.func @f(%w: tensor<2x4x8xf32>, %vr: tensor<2x4x1xf32>, %vc: tensor<2x1x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects factored second moments of types 'tensor<2x1xf32>' and 'tensor<1x32xf32>', got 'tensor<2x4x1xf32>' and 'tensor<2x1x8xf32>'}}
  %r:4 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr : tensor<2x4x8xf32>, [tensor<2x4x1xf32>, tensor<2x1x8xf32>], tensor<f32>
  return
}

// -----

// Muon²: one or two second moments, no more.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects one second-moment operand (full) or two (factored rows and columns) per parameter, got 3 for 1}}
  %r:5 = optim.muon2 %w, %w, %w, [%w, %w, %w], %lr : tensor<4x8xf32>, [tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>], tensor<f32>
  return
}

// -----

// Muon²: at least one second moment (generic form).
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects one second-moment operand (full) or two (factored rows and columns) per parameter, got 0 for 1}}
  %r:2 = "optim.muon2"(%w, %w, %w, %lr) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>, resultSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

// AdamW: beta1 in [0, 1).
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op expects 'beta1' in [0, 1), got -0.1}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t {beta1 = -0.1} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// Muon: a run-time momentum and the attribute it replaces.
func.func @f(%w: tensor<8x4xf32>, %lr: tensor<f32>, %mu: tensor<f64>) {
  // expected-error @+1 {{'optim.muon' op reads momentum from its operand; the momentum attribute (8.000000e-01) would be ignored}}
  %r:2 = optim.muon %w, %w, %w, %lr momentum(%mu : tensor<f64>) {momentum = 0.8} : tensor<8x4xf32>, tensor<f32>
  return
}

// -----

// Muon²: the same.
func.func @f(%w: tensor<8x4xf32>, %lr: tensor<f32>, %mu: tensor<f64>) {
  // expected-error @+1 {{'optim.muon2' op reads momentum from its operand; the momentum attribute (0.000000e+00) would be ignored}}
  %r:3 = optim.muon2 %w, %w, %w, [%w], %lr momentum(%mu : tensor<f64>) {momentum = 0.0} : tensor<8x4xf32>, [tensor<8x4xf32>], tensor<f32>
  return
}

// -----

// AdamW: a run-time beta1 and the attribute it replaces.
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>, %b1: tensor<f64>) {
  // expected-error @+1 {{'optim.adamw' op reads beta1 from its operand; the beta1 attribute (8.000000e-01) would be ignored}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t beta1(%b1 : tensor<f64>) {beta1 = 0.8} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// AdamW: a run-time beta1 is a 0-d float tensor.
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>, %b1: tensor<1xf32>) {
  // expected-error @+1 {{'optim.adamw' op operand #6 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t beta1(%b1 : tensor<1xf32>) : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// AdamW: beta2 in [0, 1).
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op expects 'beta2' in [0, 1), got 1.5}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t {beta2 = 1.5} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// AdamW: eps is positive.
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op expects 'eps' to be finite and > 0, got -1}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t {eps = -1.0} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// AdamW: weight decay is not negative.
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op expects 'weight_decay' to be finite and >= 0, got -0.01}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t {weight_decay = -0.01} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

// AdamW: the step is one count (0-d) or one per member (1-d).
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<1x1xi64>) {
  // expected-error @+1 {{'optim.adamw' op operand #5 must be 0-d or statically sized 1-d tensor of floating-point or signless integer values, but got 'tensor<1x1xi64>'}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<8xf32>, tensor<f32>, tensor<1x1xi64>
  return
}

// -----

// AdamW: per-member step counts have a static length.
func.func @f(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<?xf32>) {
  // expected-error @+1 {{'optim.adamw' op operand #5 must be 0-d or statically sized 1-d tensor of floating-point or signless integer values, but got 'tensor<?xf32>'}}
  %r:3 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<8xf32>, tensor<f32>, tensor<?xf32>
  return
}

// -----

// AdamW: a 1-d step has one count per member.
func.func @f(%w: tensor<8xf32>, %b: tensor<3xf32>, %lr: tensor<f32>, %t: tensor<3xf32>) {
  // expected-error @+1 {{'optim.adamw' op has 2 members but 3 step counts; a 1-d step holds one count per member}}
  %r:6 = optim.adamw [%w, %b], [%w, %b], [%w, %b], [%w, %b], %lr, %t
      : [tensor<8xf32>, tensor<3xf32>], tensor<f32>, tensor<3xf32>
  return
}

// -----

// AdamW: state has the parameter's type (generic form).
func.func @f(%w: tensor<8xf32>, %m: tensor<8xbf16>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op failed to verify that 'exp_avgs' have the types of 'params'}}
  %r:3 = "optim.adamw"(%w, %w, %m, %w, %lr, %t) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0>}> : (tensor<8xf32>, tensor<8xf32>, tensor<8xbf16>, tensor<8xf32>, tensor<f32>, tensor<i64>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

// Newton–Schulz needs a matrix.
func.func @f(%u: tensor<8xf32>) {
  // expected-error @+1 {{'optim.newton_schulz' op expects a matrix operand (rank >= 2), got rank 1; use optim.adamw for vectors}}
  %o = optim.newton_schulz %u : tensor<8xf32>
  return
}

// -----

// Newton–Schulz: at least one iteration.
func.func @f(%u: tensor<8x8xf32>) {
  // expected-error @+1 {{'optim.newton_schulz' op expects at least one Newton-Schulz iteration, got -1}}
  %o = optim.newton_schulz %u {steps = -1 : i64} : tensor<8x8xf32>
  return
}

// -----

// Newton–Schulz: at most 100 iterations (a huge count would materialize a
// huge coefficient table).
func.func @f(%u: tensor<8x8xf32>) {
  // expected-error @+1 {{'optim.newton_schulz' op expects at most 100 Newton-Schulz iterations, got 1099511627776}}
  %o = optim.newton_schulz %u {steps = 1099511627776 : i64} : tensor<8x8xf32>
  return
}

// -----

// Newton–Schulz: result type is the input type (generic form).
func.func @f(%u: tensor<8x8xf32>) {
  // expected-error @+1 {{'optim.newton_schulz' op failed to verify that all of {input, result} have same type}}
  %o = "optim.newton_schulz"(%u) : (tensor<8x8xf32>) -> tensor<8x8xbf16>
  return
}

// -----

// QK-clip: W_q and W_k share an element type.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xbf16>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_q and W_k of the same rank and element type, got 'tensor<768x768xf32>' and 'tensor<768x768xbf16>'}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xbf16>, tensor<12xf32>
  return
}

// -----

// QK-clip: the head axis exists.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'head_axis' in [0, 2), got 2}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, head_axis = 2 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: positive head counts and sizes.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects positive 'num_heads', 'num_kv_heads' and 'head_dim'}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 0 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: query heads split evenly over key heads.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'num_heads' (12) to be a multiple of 'num_kv_heads' (5)}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, num_kv_heads = 5 : i64, head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: W_q splits into the query heads.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_q to have 12 heads x 32 entries along head axis 0, got 768}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 32 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: W_k splits into the key heads.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_k to have 4 heads x 64 entries along head axis 1, got 768}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, num_kv_heads = 4 : i64, head_dim = 64 : i64, head_axis = 1 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: one max logit per query head.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'max_logits' of shape [12] (one per query head), got 'tensor<4xf32>'}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<4xf32>
  return
}

// -----

// QK-clip: tau is positive.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'tau' to be finite and > 0, got 0}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, tau = 0.0} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: alpha in [0, 1].
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'alpha' in [0, 1], got 1.5}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, alpha = 1.5} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: MLA needs a positive rotary dimension.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects a positive 'rope_head_dim', got 0}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, rope_head_dim = 0 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: MLA has one key head per query head.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op MLA expects one key head per query head}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, num_kv_heads = 4 : i64, head_dim = 32 : i64, rope_head_dim = 32 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: v_head_dim only for MLA.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op 'v_head_dim' is only meaningful for MLA ('rope_head_dim' set) and must be >= 0}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, v_head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: the head count is required.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op requires attribute 'num_heads'}}
  %q, %k = optim.qk_clip %wq, %wk, %s {head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: a negative head axis is rejected, not wrapped around.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects 'head_axis' in [0, 2), got -1}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64, head_axis = -1 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

// QK-clip: a huge head count is a mismatch, not an overflow.
func.func @f(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>, %s: tensor<12xf32>) {
  // expected-error @+1 {{'optim.qk_clip' op expects W_q to have 4611686018427387904 heads x 64 entries along head axis 0, got 768}}
  %q, %k = optim.qk_clip %wq, %wk, %s {num_heads = 4611686018427387904 : i64, head_dim = 64 : i64} : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return
}

// -----

func.func @adamw_unknown_variant(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<8xf32> {
  // expected-error @+2 {{expected ::muon::optim::AdamWVariant to be one of: torch, huggingface}}
  // expected-error @+1 {{failed to parse Optim_AdamWVariantAttr parameter 'value'}}
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t {variant = #optim.adamw_variant<keras>} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<8xf32>
}

// -----

// A NaN coefficient in a custom schedule (written as its IEEE bit pattern).
func.func @f(%u: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{custom NS schedule coefficient b of tuple 1 must be finite, got NaN}}
  %o = optim.newton_schulz %u {steps = 2 : i64, schedule = #optim.ns_schedule<custom [(3.0, -4.0, 2.0), (3.0, 0x7FF8000000000000, 2.0)]>} : tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// An infinite coefficient, on every op that carries a schedule.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{custom NS schedule coefficient a of tuple 0 must be finite, got +inf}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 1 : i64, schedule = #optim.ns_schedule<custom [(0x7FF0000000000000, -4.0, 2.0)]>} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{custom NS schedule coefficient c of tuple 0 must be finite, got -inf}}
  %r:3 = optim.muon2 %w, %w, %w, [%w], %lr {ns_steps = 1 : i64, schedule = #optim.ns_schedule<custom [(3.0, -4.0, 0xFFF0000000000000)]>} : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
  return
}

// -----

// Scatter-add: updates must be dest[:axis] + indices + dest[axis+1:].
func.func @f(%dy: tensor<8x15xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects updates of shape dest[:axis] + indices + dest[axis+1:] = 8x16, got 'tensor<8x15xf32>'}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x15xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

// Scatter-add: the axis must be a dim of dest.
func.func @f(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects 'axis' in [0, 2), got 2}}
  %g = optim.scatter_add %dy into %t[%ids] {axis = 2 : i64} : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

// Scatter-add: integer indices.
func.func @f(%dy: tensor<8x16xf32>, %ids: tensor<8xf32>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{operand #1 must be Tensor or MemRef of signless integer values}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<8xf32> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

// Scatter-add: an i1 index is a boolean (`true` would read as -1, the last
// row), and one wider than 64 bits would be truncated into range.
func.func @f(%dy: tensor<8x16xf32>, %ids: tensor<8xi1>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects indices of a signed integer type of 2 to 64 bits, got 'i1'}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<8xi1> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

func.func @f(%dy: memref<8x16xf32>, %ids: memref<8xi128>, %t: memref<100x16xf32>) {
  // expected-error @+1 {{expects indices of a signed integer type of 2 to 64 bits, got 'i128'}}
  optim.scatter_add %dy into %t[%ids] : memref<8x16xf32>, memref<8xi128> into memref<100x16xf32>
  return
}

// -----

// Scatter-add: float updates and destination.
func.func @f(%dy: tensor<8x16xi32>, %ids: tensor<8xi64>, %t: tensor<100x16xi32>) {
  // expected-error @+1 {{operand #0 must be Tensor or MemRef of floating-point values}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xi32>, tensor<8xi64> into tensor<100x16xi32> -> tensor<100x16xi32>
  return
}

// -----

// Scatter-add: updates in dest's element type.
func.func @f(%dy: tensor<8x16xbf16>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects updates of dest's element type 'f32', got 'bf16'}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xbf16>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

// Scatter-add: no mix of tensors and buffers.
func.func @f(%dy: memref<8x16xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects all operands to be tensors or all buffers}}
  %g = optim.scatter_add %dy into %t[%ids] : memref<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----

// Scatter-add: a tensor destination has its updated value as result.
func.func @f(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expected the number of tensor results (0) to be equal to the number of output tensors (1)}}
  optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32>
  return
}

// -----

// Scatter-add: ranked operands (the shape rule needs them).
func.func @f(%dy: tensor<8x16xf32>, %ids: tensor<*xi64>, %t: tensor<100x16xf32>) {
  // expected-error @+1 {{expects ranked operands}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<*xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return
}

// -----


// ... and one element type.
func.func @f(%a: tensor<8xf32>, %b: tensor<8xbf16>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adamw' op expects every parameter to have element type 'f32', got 'tensor<8xbf16>'}}
  %w:2, %m:2, %v:2 = optim.adamw [%a, %b], [%a, %b], [%a, %b], [%a, %b], %lr, %t : [tensor<8xf32>, tensor<8xbf16>], tensor<f32>, tensor<i64>
  return
}

// -----

// An update has at least one parameter.
func.func @f(%lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op expects at least one parameter}}
  optim.muon [], [], [], %lr : [], tensor<f32>
  return
}

// -----

// Factored Muon²: two factors per parameter, in member order.
func.func @f(%a: tensor<4x8xf32>, %r: tensor<4x1xf32>, %c: tensor<1x8xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{'optim.muon2' op expects factored second moments of types 'tensor<4x1xf32>' and 'tensor<1x8xf32>', got 'tensor<1x8xf32>' and 'tensor<4x1xf32>'}}
  %w:2, %m:2, %v:4 = optim.muon2 [%a, %a], [%a, %a], [%a, %a], [%r, %c, %c, %r], %lr : [tensor<4x8xf32>, tensor<4x8xf32>], [tensor<4x1xf32>, tensor<1x8xf32>, tensor<1x8xf32>, tensor<4x1xf32>], tensor<f32>
  return
}

// -----

// The skip flag is a 0-d integer tensor.
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>, %flag: tensor<f32>) {
  // expected-error @+1 {{'optim.muon' op operand #4 must be 0D tensor of signless integer values, but got 'tensor<f32>'}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr skip(%flag : tensor<f32>) : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

func.func @f(%b: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>, %flags: tensor<2xi32>) {
  // expected-error @+1 {{'optim.adamw' op operand #6 must be 0D tensor of signless integer values, but got 'tensor<2xi32>'}}
  %b1, %bm, %bv = optim.adamw %b, %b, %b, %b, %lr, %t skip(%flags : tensor<2xi32>) : tensor<8xf32>, tensor<f32>, tensor<i64>
  return
}
