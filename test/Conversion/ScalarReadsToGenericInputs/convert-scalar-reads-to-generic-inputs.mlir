// RUN: muon-opt %s -convert-scalar-reads-to-generic-inputs -split-input-file | FileCheck %s

// lr read from its 0-d tensor and scaled outside the generic: the generic
// takes the tensor as an input with a () map and computes the scalar in its
// body; the read outside is gone.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @update
// CHECK-SAME: (%[[W:.+]]: tensor<4x8xf32>, %[[O:.+]]: tensor<4x8xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK: %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[SCALAR]], #[[ID]]]
// CHECK-SAME: ins(%[[W]], %[[O]], %[[LR]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK: ^bb0(%[[WE:.+]]: f32, %[[OE:.+]]: f32, %[[LRE:.+]]: f32, %{{.+}}: f32):
// CHECK:   %[[STEP:.+]] = arith.mulf %[[LRE]], %[[HALF]] : f32
// CHECK:   %[[DELTA:.+]] = arith.mulf %[[STEP]], %[[OE]] : f32
// CHECK:   arith.subf %[[WE]], %[[DELTA]] : f32
func.func @update(%w: tensor<4x8xf32>, %o: tensor<4x8xf32>, %lr: tensor<f32>) -> tensor<4x8xf32> {
  %half = arith.constant 0.5 : f32
  %lr_value = tensor.extract %lr[] : tensor<f32>
  %step = arith.mulf %lr_value, %half : f32
  %init = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w, %o : tensor<4x8xf32>, tensor<4x8xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %d = arith.mulf %step, %y : f32
    %n = arith.subf %x, %d : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Two 0-d tensors (lr, an integer step count) feeding one scalar; a
// captured value that reads nothing (a function argument) stays captured.
// CHECK-LABEL: func.func @two_reads
// CHECK-SAME: (%[[X:.+]]: tensor<8xf32>, %[[LR:.+]]: tensor<f32>, %[[T:.+]]: tensor<i64>, %[[S:.+]]: f32)
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]], %[[LR]], %[[T]] : tensor<8xf32>, tensor<f32>, tensor<i64>)
// CHECK: ^bb0(%[[XE:.+]]: f32, %[[LRE:.+]]: f32, %[[TE:.+]]: i64, %{{.+}}: f32):
// CHECK:   %[[TF:.+]] = arith.sitofp %[[TE]] : i64 to f32
// CHECK:   %[[SC:.+]] = arith.mulf %[[LRE]], %[[TF]] : f32
// CHECK:   %[[P:.+]] = arith.mulf %[[XE]], %[[SC]] : f32
// CHECK:   arith.addf %[[P]], %[[S]] : f32
func.func @two_reads(%x: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>, %s: f32) -> tensor<8xf32> {
  %lr_value = tensor.extract %lr[] : tensor<f32>
  %t_value = tensor.extract %t[] : tensor<i64>
  %t_float = arith.sitofp %t_value : i64 to f32
  %scale = arith.mulf %lr_value, %t_float : f32
  %init = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %p = arith.mulf %a, %scale : f32
    %q = arith.addf %p, %s : f32
    linalg.yield %q : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A read that something other than a generic uses stays where it is; the
// generic still reads its own copy.
// CHECK-LABEL: func.func @shared_read
// CHECK: %[[V:.+]] = tensor.extract
// CHECK: linalg.generic
// CHECK-SAME: tensor<f32>)
// CHECK: return %{{.+}}, %[[V]]
func.func @shared_read(%x: tensor<8xf32>, %lr: tensor<f32>) -> (tensor<8xf32>, f32) {
  %lr_value = tensor.extract %lr[] : tensor<f32>
  %init = tensor.empty() : tensor<8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%a: f32, %out: f32):
    %p = arith.mulf %a, %lr_value : f32
    linalg.yield %p : f32
  } -> tensor<8xf32>
  return %r, %lr_value : tensor<8xf32>, f32
}
