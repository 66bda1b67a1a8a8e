// RUN: muon-opt %s --muon-distinct-returned-values | FileCheck %s

// A tensor returned twice gets a copy for its second result; other results
// and non-tensor values stay.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[T:.*]]: tensor<4xf32>, %[[I:.*]]: index)
// CHECK: %[[C:.*]] = bufferization.alloc_tensor() copy(%[[T]]) : tensor<4xf32>
// CHECK: %[[D:.*]] = bufferization.alloc_tensor() copy(%[[T]]) : tensor<4xf32>
// CHECK: return %[[T]], %[[C]], %[[I]], %[[I]], %[[D]]
func.func @twice(%t: tensor<4xf32>, %i: index)
    -> (tensor<4xf32>, tensor<4xf32>, index, index, tensor<4xf32>) {
  return %t, %t, %i, %i, %t : tensor<4xf32>, tensor<4xf32>, index, index, tensor<4xf32>
}

// CHECK-LABEL: func.func @distinct
// CHECK-NOT: alloc_tensor
func.func @distinct(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
