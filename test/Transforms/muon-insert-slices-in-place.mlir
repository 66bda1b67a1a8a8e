// RUN: muon-opt %s --split-input-file --muon-insert-slices-in-place | FileCheck %s
// RUN: muon-opt %s --split-input-file --muon-insert-slices-in-place --eliminate-empty-tensors --one-shot-bufferize="bufferize-function-boundaries" --cse --canonicalize | FileCheck %s --check-prefix=BUF

// The Q, K, V gradients of a fused projection: head transposes collapsed to
// [batch, seq, heads·head_dim] and concatenated. The chain is rebuilt in
// the order of its sources (V, Q, K), each insertion right after its
// source; the collapsed ones insert the 4-D transposes into the expanded
// destination (expand right after the previous insertion).
// CHECK-LABEL: func.func @qkv_gradient
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8x16xf32>, %[[K:.*]]: tensor<2x64x8xf32>, %[[V:.*]]: tensor<2x4x8x16xf32>)
// CHECK: %[[ROOT:.*]] = tensor.empty() : tensor<2x8x192xf32>
// CHECK-NEXT: %[[ROOTX:.*]] = tensor.expand_shape %[[ROOT]] {{\[}}[0], [1], [2, 3]] output_shape [2, 8, 12, 16]
// CHECK: %[[TV:.*]] = linalg.transpose ins(%[[V]]
// CHECK-NEXT: %[[IV:.*]] = tensor.insert_slice %[[TV]] into %[[ROOTX]][0, 0, 8, 0] [2, 8, 4, 16] [1, 1, 1, 1] : tensor<2x8x4x16xf32> into tensor<2x8x12x16xf32>
// CHECK: %[[TQ:.*]] = linalg.transpose ins(%[[Q]]
// CHECK-NEXT: %[[IQ:.*]] = tensor.insert_slice %[[TQ]] into %[[IV]][0, 0, 0, 0] [2, 8, 4, 16] [1, 1, 1, 1]
// CHECK-NEXT: %[[CQ:.*]] = tensor.collapse_shape %[[IQ]] {{\[}}[0], [1], [2, 3]] : tensor<2x8x12x16xf32> into tensor<2x8x192xf32>
// CHECK: %[[TK:.*]] = linalg.transpose ins(%[[K]]
// CHECK-NEXT: %[[IK:.*]] = tensor.insert_slice %[[TK]] into %[[CQ]][0, 0, 64] [2, 8, 64] [1, 1, 1]
// CHECK-NEXT: return %[[IK]]
// Bufferized (with empty-tensor elimination), each transpose writes into
// its slice of one buffer: no copy and no other allocation.
// BUF-LABEL: func.func @qkv_gradient
// BUF-COUNT-1: memref.alloc
// BUF-NOT: memref.copy
// BUF-COUNT-3: linalg.transpose
// BUF-NOT: memref.copy
// BUF: return
func.func @qkv_gradient(%q: tensor<2x4x8x16xf32>, %k: tensor<2x64x8xf32>, %v: tensor<2x4x8x16xf32>) -> tensor<2x8x192xf32> {
  %root = tensor.empty() : tensor<2x8x192xf32>
  %ev = tensor.empty() : tensor<2x8x4x16xf32>
  %tv = linalg.transpose ins(%v : tensor<2x4x8x16xf32>) outs(%ev : tensor<2x8x4x16xf32>) permutation = [0, 2, 1, 3]
  %cv = tensor.collapse_shape %tv [[0], [1], [2, 3]] : tensor<2x8x4x16xf32> into tensor<2x8x64xf32>
  %eq = tensor.empty() : tensor<2x8x4x16xf32>
  %tq = linalg.transpose ins(%q : tensor<2x4x8x16xf32>) outs(%eq : tensor<2x8x4x16xf32>) permutation = [0, 2, 1, 3]
  %cq = tensor.collapse_shape %tq [[0], [1], [2, 3]] : tensor<2x8x4x16xf32> into tensor<2x8x64xf32>
  %ek = tensor.empty() : tensor<2x8x64xf32>
  %tk = linalg.transpose ins(%k : tensor<2x64x8xf32>) outs(%ek : tensor<2x8x64xf32>) permutation = [0, 2, 1]
  %0 = tensor.insert_slice %cq into %root[0, 0, 0] [2, 8, 64] [1, 1, 1] : tensor<2x8x64xf32> into tensor<2x8x192xf32>
  %1 = tensor.insert_slice %tk into %0[0, 0, 64] [2, 8, 64] [1, 1, 1] : tensor<2x8x64xf32> into tensor<2x8x192xf32>
  %2 = tensor.insert_slice %cv into %1[0, 0, 128] [2, 8, 64] [1, 1, 1] : tensor<2x8x64xf32> into tensor<2x8x192xf32>
  return %2 : tensor<2x8x192xf32>
}

