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

// A 0-d generic computing scalars from 0-d inputs (a lowering's bias
// corrections) is left yielding values computed before it: reads of its
// results become those values, another use a tensor.from_elements, and the
// generic goes (instead of many such generics writing one shared
// tensor.empty, which one-shot bufferization compares pairwise).
// CHECK-LABEL: func.func @scalars
// CHECK-SAME: (%[[T:[^:]+]]: tensor<f32>, %[[X:[^:]+]]: tensor<4xf32>)
// CHECK: %[[TV:.+]] = tensor.extract %[[T]][] : tensor<f32>
// CHECK: %[[C:.+]] = arith.subf %{{.+}}, %[[TV]] : f32
// CHECK: %[[D:.+]] = arith.mulf %[[TV]], %[[TV]] : f32
// CHECK-NOT: iterator_types = []
// CHECK: %[[DT:.+]] = tensor.from_elements %[[D]] : tensor<f32>
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.+}}, %[[C]] : f32
// CHECK: return %{{.+}}, %[[DT]]
func.func @scalars(%t: tensor<f32>, %x: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %e0 = tensor.empty() : tensor<f32>
  %c:2 = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>,
                                          affine_map<() -> ()>],
                         iterator_types = []}
      ins(%t : tensor<f32>) outs(%e0, %e0 : tensor<f32>, tensor<f32>) {
  ^bb0(%tv: f32, %o0: f32, %o1: f32):
    %one = arith.constant 1.0 : f32
    %a = arith.subf %one, %tv : f32
    %b = arith.mulf %tv, %tv : f32
    linalg.yield %a, %b : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %cv = tensor.extract %c#0[] : tensor<f32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%xv: f32, %out: f32):
    %m = arith.mulf %xv, %cv : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r, %c#1 : tensor<4xf32>, tensor<f32>
}

// A 0-d generic that reads its output keeps it.
// CHECK-LABEL: func.func @accumulate
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = []
func.func @accumulate(%acc: tensor<f32>, %v: f32) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []}
      outs(%acc : tensor<f32>) {
  ^bb0(%o: f32):
    %s = arith.addf %o, %v : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}
