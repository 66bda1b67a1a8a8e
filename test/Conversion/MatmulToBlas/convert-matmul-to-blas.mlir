// RUN: muon-opt %s -convert-matmul-to-blas -split-input-file | FileCheck %s
// RUN: muon-opt %s -convert-matmul-to-blas=runtime=gpu -split-input-file | FileCheck %s --check-prefix=GPU

// A plain f32 GEMM becomes one runtime call with no transposes, accumulating
// into C (beta = 1); the callee is declared once with the C interface.
// CHECK: func.func private @muon_cpu_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64, f32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[A:.+]]: memref<4x8xf32>, %[[B:.+]]: memref<8x3xf32>, %[[C:.+]]: memref<4x3xf32>)
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[BETA:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[CA:.+]] = memref.cast %[[A]] : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[CB:.+]] = memref.cast %[[B]]
// CHECK-DAG: %[[CC:.+]] = memref.cast %[[C]]
// CHECK: call @muon_cpu_matmul_f32(%[[CA]], %[[CB]], %[[CC]], %[[NO]], %[[NO]], %[[BETA]])
// CHECK-NOT: linalg.matmul
// The GPU runtime's GEMM takes rank-3 views and accumulates in place:
// D = 1·A·B + 1·C with D = C.
// GPU: func.func private @muon_gpu_gemm_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, f32, f32, i1, i1) attributes {llvm.emit_c_interface}
// GPU-LABEL: func.func @plain
// GPU-DAG: %[[A3:.+]] = memref.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [1, 4, 8]
// GPU-DAG: %[[C3:.+]] = memref.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [1, 4, 3]
// GPU-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// GPU-DAG: %[[FALSE:.+]] = arith.constant false
// GPU-DAG: %[[CA:.+]] = memref.cast %[[A3]] :
// GPU-DAG: %[[CC:.+]] = memref.cast %[[C3]] :
// GPU-DAG: %[[CD:.+]] = memref.cast %[[C3]] :
// GPU: call @muon_gpu_gemm_f32(%[[CA]], %{{.+}}, %[[CC]], %[[CD]], %[[ONE]], %[[ONE]], %[[FALSE]], %[[FALSE]])
// GPU-NOT: linalg.matmul
func.func @plain(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %c: memref<4x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}

// -----

// X·Xᵀ (the Gram matrix of Newton–Schulz) reads B transposed; a strided
// subview operand is passed as it is.
// CHECK-LABEL: func.func @gram
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.+]] = arith.constant 1 : i64
// CHECK: call @muon_cpu_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %[[NO]], %[[YES]], %{{.+}})
// cuBLASLt needs unit stride along one dim of each matrix: left alone.
// GPU-LABEL: func.func @gram
// GPU: linalg.matmul
// GPU-NOT: call
func.func @gram(%x: memref<8x16xf32>, %s: memref<4x4xf32>) {
  %v = memref.subview %x[0, 0] [4, 8] [1, 2] : memref<8x16xf32> to memref<4x8xf32, strided<[16, 2]>>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%v, %v : memref<4x8xf32, strided<[16, 2]>>, memref<4x8xf32, strided<[16, 2]>>) outs(%s : memref<4x4xf32>)
  return
}

// -----

// Aᵀ·B with bf16 inputs and f32 accumulation, batched.
// CHECK: func.func private @muon_cpu_batch_matmul_bf16(memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, i64, f32)
// CHECK-LABEL: func.func @batched_bf16
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.+]] = arith.constant 1 : i64
// CHECK: call @muon_cpu_batch_matmul_bf16(%{{.+}}, %{{.+}}, %{{.+}}, %[[YES]], %[[NO]], %{{.+}})
// The GPU GEMM takes one element type for all operands: left alone.
// GPU-LABEL: func.func @batched_bf16
// GPU: linalg.batch_matmul
// GPU-NOT: call
func.func @batched_bf16(%a: memref<2x8x4xbf16>, %b: memref<2x8x3xbf16>, %c: memref<2x4x3xf32>) {
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%a, %b : memref<2x8x4xbf16>, memref<2x8x3xbf16>) outs(%c : memref<2x4x3xf32>)
  return
}

