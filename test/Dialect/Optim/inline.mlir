// RUN: muon-opt %s --inline --symbol-dce | FileCheck %s

// A call of a step function holding optim ops inlines into its caller (the
// optim dialect's inliner interface), leaving one body for optim-assign.
func.func private @update(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                          %m: tensor<4x8xf32>, %v: tensor<4x8xf32>,
                          %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t
      : tensor<4x8xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-NOT:   @update
// CHECK-LABEL: func.func @step
// CHECK-NOT:     call
// CHECK:         optim.adamw %arg0, %arg1, %arg2, %arg3, %arg4, %arg5
// CHECK-NOT:   @update
func.func @step(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                %v: tensor<4x8xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %r:3 = call @update(%w, %g, %m, %v, %lr, %t)
      : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>,
         tensor<f32>, tensor<i64>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>)
  return %r#0, %r#1, %r#2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
