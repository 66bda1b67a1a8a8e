// RUN: muon-opt %s -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s

// optim.scatter_add bufferizes like a linalg op on its init: in place on
// the zero fill's buffer, with no copy.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[DY:.+]]: memref<8x16xf32{{.*}}>, %[[IDS:.+]]: memref<8xi64{{.*}}>)
// CHECK: %[[BUF:.+]] = memref.alloc() {{.*}} : memref<100x16xf32>
// CHECK-NEXT: linalg.fill ins(%{{.+}} : f32) outs(%[[BUF]] : memref<100x16xf32>)
// CHECK-NEXT: optim.scatter_add %[[DY]] into %[[BUF]][%[[IDS]]]
// CHECK-NOT: memref.copy
// CHECK: return %[[BUF]]
func.func @in_place(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>) -> tensor<100x16xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<100x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<100x16xf32>) -> tensor<100x16xf32>
  %g = optim.scatter_add %dy into %init[%ids] : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return %g : tensor<100x16xf32>
}

// A destination read after the scatter keeps its value: the scatter adds
// into a copy.
// CHECK-LABEL: func.func @dest_read_later
// CHECK-SAME: %[[T:[^:]+]]: memref<100x16xf32{{.*}}>)
// CHECK: %[[COPY:.+]] = memref.alloc()
// CHECK: memref.copy %[[T]], %[[COPY]]
// CHECK: optim.scatter_add %{{.+}} into %[[COPY]][%{{.+}}]
// CHECK: return %[[COPY]], %[[T]]
func.func @dest_read_later(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>)
    -> (tensor<100x16xf32>, tensor<100x16xf32>) {
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return %g, %t : tensor<100x16xf32>, tensor<100x16xf32>
}
