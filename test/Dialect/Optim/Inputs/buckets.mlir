// Buckets of every update kind, and the algorithm part of NS schedules
// (test/Dialect/Optim/bytecode.test).

func.func @buckets(%a: tensor<16x32xf32>, %b: tensor<2x16x32xf32>,
                   %r: tensor<16x1xf32>, %c: tensor<1x32xf32>,
                   %v: tensor<7xbf16>, %s: tensor<bf16>, %lr: tensor<f32>,
                   %t: tensor<i64>) {
  %w:2, %m:2 = optim.muon [%a, %b], [%a, %b], [%a, %b], %lr
      {view = #optim.matrix_view<batch>, ns_steps = 2 : i64,
       schedule = #optim.ns_schedule<quintic, standard>}
      : [tensor<16x32xf32>, tensor<2x16x32xf32>], tensor<f32>
  %fw:2, %fm:2, %fv:4 = optim.muon2 [%a, %a], [%a, %a], [%a, %a],
      [%r, %c, %r, %c], %lr {beta2 = 0.9}
      : [tensor<16x32xf32>, tensor<16x32xf32>],
        [tensor<16x1xf32>, tensor<1x32xf32>, tensor<16x1xf32>, tensor<1x32xf32>],
        tensor<f32>
  %gw:2, %gm:2, %gv:2 = optim.muon2 [%a, %a], [%a, %a], [%a, %a], [%a, %a], %lr
      {schedule = #optim.ns_schedule<polar_express, gram restarts [2]>}
      : [tensor<16x32xf32>, tensor<16x32xf32>],
        [tensor<16x32xf32>, tensor<16x32xf32>], tensor<f32>
  %aw:2, %am:2, %av:2 = optim.adamw [%v, %s], [%v, %s], [%v, %s], [%v, %s],
      %lr, %t : [tensor<7xbf16>, tensor<bf16>], tensor<f32>, tensor<i64>
  return
}