// -----

// Left alone: tensors (not bufferized), f16 (no runtime GEMM), f32 inputs
// into an f64 accumulator.
// CHECK-LABEL: func.func @unsupported
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: call
func.func @unsupported(%t: tensor<4x4xf32>, %h: memref<4x4xf16>, %hc: memref<4x4xf32>,
                       %f: memref<4x4xf32>, %d: memref<4x4xf64>) -> tensor<4x4xf32> {
  %r = linalg.matmul ins(%t, %t : tensor<4x4xf32>, tensor<4x4xf32>) outs(%t : tensor<4x4xf32>) -> tensor<4x4xf32>
  linalg.matmul ins(%h, %h : memref<4x4xf16>, memref<4x4xf16>) outs(%hc : memref<4x4xf32>)
  linalg.matmul ins(%f, %f : memref<4x4xf32>, memref<4x4xf32>) outs(%d : memref<4x4xf64>)
  return %r : tensor<4x4xf32>
}

// -----

// Elementwise fusion folds reshapes into the contraction: rows spread over
// two loop dims (batch × sequence) are one matrix dim once collapsed.
// CHECK-LABEL: func.func @fused_rows
// CHECK-DAG: %[[A:.+]] = memref.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : memref<8x32x64xf32> into memref<256x64xf32>
// CHECK-DAG: %[[C:.+]] = memref.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : memref<8x32x192xf32> into memref<256x192xf32>
// CHECK: call @muon_cpu_matmul_f32
// CHECK-NOT: linalg.generic
// GPU-LABEL: func.func @fused_rows
// GPU: memref.collapse_shape
// GPU: call @muon_gpu_gemm_f32
// GPU-NOT: linalg.generic
func.func @fused_rows(%x: memref<8x32x64xf32>, %w: memref<64x192xf32>, %y: memref<8x32x192xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
                                   affine_map<(d0, d1, d2, d3) -> (d3, d2)>,
                                   affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<8x32x64xf32>, memref<64x192xf32>) outs(%y : memref<8x32x192xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A weight gradient: the reduction spans two loop dims (batch × sequence),
// A is read transposed (its rows are K).
// CHECK-LABEL: func.func @weight_gradient
// CHECK-DAG: %[[TRUE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[FALSE:.+]] = arith.constant 0 : i64
// CHECK-DAG: memref.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : memref<8x32x64xf32> into memref<256x64xf32>
// CHECK-DAG: memref.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : memref<8x32x192xf32> into memref<256x192xf32>
// CHECK: call @muon_cpu_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %[[TRUE]], %[[FALSE]], %{{.+}})
func.func @weight_gradient(%x: memref<8x32x64xf32>, %dy: memref<8x32x192xf32>, %dw: memref<64x192xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k0, k1) -> (k0, k1, m)>,
                                   affine_map<(m, n, k0, k1) -> (k0, k1, n)>,
                                   affine_map<(m, n, k0, k1) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %dy : memref<8x32x64xf32>, memref<8x32x192xf32>) outs(%dw : memref<64x192xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not GEMMs: the K dims in different orders in A and B (no common
// linearization), a broadcast into the result, and a reduction that is not
// a multiply-accumulate.
// CHECK-LABEL: func.func @not_gemms
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: call
// GPU-LABEL: func.func @not_gemms
// GPU-NOT: call
// GPU: return
func.func @not_gemms(%a: memref<4x2x3xf32>, %b: memref<3x2x5xf32>, %c: memref<4x5xf32>,
                     %v: memref<4x6xf32>, %w: memref<6x5xf32>, %d: memref<7x4x5xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k0, k1) -> (m, k0, k1)>,
                                   affine_map<(m, n, k0, k1) -> (k1, k0, n)>,
                                   affine_map<(m, n, k0, k1) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<4x2x3xf32>, memref<3x2x5xf32>) outs(%c : memref<4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(r, m, n, k) -> (m, k)>,
                                   affine_map<(r, m, n, k) -> (k, n)>,
                                   affine_map<(r, m, n, k) -> (r, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v, %w : memref<4x6xf32>, memref<6x5xf32>) outs(%d : memref<7x4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v, %w : memref<4x6xf32>, memref<6x5xf32>) outs(%c : memref<4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.addf %x, %y : f32
    %s = arith.maximumf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// One left operand for a batch of right ones (MLP-Mixer's token mixing,
// [M, K]·[b, K, N]; here B also transposed): the batch dim, which A does not
// read, is looped over, each iteration one GEMM on A whole and the batch
// index's slices of B and C.
// CHECK-LABEL: func.func @shared_left_operand
// CHECK-SAME: (%[[A:.+]]: memref<5x7xf32>, %[[B:.+]]: memref<3x4x7xf32>, %[[C:.+]]: memref<3x5x4xf32>)
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[THREE:.+]] = arith.constant 3 : index
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[THREE]]
// CHECK-DAG: %[[CA:.+]] = memref.cast %[[A]]
// CHECK-DAG: %[[SB:.+]] = memref.subview %[[B]][%[[I]], 0, 0] [1, 4, 7] [1, 1, 1]
// CHECK-DAG: %[[SC:.+]] = memref.subview %[[C]][%[[I]], 0, 0] [1, 5, 4] [1, 1, 1]
// CHECK-DAG: %[[CB:.+]] = memref.cast %[[SB]]
// CHECK-DAG: %[[CC:.+]] = memref.cast %[[SC]]
// CHECK: call @muon_cpu_matmul_f32(%[[CA]], %[[CB]], %[[CC]], %[[NO]], %[[YES]],
// CHECK-NOT: linalg.generic
// GPU-LABEL: func.func @shared_left_operand
// GPU: scf.for
// GPU: call @muon_gpu_gemm_f32(
// GPU-NOT: linalg.generic
func.func @shared_left_operand(%a: memref<5x7xf32>, %b: memref<3x4x7xf32>, %c: memref<3x5x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(r, m, n, k) -> (m, k)>,
                                   affine_map<(r, m, n, k) -> (r, n, k)>,
                                   affine_map<(r, m, n, k) -> (r, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x7xf32>, memref<3x4x7xf32>) outs(%c : memref<3x5x4xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A dot product and a matrix-vector product are not GEMMs.
// CHECK-LABEL: func.func @vectors
// CHECK: linalg.dot
// CHECK: linalg.matvec
// CHECK-NOT: call
// GPU-LABEL: func.func @vectors
// GPU-NOT: call
// GPU: return
func.func @vectors(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<f32>,
                   %m: memref<4x8xf32>, %v: memref<4xf32>) {
  linalg.dot ins(%a, %b : memref<8xf32>, memref<8xf32>) outs(%c : memref<f32>)
  linalg.matvec ins(%m, %b : memref<4x8xf32>, memref<8xf32>) outs(%v : memref<4xf32>)
  return
}

// -----

// BLAS takes 32-bit sizes and leading dimensions: a K of 2^31 or a row
// stride of 2^31 keeps the (64-bit indexed) linalg op.
// CHECK-LABEL: func.func @beyond_blas_int
// CHECK-NOT: call @muon_cpu_matmul_f32
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<1x2147483648xf32>, memref<2147483648x1xf32>)
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<2x2xf32, strided<[2147483648, 1]>>, memref<2x2xf32>)
// cuBLASLt takes 64-bit sizes and leading dimensions.
// GPU-LABEL: func.func @beyond_blas_int
// GPU-COUNT-2: call @muon_gpu_gemm_f32
// GPU-NOT: linalg.matmul
func.func @beyond_blas_int(%a: memref<1x2147483648xf32>, %b: memref<2147483648x1xf32>, %c: memref<1x1xf32>,
                           %s: memref<2x2xf32, strided<[2147483648, 1]>>, %d: memref<2x2xf32>) {
  linalg.matmul ins(%a, %b : memref<1x2147483648xf32>, memref<2147483648x1xf32>) outs(%c : memref<1x1xf32>)
  linalg.matmul ins(%s, %d : memref<2x2xf32, strided<[2147483648, 1]>>, memref<2x2xf32>) outs(%d : memref<2x2xf32>)
  return
}

// -----

// 2^31 − 1 still fits.
// CHECK-LABEL: func.func @largest_blas_int
// CHECK: call @muon_cpu_matmul_f32
// CHECK-NOT: linalg.matmul
func.func @largest_blas_int(%a: memref<1x2147483647xf32>, %b: memref<2147483647x1xf32>, %c: memref<1x1xf32>) {
  linalg.matmul ins(%a, %b : memref<1x2147483647xf32>, memref<2147483647x1xf32>) outs(%c : memref<1x1xf32>)
  return
}

// -----

// A product into a fresh zero-filled buffer overwrites it (beta = 0): the
// fill goes, on CPU and GPU; also through a reshape of the filled buffer.
// CHECK-LABEL: func.func @zero_fill
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT: linalg.fill
// CHECK: call @muon_cpu_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]])
// CHECK-NOT: linalg.fill
// CHECK: call @muon_cpu_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]])
// GPU-LABEL: func.func @zero_fill
// GPU-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// GPU-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// GPU-NOT: linalg.fill
// GPU: call @muon_gpu_gemm_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ONE]], %[[ZERO]],
// GPU-NOT: linalg.fill
// GPU: call @muon_gpu_gemm_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ONE]], %[[ZERO]],
func.func @zero_fill(%a: memref<4x8xf32>, %b: memref<8x3xf32>) -> (memref<4x3xf32>, memref<2x2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  %d = memref.alloc() : memref<2x2x3xf32>
  linalg.fill ins(%zero : f32) outs(%d : memref<2x2x3xf32>)
  %flat = memref.collapse_shape %d [[0, 1], [2]] : memref<2x2x3xf32> into memref<4x3xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%flat : memref<4x3xf32>)
  return %c, %d : memref<4x3xf32>, memref<2x2x3xf32>
}

