// RUN: muon-opt %s -muon-split-reductions -split-input-file | FileCheck %s
// RUN: muon-opt %s -muon-split-reductions="max-column-outputs=4096" -split-input-file | FileCheck %s --check-prefix=LIMIT
// RUN: muon-opt %s -muon-split-reductions="column-threads=0" -split-input-file | FileCheck %s --check-prefix=ANY
// RUN: not muon-opt %s -muon-split-reductions="chunk-length=0" -split-input-file 2>&1 | FileCheck %s --check-prefix=CHUNK0
// RUN: not muon-opt %s -muon-split-reductions="chunk-length=-4" -split-input-file 2>&1 | FileCheck %s --check-prefix=CHUNKNEG

// Chunks of no elements divide nothing: an error, not a division by zero.
// CHUNK0: error: muon-split-reductions: chunk-length must be > 0, got 0
// CHUNKNEG: error: muon-split-reductions: chunk-length must be > 0, got -4

// The loss: one output over 8192 elements. Chunks of 256: a first
// reduction into 32 partial sums (the chunk a parallel dim), a second into
// the output.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.+]]: tensor<8192xf32>, %[[INIT:.+]]: tensor<f32>)
// CHECK: %[[CHUNKS:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [32, 256]
// CHECK: %[[ZERO:.+]] = linalg.fill {{.*}} -> tensor<32xf32>
// CHECK: %[[PARTIAL:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[CHUNKS]] : tensor<32x256xf32>) outs(%[[ZERO]] : tensor<32xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%[[PARTIAL]] : tensor<32xf32>) outs(%[[INIT]] : tensor<f32>)
func.func @loss(%x: tensor<8192xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%x : tensor<8192xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A bias gradient: 768 columns over 8192 tokens. The first reduction has
// 64 × 768 outputs, each a chunk of 128 tokens of one column: chunks of 256
// would give 24576 threads, under `column-threads` (65536); 128 is the
// first divisor of 8192 from 8192 · 768 / 65536 = 96 on. With
// column-threads=0 the chunks stay at 256.
// CHECK-LABEL: func.func @bias_grad
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [64, 128, 768]
// CHECK: %[[PARTIAL:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x128x768xf32>) outs(%{{.+}} : tensor<64x768xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[PARTIAL]] : tensor<64x768xf32>) outs(%{{.+}} : tensor<768xf32>)
// ANY-LABEL: func.func @bias_grad
// ANY: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [32, 256, 768]
func.func @bias_grad(%dy: tensor<8192x768xf32>, %init: tensor<768xf32>) -> tensor<768xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>],
                       iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<8192x768xf32>) outs(%init : tensor<768xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<768xf32>
  return %r : tensor<768xf32>
}

// -----

// Left alone: a short reduction, one with many outputs, a length without a
// divisor in [256, 1024] (4099 is prime), and a reduction without a plain
// combiner.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: tensor.expand_shape
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: linalg.generic
func.func @left_alone(%short: tensor<4000xf32>, %wide: tensor<8192x8192xf32>, %prime: tensor<4099xf32>,
                      %s: tensor<f32>, %w: tensor<8192xf32>) -> (tensor<f32>, tensor<8192xf32>, tensor<f32>, tensor<f32>) {
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%short : tensor<4000xf32>) outs(%s : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %b = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%wide : tensor<8192x8192xf32>) outs(%w : tensor<8192xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8192xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%prime : tensor<4099xf32>) outs(%s : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  %d = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%w : tensor<8192xf32>) outs(%s : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %half = arith.constant 0.5 : f32
    %decayed = arith.mulf %acc, %half : f32
    %r = arith.addf %in, %decayed : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  return %a, %b, %c, %d : tensor<f32>, tensor<8192xf32>, tensor<f32>, tensor<f32>
}

// -----

