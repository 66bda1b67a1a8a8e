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

// -----

// A row max of the softmax input over the softmax dim computed before it
// (optim-insert-qk-clip's, with arith.maximumf from -inf) is the softmax's
// max too: the scores are read by one max, not two. A max over another dim
// or of another tensor is not shared.
// CHECK-LABEL: func.func @shared_row_max
// CHECK-SAME: (%[[S:[^:]+]]: tensor<4x8xf32>
// CHECK: %[[ROWMAX:.+]] = linalg.reduce {{.*}}ins(%[[S]] : tensor<4x8xf32>) outs(%{{.+}} : tensor<4xf32>) dimensions = [1]
// CHECK: %[[COLMAX:.+]] = linalg.reduce {{.*}}ins(%[[S]] : tensor<4x8xf32>) outs(%{{.+}} : tensor<8xf32>) dimensions = [0]
// CHECK-NOT: arith.maxnumf
// CHECK: linalg.generic {{.*}} ins(%[[S]], %[[ROWMAX]] : tensor<4x8xf32>, tensor<4xf32>)
// CHECK: math.exp
// CHECK: return %{{.+}}, %[[ROWMAX]], %[[COLMAX]]
func.func @shared_row_max(%s: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<8xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %e4 = tensor.empty() : tensor<4xf32>
  %i4 = linalg.fill ins(%ninf : f32) outs(%e4 : tensor<4xf32>) -> tensor<4xf32>
  %rowmax = linalg.reduce ins(%s : tensor<4x8xf32>) outs(%i4 : tensor<4xf32>) dimensions = [1]
    (%x: f32, %acc: f32) {
      %m = arith.maximumf %acc, %x : f32
      linalg.yield %m : f32
    }
  %e8 = tensor.empty() : tensor<8xf32>
  %i8 = linalg.fill ins(%ninf : f32) outs(%e8 : tensor<8xf32>) -> tensor<8xf32>
  %colmax = linalg.reduce ins(%s : tensor<4x8xf32>) outs(%i8 : tensor<8xf32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %m = arith.maximumf %acc, %x : f32
      linalg.yield %m : f32
    }
  %e = tensor.empty() : tensor<4x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %p, %rowmax, %colmax : tensor<4x8xf32>, tensor<4xf32>, tensor<8xf32>
}
