// RUN: muon-opt %s --split-input-file --muon-fold-transposes-into-gemms | FileCheck %s
// RUN: muon-opt %s --split-input-file --muon-fold-transposes-into-gemms --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --convert-matmul-to-blas | FileCheck %s --check-prefix=BLAS
// RUN: muon-opt %s --split-input-file --muon-fold-transposes-into-gemms=interleaved-batch | FileCheck %s --check-prefix=HEADS
// RUN: muon-opt %s --split-input-file --muon-fold-transposes-into-gemms=interleaved-batch --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --convert-matmul-to-blas | FileCheck %s --check-prefix=HEADS-BLAS

// dW = Xᵀ·dY: the transposed input becomes a transposed map of the GEMM.
// CHECK-DAG: #[[XT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @operand
// CHECK-SAME: (%[[X:.*]]: tensor<64x32xf32>, %[[DY:.*]]: tensor<64x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[XT]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[DY]] : tensor<64x32xf32>, tensor<64x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// BLAS-LABEL: func.func @operand
// BLAS-NOT: linalg.transpose
// BLAS-NOT: linalg.fill
// BLAS: call @muon_cpu_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c1_i64, %c0_i64, %cst{{.*}})
func.func @operand(%x: tensor<64x32xf32>, %dy: tensor<64x16xf32>) -> tensor<32x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x64xf32>
  %t = linalg.transpose ins(%x : tensor<64x32xf32>) outs(%e : tensor<32x64xf32>) permutation = [1, 0]
  %acc = tensor.empty() : tensor<32x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%acc : tensor<32x16xf32>) -> tensor<32x16xf32>
  %r = linalg.matmul ins(%t, %dy : tensor<32x64xf32>, tensor<64x16xf32>) outs(%f : tensor<32x16xf32>) -> tensor<32x16xf32>
  return %r : tensor<32x16xf32>
}

// -----

// (A·B)ᵀ with a zero accumulator: computed as Bᵀ·Aᵀ into a fresh fill of
// the transposed shape, operands swapped (the output map (n, m) alone is no
// GEMM the runtime computes).
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[CT:.*]] = affine_map<(d0, d1, d2) -> (d1, d0)>
// CHECK-LABEL: func.func @result
// CHECK-SAME: (%[[A:.*]]: tensor<8x4xf32>, %[[B:.*]]: tensor<4x6xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<6x8xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<6x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[BT]], #[[AT]], #[[CT]]]
// CHECK-SAME: ins(%[[B]], %[[A]] : tensor<4x6xf32>, tensor<8x4xf32>) outs(%[[F]] : tensor<6x8xf32>)
// CHECK: ^bb0(%[[EB:.*]]: f32, %[[EA:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[P:.*]] = arith.mulf %[[EA]], %[[EB]]
// CHECK: arith.addf %[[OUT]], %[[P]]
// CHECK-NOT: linalg.transpose
// CHECK: return %[[R]]
// BLAS-LABEL: func.func @result
// BLAS-NOT: linalg.transpose
// BLAS-NOT: linalg.fill
// BLAS: call @muon_cpu_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c1_i64, %c1_i64, %cst{{.*}})
func.func @result(%a: tensor<8x4xf32>, %b: tensor<4x6xf32>) -> tensor<6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %acc = tensor.empty() : tensor<8x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%acc : tensor<8x6xf32>) -> tensor<8x6xf32>
  %m = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x6xf32>) outs(%f : tensor<8x6xf32>) -> tensor<8x6xf32>
  %e = tensor.empty() : tensor<6x8xf32>
  %t = linalg.transpose ins(%m : tensor<8x6xf32>) outs(%e : tensor<6x8xf32>) permutation = [1, 0]
  return %t : tensor<6x8xf32>
}

// -----

// The weight gradient of a 3-D activation: transpose [2, 0, 1] then a
// collapse of the two token dims. The collapse moves above the transpose,
// which then folds into the GEMM.
// CHECK-LABEL: func.func @collapse_after_transpose
// CHECK-SAME: (%[[H:.*]]: tensor<2x3x5xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[H]] {{\[\[}}0, 1], [2]] : tensor<2x3x5xf32> into tensor<6x5xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[C]], %{{.*}} : tensor<6x5xf32>, tensor<6x4xf32>)
func.func @collapse_after_transpose(%h: tensor<2x3x5xf32>, %dy: tensor<6x4xf32>) -> tensor<5x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x2x3xf32>
  %t = linalg.transpose ins(%h : tensor<2x3x5xf32>) outs(%e : tensor<5x2x3xf32>) permutation = [2, 0, 1]
  %c = tensor.collapse_shape %t [[0], [1, 2]] : tensor<5x2x3xf32> into tensor<5x6xf32>
  %acc = tensor.empty() : tensor<5x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%acc : tensor<5x4xf32>) -> tensor<5x4xf32>
  %r = linalg.matmul ins(%c, %dy : tensor<5x6xf32>, tensor<6x4xf32>) outs(%f : tensor<5x4xf32>) -> tensor<5x4xf32>
  return %r : tensor<5x4xf32>
}