// A loss over every element of a 2-D tensor: its two reduction dims are
// collapsed into one (contiguous in the input), then split.
// CHECK-LABEL: func.func @loss_2d
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1]] : tensor<64x128xf32> into tensor<8192xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [32, 256]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%{{.+}} : tensor<32x256xf32>) outs(%{{.+}} : tensor<32xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%{{.+}} : tensor<32xf32>) outs(%{{.+}} : tensor<f32>)
func.func @loss_2d(%x: tensor<64x128xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<64x128xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A bias gradient as imported graphs write it: linalg.reduce over batch and
// sequence (dims 0 and 1, contiguous), generalized, collapsed into one
// reduction dim of 8192 tokens and split like @bias_grad.
// CHECK-LABEL: func.func @bias_grad_reduce
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<8x1024x768xf32> into tensor<8192x768xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1], [2]] output_shape [64, 128, 768]
// CHECK: %[[PARTIAL:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<64x128x768xf32>) outs(%{{.+}} : tensor<64x768xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[PARTIAL]] : tensor<64x768xf32>) outs(%{{.+}} : tensor<768xf32>)
// CHECK-NOT: linalg.reduce
func.func @bias_grad_reduce(%dy: tensor<8x1024x768xf32>, %init: tensor<768xf32>) -> tensor<768xf32> {
  %r = linalg.reduce ins(%dy : tensor<8x1024x768xf32>) outs(%init : tensor<768xf32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<768xf32>
}

// -----

// A column reduction with many outputs (a language-model head's bias
// gradient) is split up to max-column-outputs; a row reduction with as many
// outputs (a softmax's row sums) is left to a block per row.
// CHECK-LABEL: func.func @head_bias_grad
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [32, 256, 50257]
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<32x50257xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<50257xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}} ins(%{{.+}} : tensor<50257x8192xf32>) outs(%{{.+}} : tensor<50257xf32>)
// LIMIT-LABEL: func.func @head_bias_grad
// LIMIT-NOT: tensor.expand_shape
func.func @head_bias_grad(%dy: tensor<8192x50257xf32>, %x: tensor<50257x8192xf32>, %init: tensor<50257xf32>) -> (tensor<50257xf32>, tensor<50257xf32>) {
  %r = linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>],
                       iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<8192x50257xf32>) outs(%init : tensor<50257xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<50257xf32>
  %rows = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r)>],
                          iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<50257x8192xf32>) outs(%init : tensor<50257xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<50257xf32>
  return %r, %rows : tensor<50257xf32>, tensor<50257xf32>
}

// -----

// A loss fused with the gather of its labels' log-probabilities reads
// linalg.index: splitReduction keeps the payload as it was, so each index
// is remapped to the split loops (the chunk dim is now dim 0), the split dim
// to its position before the split: chunk · 256 + position in the chunk.
// CHECK-LABEL: func.func @indexed_loss
// LIMIT-LABEL: func.func @indexed_loss
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [32, 256]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK-DAG: %[[WITHIN:.+]] = linalg.index 1 : index
// CHECK-DAG: %[[CHUNK:.+]] = linalg.index 0 : index
// CHECK-DAG: %[[LENGTH:.+]] = arith.constant 256 : index
// CHECK: %[[START:.+]] = arith.muli %[[CHUNK]], %[[LENGTH]] : index
// CHECK: %[[AT:.+]] = arith.addi %[[START]], %[[WITHIN]] : index
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %[[AT]]] : tensor<5x8192xf32>
func.func @indexed_loss(%labels: tensor<8192xi64>, %lp: tensor<5x8192xf32>,
                        %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%labels : tensor<8192xi64>) outs(%init : tensor<f32>) {
  ^bb0(%in: i64, %acc: f32):
    %c = arith.index_cast %in : i64 to index
    %i = linalg.index 0 : index
    %v = tensor.extract %lp[%c, %i] : tensor<5x8192xf32>
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// An index of a kept (parallel) dim moves with it: dim 0 becomes dim 1.
// CHECK-LABEL: func.func @indexed_rows
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: %[[ROW:.+]] = linalg.index 1 : index
// CHECK: arith.index_cast %[[ROW]] : index to i64
func.func @indexed_rows(%x: tensor<2x8192xi64>, %init: tensor<2xi64>) -> tensor<2xi64> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x8192xi64>) outs(%init : tensor<2xi64>) {
  ^bb0(%in: i64, %acc: i64):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i64
    %p = arith.muli %in, %c : i64
    %s = arith.addi %p, %acc : i64
    linalg.yield %s : i64
  } -> tensor<2xi64>
  return %r : tensor<2xi64>
}
