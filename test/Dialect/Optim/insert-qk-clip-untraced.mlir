// RUN: muon-opt %s -optim-insert-qk-clip -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not muon-opt %s -optim-insert-qk-clip="tau=-1" -split-input-file 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not muon-opt %s -optim-insert-qk-clip="tau=inf" -split-input-file 2>&1 | FileCheck %s --check-prefix=INF

// Attentions the pass cannot clip get a warning at the softmax saying why,
// and are left unchanged.
// CHECK-NOT: optim.qk_clip
// OPTION: error: optim-insert-qk-clip expects a finite tau > 0 and alpha in [0, 1], got tau=-1.000000e+00, alpha=5.000000e-01
// Rejected like optim.qk_clip's verifier would reject the op it inserts.
// INF: error: optim-insert-qk-clip expects a finite tau > 0 and alpha in [0, 1], got tau=INF, alpha=5.000000e-01

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// K goes through tanh (named by its location): not linear in W_k.
func.func @nonlinear_key(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                         %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k0 = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%k0 : tensor<6x8xf32>) outs(%e : tensor<6x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<6x8xf32> loc("/attn/k_act")
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  // expected-warning@+1 {{attention not clipped: the key comes from 'linalg.generic' (/attn/k_act), not from a projection x·W (+ b) through reshapes, transposes, slices, broadcasts and constant scaling}}
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

// W_k is traced but no optimizer op updates it (frozen, or updated in
// another function).
func.func @frozen_key(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32> {onnx.name = "attn.k.weight"},
                      %g: tensor<32x8xf32>, %lr: tensor<f32>) -> (tensor<6x6xf32>, tensor<32x8xf32>) {
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
  // expected-warning@+1 {{attention not clipped: W_k ('attn.k.weight') is not updated by exactly one optimizer op in this block}}
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1 : tensor<6x6xf32>, tensor<32x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Soft-capped scores (tanh between QKᵀ and the softmax): the max logit the
// clip needs is not the softmax input.
func.func @softcap(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
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
  %c = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<6x6xf32> loc("/attn/softcap")
  // expected-warning@+1 {{attention not clipped: the scores come from QKᵀ through 'linalg.generic' (/attn/softcap), which the pass cannot see through}}
  %p = linalg.softmax dimension(1) ins(%c : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A select whose condition comes from the scores themselves (a clamp of
// large logits): not a masked_fill with a fixed mask.
func.func @score_dependent_select(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                                  %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %cap = arith.constant 5.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  %big = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.cmpf ogt, %a, %cap : f32
    %f = arith.uitofp %t : i1 to f32
    linalg.yield %f : f32
  } -> tensor<6x6xf32>
  %c = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%big, %s : tensor<6x6xf32>, tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) {
  ^bb0(%b: f32, %a: f32, %o: f32):
    %t = arith.cmpf one, %b, %zero : f32
    %r = arith.select %t, %cap, %a : f32
    linalg.yield %r : f32
  } -> tensor<6x6xf32> loc("/attn/clamp")
  // expected-warning@+1 {{attention not clipped: the scores come from QKᵀ through 'linalg.generic' (/attn/clamp), which the pass cannot see through}}
  %p = linalg.softmax dimension(1) ins(%c : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}

// -----

#bcast = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// Key heads tiled (query head h meets key head h mod 2) instead of repeated
// in place: optim.qk_clip's groups are consecutive query heads.
func.func @gqa_tiled(%x: tensor<12x32xf32>, %wq: tensor<32x32xf32>, %wk: tensor<32x16xf32>,
                     %gq: tensor<32x32xf32>, %gk: tensor<32x16xf32>, %lr: tensor<f32>)
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
  // expected-warning@+1 {{attention not clipped: the batch of QKᵀ is not (…, head, …) on both sides (a key head may be followed by its repeat)}}
  %p = linalg.softmax dimension(2) ins(%s : tensor<8x6x6xf32>) outs(%es : tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %wq1, %mq1 = optim.muon %wq, %gq, %gq, %lr : tensor<32x32xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %gk, %gk, %lr : tensor<32x16xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<8x6x6xf32>, tensor<32x32xf32>, tensor<32x16xf32>
}

// -----

#bcast = affine_map<(d0, d1, d2) -> (0, d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// MLA-like attention whose rotary query part comes from its own weight:
// optim.qk_clip's MLA rule needs [q_C | q_R] chunks of one W_uq.
func.func @mla_separate_rotary_query(%x: tensor<5x16xf32>, %wuq: tensor<16x8xf32>, %wqr: tensor<16x4xf32>,
                                     %wukv: tensor<16x16xf32>, %wdkv: tensor<16x2xf32>, %lr: tensor<f32>)
    -> (tensor<2x5x5xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<5x8xf32>
  %zq = linalg.fill ins(%zero : f32) outs(%eq : tensor<5x8xf32>) -> tensor<5x8xf32>
  %q = linalg.matmul ins(%x, %wuq : tensor<5x16xf32>, tensor<16x8xf32>) outs(%zq : tensor<5x8xf32>) -> tensor<5x8xf32>
  %eqr = tensor.empty() : tensor<5x4xf32>
  %zqr = linalg.fill ins(%zero : f32) outs(%eqr : tensor<5x4xf32>) -> tensor<5x4xf32>
  %qr0 = linalg.matmul ins(%x, %wqr : tensor<5x16xf32>, tensor<16x4xf32>) outs(%zqr : tensor<5x4xf32>) -> tensor<5x4xf32>
  %ek = tensor.empty() : tensor<5x16xf32>
  %zk = linalg.fill ins(%zero : f32) outs(%ek : tensor<5x16xf32>) -> tensor<5x16xf32>
  %kv = linalg.matmul ins(%x, %wukv : tensor<5x16xf32>, tensor<16x16xf32>) outs(%zk : tensor<5x16xf32>) -> tensor<5x16xf32>
  %er = tensor.empty() : tensor<5x2xf32>
  %zr = linalg.fill ins(%zero : f32) outs(%er : tensor<5x2xf32>) -> tensor<5x2xf32>
  %kr = linalg.matmul ins(%x, %wdkv : tensor<5x16xf32>, tensor<16x2xf32>) outs(%zr : tensor<5x2xf32>) -> tensor<5x2xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [5, 2, 4] : tensor<5x8xf32> into tensor<5x2x4xf32>
  %eqt = tensor.empty() : tensor<2x5x4xf32>
  %qc = linalg.transpose ins(%q3 : tensor<5x2x4xf32>) outs(%eqt : tensor<2x5x4xf32>) permutation = [1, 0, 2]
  %qr3 = tensor.expand_shape %qr0 [[0], [1, 2]] output_shape [5, 2, 2] : tensor<5x4xf32> into tensor<5x2x2xf32>
  %eqrt = tensor.empty() : tensor<2x5x2xf32>
  %qr = linalg.transpose ins(%qr3 : tensor<5x2x2xf32>) outs(%eqrt : tensor<2x5x2xf32>) permutation = [1, 0, 2]
  %kv3 = tensor.expand_shape %kv [[0], [1, 2]] output_shape [5, 2, 8] : tensor<5x16xf32> into tensor<5x2x8xf32>
  %ekt = tensor.empty() : tensor<2x5x8xf32>
  %kvt = linalg.transpose ins(%kv3 : tensor<5x2x8xf32>) outs(%ekt : tensor<2x5x8xf32>) permutation = [1, 0, 2]
  %kc = tensor.extract_slice %kvt[0, 0, 0] [2, 5, 4] [1, 1, 1] : tensor<2x5x8xf32> to tensor<2x5x4xf32>
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
  // expected-warning@+1 {{attention not clipped: MLA expects W_uq with per-head [q_C | q_R] chunks and W_ukv with per-head [k_C | V] chunks}}
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x5x5xf32>) outs(%es : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
  %gq = arith.constant dense<1.0> : tensor<16x8xf32>
  %gqr = arith.constant dense<1.0> : tensor<16x4xf32>
  %gk = arith.constant dense<1.0> : tensor<16x16xf32>
  %wuq1, %mq = optim.muon %wuq, %gq, %gq, %lr : tensor<16x8xf32>, tensor<f32>
  %wqr1, %mqr = optim.muon %wqr, %gqr, %gqr, %lr : tensor<16x4xf32>, tensor<f32>
  %wukv1, %mk = optim.muon %wukv, %gk, %gk, %lr : tensor<16x16xf32>, tensor<f32>
  return %p, %wuq1, %wqr1, %wukv1 : tensor<2x5x5xf32>, tensor<16x8xf32>, tensor<16x4xf32>, tensor<16x16xf32>
}

// -----

// Tied Q/K weights (q = k = x·W): the query and key factors of a head would
// both apply to the same entries.
func.func @tied(%x: tensor<6x32xf32>, %w: tensor<32x8xf32>, %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %w : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%q : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  // expected-warning@+1 {{attention not clipped: W_q and W_k share features (tied weights): the query and key factors cannot both apply}}
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %w1, %m1 = optim.muon %w, %g, %g, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %w1 : tensor<6x6xf32>, tensor<32x8xf32>
}

// -----

#id2r = affine_map<(d0, d1) -> (d0, d1)>

// A rotary-like mix of K's features with an added constant (x·cos +
// rotate_half(x)·sin + 1): affine, not linear, so a clip of W_k would not
// scale it; the warning names the node.
func.func @affine_rotary_key(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                             %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %cos = arith.constant dense<0.5> : tensor<6x8xf32>
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k0 = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %lo = tensor.extract_slice %k0[0, 0] [6, 4] [1, 1] : tensor<6x8xf32> to tensor<6x4xf32>
  %hi = tensor.extract_slice %k0[0, 4] [6, 4] [1, 1] : tensor<6x8xf32> to tensor<6x4xf32>
  %c0 = tensor.insert_slice %hi into %e[0, 0] [6, 4] [1, 1] : tensor<6x4xf32> into tensor<6x8xf32>
  %rot = tensor.insert_slice %lo into %c0[0, 4] [6, 4] [1, 1] : tensor<6x4xf32> into tensor<6x8xf32>
  %k = linalg.generic {indexing_maps = [#id2r, #id2r, #id2r, #id2r], iterator_types = ["parallel", "parallel"]}
      ins(%k0, %rot, %cos : tensor<6x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>) outs(%e : tensor<6x8xf32>) {
  ^bb0(%a: f32, %r: f32, %c: f32, %o: f32):
    %ac = arith.mulf %a, %c : f32
    %rc = arith.mulf %r, %c : f32
    %s = arith.addf %ac, %rc : f32
    %t = arith.addf %s, %one : f32
    linalg.yield %t : f32
  } -> tensor<6x8xf32> loc("/attn/rope_plus_one")
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  // expected-warning@+1 {{attention not clipped: the key comes from 'linalg.generic' (/attn/rope_plus_one), not from a projection x·W (+ b) through reshapes, transposes, slices, broadcasts and constant scaling}}
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}
