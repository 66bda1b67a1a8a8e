// RUN: muon-opt %s -split-input-file -muon-early-deallocation | FileCheck %s

// Each buffer is freed right after the last op using it, also through a
// view and from inside a loop nest, instead of at the end of the function.
// CHECK-LABEL: func.func @after_last_use
// CHECK: %[[A:.+]] = memref.alloc() : memref<4x8xf32>
// CHECK: %[[B:.+]] = memref.alloc() : memref<32xf32>
// CHECK: linalg.fill {{.*}} outs(%[[A]]
// CHECK: %[[FLAT:.+]] = memref.collapse_shape %[[A]]
// CHECK: memref.copy %[[FLAT]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: scf.for
// CHECK: memref.load %[[B]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK: call @sink
// CHECK-NEXT: return
func.func private @sink(%x: f32)
func.func @after_last_use(%out: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %a = memref.alloc() : memref<4x8xf32>
  %b = memref.alloc() : memref<32xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<4x8xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %b : memref<32xf32> to memref<32xf32>
  %sum = scf.for %i = %c0 to %c32 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %b[%i] : memref<32xf32>
    %s = arith.addf %acc, %x : f32
    scf.yield %s : f32
  }
  memref.store %sum, %out[] : memref<f32>
  call @sink(%sum) : (f32) -> ()
  memref.dealloc %a : memref<4x8xf32>
  memref.dealloc %b : memref<32xf32>
  return
}

// -----

// A buffer that may escape what the pass sees keeps its dealloc: a
// non-view op returning a memref from it (it could alias it), its pointer
// taken as an index, a tensor over it (read later through the tensor).
// CHECK-LABEL: func.func @escapes
// CHECK: call @pass_through
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: call @use
// CHECK: bufferization.to_tensor
// CHECK: tensor.extract
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func private @pass_through(%m: memref<8xf32>) -> memref<8xf32>
func.func private @use(%i: index)
func.func @escapes(%i: index) -> f32 {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %c = memref.alloc() : memref<8xf32>
  %alias = call @pass_through(%a) : (memref<8xf32>) -> memref<8xf32>
  %p = memref.extract_aligned_pointer_as_index %b : memref<8xf32> -> index
  call @use(%p) : (index) -> ()
  %t = bufferization.to_tensor %c restrict : memref<8xf32> to tensor<8xf32>
  %e = tensor.extract %t[%i] : tensor<8xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  memref.dealloc %c : memref<8xf32>
  return %e : f32
}
