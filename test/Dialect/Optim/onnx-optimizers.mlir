// RUN: muon-opt %s | muon-opt | FileCheck %s
// Round trip of the ONNX training optimizers; defaults are elided.

// CHECK-LABEL: func.func @momentum
// CHECK: optim.momentum %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {alpha = 0.94999999999999996 : f64, beta = 1.000000e-01 : f64, nesterov = true, norm_coefficient = 1.000000e-03 : f64} : tensor<4x8xf32>, tensor<f32>, tensor<i64>
func.func @momentum(%x: tensor<4x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<4x8xf32> {
  %x1, %v1 = optim.momentum %x, %x, %x, %lr, %t {alpha = 0.95, beta = 0.1, norm_coefficient = 0.001, nesterov = true} : tensor<4x8xf32>, tensor<f32>, tensor<i64>
  return %x1 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @adagrad
// CHECK: optim.adagrad %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {decay_factor = 1.000000e-01 : f64} : tensor<3xbf16>, tensor<f32>, tensor<f32>
func.func @adagrad(%x: tensor<3xbf16>, %lr: tensor<f32>, %t: tensor<f32>) -> tensor<3xbf16> {
  %x1, %h1 = optim.adagrad %x, %x, %x, %lr, %t {decay_factor = 0.1, epsilon = 1.0e-6} : tensor<3xbf16>, tensor<f32>, tensor<f32>
  return %x1 : tensor<3xbf16>
}

// CHECK-LABEL: func.func @adam
// CHECK: optim.adam %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {norm_coefficient_post = 1.000000e-02 : f64} : tensor<f32>, tensor<f32>, tensor<i32>
func.func @adam(%x: tensor<f32>, %lr: tensor<f32>, %t: tensor<i32>) -> tensor<f32> {
  %x1, %v1, %h1 = optim.adam %x, %x, %x, %x, %lr, %t {norm_coefficient_post = 0.01} : tensor<f32>, tensor<f32>, tensor<i32>
  return %x1 : tensor<f32>
}
