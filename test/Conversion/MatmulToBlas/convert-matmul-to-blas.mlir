// RUN: muon-opt %s -convert-matmul-to-blas -split-input-file | FileCheck %s

// A plain f32 GEMM becomes one runtime call with no transposes; the callee is
// declared once with the C interface.
// CHECK: func.func private @muon_cpu_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[A:.+]]: memref<4x8xf32>, %[[B:.+]]: memref<8x3xf32>, %[[C:.+]]: memref<4x3xf32>)
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[CA:.+]] = memref.cast %[[A]] : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[CB:.+]] = memref.cast %[[B]]
// CHECK-DAG: %[[CC:.+]] = memref.cast %[[C]]
// CHECK: call @muon_cpu_matmul_f32(%[[CA]], %[[CB]], %[[CC]], %[[NO]], %[[NO]])
// CHECK-NOT: linalg.matmul
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
// CHECK: call @muon_cpu_matmul_f32(%{{.+}}, %{{.+}}, %{{.+}}, %[[NO]], %[[YES]])
func.func @gram(%x: memref<8x16xf32>, %s: memref<4x4xf32>) {
  %v = memref.subview %x[0, 0] [4, 8] [1, 2] : memref<8x16xf32> to memref<4x8xf32, strided<[16, 2]>>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%v, %v : memref<4x8xf32, strided<[16, 2]>>, memref<4x8xf32, strided<[16, 2]>>) outs(%s : memref<4x4xf32>)
  return
}

// -----

// Aᵀ·B with bf16 inputs and f32 accumulation, batched.
// CHECK: func.func private @muon_cpu_batch_matmul_bf16(memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, i64)
// CHECK-LABEL: func.func @batched_bf16
// CHECK-DAG: %[[NO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[YES:.+]] = arith.constant 1 : i64
// CHECK: call @muon_cpu_batch_matmul_bf16(%{{.+}}, %{{.+}}, %{{.+}}, %[[YES]], %[[NO]])
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

// BLAS takes 32-bit sizes and leading dimensions: a K of 2^31 or a row
// stride of 2^31 keeps the (64-bit indexed) linalg op.
// CHECK-LABEL: func.func @beyond_blas_int
// CHECK-NOT: call @muon_cpu_matmul_f32
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<1x2147483648xf32>, memref<2147483648x1xf32>)
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<2x2xf32, strided<[2147483648, 1]>>, memref<2x2xf32>)
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
