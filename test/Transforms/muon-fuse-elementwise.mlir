// RUN: muon-opt %s -muon-fuse-elementwise -split-input-file | FileCheck %s
// RUN: muon-opt %s -linalg-fuse-elementwise-ops -split-input-file | FileCheck %s --check-prefix=UPSTREAM
// RUN: muon-opt %s -muon-fuse-elementwise=recompute-producers -split-input-file | FileCheck %s --check-prefix=RECOMPUTE

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A GEMM of a 3-D activation as the ONNX importer writes it (a ReLU, the
// rows collapsed, a 2-D matmul, the rows expanded, a bias added): the
// matmul stays a named op for convert-matmul-to-blas; the elementwise ops
// around it still fuse with each other. Upstream's pass folds the reshapes
// into the matmul and fuses the ReLU into the resulting contraction generic.
// CHECK-LABEL: func.func @relu_matmul_bias
// CHECK: %[[RELU:.+]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[RELU]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[MM:.+]] = linalg.matmul ins(%[[ROWS]], %{{.+}} : tensor<6x4xf32>, tensor<4x5xf32>)
// CHECK: tensor.expand_shape %[[MM]]
// CHECK: linalg.generic
// CHECK: arith.addf
// UPSTREAM-LABEL: func.func @relu_matmul_bias
// UPSTREAM-NOT: linalg.matmul
// UPSTREAM: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// UPSTREAM: arith.maximumf
// UPSTREAM: arith.mulf
func.func @relu_matmul_bias(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>, %b: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x3x4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x3x4xf32>
  %c = tensor.collapse_shape %r [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %e2 = tensor.empty() : tensor<6x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e2 : tensor<6x5xf32>) -> tensor<6x5xf32>
  %mm = linalg.matmul ins(%c, %w : tensor<6x4xf32>, tensor<4x5xf32>) outs(%acc : tensor<6x5xf32>) -> tensor<6x5xf32>
  %y = tensor.expand_shape %mm [[0, 1], [2]] output_shape [2, 3, 5] : tensor<6x5xf32> into tensor<2x3x5xf32>
  %e3 = tensor.empty() : tensor<2x3x5xf32>
  %s = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y, %b : tensor<2x3x5xf32>, tensor<2x3x5xf32>) outs(%e3 : tensor<2x3x5xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %a = arith.addf %in, %in2 : f32
    linalg.yield %a : f32
  } -> tensor<2x3x5xf32>
  return %s : tensor<2x3x5xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Elementwise chains still fuse into one generic.
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = math.exp %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %b : tensor<4x8xf32>
}

// -----

