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
  // expected-error @below {{'memref.alloc' op cannot be turned into a device memory operation (a dynamic shape, a non-identity allocation, a stack buffer or an unranked copy)}}
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return
}

// -----

// Sizes and offsets come from the data layout, as the LLVM lowering lays the
// buffers out: an i1 takes a byte (32 bytes for 32 flags, where their bit
// width would give 4 and the kernels would write past the allocation).
// CHECK-LABEL: func.func @byte_per_i1
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK: %[[RAW:.+]] = gpu.alloc () : memref<32xi8>
// CHECK: %[[FLAGS:.+]] = memref.view %[[RAW]][%{{.+}}][] : memref<32xi8> to memref<32xi1>
// CHECK: %[[HALF:.+]] = memref.view %[[RAW]][%[[C16]]][] : memref<32xi8> to memref<16xi1>
// CHECK: gpu.memcpy %[[HALF]], %{{.+}} : memref<16xi1>, memref<16xi1>
func.func @byte_per_i1(%arg: memref<16xi1>) -> memref<32xi1> {
  %flags = memref.alloc() : memref<32xi1>
  %half = memref.subview %flags[16] [16] [1] : memref<32xi1> to memref<16xi1, strided<[1], offset: 16>>
  memref.copy %arg, %half : memref<16xi1> to memref<16xi1, strided<[1], offset: 16>>
  return %flags : memref<32xi1>
}

// -----

// A constant global (a causal mask of the imported graph) lives in host
// memory: it is copied into device memory at the function's entry, also when
// read inside a loop, and freed at each return.
memref.global "private" constant @mask : memref<4x4xf32> = dense<0.0>
// CHECK-LABEL: func.func @constant_global
// CHECK: %[[HOST:.+]] = memref.get_global @mask : memref<4x4xf32>
// CHECK-NEXT: %[[RAW:.+]] = gpu.alloc () : memref<64xi8>
// CHECK: %[[MASK:.+]] = memref.view %[[RAW]][%{{.+}}][] : memref<64xi8> to memref<4x4xf32>
// CHECK-NEXT: gpu.memcpy %[[MASK]], %[[HOST]] : memref<4x4xf32>, memref<4x4xf32>
// CHECK: scf.for
// CHECK: linalg.add ins(%[[MASK]], %{{.+}} : memref<4x4xf32>, memref<4x4xf32>)
// CHECK: gpu.dealloc %[[RAW]] : memref<64xi8>
// CHECK-NEXT: return
func.func @constant_global(%arg: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %mask = memref.get_global @mask : memref<4x4xf32>
    linalg.add ins(%mask, %arg : memref<4x4xf32>, memref<4x4xf32>) outs(%out : memref<4x4xf32>)
  }
  return
}

// -----

// Kernels cannot read a mutable global (its host copy may change): an error,
// not a host address in a kernel.
memref.global "private" @state : memref<4xf32> = dense<0.0>
func.func @mutable_global(%out: memref<4xf32>) {
  // expected-error @+1 {{reads a global that kernels cannot read (not a constant of static shape)}}
  %state = memref.get_global @state : memref<4xf32>
  linalg.add ins(%state, %state : memref<4xf32>, memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// Host code's scalar reads of a constant keep reading the host's copy; the
// kernels' uses (a linalg op, a loop nest that becomes a kernel) read the
// device copy.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
// CHECK-LABEL: func.func @host_and_kernel_reads
// CHECK: %[[HOST:.+]] = memref.get_global @table : memref<4xf32>
// CHECK: %[[RAW:.+]] = gpu.alloc () : memref<16xi8>
// CHECK: %[[TABLE:.+]] = memref.view %[[RAW]]
// CHECK: gpu.memcpy %[[TABLE]], %[[HOST]]
// CHECK: memref.load %[[HOST]][%{{.+}}] : memref<4xf32>
// CHECK: linalg.add ins(%[[TABLE]], %[[TABLE]] : memref<4xf32>, memref<4xf32>)
// CHECK: scf.parallel
// CHECK-NEXT: memref.load %[[TABLE]]
func.func @host_and_kernel_reads(%out: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %table = memref.get_global @table : memref<4xf32>
  %first = memref.load %table[%c0] : memref<4xf32>
  linalg.add ins(%table, %table : memref<4xf32>, memref<4xf32>) outs(%out : memref<4xf32>)
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %v = memref.load %table[%i] : memref<4xf32>
    memref.store %v, %out[%i] : memref<4xf32>
  }
  return %first : f32
}

// -----

// A strided copy between arguments, with no linalg op in the input (the
// pass loads the dialect itself), becomes linalg.copy.
// CHECK-LABEL: func.func @strided_arguments
// CHECK: linalg.copy ins(%{{.*}} : memref<8x256xf32, strided<[768, 1], offset: 256>>) outs(%{{.*}} : memref<8x256xf32>)
func.func @strided_arguments(%d: memref<8x256xf32, strided<[768, 1], offset: 256>>, %e: memref<8x256xf32>) {
  memref.copy %d, %e : memref<8x256xf32, strided<[768, 1], offset: 256>> to memref<8x256xf32>
  return
}

// -----

func.func @unranked_copy(%u: memref<*xf32>, %v: memref<*xf32>) {
  // expected-error @below {{'memref.copy' op cannot be turned into a device memory operation}}
  memref.copy %u, %v : memref<*xf32> to memref<*xf32>
  return
}
