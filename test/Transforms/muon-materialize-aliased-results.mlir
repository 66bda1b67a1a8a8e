// RUN: muon-opt %s -muon-materialize-aliased-results -split-input-file -verify-diagnostics | FileCheck %s

// A tied argument becomes writable and the returned value is materialized in
// it; the untied result and argument are left alone.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[W:.+]]: tensor<4xf32> {bufferization.writable = true, optim.aliasing_output = 1 : i64}, %[[G:.+]]: tensor<4xf32>)
// CHECK: %[[W1:.+]] = arith.subf %[[W]], %[[G]]
// CHECK: %[[D:.+]] = arith.mulf %[[G]], %[[G]]
// CHECK: %[[M:.+]] = bufferization.materialize_in_destination %[[W1]] in %[[W]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK: return %[[D]], %[[M]]
func.func @step(%w: tensor<4xf32> {optim.aliasing_output = 1 : i64}, %g: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %w1 = arith.subf %w, %g : tensor<4xf32>
  %d = arith.mulf %g, %g : tensor<4xf32>
  return %d, %w1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Without the marking nothing changes.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: bufferization
func.func @plain(%w: tensor<4xf32>) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument 0: 'optim.aliasing_output' = 2 is not a result index (the function has 1 results)}}
func.func @out_of_range(%w: tensor<4xf32> {optim.aliasing_output = 2 : i64}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @+1 {{result 0 is tied to two arguments (0 and 1)}}
func.func @twice(%a: tensor<4xf32> {optim.aliasing_output = 0 : i64},
                 %b: tensor<4xf32> {optim.aliasing_output = 0 : i64}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument 0 of type 'tensor<4xf32>' cannot hold result 0 of type 'tensor<4xf16>'}}
func.func @types(%a: tensor<4xf32> {optim.aliasing_output = 0 : i64}) -> tensor<4xf16> {
  %h = arith.truncf %a : tensor<4xf32> to tensor<4xf16>
  return %h : tensor<4xf16>
}

// -----

// expected-error @+1 {{argument 0: 'optim.aliasing_output' must be an integer result index}}
func.func @not_an_index(%a: tensor<4xf32> {optim.aliasing_output = "w"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
