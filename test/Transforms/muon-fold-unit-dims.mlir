// RUN: muon-opt %s --muon-fold-unit-dims --split-input-file | FileCheck %s

// A kept row statistic read through a constant index is read as the
// collapsed [rows] tensor, through a projected permutation that reshape
// propagation and elementwise fusion can work with.
// CHECK-LABEL: func.func @kept_dim_read
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[M:.+]]: tensor<8x1xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[M]] {{\[}}[0, 1]] : tensor<8x1xf32> into tensor<8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID:.+]], #[[$ROW:.+]], #[[$ID]]]
// CHECK-SAME: ins(%[[X]], %[[ROWS]] : tensor<8x64xf32>, tensor<8xf32>)
func.func @kept_dim_read(%x: tensor<8x64xf32>, %m: tensor<8x1xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                        affine_map<(d0, d1) -> (d0, 0)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<8x64xf32>, tensor<8x1xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// A reduction over [8, 1, 64] into its kept dim: the unit dim goes from
// the loops, the result is expanded back for its users.
// CHECK-LABEL: func.func @kept_dim_reduction
// CHECK: %[[IN:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<8x1x64xf32> into tensor<8x64xf32>
// CHECK: %[[R:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[IN]] : tensor<8x64xf32>) outs(%{{.+}} : tensor<8xf32>)
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
func.func @kept_dim_reduction(%x: tensor<8x1x64xf32>, %init: tensor<8x1xf32>) -> tensor<8x1xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>,
                                        affine_map<(d0, d1, d2) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<8x1x64xf32>) outs(%init : tensor<8x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8x1xf32>
  return %r : tensor<8x1xf32>
}

// -----

// An update computed into its own loop-carried tensor keeps reading and
// writing it (upstream's linalg-fold-unit-extent-dims moves the init to
// the inputs and writes a fresh tensor, which one-shot bufferization
// rejects as a yield not equivalent to the iteration argument).
// CHECK-LABEL: func.func @in_place_update
// CHECK: scf.for {{.+}} iter_args(%[[X:.+]] = %{{.+}}) -> (tensor<4x8xf32>)
// CHECK: %[[U:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<4x8xf32>) outs(%[[X]] : tensor<4x8xf32>)
// CHECK: scf.yield %[[U]]
func.func @in_place_update(%x0: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %r = scf.for %i = %c0 to %c5 step %c1 iter_args(%x = %x0) -> (tensor<4x8xf32>) {
    %u = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%b : tensor<4x8xf32>) outs(%x : tensor<4x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32>
    scf.yield %u : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// Named ops (GEMMs convert-matmul-to-blas maps) are left alone.
// CHECK-LABEL: func.func @named_matmul
// CHECK: linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<1x4x8xf32>, tensor<1x8x2xf32>)
func.func @named_matmul(%a: tensor<1x4x8xf32>, %b: tensor<1x8x2xf32>, %c: tensor<1x4x2xf32>) -> tensor<1x4x2xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<1x4x8xf32>, tensor<1x8x2xf32>) outs(%c : tensor<1x4x2xf32>) -> tensor<1x4x2xf32>
  return %r : tensor<1x4x2xf32>
}