// An update with two results (new value and moment), each through its own
// status select (as muon-assertions-to-status leaves an in-place step):
// each select absorbs what its result needs, and the update's own generic
// is gone. Upstream's pass keeps the update and the two selects (its
// producer has two uses).
#id1 = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @update_through_selects
// CHECK-SAME: (%[[S:.+]]: tensor<i32>, %[[P:.+]]: tensor<8xf32>, %[[G:.+]]: tensor<8xf32>, %[[M:.+]]: tensor<8xf32>)
// CHECK: %[[NP:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[P]], %[[G]], %[[M]] : {{.*}})
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.select
// CHECK: %[[NM:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[G]], %[[M]] : {{.*}})
// CHECK-NOT: arith.subf
// CHECK: arith.select
// CHECK-NOT: linalg.generic
// CHECK: return %[[NP]], %[[NM]]
// UPSTREAM-LABEL: func.func @update_through_selects
// UPSTREAM-COUNT-3: linalg.generic
func.func @update_through_selects(%status: tensor<i32>, %p: tensor<8xf32>, %g: tensor<8xf32>, %m: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8xf32>
  %u:2 = linalg.generic {indexing_maps = [#id1, #id1, #id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%p, %g, %m : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) outs(%e, %e : tensor<8xf32>, tensor<8xf32>) {
  ^bb0(%pi: f32, %gi: f32, %mi: f32, %o0: f32, %o1: f32):
    %nm = arith.addf %mi, %gi : f32
    %np = arith.subf %pi, %nm : f32
    linalg.yield %np, %nm : f32, f32
  } -> (tensor<8xf32>, tensor<8xf32>)
  %sp = linalg.generic {indexing_maps = [#scalar, #id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%status, %u#0, %p : tensor<i32>, tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%s: i32, %new: f32, %old: f32, %o: f32):
    %ok = arith.cmpi eq, %s, %c0 : i32
    %r = arith.select %ok, %new, %old : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %sm = linalg.generic {indexing_maps = [#scalar, #id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%status, %u#1, %m : tensor<i32>, tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%s: i32, %new: f32, %old: f32, %o: f32):
    %ok = arith.cmpi eq, %s, %c0 : i32
    %r = arith.select %ok, %new, %old : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %sp, %sm : tensor<8xf32>, tensor<8xf32>
}

// -----

// Attention's scaled and masked scores feed the softmax's max and its exp:
// an element-wise producer with one full-size input (the mask broadcasts)
// whose every user can take it in is recomputed in each, never stored
// (recompute-producers, as the GPU pipeline runs it); by default it stays.
// CHECK-LABEL: func.func @masked_scores
// CHECK-COUNT-3: linalg.generic
// RECOMPUTE-LABEL: func.func @masked_scores
// RECOMPUTE-SAME: (%[[S:.+]]: tensor<2x4x4xf32>, %[[MASK:.+]]: tensor<4x4xf32>
// RECOMPUTE: %[[MAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[S]], %[[MASK]] : tensor<2x4x4xf32>, tensor<4x4xf32>)
// RECOMPUTE:   arith.addf
// RECOMPUTE:   arith.maximumf
// RECOMPUTE: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[S]], %[[MASK]], %[[MAX]] : tensor<2x4x4xf32>, tensor<4x4xf32>, tensor<2x4xf32>)
// RECOMPUTE:   arith.addf
// RECOMPUTE:   arith.subf
// RECOMPUTE:   math.exp
// RECOMPUTE-NOT: linalg.generic
// Two full-size inputs: each consumer would read two tensors instead of
// one; the sum stays stored.
// RECOMPUTE-LABEL: func.func @two_full_inputs
// RECOMPUTE-COUNT-3: linalg.generic
#s3 = affine_map<(b, i, j) -> (b, i, j)>
#m3 = affine_map<(b, i, j) -> (i, j)>
#r3 = affine_map<(b, i, j) -> (b, i)>
func.func @masked_scores(%s: tensor<2x4x4xf32>, %mask: tensor<4x4xf32>, %init: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4x4xf32>) {
  %e = tensor.empty() : tensor<2x4x4xf32>
  %x = linalg.generic {indexing_maps = [#s3, #m3, #s3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %y = arith.addf %a, %m : f32
    linalg.yield %y : f32
  } -> tensor<2x4x4xf32>
  %max = linalg.generic {indexing_maps = [#s3, #r3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x4x4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.maximumf %a, %o : f32
    linalg.yield %y : f32
  } -> tensor<2x4xf32>
  %exp = linalg.generic {indexing_maps = [#s3, #r3, #s3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<2x4x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<2x4x4xf32>
  return %max, %exp : tensor<2x4xf32>, tensor<2x4x4xf32>
}

func.func @two_full_inputs(%s: tensor<2x4x4xf32>, %t: tensor<2x4x4xf32>, %init: tensor<2x4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4x4xf32>) {
  %e = tensor.empty() : tensor<2x4x4xf32>
  %x = linalg.generic {indexing_maps = [#s3, #s3, #s3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %t : tensor<2x4x4xf32>, tensor<2x4x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %y = arith.addf %a, %b : f32
    linalg.yield %y : f32
  } -> tensor<2x4x4xf32>
  %max = linalg.generic {indexing_maps = [#s3, #r3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x4x4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.maximumf %a, %o : f32
    linalg.yield %y : f32
  } -> tensor<2x4xf32>
  %exp = linalg.generic {indexing_maps = [#s3, #r3, #s3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<2x4x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  } -> tensor<2x4x4xf32>
  return %max, %exp : tensor<2x4xf32>, tensor<2x4x4xf32>
}

// -----

// A named linalg.reduce whose input an element-wise generic computes is
// generalized, and the producer fuses into it (a LayerNorm's squared
// deviations, summed as they are computed); upstream's pass leaves both.
// A reduce of a function argument stays named.
// CHECK-LABEL: func.func @reduce_of_elementwise
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x64xf32>, %[[M:[^:]+]]: tensor<8xf32>
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[M]] : tensor<8x64xf32>, tensor<8xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SUM:.+]] = linalg.reduce ins(%[[X]] : tensor<8x64xf32>)
// CHECK: return %[[SQ]], %[[SUM]]
// UPSTREAM-LABEL: func.func @reduce_of_elementwise
// UPSTREAM: linalg.generic
// UPSTREAM: linalg.reduce
// UPSTREAM: linalg.reduce
func.func @reduce_of_elementwise(%x: tensor<8x64xf32>, %m: tensor<8xf32>, %init: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8x64xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                         affine_map<(d0, d1) -> (d0)>,
                                         affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<8x64xf32>, tensor<8xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %s = arith.mulf %d, %d : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  %var = linalg.reduce ins(%sq : tensor<8x64xf32>) outs(%init : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %sum = linalg.reduce ins(%x : tensor<8x64xf32>) outs(%init : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %var, %sum : tensor<8xf32>, tensor<8xf32>
}
