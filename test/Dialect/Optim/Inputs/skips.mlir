// Updates with skip flags and recorded list sizes (optim version 3), as
// optim-v3.mlirbc holds them.
func.func @skip(%w: tensor<4x8xf32>, %v: tensor<8x4xf32>, %b: tensor<8xf32>,
                %lr: tensor<f32>, %t: tensor<i64>, %steps: tensor<2xf32>,
                %status: tensor<i32>, %failed: tensor<i1>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr skip(%status : tensor<i32>)
      {ns_steps = 2 : i64} : tensor<4x8xf32>, tensor<f32>
  %p:2, %q:2, %r:2 = optim.muon2 [%w, %v], [%w, %v], [%w, %v], [%w, %v], %lr
      skip(%failed : tensor<i1>)
      : [tensor<4x8xf32>, tensor<8x4xf32>], [tensor<4x8xf32>, tensor<8x4xf32>],
        tensor<f32>
  %b1, %bm, %bv = optim.adamw %b, %b, %b, %b, %lr, %t skip(%status : tensor<i32>)
      {beta1 = 0.8, weight_decay = 0.0} : tensor<8xf32>, tensor<f32>, tensor<i64>
  %a:2, %am:2, %av:2 = optim.adamw [%b, %w], [%b, %w], [%b, %w], [%b, %w], %lr,
      %steps : [tensor<8xf32>, tensor<4x8xf32>], tensor<f32>, tensor<2xf32>
  return
}
