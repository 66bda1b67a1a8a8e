// RUN: muon-opt %s -muon-drop-aliased-results -split-input-file -verify-diagnostics | FileCheck %s

// The result returned in the tied argument's buffer (through a cast, too) is
// dropped with the marking; the other result stays.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[W:.+]]: memref<4xf32>, %[[G:.+]]: memref<4xf32>) -> memref<4xf32>
// CHECK-NOT: optim.aliasing_output
// CHECK: return %{{.+}} : memref<4xf32>
func.func @step(%w: memref<4xf32> {optim.aliasing_output = 1 : i64}, %g: memref<4xf32>)
    -> (memref<4xf32>, memref<4xf32>) {
  %d = memref.alloc() : memref<4xf32>
  memref.copy %g, %d : memref<4xf32> to memref<4xf32>
  %c = memref.cast %w : memref<4xf32> to memref<4xf32>
  return %d, %c : memref<4xf32>, memref<4xf32>
}

// -----

func.func @fresh(%w: memref<4xf32> {optim.aliasing_output = 0 : i64}) -> memref<4xf32> {
  %d = memref.alloc() : memref<4xf32>
  // expected-error @+1 {{result 0 is not returned in the buffer of argument 0 (run muon-materialize-aliased-results before bufferization)}}
  return %d : memref<4xf32>
}

// -----

// expected-error @+1 {{cannot drop the results tied to arguments of a function that has callers}}
func.func private @callee(%w: memref<4xf32> {optim.aliasing_output = 0 : i64}) -> memref<4xf32> {
  return %w : memref<4xf32>
}
func.func @caller(%w: memref<4xf32>) -> memref<4xf32> {
  %r = call @callee(%w) : (memref<4xf32>) -> memref<4xf32>
  return %r : memref<4xf32>
}