// -----

// The fill stays, and the product accumulates (beta = 1), where the zeros
// may matter: a non-zero fill; the buffer read in between (also through a
// view); a second product into the same accumulator (the first overwrites);
// a fill outside the loop that accumulates; a function argument (it may
// alias another); a product into part of the filled buffer.
// CHECK-LABEL: func.func @fill_kept
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ONE]] : f32)
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
// CHECK: memref.copy
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ZERO]])
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
// CHECK: scf.for
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
// CHECK: linalg.fill ins(%[[ZERO]] : f32)
// CHECK: call @muon_cpu_matmul_f32({{.+}}, %[[ONE]])
func.func @fill_kept(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %arg: memref<4x3xf32>,
                     %n: index) -> (memref<4x3xf32>, memref<4x3xf32>, memref<4x3xf32>, memref<4x3xf32>, memref<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  %d = memref.alloc() : memref<4x3xf32>
  %copy = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%zero : f32) outs(%d : memref<4x3xf32>)
  %view = memref.cast %d : memref<4x3xf32> to memref<?x3xf32>
  %copy_view = memref.cast %copy : memref<4x3xf32> to memref<?x3xf32>
  memref.copy %view, %copy_view : memref<?x3xf32> to memref<?x3xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%d : memref<4x3xf32>)
  %e = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%zero : f32) outs(%e : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%e : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%e : memref<4x3xf32>)
  %f = memref.alloc() : memref<4x3xf32>
  linalg.fill ins(%zero : f32) outs(%f : memref<4x3xf32>)
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%f : memref<4x3xf32>)
  }
  linalg.fill ins(%zero : f32) outs(%arg : memref<4x3xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%arg : memref<4x3xf32>)
  %g = memref.alloc() : memref<8x3xf32>
  linalg.fill ins(%zero : f32) outs(%g : memref<8x3xf32>)
  %top = memref.subview %g[0, 0] [4, 3] [1, 1] : memref<8x3xf32> to memref<4x3xf32, strided<[3, 1]>>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%top : memref<4x3xf32, strided<[3, 1]>>)
  return %c, %d, %e, %f, %g : memref<4x3xf32>, memref<4x3xf32>, memref<4x3xf32>, memref<4x3xf32>, memref<8x3xf32>
}