// -----

// Left alone: a head transpose [0, 2, 1, 3] before a batched matmul would
// put the sequence dim between the two batch dims (no GEMM the runtime
// computes); a collapse whose group is not a run of the input's dims; a
// transposed result whose accumulator is not a fill.
// CHECK-LABEL: func.func @heads
// CHECK: linalg.transpose
// CHECK: linalg.batch_matmul
// CHECK-LABEL: func.func @not_a_run
// CHECK: linalg.transpose
// CHECK: tensor.collapse_shape
// CHECK-LABEL: func.func @accumulating
// CHECK: linalg.matmul
// CHECK: linalg.transpose
func.func @heads(%q: tensor<2x8x4x16xf32>, %k: tensor<8x16x8xf32>, %acc: tensor<8x8x8xf32>) -> tensor<8x8x8xf32> {
  %e = tensor.empty() : tensor<2x4x8x16xf32>
  %t = linalg.transpose ins(%q : tensor<2x8x4x16xf32>) outs(%e : tensor<2x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %t [[0, 1], [2], [3]] : tensor<2x4x8x16xf32> into tensor<8x8x16xf32>
  %r = linalg.batch_matmul ins(%c, %k : tensor<8x8x16xf32>, tensor<8x16x8xf32>) outs(%acc : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  return %r : tensor<8x8x8xf32>
}

func.func @not_a_run(%x: tensor<2x3x5xf32>) -> tensor<15x2xf32> {
  %e = tensor.empty() : tensor<5x3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3x5xf32>) outs(%e : tensor<5x3x2xf32>) permutation = [2, 1, 0]
  %c = tensor.collapse_shape %t [[0, 1], [2]] : tensor<5x3x2xf32> into tensor<15x2xf32>
  return %c : tensor<15x2xf32>
}

func.func @accumulating(%a: tensor<8x4xf32>, %b: tensor<4x6xf32>, %acc: tensor<8x6xf32>) -> tensor<6x8xf32> {
  %m = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x6xf32>) outs(%acc : tensor<8x6xf32>) -> tensor<8x6xf32>
  %e = tensor.empty() : tensor<6x8xf32>
  %t = linalg.transpose ins(%m : tensor<8x6xf32>) outs(%e : tensor<6x8xf32>) permutation = [1, 0]
  return %t : tensor<6x8xf32>
}

// -----

