// Pass statistics exist only where LLVM/MLIR was built with them (assertions
// or LLVM_FORCE_ENABLE_STATS; Debian's release build has none).
// REQUIRES: pass-statistics
// RUN: muon-opt %s -optim-bucket -mlir-pass-statistics -mlir-pass-statistics-display=list -o /dev/null 2>&1 | FileCheck %s

// Two buckets (three 8x8 Muon updates, two AdamW updates of different
// sizes) of five ops; the lone 4x8 update is not counted.
// CHECK: OptimBucket
// CHECK-DAG: (S) 5 num-bucketed-ops
// CHECK-DAG: (S) 2 num-buckets
func.func @step(%a: tensor<8x8xf32>, %b: tensor<4x8xf32>, %v: tensor<16xf32>,
                %u: tensor<3xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>,
        tensor<16xf32>, tensor<3xf32>) {
  %a1, %ma1 = optim.muon %a, %a, %a, %lr : tensor<8x8xf32>, tensor<f32>
  %a2, %ma2 = optim.muon %a, %a, %a, %lr : tensor<8x8xf32>, tensor<f32>
  %a3, %ma3 = optim.muon %a, %a, %a, %lr : tensor<8x8xf32>, tensor<f32>
  %b1, %mb1 = optim.muon %b, %b, %b, %lr : tensor<4x8xf32>, tensor<f32>
  %v1:3 = optim.adamw %v, %v, %v, %v, %lr, %t
      : tensor<16xf32>, tensor<f32>, tensor<i64>
  %u1:3 = optim.adamw %u, %u, %u, %u, %lr, %t
      : tensor<3xf32>, tensor<f32>, tensor<i64>
  return %a1, %a2, %a3, %b1, %v1#0, %u1#0 : tensor<8x8xf32>, tensor<8x8xf32>,
      tensor<8x8xf32>, tensor<4x8xf32>, tensor<16xf32>, tensor<3xf32>
}
