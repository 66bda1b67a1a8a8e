// RUN: muon-opt %s -split-input-file -verify-diagnostics

func.func @momentum_negative_alpha(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.momentum' op expects 'alpha' to be finite and >= 0, got -0.5}}
  %r:2 = optim.momentum %x, %x, %x, %lr, %t {alpha = -0.5, beta = 1.0} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @momentum_missing_beta(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.momentum' op requires attribute 'beta'}}
  %r:2 = optim.momentum %x, %x, %x, %lr, %t {alpha = 0.9} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @momentum_type_mismatch(%x: tensor<2xf32>, %v: tensor<3xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.momentum' op failed to verify that all of {param, grad, velocity, new_param, new_velocity} have same type}}
  %r:2 = "optim.momentum"(%x, %x, %v, %lr, %t) {alpha = 0.9 : f64, beta = 1.0 : f64} : (tensor<2xf32>, tensor<2xf32>, tensor<3xf32>, tensor<f32>, tensor<i64>) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @adagrad_negative_epsilon(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adagrad' op expects 'epsilon' to be finite and >= 0, got -1e-06}}
  %r:2 = optim.adagrad %x, %x, %x, %lr, %t {epsilon = -1.0e-6} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @adagrad_nan_decay(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adagrad' op expects 'decay_factor' to be finite and >= 0, got nan}}
  %r:2 = optim.adagrad %x, %x, %x, %lr, %t {decay_factor = 0x7FF8000000000000 : f64} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @adam_alpha_one(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adam' op expects 'alpha' in [0, 1), got 1}}
  %r:3 = optim.adam %x, %x, %x, %x, %lr, %t {alpha = 1.0} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @adam_post_decay(%x: tensor<2xf32>, %lr: tensor<f32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adam' op expects 'norm_coefficient_post' in [0, 1), got 2}}
  %r:3 = optim.adam %x, %x, %x, %x, %lr, %t {norm_coefficient_post = 2.0} : tensor<2xf32>, tensor<f32>, tensor<i64>
  return
}

// -----

func.func @adam_vector_lr(%x: tensor<2xf32>, %lr: tensor<1xf32>, %t: tensor<i64>) {
  // expected-error @+1 {{'optim.adam' op operand #4 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %r:3 = "optim.adam"(%x, %x, %x, %x, %lr, %t) : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<i64>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return
}
