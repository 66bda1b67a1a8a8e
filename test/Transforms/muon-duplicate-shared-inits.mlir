// RUN: muon-opt %s --muon-duplicate-shared-inits | FileCheck %s
// RUN: muon-opt %s --muon-duplicate-shared-inits --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF
// RUN: muon-opt %s --muon-duplicate-shared-inits=max-shared-writers=2 | FileCheck %s --check-prefix=WRITERS
// RUN: muon-opt %s --muon-duplicate-shared-inits | FileCheck %s --check-prefix=DEFAULT
// RUN: not muon-opt %s --muon-duplicate-shared-inits=max-shared-writers=0 2>&1 | FileCheck %s --check-prefix=BADLIMIT
// BADLIMIT: error: max-shared-writers must be at least 1

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

// An empty tensor CSE made the init of more than max-shared-writers ops:
// runs of two consecutive writers share a clone, made right before the
// run (before the loop that holds the run's first writer).
// WRITERS-LABEL: func.func @shared_empty
// WRITERS: %[[E0:.*]] = tensor.empty() : tensor<4xf32>
// WRITERS: %[[A:.*]] = linalg.exp ins(%{{.*}} : tensor<4xf32>) outs(%[[E0]] : tensor<4xf32>)
// WRITERS: %[[B:.*]] = linalg.log ins(%[[A]] : tensor<4xf32>) outs(%[[E0]] : tensor<4xf32>)
// WRITERS: %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// WRITERS: scf.for
// WRITERS:   linalg.abs ins(%{{.*}} : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>)
// WRITERS: linalg.negf ins(%{{.*}} : tensor<4xf32>) outs(%[[E1]] : tensor<4xf32>)
// WRITERS-NOT: tensor.empty
// WRITERS: return
// Within the limit, they keep sharing the original.
// DEFAULT-LABEL: func.func @shared_empty
// DEFAULT-COUNT-1: tensor.empty
// DEFAULT-NOT: tensor.empty
// DEFAULT: return
func.func @shared_empty(%a: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<4xf32>
  %x = linalg.exp ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %y = linalg.log ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %z = scf.for %i = %c0 to %n step %c1 iter_args(%t = %y) -> tensor<4xf32> {
    %w = linalg.abs ins(%t : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
    %s = linalg.add ins(%t, %w : tensor<4xf32>, tensor<4xf32>) outs(%t : tensor<4xf32>) -> tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  %r = linalg.negf ins(%z : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
