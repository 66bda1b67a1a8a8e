// RUN: muon-opt %s -convert-memory-to-gpu -split-input-file -verify-diagnostics | FileCheck %s

// Allocations become raw device bytes seen through a view; a contiguous
// slice of one is another view at its byte offset, so copying into it is a
// gpu.memcpy. A strided copy becomes linalg.copy (a kernel later); whole
// buffer fills are memsets; deallocations free the raw allocation.
// CHECK-LABEL: func.func @memory
// CHECK-SAME: (%[[ARG:.+]]: memref<4x8xf32>, %[[OUT:.+]]: memref<4x8xf32>)
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[RAW:.+]] = gpu.alloc () : memref<256xi8>
// CHECK: %[[SLICE:.+]] = memref.view %[[RAW]][%[[C128]]][] : memref<256xi8> to memref<4x8xf32>
// CHECK: gpu.memcpy %[[SLICE]], %[[ARG]] : memref<4x8xf32>, memref<4x8xf32>
// CHECK: %[[COLS:.+]] = memref.subview %[[OUT]][0, 0] [4, 4] [1, 1]
// CHECK: %[[SRC:.+]] = memref.subview %[[ARG]][0, 4] [4, 4] [1, 1]
// CHECK: linalg.copy ins(%[[SRC]] : {{.*}}) outs(%[[COLS]] : {{.*}})
// CHECK: gpu.memset %[[OUT]], %[[ZERO]] : memref<4x8xf32>, f32
// CHECK: gpu.dealloc %[[RAW]] : memref<256xi8>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
func.func @memory(%arg: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %cst = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<2x4x8xf32>
  %s0 = memref.subview %a[1, 0, 0] [1, 4, 8] [1, 1, 1] : memref<2x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.copy %arg, %s0 : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  %cols = memref.subview %out[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  %src = memref.subview %arg[0, 4] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %src, %cols : memref<4x4xf32, strided<[8, 1], offset: 4>> to memref<4x4xf32, strided<[8, 1]>>
  linalg.fill ins(%cst : f32) outs(%out : memref<4x8xf32>)
  memref.dealloc %a : memref<2x4x8xf32>
  return
}

// -----

// A fill of a strided slice or of 64-bit elements is not a memset; it stays
// linalg (a kernel later).
// CHECK-LABEL: func.func @not_memset
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT: gpu.memset
func.func @not_memset(%out: memref<4x8xf32>, %wide: memref<8xf64>) {
  %cst = arith.constant 1.0 : f32
  %one = arith.constant 1.0 : f64
  %cols = memref.subview %out[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  linalg.fill ins(%cst : f32) outs(%cols : memref<4x4xf32, strided<[8, 1]>>)
  linalg.fill ins(%one : f64) outs(%wide : memref<8xf64>)
  return
}

// -----

// Host stack buffers cannot hold device data.
func.func @stack() -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.alloca' op cannot be turned into a device memory operation}}
  %a = memref.alloca() : memref<4xf32>
  %v = memref.load %a[%c0] : memref<4xf32>
  return %v : f32
}

// -----

func.func @dynamic(%n: index) {
  // expected-error @below {{'memref.alloc' op cannot be turned into a device memory operation (a dynamic shape, a non-identity allocation or a stack buffer)}}
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}
