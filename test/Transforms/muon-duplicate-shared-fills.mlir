// RUN: muon-opt %s --muon-duplicate-shared-fills | FileCheck %s
// RUN: muon-opt %s --muon-duplicate-shared-fills --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// One zero fill (as CSE leaves it) initializes two matmuls and is read by
// an add: each matmul gets its own fill and empty tensor right before it,
// the original stays for the add.
// CHECK-LABEL: func.func @shared
// CHECK: %[[ZERO:.*]] = arith.constant 0.0
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK: %[[F0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E0]] : tensor<4x4xf32>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]] : tensor<4x4xf32>)
// CHECK: %[[M1:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x4xf32>) outs(%[[F1]] : tensor<4x4xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK: %[[F2:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E2]] : tensor<4x4xf32>)
// CHECK: %[[M2:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xf32>, tensor<4x4xf32>) outs(%[[F2]] : tensor<4x4xf32>)
// CHECK: linalg.add ins(%[[M1]], %[[F0]] : tensor<4x4xf32>, tensor<4x4xf32>)
// After bufferization: no copies of a filled buffer.
// BUF-LABEL: func.func @shared
// BUF-NOT: memref.copy
func.func @shared(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m2 = linalg.matmul ins(%b, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %sum = linalg.add ins(%m1, %f : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %sum, %m2 : tensor<4x4xf32>, tensor<4x4xf32>
}

// A fill used only as inits is replaced by its clones; a fill with one use
// is left alone.
// CHECK-LABEL: func.func @only_inits
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK-LABEL: func.func @single_use
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT: linalg.fill
func.func @only_inits(%a: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r1 = linalg.reduce { arith.maxnumf } ins(%a : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
  %r2 = linalg.reduce { arith.minnumf } ins(%a : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
  return %r1, %r2 : tensor<4xf32>, tensor<4xf32>
}
func.func @single_use(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r1 = linalg.reduce { arith.maxnumf } ins(%a : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
  return %r1 : tensor<4xf32>
}