// -----

// Overlapping slices: the chain keeps its order (the later insertion wins
// where they overlap), and only the collapse is rewritten.
// CHECK-LABEL: func.func @overlapping
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 8]
// CHECK: %[[I0:.*]] = tensor.insert_slice %{{.*}} into %[[E]][0, 0] [2, 8] [1, 1] : tensor<2x8xf32> into tensor<4x8xf32>
// CHECK: %[[C0:.*]] = tensor.collapse_shape %[[I0]]
// CHECK: tensor.insert_slice %{{.*}} into %[[C0]][8] [16] [1] : tensor<16xf32> into tensor<32xf32>
func.func @overlapping(%a: tensor<2x8xf32>, %b: tensor<16xf32>, %d: tensor<32xf32>) -> tensor<32xf32> {
  %c = tensor.collapse_shape %a [[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
  %0 = tensor.insert_slice %c into %d[0] [16] [1] : tensor<16xf32> into tensor<32xf32>
  %1 = tensor.insert_slice %b into %0[8] [16] [1] : tensor<16xf32> into tensor<32xf32>
  return %1 : tensor<32xf32>
}

// -----

// An offset the collapsed inner extent does not divide (a slice starting
// mid-row of the expanded form), a dynamic offset and a strided slice stay.
// CHECK-LABEL: func.func @not_a_box
// CHECK-NOT: tensor.expand_shape
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[4] [16] [1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}] [16] [1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0] [16] [2]
func.func @not_a_box(%a: tensor<2x8xf32>, %d: tensor<32xf32>, %i: index) -> (tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %c = tensor.collapse_shape %a [[0, 1]] : tensor<2x8xf32> into tensor<16xf32>
  %0 = tensor.insert_slice %c into %d[4] [16] [1] : tensor<16xf32> into tensor<32xf32>
  %1 = tensor.insert_slice %c into %d[%i] [16] [1] : tensor<16xf32> into tensor<32xf32>
  %2 = tensor.insert_slice %c into %d[0] [16] [2] : tensor<16xf32> into tensor<32xf32>
  return %0, %1, %2 : tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

// An intermediate result read elsewhere ends the chain: no reordering.
// CHECK-LABEL: func.func @shared_intermediate
// CHECK: %[[I0:.*]] = tensor.insert_slice %arg0 into %arg2[0] [8] [1]
// CHECK: %[[I1:.*]] = tensor.insert_slice %arg1 into %[[I0]][8] [8] [1]
// CHECK: return %[[I0]], %[[I1]]
func.func @shared_intermediate(%a: tensor<8xf32>, %b: tensor<8xf32>, %d: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %0 = tensor.insert_slice %a into %d[0] [8] [1] : tensor<8xf32> into tensor<16xf32>
  %1 = tensor.insert_slice %b into %0[8] [8] [1] : tensor<8xf32> into tensor<16xf32>
  return %0, %1 : tensor<16xf32>, tensor<16xf32>
}
