// The GPU pipeline takes straight-line steps: an update inside an scf.if (or
// scf.for, or a branch) yields buffers whose device allocation the memory
// conversion cannot see, so it says so where the buffer is freed instead of
// naming only the leftover memref.dealloc. (The CPU pipeline runs both:
// test/Pipelines/optimizer-in-loop.test.)
// RUN: not muon-opt %s --split-input-file --muon-gpu-pipeline=stop-after=gpu 2>&1 | FileCheck %s
// RUN: not muon-opt %s --split-input-file --muon-gpu-emulation-pipeline 2>&1 | FileCheck %s

// CHECK: gpu-control-flow.mlir:[[@LINE+9]]:3: error: 'memref.dealloc' op frees a buffer that crosses control flow (a region result or block argument); the GPU pipeline takes straight-line steps: keep loops and branches outside the compiled step
func.func @branch(%w: tensor<8x4xf32>, %g: tensor<8x4xf32>, %m: tensor<8x4xf32>,
                  %lr: tensor<f32>, %c: i1) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %r:2 = scf.if %c -> (tensor<8x4xf32>, tensor<8x4xf32>) {
    %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<8x4xf32>, tensor<f32>
    scf.yield %w1, %m1 : tensor<8x4xf32>, tensor<8x4xf32>
  } else {
    scf.yield %w, %m : tensor<8x4xf32>, tensor<8x4xf32>
  }
  return %r#0, %r#1 : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// CHECK: gpu-control-flow.mlir:[[@LINE+8]]:5: error: 'memref.dealloc' op frees a buffer that crosses control flow
func.func @loop(%w: tensor<8x4xf32>, %g: tensor<8x4xf32>, %m: tensor<8x4xf32>,
                %lr: tensor<f32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r:2 = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %w, %b = %m) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
    %w1, %m1 = optim.muon %a, %g, %b, %lr : tensor<8x4xf32>, tensor<f32>
    scf.yield %w1, %m1 : tensor<8x4xf32>, tensor<8x4xf32>
  }
  return %r#0, %r#1 : tensor<8x4xf32>, tensor<8x4xf32>
}