// A transposed slice (a strided view once bufferized) folds when each GEMM
// dim is one dim of it, and not when a GEMM dim would span two of its dims
// (K = k1·k2 below: the strided view's two dims might not collapse).
// CHECK-LABEL: func.func @slices
// CHECK: %[[S2:.*]] = tensor.extract_slice %arg0
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[S2]], %arg1 : tensor<16x8xf32>, tensor<16x4xf32>)
// CHECK: %[[S3:.*]] = tensor.extract_slice %arg2
// CHECK: %[[T3:.*]] = linalg.transpose ins(%[[S3]] : tensor<2x8x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[T3]], %arg3 : tensor<8x2x8xf32>, tensor<2x8x4xf32>)
#a = affine_map<(m, n, k1, k2) -> (m, k1, k2)>
#b = affine_map<(m, n, k1, k2) -> (k1, k2, n)>
#c = affine_map<(m, n, k1, k2) -> (m, n)>
func.func @slices(%a: tensor<16x32xf32>, %dy: tensor<16x4xf32>, %x: tensor<2x8x32xf32>, %y: tensor<2x8x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %s2 = tensor.extract_slice %a[0, 8] [16, 8] [1, 1] : tensor<16x32xf32> to tensor<16x8xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %t2 = linalg.transpose ins(%s2 : tensor<16x8xf32>) outs(%e2 : tensor<8x16xf32>) permutation = [1, 0]
  %acc = tensor.empty() : tensor<8x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%acc : tensor<8x4xf32>) -> tensor<8x4xf32>
  %r2 = linalg.matmul ins(%t2, %dy : tensor<8x16xf32>, tensor<16x4xf32>) outs(%f : tensor<8x4xf32>) -> tensor<8x4xf32>
  %s3 = tensor.extract_slice %x[0, 0, 8] [2, 8, 8] [1, 1, 1] : tensor<2x8x32xf32> to tensor<2x8x8xf32>
  %e3 = tensor.empty() : tensor<8x2x8xf32>
  %t3 = linalg.transpose ins(%s3 : tensor<2x8x8xf32>) outs(%e3 : tensor<8x2x8xf32>) permutation = [2, 0, 1]
  %r3 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%t3, %y : tensor<8x2x8xf32>, tensor<2x8x4xf32>) outs(%f : tensor<8x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %p = arith.mulf %in, %in_1 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  return %r2, %r3 : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// Dynamic shapes: the operand still folds (no new tensor is made); the
// transposed result and the collapse, which would need sized new tensors,
// stay.
// CHECK-LABEL: func.func @dynamic
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x8xf32>, tensor<?x4xf32>)
// CHECK: %[[M:.*]] = linalg.matmul
// CHECK: linalg.transpose ins(%[[M]] : tensor<?x4xf32>)
// CHECK: linalg.transpose ins(%arg4 : tensor<?x2x3xf32>)
// CHECK: tensor.collapse_shape
func.func @dynamic(%x: tensor<?x8xf32>, %dy: tensor<?x4xf32>, %acc: tensor<8x4xf32>, %w: tensor<8x4xf32>, %h: tensor<?x2x3xf32>, %n: index) -> (tensor<8x4xf32>, tensor<4x?xf32>, tensor<?x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<8x?xf32>
  %t = linalg.transpose ins(%x : tensor<?x8xf32>) outs(%e : tensor<8x?xf32>) permutation = [1, 0]
  %g = linalg.matmul ins(%t, %dy : tensor<8x?xf32>, tensor<?x4xf32>) outs(%acc : tensor<8x4xf32>) -> tensor<8x4xf32>
  %ef = tensor.empty(%n) : tensor<?x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%ef : tensor<?x4xf32>) -> tensor<?x4xf32>
  %m = linalg.matmul ins(%x, %w : tensor<?x8xf32>, tensor<8x4xf32>) outs(%f : tensor<?x4xf32>) -> tensor<?x4xf32>
  %e2 = tensor.empty(%n) : tensor<4x?xf32>
  %mt = linalg.transpose ins(%m : tensor<?x4xf32>) outs(%e2 : tensor<4x?xf32>) permutation = [1, 0]
  %e3 = tensor.empty(%n) : tensor<3x?x2xf32>
  %ht = linalg.transpose ins(%h : tensor<?x2x3xf32>) outs(%e3 : tensor<3x?x2xf32>) permutation = [2, 0, 1]
  %c = tensor.collapse_shape %ht [[0, 1], [2]] : tensor<3x?x2xf32> into tensor<?x2xf32>
  return %g, %mt, %c : tensor<8x4xf32>, tensor<4x?xf32>, tensor<?x2xf32>
}

// -----

