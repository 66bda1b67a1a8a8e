// RUN: muon-opt %s -muon-fuse-elementwise | FileCheck %s
// RUN: muon-opt %s -muon-fuse-elementwise=fuse-scalar-producers=true | FileCheck %s --check-prefix=FUSED

// Scalars computed once from lr's 0-d tensor (a 0-d generic) and taken as
// inputs by two updates. By default (CPU) they stay one 0-d generic whose
// result both updates read through a () map; with fuse-scalar-producers
// (GPU) each update takes lr itself and recomputes the scalar per element,
// so no host code reads the tensor.
// CHECK-LABEL: func.func @updates
// CHECK-SAME: %[[LR:[^:]+]]: tensor<f32>)
// CHECK: %[[STEP:.+]] = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f32>)
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[STEP]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[STEP]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// FUSED-LABEL: func.func @updates
// FUSED-SAME: %[[LR:[^:]+]]: tensor<f32>)
// FUSED-NOT: iterator_types = []
// FUSED: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[LR]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// FUSED: ^bb0(%{{.+}}: f32, %[[OE:.+]]: f32, %[[LRE:.+]]: f32, %{{.+}}: f32):
// FUSED:   %[[S:.+]] = arith.mulf %[[LRE]], %{{.+}} : f32
// FUSED:   arith.mulf %[[S]], %[[OE]] : f32
// FUSED: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[LR]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// FUSED-NOT: tensor.extract
#id = affine_map<(i, j) -> (i, j)>
#scalar = affine_map<(i, j) -> ()>
func.func @updates(%w: tensor<4x8xf32>, %o: tensor<4x8xf32>, %v: tensor<4x8xf32>,
                   %lr: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<f32>
  %step = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
                          iterator_types = []}
      ins(%lr : tensor<f32>) outs(%e0 : tensor<f32>) {
  ^bb0(%l: f32, %out: f32):
    %s = arith.mulf %l, %half : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w, %o, %step : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %s: f32, %out: f32):
    %d = arith.mulf %s, %y : f32
    %n = arith.subf %x, %d : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v, %o, %step : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %s: f32, %out: f32):
    %d = arith.mulf %s, %y : f32
    %n = arith.addf %x, %d : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// A unit reduction folded to a 0-d op reads its init (out + in): fused into
// a consumer that broadcasts its result, the init would become an output
// updated once per element (a sum over the consumer's loop). It stays
// unfused, with or without fuse-scalar-producers.
// CHECK-LABEL: func.func @accumulating_scalar
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = []}
// CHECK: linalg.generic {{.*}}ins(%{{.+}}, %[[SUM]] : tensor<4xf32>, tensor<f32>)
// FUSED-LABEL: func.func @accumulating_scalar
// FUSED: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = []}
// FUSED: linalg.generic {{.*}}ins(%{{.+}}, %[[SUM]] : tensor<4xf32>, tensor<f32>) outs(%{{.+}} : tensor<4xf32>)
func.func @accumulating_scalar(%c: tensor<f32>, %u: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
                       iterator_types = []}
      ins(%c : tensor<f32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  %e1 = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>,
                                        affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%u, %s : tensor<4xf32>, tensor<f32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%in: f32, %x: f32, %out: f32):
    %d = arith.divf %in, %x : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
