// RUN: muon-opt %s -muon-hoist-scalar-reads | FileCheck %s

// The 0-d inputs of an update (lr and a scalar computed from it) are read
// once, before the generic, and the scalar work on them moves out too; the
// body keeps the per-element math, including what uses linalg.index.
// CHECK-LABEL: func.func @update
// CHECK-SAME: (%[[W:[^:]+]]: tensor<4x8xf32>, %[[O:[^:]+]]: tensor<4x8xf32>, %[[LR:[^:]+]]: tensor<f32>, %[[S:[^:]+]]: tensor<f32>)
// CHECK-DAG: %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[LRV:.+]] = tensor.extract %[[LR]][] : tensor<f32>
// CHECK-DAG: %[[SV:.+]] = tensor.extract %[[S]][] : tensor<f32>
// CHECK: %[[STEP:.+]] = arith.mulf %[[LRV]], %[[HALF]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[W]], %[[O]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: f32, %[[OE:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT:   %[[I:.+]] = linalg.index 0 : index
// CHECK-NEXT:   %[[IF:.+]] = arith.index_cast %[[I]] : index to i32
// CHECK-NEXT:   %[[F:.+]] = arith.sitofp %[[IF]] : i32 to f32
// CHECK-NEXT:   %[[D:.+]] = arith.mulf %[[STEP]], %[[OE]] : f32
// CHECK-NEXT:   %[[N:.+]] = arith.subf %[[WE]], %[[D]] : f32
// CHECK-NEXT:   %[[T:.+]] = arith.mulf %[[N]], %[[SV]] : f32
// CHECK-NEXT:   %[[R:.+]] = arith.addf %[[T]], %[[F]] : f32
// CHECK-NEXT:   linalg.yield %[[R]] : f32
#id = affine_map<(i, j) -> (i, j)>
#scalar = affine_map<(i, j) -> ()>
func.func @update(%w: tensor<4x8xf32>, %o: tensor<4x8xf32>, %lr: tensor<f32>,
                  %s: tensor<f32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #scalar, #scalar, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w, %o, %lr, %s : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>, tensor<f32>)
      outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %l: f32, %sv: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %half = arith.constant 0.5 : f32
    %step = arith.mulf %l, %half : f32
    %d = arith.mulf %step, %y : f32
    %n = arith.subf %x, %d : f32
    %t = arith.mulf %n, %sv : f32
    %u = arith.addf %t, %f : f32
    linalg.yield %u : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