// Attention on [batch, seq, heads, head_dim] activations: per-head scores
// S = Q·Kᵀ, then O = S·V written back as [batch, seq, heads·head_dim].
// Without interleaved-batch every transpose stays (its fold would leave
// the heads between matrix dims). With it, the batch dims the
// collapse_shapes merge become loop dims again and all transposes fold;
// the runtime then loops over the batch and calls a batched GEMM over the
// heads, reading Q, K and V and writing O in place.
// CHECK-LABEL: func.func @attention_heads
// CHECK-COUNT-4: linalg.transpose
// HEADS-LABEL: func.func @attention_heads
// HEADS-SAME: (%[[Q:.*]]: tensor<2x8x4x16xf32>, %[[K:.*]]: tensor<2x8x4x16xf32>, %[[V:.*]]: tensor<2x8x4x16xf32>)
// HEADS-NOT: linalg.transpose
// HEADS: %[[S:.*]] = linalg.generic
// HEADS-SAME: ins(%[[Q]], %[[K]] : tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>)
// HEADS-SAME: outs(%{{.*}} : tensor<2x4x8x8xf32>)
// HEADS: %[[O:.*]] = linalg.generic
// HEADS-SAME: ins(%[[S]], %[[V]] : tensor<2x4x8x8xf32>, tensor<2x8x4x16xf32>)
// HEADS-SAME: outs(%{{.*}} : tensor<2x8x4x16xf32>)
// HEADS-NOT: linalg.transpose
// HEADS: %[[R:.*]] = tensor.collapse_shape %[[O]] {{\[\[}}0], [1], [2, 3]] : tensor<2x8x4x16xf32> into tensor<2x8x64xf32>
// HEADS: return %[[R]]
// HEADS-BLAS-LABEL: func.func @attention_heads
// HEADS-BLAS-NOT: linalg.fill
// HEADS-BLAS: memref.transpose %{{.*}} (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x8x4x16xf32> to memref<2x4x8x16xf32, strided<[512, 16, 64, 1]>>
// HEADS-BLAS: scf.for
// HEADS-BLAS: memref.subview {{.*}} : memref<2x4x8x16xf32, strided<[512, 16, 64, 1]>> to memref<4x8x16xf32, strided<[16, 64, 1], offset: ?>>
// HEADS-BLAS: call @muon_cpu_batch_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c0_i64, %c1_i64, %cst{{.*}})
// HEADS-BLAS: scf.for
// HEADS-BLAS: call @muon_cpu_batch_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c0_i64, %c0_i64, %cst{{.*}})
// HEADS-BLAS-NOT: linalg.
func.func @attention_heads(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<2x4x8x16xf32>
  %qt = linalg.transpose ins(%q : tensor<2x8x4x16xf32>) outs(%eq : tensor<2x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<2x4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<2x8x4x16xf32>) outs(%ek : tensor<2x4x16x8xf32>) permutation = [0, 2, 3, 1]
  %qc = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x4x8x16xf32> into tensor<8x8x16xf32>
  %kc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x16x8xf32> into tensor<8x16x8xf32>
  %es = tensor.empty() : tensor<8x8x8xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %s = linalg.batch_matmul ins(%qc, %kc : tensor<8x8x16xf32>, tensor<8x16x8xf32>) outs(%fs : tensor<8x8x8xf32>) -> tensor<8x8x8xf32>
  %vt = linalg.transpose ins(%v : tensor<2x8x4x16xf32>) outs(%eq : tensor<2x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %vc = tensor.collapse_shape %vt [[0, 1], [2], [3]] : tensor<2x4x8x16xf32> into tensor<8x8x16xf32>
  %eo = tensor.empty() : tensor<8x8x16xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  %o = linalg.batch_matmul ins(%s, %vc : tensor<8x8x8xf32>, tensor<8x8x16xf32>) outs(%fo : tensor<8x8x16xf32>) -> tensor<8x8x16xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [2, 4, 8, 16] : tensor<8x8x16xf32> into tensor<2x4x8x16xf32>
  %et = tensor.empty() : tensor<2x8x4x16xf32>
  %ot = linalg.transpose ins(%oe : tensor<2x4x8x16xf32>) outs(%et : tensor<2x8x4x16xf32>) permutation = [0, 2, 1, 3]
  %r = tensor.collapse_shape %ot [[0], [1], [2, 3]] : tensor<2x8x4x16xf32> into tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// (A·B)ᵀ through a collapse of the result: A's rows span two dims (fused
// reshapes); the transpose folds into the contraction, computed as Bᵀ·Aᵀ
// into a [n, m1, m2] result, then collapsed. A plain GEMM: no
// interleaved-batch needed.
// CHECK-LABEL: func.func @collapsed_result
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x5xf32>, %[[B:.*]]: tensor<5x4xf32>)
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x2x3xf32>)
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[B]], %[[A]] : tensor<5x4xf32>, tensor<2x3x5xf32>) outs(%[[F]] : tensor<4x2x3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1, 2]] : tensor<4x2x3xf32> into tensor<4x6xf32>
// CHECK: return %[[C]]
// BLAS-LABEL: func.func @collapsed_result
// BLAS-NOT: linalg.transpose
// BLAS: call @muon_cpu_matmul_f32(%{{.*}}, %{{.*}}, %{{.*}}, %c1_i64, %c1_i64, %cst{{.*}})
#a = affine_map<(m1, m2, n, k) -> (m1, m2, k)>
#b = affine_map<(m1, m2, n, k) -> (k, n)>
#c = affine_map<(m1, m2, n, k) -> (m1, m2, n)>
func.func @collapsed_result(%a: tensor<2x3x5xf32>, %b: tensor<5x4xf32>) -> tensor<4x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %m = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<2x3x5xf32>, tensor<5x4xf32>) outs(%f : tensor<2x3x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %p = arith.mulf %in, %in_1 : f32
    %s = arith.addf %out, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %c = tensor.collapse_shape %m [[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  %et = tensor.empty() : tensor<4x6xf32>
  %t = linalg.transpose ins(%c : tensor<6x4xf32>) outs(%et : tensor<4x6xf32>) permutation = [1, 0]
  return %t : tensor<4x6xf32>
}
