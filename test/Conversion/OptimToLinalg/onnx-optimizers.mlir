// RUN: muon-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s

// Nesterov momentum: the gradient coefficient is beta for T > 0 and 1 at
// T = 0 (a scalar select in f64, once, in a 0-d generic over lr and T), then
// one generic takes lr and the coefficient as inputs and computes
// G_r = nc·X + G, V' = alpha·V + beta'·G_r, X' = X − R·(G_r + alpha·V').
// CHECK-LABEL: func.func @momentum
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>, %[[G:.+]]: tensor<4x8xf32>, %[[V:.+]]: tensor<4x8xf32>, %[[LR:.+]]: tensor<f32>, %[[T:.+]]: tensor<i64>)
// CHECK: %[[STEP:.+]]:2 = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T]] : tensor<f32>, tensor<i64>)
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %[[T_INT:[^:]+]]: i64,
// CHECK: %[[T_F64:.+]] = arith.sitofp %[[T_INT]] : i64 to f64
// CHECK: %[[LR_F32:.+]] = arith.truncf
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[BETA:.+]] = arith.constant 5.000000e-01 : f64
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[POS:.+]] = arith.cmpf ogt, %[[T_F64]], %[[ZERO]] : f64
// CHECK: %[[SEL:.+]] = arith.select %[[POS]], %[[BETA]], %[[ONE]] : f64
// CHECK: %[[SCALE:.+]] = arith.truncf %[[SEL]] : f64 to f32
// CHECK: linalg.yield %[[LR_F32]], %[[SCALE]]
// CHECK-DAG: %[[ALPHA:.+]] = arith.constant 0.899999976 : f32
// CHECK-DAG: %[[NC:.+]] = arith.constant 0.00999999977 : f32
// CHECK: %[[RES:.+]]:2 = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[G]], %[[V]], %[[STEP]]#0, %[[STEP]]#1 :
// CHECK-NEXT: ^bb0(%[[XE:[^:]+]]: f32, %[[GE:[^:]+]]: f32, %[[VE:[^:]+]]: f32, %[[LRE:[^:]+]]: f32, %[[SCALEE:[^:]+]]: f32,
// CHECK: %[[L2:.+]] = arith.mulf %[[NC]], %[[XE]]
// CHECK: %[[GR:.+]] = arith.addf %[[L2]], %[[GE]]
// CHECK-DAG: %[[SG:.+]] = arith.mulf %[[SCALEE]], %[[GR]]
// CHECK-DAG: %[[AV:.+]] = arith.mulf %[[ALPHA]], %[[VE]]
// CHECK: %[[NEWV:.+]] = arith.addf %[[AV]], %[[SG]]
// CHECK: %[[AV1:.+]] = arith.mulf %[[ALPHA]], %[[NEWV]]
// CHECK: %[[DIR:.+]] = arith.addf %[[GR]], %[[AV1]]
// CHECK: %[[DELTA:.+]] = arith.mulf %[[LRE]], %[[DIR]]
// CHECK: %[[NEWX:.+]] = arith.subf %[[XE]], %[[DELTA]]
// CHECK: linalg.yield %[[NEWX]], %[[NEWV]]
// CHECK: return %[[RES]]#0, %[[RES]]#1
func.func @momentum(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>, %v: tensor<4x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %x1, %v1 = optim.momentum %x, %g, %v, %lr, %t {alpha = 0.9, beta = 0.5, norm_coefficient = 0.01, nesterov = true} : tensor<4x8xf32>, tensor<f32>, tensor<i64>
  return %x1, %v1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Adagrad: the decayed rate R / (1 + T·decay) in f64, then
// H' = H + G_r², X' = X − r·G_r / (sqrt(H') + ε).
// CHECK-LABEL: func.func @adagrad
// CHECK: %[[DECAY:.+]] = arith.mulf %{{.+}}, %{{.+}} : f64
// CHECK: %[[DEN:.+]] = arith.addf %{{.+}}, %[[DECAY]] : f64
// CHECK: %[[RATE64:.+]] = arith.divf %{{.+}}, %[[DEN]] : f64
// CHECK: %[[RATE:.+]] = arith.truncf %[[RATE64]] : f64 to f32
// CHECK: linalg.yield %[[RATE]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %[[RATEE:[^:]+]]: f32,
// CHECK: %[[SQ:.+]] = arith.mulf %[[GR:.+]], %[[GR]] : f32
// CHECK: %[[H:.+]] = arith.addf %{{.+}}, %[[SQ]] : f32
// CHECK: math.sqrt %[[H]]
// CHECK: arith.mulf %[[RATEE]], %[[GR]]
// CHECK-NOT: optim.
func.func @adagrad(%x: tensor<16xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<16xf32> {
  %x1, %h1 = optim.adagrad %x, %x, %x, %lr, %t {decay_factor = 0.1} : tensor<16xf32>, tensor<f32>, tensor<i64>
  return %x1 : tensor<16xf32>
}

// -----

// Adam: R' = T > 0 ? R·sqrt(1 − beta^T) / (1 − alpha^T) : R in f64; the
// generic ends with the (1 − norm_coefficient_post) factor.
// CHECK-LABEL: func.func @adam
// CHECK-DAG: math.powf %{{.+}}, %[[T:.+]] : f64
// CHECK: %[[COR:.+]] = arith.divf %{{.+}}, %{{.+}} : f64
// CHECK: %[[POS:.+]] = arith.cmpf ogt, %{{.+}}, %{{.+}} : f64
// CHECK: %[[SEL:.+]] = arith.select %[[POS]], %[[COR]], %{{.+}} : f64
// CHECK: %[[RATE:.+]] = arith.truncf %[[SEL]] : f64 to f32
// CHECK: linalg.yield %[[RATE]]
// CHECK: %[[KEEP:.+]] = arith.constant 9.900000e-01 : f32
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %[[RATEE:[^:]+]]: f32,
// CHECK: arith.mulf %[[RATEE]],
// CHECK: %[[UPD:.+]] = arith.subf
// CHECK: %[[FINAL:.+]] = arith.mulf %[[KEEP]], %[[UPD]]
// CHECK: linalg.yield %[[FINAL]]
func.func @adam(%x: tensor<2x3xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<2x3xf32> {
  %x1, %v1, %h1 = optim.adam %x, %x, %x, %x, %lr, %t {norm_coefficient_post = 0.01} : tensor<2x3xf32>, tensor<f32>, tensor<i64>
  return %x1 : tensor<2x3xf32>
}
