// muon_mlir.aot checks every argument against the JSON signature before
// calling: count, dtype, shape, contiguity, writable outputs; torch tensors
// in give torch tensors out, numpy arrays numpy arrays, and out= is filled.

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libaxpy.so
// RUN: %python %S/Inputs/check_wrapper.py %t/libaxpy.so | FileCheck %s

// CHECK: repr <muon AOT axpy([x: tensor<2x3xf32>, a: tensor<f32>]) -> [y: tensor<2x3xf32>]>
// CHECK: numpy [2. 2. 2. 2. 2. 2.]
// CHECK: count: axpy: expected 2 inputs (x, a), got 1
// CHECK: dtype: input x: expected dtype float32, got float64
// CHECK: shape: input x: expected shape (2, 3), got (3, 2)
// CHECK: contiguity: input x: expected a contiguous (row-major) buffer
// CHECK: read-only: output y: the array is read-only
// CHECK: out= [4. 4. 4. 4. 4. 4.]

func.func @axpy(%x: tensor<2x3xf32>, %a: tensor<f32>) -> tensor<2x3xf32> {
  %init = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
      affine_map<(i, j) -> ()>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x, %a : tensor<2x3xf32>, tensor<f32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%xi: f32, %ai: f32, %out: f32):
    %p = arith.mulf %xi, %ai : f32
    linalg.yield %p : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
