// RUN: muon-opt %s -muon-decompose-softmax -split-input-file | FileCheck %s

// A softmax becomes upstream's decomposition: the row maximum (NaN as the
// identity of maxnumf), exp(x - max), the row sum and the division.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[S:.+]]: tensor<4x8xf32>)
// CHECK-NOT: linalg.softmax
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<4x8xf32>)
// CHECK: arith.maxnumf
// CHECK: %[[EXP:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[MAX]] : tensor<4x8xf32>, tensor<4xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[EXP]] : tensor<4x8xf32>)
// CHECK: arith.addf
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[EXP]], %[[SUM]] : tensor<4x8xf32>, tensor<4xf32>)
// CHECK: arith.divf
// CHECK: return %[[P]]
func.func @softmax(%s: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}

// -----

// Any dimension, any float type; other ops are left alone.
// CHECK-LABEL: func.func @middle_dim_bf16
// CHECK-NOT: linalg.softmax
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.+}} : tensor<2x5x3xbf16>) outs(%{{.+}} : tensor<2x3xbf16>)
// CHECK: linalg.transpose
func.func @middle_dim_bf16(%s: tensor<2x5x3xbf16>) -> (tensor<2x5x3xbf16>, tensor<3x5x2xbf16>) {
  %e = tensor.empty() : tensor<2x5x3xbf16>
  %p = linalg.softmax dimension(1) ins(%s : tensor<2x5x3xbf16>) outs(%e : tensor<2x5x3xbf16>) -> tensor<2x5x3xbf16>
  %et = tensor.empty() : tensor<3x5x2xbf16>
  %t = linalg.transpose ins(%p : tensor<2x5x3xbf16>) outs(%et : tensor<3x5x2xbf16>) permutation = [2, 1, 0]
  return %p, %t : tensor<2x5x3xbf16>, tensor<3x5x2xbf16>
}
