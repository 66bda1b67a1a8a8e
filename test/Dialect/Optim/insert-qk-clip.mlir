// RUN: muon-opt %s -optim-insert-qk-clip -split-input-file -verify-diagnostics | FileCheck %s
// RUN: muon-opt %s -optim-insert-qk-clip="tau=30 alpha=0.25" -split-input-file | FileCheck %s --check-prefix=OPTS

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar4 = affine_map<(d0, d1, d2, d3) -> ()>

// MHA as torch exports it with separate x·W projections (heads along dim 1
// of W): reshape to [B, T, H, D], transpose, batch_matmul over B·H, scale,
// softmax. The max over batch, query and key positions is taken per head
// right after the scores — the row max over the softmax dim (the one the
// decomposed softmax shares), then over batch and query positions; the clip
// follows the later Muon update and the function returns the clipped
// weights.
// CHECK-LABEL: func.func @mha
// CHECK-SAME: %[[WQ:[^:]+]]: tensor<32x32xf32>, %[[WK:[^:]+]]: tensor<32x32xf32>
// CHECK: %[[SCALED:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<2x4x6x6xf32>, tensor<f32>)
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[ROW_INIT:.+]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.+}} : tensor<2x4x6xf32>)
// CHECK: %[[ROWMAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SCALED]] : tensor<2x4x6x6xf32>) outs(%[[ROW_INIT]] : tensor<2x4x6xf32>)
// CHECK: arith.maximumf
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4xf32>)
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]} ins(%[[ROWMAX]] : tensor<2x4x6xf32>) outs(%[[INIT]] : tensor<4xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.softmax dimension(3) ins(%[[SCALED]]
// CHECK: %[[WQ1:.+]], %{{.+}} = optim.muon %[[WQ]]
// CHECK: %[[WK1:.+]], %{{.+}} = optim.muon %[[WK]]
// CHECK: %[[NQ:.+]], %[[NK:.+]] = optim.qk_clip %[[WQ1]], %[[WK1]], %[[SMAX]] {head_axis = 1 : i64, head_dim = 8 : i64, num_heads = 4 : i64} : tensor<32x32xf32>, tensor<32x32xf32>, tensor<4xf32>
// CHECK: return %{{.+}}, %[[NQ]], %[[NK]]
// OPTS-LABEL: func.func @mha
// OPTS: optim.qk_clip {{.*}} {alpha = 2.500000e-01 : f64, head_axis = 1 : i64, head_dim = 8 : i64, num_heads = 4 : i64, tau = 3.000000e+01 : f64}
func.func @mha(%x: tensor<12x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<32x32xf32>,
               %gq: tensor<32x32xf32>, %gk: tensor<32x32xf32>, %mq: tensor<32x32xf32>,
               %mk: tensor<32x32xf32>, %lr: tensor<f32>)
    -> (tensor<2x4x6x6xf32>, tensor<32x32xf32>, tensor<32x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<12x32xf32>) -> tensor<12x32xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<12x32xf32>, tensor<32x32xf32>) outs(%z : tensor<12x32xf32>) -> tensor<12x32xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<12x32xf32>, tensor<32x32xf32>) outs(%z : tensor<12x32xf32>) -> tensor<12x32xf32>
  %q4 = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [2, 6, 4, 8] : tensor<12x32xf32> into tensor<2x6x4x8xf32>
  %k4 = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [2, 6, 4, 8] : tensor<12x32xf32> into tensor<2x6x4x8xf32>
  %eq = tensor.empty() : tensor<2x4x6x8xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x6x4x8xf32>) outs(%eq : tensor<2x4x6x8xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<2x4x8x6xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x6x4x8xf32>) outs(%ek : tensor<2x4x8x6xf32>) permutation = [0, 2, 3, 1]
  %q3 = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x4x6x8xf32> into tensor<8x6x8xf32>
  %k3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x6xf32> into tensor<8x8x6xf32>
  %es = tensor.empty() : tensor<8x6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s = linalg.batch_matmul ins(%q3, %k3 : tensor<8x6x8xf32>, tensor<8x8x6xf32>) outs(%zs : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 6, 6] : tensor<8x6x6xf32> into tensor<2x4x6x6xf32>
  %scale = arith.constant dense<0.353553385> : tensor<f32>
  %e4 = tensor.empty() : tensor<2x4x6x6xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #scalar4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s4, %scale : tensor<2x4x6x6xf32>, tensor<f32>) outs(%e4 : tensor<2x4x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x4x6x6xf32>
  %p = linalg.softmax dimension(3) ins(%scaled : tensor<2x4x6x6xf32>) outs(%e4 : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %wq1, %mq1 = optim.muon %wq, %gq, %mq, %lr : tensor<32x32xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %gk, %mk, %lr : tensor<32x32xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<2x4x6x6xf32>, tensor<32x32xf32>, tensor<32x32xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>

// masked_fill as exporters write it (ONNX Where): select(mask, -inf, scores)
// with a constant mask and fill. The max logit is taken of the masked
// scores, which the softmax normalizes.
// CHECK-LABEL: func.func @masked_fill
// CHECK: %[[MASKED:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<6x6xi1>, tensor<f32>, tensor<6x6xf32>)
// CHECK: arith.select
// CHECK: %[[ROWMAX:.+]] = linalg.generic {{.*}} ins(%[[MASKED]] : tensor<6x6xf32>) outs(%{{.+}} : tensor<6xf32>)
// CHECK: %[[EXPANDED:.+]] = tensor.expand_shape %[[ROWMAX]]
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}} ins(%[[EXPANDED]] : tensor<1x6xf32>) outs(%{{.+}} : tensor<1xf32>)
// CHECK: linalg.softmax dimension(1) ins(%[[MASKED]]
// CHECK: optim.qk_clip %{{.+}}, %{{.+}}, %[[SMAX]] {head_axis = 1 : i64, head_dim = 8 : i64, num_heads = 1 : i64} : tensor<32x8xf32>, tensor<32x8xf32>, tensor<1xf32>
func.func @masked_fill(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                       %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  %mask = arith.constant dense<[[false, true, true, true, true, true], [false, false, true, true, true, true],
      [false, false, false, true, true, true], [false, false, false, false, true, true],
      [false, false, false, false, false, true], [false, false, false, false, false, false]]> : tensor<6x6xi1>
  %fill = arith.constant dense<0xFF800000> : tensor<f32>
  %c = linalg.generic {indexing_maps = [#id2, #scalar2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %fill, %s : tensor<6x6xi1>, tensor<f32>, tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) {
  ^bb0(%m: i1, %f: f32, %a: f32, %o: f32):
    %r = arith.select %m, %f, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x6xf32>
  %p = linalg.softmax dimension(1) ins(%c : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %mom = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %mom, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %mom, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias3 = affine_map<(d0, d1, d2) -> (d2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar4 = affine_map<(d0, d1, d2, d3) -> ()>
#mask4 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// What muon-translate makes of a torch Linear(d, 3d) QKV projection: W is
// [3d, d] (heads along dim 0) and transposed, a bias is added, Q and K are
// slices of the features; the scores are divided by sqrt(D), masked, and
// the softmax is expanded (max, subtract, exp, ...). W_q/W_k are the first
// two thirds of one parameter: both slices are clipped by one op and
// written back; the bias gets its own rank-1 clip.
// CHECK-LABEL: func.func @fused_qkv
// CHECK-SAME: %[[W:[^:]+]]: tensor<96x32xf32>, %[[B:[^:]+]]: tensor<96xf32>
// CHECK: %[[MASKED:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<2x4x6x6xf32>, tensor<6x6xf32>)
// CHECK: %[[ROWMAX:.+]] = linalg.generic {{.*}} ins(%[[MASKED]] : tensor<2x4x6x6xf32>) outs(%{{.+}} : tensor<2x4x6xf32>)
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}} ins(%[[ROWMAX]] : tensor<2x4x6xf32>) outs(%{{.+}} : tensor<4xf32>)
// CHECK: %[[W1:[^ ,]+]], %{{.+}}, %{{.+}} = optim.adamw %[[W]]
// CHECK: %[[B1:[^ ,]+]], %{{.+}}, %{{.+}} = optim.adamw %[[B]]
// CHECK: %[[BQ:.+]] = tensor.extract_slice %[[B1]][0] [32] [1] : tensor<96xf32> to tensor<32xf32>
// CHECK: %[[BK:.+]] = tensor.extract_slice %[[B1]][32] [32] [1] : tensor<96xf32> to tensor<32xf32>
// CHECK: %[[CBQ:.+]], %[[CBK:.+]] = optim.qk_clip %[[BQ]], %[[BK]], %[[SMAX]] {head_dim = 8 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<32xf32>, tensor<4xf32>
// CHECK: %[[B2:.+]] = tensor.insert_slice %[[CBQ]] into %[[B1]][0] [32] [1]
// CHECK: %[[B3:.+]] = tensor.insert_slice %[[CBK]] into %[[B2]][32] [32] [1]
// CHECK: %[[WQ:.+]] = tensor.extract_slice %[[W1]][0, 0] [32, 32] [1, 1] : tensor<96x32xf32> to tensor<32x32xf32>
// CHECK: %[[WK:.+]] = tensor.extract_slice %[[W1]][32, 0] [32, 32] [1, 1] : tensor<96x32xf32> to tensor<32x32xf32>
// CHECK: %[[CQ:.+]], %[[CK:.+]] = optim.qk_clip %[[WQ]], %[[WK]], %[[SMAX]] {head_dim = 8 : i64, num_heads = 4 : i64} : tensor<32x32xf32>, tensor<32x32xf32>, tensor<4xf32>
// CHECK: %[[W2:.+]] = tensor.insert_slice %[[CQ]] into %[[W1]][0, 0] [32, 32] [1, 1]
// CHECK: %[[W3:.+]] = tensor.insert_slice %[[CK]] into %[[W2]][32, 0] [32, 32] [1, 1]
// CHECK: return %{{.+}}, %[[W3]], %[[B3]]
func.func @fused_qkv(%x: tensor<2x6x32xf32>, %w: tensor<96x32xf32>, %b: tensor<96xf32>,
                     %gw: tensor<96x32xf32>, %gb: tensor<96xf32>, %mw: tensor<96x32xf32>,
                     %vw: tensor<96x32xf32>, %mb: tensor<96xf32>, %vb: tensor<96xf32>,
                     %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<2x4x6x6xf32>, tensor<96x32xf32>, tensor<96xf32>) {
  %zero = arith.constant 0.0 : f32
  %ew = tensor.empty() : tensor<32x96xf32>
  %wt = linalg.transpose ins(%w : tensor<96x32xf32>) outs(%ew : tensor<32x96xf32>) permutation = [1, 0]
  %x2 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x6x32xf32> into tensor<12x32xf32>
  %e = tensor.empty() : tensor<12x96xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<12x96xf32>) -> tensor<12x96xf32>
  %mm = linalg.matmul ins(%x2, %wt : tensor<12x32xf32>, tensor<32x96xf32>) outs(%z : tensor<12x96xf32>) -> tensor<12x96xf32>
  %mm3 = tensor.expand_shape %mm [[0, 1], [2]] output_shape [2, 6, 96] : tensor<12x96xf32> into tensor<2x6x96xf32>
  %e3 = tensor.empty() : tensor<2x6x96xf32>
  %qkv = linalg.generic {indexing_maps = [#bias3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b, %mm3 : tensor<96xf32>, tensor<2x6x96xf32>) outs(%e3 : tensor<2x6x96xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<2x6x96xf32>
  %q = tensor.extract_slice %qkv[0, 0, 0] [2, 6, 32] [1, 1, 1] : tensor<2x6x96xf32> to tensor<2x6x32xf32>
  %k = tensor.extract_slice %qkv[0, 0, 32] [2, 6, 32] [1, 1, 1] : tensor<2x6x96xf32> to tensor<2x6x32xf32>
  %q4 = tensor.expand_shape %q [[0], [1], [2, 3]] output_shape [2, 6, 4, 8] : tensor<2x6x32xf32> into tensor<2x6x4x8xf32>
  %k4 = tensor.expand_shape %k [[0], [1], [2, 3]] output_shape [2, 6, 4, 8] : tensor<2x6x32xf32> into tensor<2x6x4x8xf32>
  %eq = tensor.empty() : tensor<2x4x6x8xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x6x4x8xf32>) outs(%eq : tensor<2x4x6x8xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<2x4x8x6xf32>
  %kt = linalg.transpose ins(%k4 : tensor<2x6x4x8xf32>) outs(%ek : tensor<2x4x8x6xf32>) permutation = [0, 2, 3, 1]
  %q3 = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x4x6x8xf32> into tensor<8x6x8xf32>
  %k3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x6xf32> into tensor<8x8x6xf32>
  %es = tensor.empty() : tensor<8x6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s = linalg.batch_matmul ins(%q3, %k3 : tensor<8x6x8xf32>, tensor<8x8x6xf32>) outs(%zs : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 4, 6, 6] : tensor<8x6x6xf32> into tensor<2x4x6x6xf32>
  %sqrt = arith.constant dense<2.82842708> : tensor<f32>
  %e4 = tensor.empty() : tensor<2x4x6x6xf32>
  %div = linalg.generic {indexing_maps = [#id4, #scalar4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s4, %sqrt : tensor<2x4x6x6xf32>, tensor<f32>) outs(%e4 : tensor<2x4x6x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %d = arith.divf %a, %c : f32
    linalg.yield %d : f32
  } -> tensor<2x4x6x6xf32>
  %mask = arith.constant dense<-1.0e9> : tensor<6x6xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #mask4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%div, %mask : tensor<2x4x6x6xf32>, tensor<6x6xf32>) outs(%e4 : tensor<2x4x6x6xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %d = arith.addf %a, %c : f32
    linalg.yield %d : f32
  } -> tensor<2x4x6x6xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x4x6x6xf32>) outs(%e4 : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %w1, %mw1, %vw1 = optim.adamw %w, %gw, %mw, %vw, %lr, %t : tensor<96x32xf32>, tensor<f32>, tensor<i64>
  %b1, %mb1, %vb1 = optim.adamw %b, %gb, %mb, %vb, %lr, %t : tensor<96xf32>, tensor<f32>, tensor<i64>
  return %p, %w1, %b1 : tensor<2x4x6x6xf32>, tensor<96x32xf32>, tensor<96xf32>
}

// -----

#bcast = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// GQA: 4 query heads over 2 key heads, each key head repeated twice right
// after itself (Llama's repeat_kv: expand [B, T, Hkv, 2, D], reshape), so
// query head h meets key head h / 2. The softmax reads the [B·H, T, T]
// scores: the head is split out of their row max for the per-head max.
// CHECK-LABEL: func.func @gqa
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [2, 4, 6] : tensor<8x6xf32> into tensor<2x4x6xf32>
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<4xf32>)
// CHECK: %[[WQ1:.+]], %{{.+}} = optim.muon %arg1
// CHECK: %[[WK1:.+]], %{{.+}} = optim.muon %arg2
// CHECK: optim.qk_clip %[[WQ1]], %[[WK1]], %[[SMAX]] {head_axis = 1 : i64, head_dim = 8 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<32x32xf32>, tensor<32x16xf32>, tensor<4xf32>
func.func @gqa(%x: tensor<12x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<32x16xf32>,
               %gq: tensor<32x32xf32>, %gk: tensor<32x16xf32>, %mq: tensor<32x32xf32>,
               %mk: tensor<32x16xf32>, %lr: tensor<f32>)
    -> (tensor<8x6x6xf32>, tensor<32x32xf32>, tensor<32x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<12x32xf32>) -> tensor<12x32xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<12x32xf32>, tensor<32x32xf32>) outs(%z : tensor<12x32xf32>) -> tensor<12x32xf32>
  %ekp = tensor.empty() : tensor<12x16xf32>
  %zk = linalg.fill ins(%zero : f32) outs(%ekp : tensor<12x16xf32>) -> tensor<12x16xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<12x32xf32>, tensor<32x16xf32>) outs(%zk : tensor<12x16xf32>) -> tensor<12x16xf32>
  %q4 = tensor.expand_shape %q [[0, 1], [2, 3]] output_shape [2, 6, 4, 8] : tensor<12x32xf32> into tensor<2x6x4x8xf32>
  %k4 = tensor.expand_shape %k [[0, 1], [2, 3]] output_shape [2, 6, 2, 8] : tensor<12x16xf32> into tensor<2x6x2x8xf32>
  %er = tensor.empty() : tensor<2x6x2x2x8xf32>
  %kr = linalg.generic {indexing_maps = [#bcast, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%k4 : tensor<2x6x2x8xf32>) outs(%er : tensor<2x6x2x2x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x6x2x2x8xf32>
  %k4r = tensor.collapse_shape %kr [[0], [1], [2, 3], [4]] : tensor<2x6x2x2x8xf32> into tensor<2x6x4x8xf32>
  %eq = tensor.empty() : tensor<2x4x6x8xf32>
  %qt = linalg.transpose ins(%q4 : tensor<2x6x4x8xf32>) outs(%eq : tensor<2x4x6x8xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<2x4x8x6xf32>
  %kt = linalg.transpose ins(%k4r : tensor<2x6x4x8xf32>) outs(%ek : tensor<2x4x8x6xf32>) permutation = [0, 2, 3, 1]
  %q3 = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<2x4x6x8xf32> into tensor<8x6x8xf32>
  %k3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x4x8x6xf32> into tensor<8x8x6xf32>
  %es = tensor.empty() : tensor<8x6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %s = linalg.batch_matmul ins(%q3, %k3 : tensor<8x6x8xf32>, tensor<8x8x6xf32>) outs(%zs : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<8x6x6xf32>) outs(%es : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %wq1, %mq1 = optim.muon %wq, %gq, %mq, %lr : tensor<32x32xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %gk, %mk, %lr : tensor<32x16xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<8x6x6xf32>, tensor<32x32xf32>, tensor<32x16xf32>
}

// -----

// One head, 2-D: softmax(q kᵀ) with q = x·W_q, kᵀ a transpose of x·W_k.
// The max is over all scores, as a one-element tensor.
// CHECK-LABEL: func.func @single_head
// CHECK: %[[S1:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0, 1]] output_shape [1, 6] : tensor<6xf32> into tensor<1x6xf32>
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}} ins(%[[S1]] : tensor<1x6xf32>) outs(%{{.+}} : tensor<1xf32>)
// CHECK: optim.qk_clip %{{.+}}, %{{.+}}, %[[SMAX]] {head_axis = 1 : i64, head_dim = 8 : i64, num_heads = 1 : i64} : tensor<32x8xf32>, tensor<32x8xf32>, tensor<1xf32>
func.func @single_head(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                       %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

// A softmax over x·W (an output head, a router) is no attention: nothing is
// added and no warning is given.
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT: optim.qk_clip
// CHECK: return
func.func @not_attention(%x: tensor<6x32xf32>, %w: tensor<32x10xf32>, %g: tensor<32x10xf32>,
                         %m: tensor<32x10xf32>, %lr: tensor<f32>) -> (tensor<6x10xf32>, tensor<32x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x10xf32>) -> tensor<6x10xf32>
  %l = linalg.matmul ins(%x, %w : tensor<6x32xf32>, tensor<32x10xf32>) outs(%z : tensor<6x10xf32>) -> tensor<6x10xf32>
  %p = linalg.softmax dimension(1) ins(%l : tensor<6x10xf32>) outs(%e : tensor<6x10xf32>) -> tensor<6x10xf32>
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<32x10xf32>, tensor<f32>
  return %p, %w1 : tensor<6x10xf32>, tensor<32x10xf32>
}

// -----

#bcast = affine_map<(d0, d1, d2) -> (0, d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// MLA with 2 heads: per-head chunks [q_C (4) | q_R (2)] of W_uq and
// [k_C (4) | V (4)] of W_ukv; the rotary key comes from W_dkv and is shared
// by both heads. Q and K are concatenations along the head features; the
// clip covers W_uq and W_ukv, not W_dkv.
// CHECK-LABEL: func.func @mla
// CHECK: %[[SMAX:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<2xf32>)
// CHECK: %[[WQ1:.+]], %{{.+}} = optim.muon %arg1
// CHECK: %[[WK1:.+]], %{{.+}} = optim.muon %arg2
// CHECK: %[[NQ:.+]], %[[NK:.+]] = optim.qk_clip %[[WQ1]], %[[WK1]], %[[SMAX]] {head_axis = 1 : i64, head_dim = 4 : i64, num_heads = 2 : i64, rope_head_dim = 2 : i64, v_head_dim = 4 : i64} : tensor<16x12xf32>, tensor<16x16xf32>, tensor<2xf32>
// CHECK: %[[WR1:.+]], %{{.+}} = optim.muon %arg3
// CHECK: return %{{.+}}, %[[NQ]], %[[NK]], %[[WR1]]
func.func @mla(%x: tensor<5x16xf32>, %wuq: tensor<16x12xf32>, %wukv: tensor<16x16xf32>,
               %wdkv: tensor<16x2xf32>, %lr: tensor<f32>)
    -> (tensor<2x5x5xf32>, tensor<16x12xf32>, tensor<16x16xf32>, tensor<16x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<5x12xf32>
  %zq = linalg.fill ins(%zero : f32) outs(%eq : tensor<5x12xf32>) -> tensor<5x12xf32>
  %q = linalg.matmul ins(%x, %wuq : tensor<5x16xf32>, tensor<16x12xf32>) outs(%zq : tensor<5x12xf32>) -> tensor<5x12xf32>
  %ek = tensor.empty() : tensor<5x16xf32>
  %zk = linalg.fill ins(%zero : f32) outs(%ek : tensor<5x16xf32>) -> tensor<5x16xf32>
  %kv = linalg.matmul ins(%x, %wukv : tensor<5x16xf32>, tensor<16x16xf32>) outs(%zk : tensor<5x16xf32>) -> tensor<5x16xf32>
  %er = tensor.empty() : tensor<5x2xf32>
  %zr = linalg.fill ins(%zero : f32) outs(%er : tensor<5x2xf32>) -> tensor<5x2xf32>
  %kr = linalg.matmul ins(%x, %wdkv : tensor<5x16xf32>, tensor<16x2xf32>) outs(%zr : tensor<5x2xf32>) -> tensor<5x2xf32>
  // Heads first: [H, S, chunk].
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [5, 2, 6] : tensor<5x12xf32> into tensor<5x2x6xf32>
  %eqt = tensor.empty() : tensor<2x5x6xf32>
  %qt = linalg.transpose ins(%q3 : tensor<5x2x6xf32>) outs(%eqt : tensor<2x5x6xf32>) permutation = [1, 0, 2]
  %kv3 = tensor.expand_shape %kv [[0], [1, 2]] output_shape [5, 2, 8] : tensor<5x16xf32> into tensor<5x2x8xf32>
  %ekt = tensor.empty() : tensor<2x5x8xf32>
  %kvt = linalg.transpose ins(%kv3 : tensor<5x2x8xf32>) outs(%ekt : tensor<2x5x8xf32>) permutation = [1, 0, 2]
  %qc = tensor.extract_slice %qt[0, 0, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x6xf32> to tensor<2x5x4xf32>
  %qr = tensor.extract_slice %qt[0, 0, 4] [2, 5, 2] [1, 1, 1] : tensor<2x5x6xf32> to tensor<2x5x2xf32>
  %kc = tensor.extract_slice %kvt[0, 0, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x8xf32> to tensor<2x5x4xf32>
  // The shared rotary key, broadcast over the heads.
  %kr3 = tensor.expand_shape %kr [[0, 1], [2]] output_shape [1, 5, 2] : tensor<5x2xf32> into tensor<1x5x2xf32>
  %ekr = tensor.empty() : tensor<2x5x2xf32>
  %krb = linalg.generic {indexing_maps = [#bcast, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%kr3 : tensor<1x5x2xf32>) outs(%ekr : tensor<2x5x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x5x2xf32>
  %e6 = tensor.empty() : tensor<2x5x6xf32>
  %q0 = tensor.insert_slice %qc into %e6[0, 0, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x4xf32> into tensor<2x5x6xf32>
  %qcat = tensor.insert_slice %qr into %q0[0, 0, 4] [2, 5, 2] [1, 1, 1] : tensor<2x5x2xf32> into tensor<2x5x6xf32>
  %k0 = tensor.insert_slice %kc into %e6[0, 0, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x4xf32> into tensor<2x5x6xf32>
  %kcat = tensor.insert_slice %krb into %k0[0, 0, 4] [2, 5, 2] [1, 1, 1] : tensor<2x5x2xf32> into tensor<2x5x6xf32>
  %etk = tensor.empty() : tensor<2x6x5xf32>
  %kT = linalg.transpose ins(%kcat : tensor<2x5x6xf32>) outs(%etk : tensor<2x6x5xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<2x5x5xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %s = linalg.batch_matmul ins(%qcat, %kT : tensor<2x5x6xf32>, tensor<2x6x5xf32>) outs(%zs : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x5x5xf32>) outs(%es : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %gq = arith.constant dense<1.0> : tensor<16x12xf32>
  %gk = arith.constant dense<1.0> : tensor<16x16xf32>
  %gr = arith.constant dense<1.0> : tensor<16x2xf32>
  %wuq1, %mq = optim.muon %wuq, %gq, %gq, %lr : tensor<16x12xf32>, tensor<f32>
  %wukv1, %mk = optim.muon %wukv, %gk, %gk, %lr : tensor<16x16xf32>, tensor<f32>
  %wdkv1, %mr = optim.muon %wdkv, %gr, %gr, %lr : tensor<16x2xf32>, tensor<f32>
  return %p, %wuq1, %wukv1, %wdkv1 : tensor<2x5x5xf32>, tensor<16x12xf32>, tensor<16x16xf32>, tensor<16x2xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#bias2 = affine_map<(d0, d1) -> (d1)>

// Only the query projection has a bias: its clip pairs it with zeros for
// the absent key bias (whose result is unused).
// CHECK-LABEL: func.func @query_bias_only
// CHECK: %[[B1:[^ ,]+]], %{{.+}} = optim.adamw %arg3
// CHECK: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<8xf32>
// CHECK: %[[CB:.+]], %{{.+}} = optim.qk_clip %[[B1]], %[[ZERO]], %{{.+}} {head_dim = 8 : i64, num_heads = 1 : i64} : tensor<8xf32>, tensor<8xf32>, tensor<1xf32>
// CHECK: %[[CQ:.+]], %[[CK:.+]] = optim.qk_clip
// CHECK: return %{{.+}}, %[[CQ]], %[[CK]], %[[CB]]
func.func @query_bias_only(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                           %bq: tensor<8xf32>, %g: tensor<32x8xf32>, %gb: tensor<8xf32>,
                           %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q0 = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.generic {indexing_maps = [#id2, #bias2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%q0, %bq : tensor<6x8xf32>, tensor<8xf32>) outs(%e : tensor<6x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<6x8xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %wq1, %mq = optim.muon %wq, %g, %g, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk = optim.muon %wk, %g, %g, %lr : tensor<32x8xf32>, tensor<f32>
  %bq1, %mb, %vb = optim.adamw %bq, %gb, %gb, %gb, %lr, %t : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %p, %wq1, %wk1, %bq1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>, tensor<8xf32>
}