// -----

// Batch dims between matrix dims (attention heads between sequence and
// head dims): the operands are read through memref.transpose views, batch
// first. One batch dim (@middle_batch) is one batched call with its
// stride; two that no single stride spans (@heads: batch × heads) become a
// loop over the first around a batched call over the second, on CPU and
// GPU alike. The zero fill of the whole accumulator still goes.
// CHECK-LABEL: func.func @middle_batch
// CHECK: %[[T:.+]] = memref.transpose %{{.+}} (d0, d1, d2) -> (d1, d0, d2) : memref<3x2x5xf32> to memref<2x3x5xf32, strided<[5, 10, 1]>>
// CHECK-NOT: scf.for
// CHECK: %[[CT:.+]] = memref.cast %[[T]]
// CHECK: call @muon_cpu_batch_matmul_f32(%[[CT]], %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}})
// GPU-LABEL: func.func @middle_batch
// GPU-NOT: scf.for
// GPU: call @muon_gpu_gemm_f32
func.func @middle_batch(%a: memref<3x2x5xf32>, %b: memref<2x5x4xf32>, %c: memref<2x3x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (m, b, k)>,
                                   affine_map<(b, m, n, k) -> (b, k, n)>,
                                   affine_map<(b, m, n, k) -> (b, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<3x2x5xf32>, memref<2x5x4xf32>) outs(%c : memref<2x3x4xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @heads
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[TWO:.+]] = arith.constant 2 : index
// CHECK-NOT: linalg.fill
// CHECK: %[[Q:.+]] = memref.transpose %{{.+}} (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x3x4x5xf32> to memref<2x4x3x5xf32, strided<[60, 5, 20, 1]>>
// CHECK: %[[K:.+]] = memref.transpose %{{.+}} (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x6x4x5xf32> to memref<2x4x6x5xf32, strided<[120, 5, 20, 1]>>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[TWO]]
// CHECK: memref.subview %[[Q]][%[[I]], 0, 0, 0] [1, 4, 3, 5] [1, 1, 1, 1] : memref<2x4x3x5xf32, strided<[60, 5, 20, 1]>> to memref<4x3x5xf32, strided<[5, 20, 1], offset: ?>>
// CHECK: memref.subview %[[K]][%[[I]], 0, 0, 0] [1, 4, 6, 5]
// CHECK: memref.subview %{{.+}}[%[[I]], 0, 0, 0] [1, 4, 3, 6] [1, 1, 1, 1] : memref<2x4x3x6xf32> to memref<4x3x6xf32, strided<[18, 6, 1], offset: ?>>
// CHECK: call @muon_cpu_batch_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ZERO]])
// GPU-LABEL: func.func @heads
// GPU-NOT: linalg.fill
// GPU: scf.for
// GPU: memref.subview
// GPU: call @muon_gpu_gemm_f32
func.func @heads(%q: memref<2x3x4x5xf32>, %k: memref<2x6x4x5xf32>) -> memref<2x4x3x6xf32> {
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<2x4x3x6xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<2x4x3x6xf32>)
  linalg.generic {indexing_maps = [affine_map<(b, h, m, n, k) -> (b, m, h, k)>,
                                   affine_map<(b, h, m, n, k) -> (b, n, h, k)>,
                                   affine_map<(b, h, m, n, k) -> (b, h, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<2x3x4x5xf32>, memref<2x6x4x5xf32>) outs(%s : memref<2x4x3x6xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  }
  return %s : memref<2x4x3x6xf32>
}
