// RUN: muon-opt %s -optim-assign -split-input-file | FileCheck %s
// RUN: muon-opt %s -optim-assign="algorithm=muon2 ns-steps=4 schedule=polar_express lr-adjust=original momentum=0.9" -split-input-file | FileCheck %s --check-prefix=MUON2
// RUN: muon-opt %s -optim-assign="ns-compute=bf16" -split-input-file | FileCheck %s --check-prefix=BF16
// RUN: muon-opt %s -optim-assign="algorithm=muon2 ns-compute=bf16" -split-input-file | FileCheck %s --check-prefix=BF16-MUON2
// RUN: muon-opt %s -optim-assign="exclude=fc2,attn[.]proj$" -split-input-file | FileCheck %s --check-prefix=EXCLUDE
// RUN: muon-opt %s -optim-assign="include=attn\." -split-input-file | FileCheck %s --check-prefix=INCLUDE
// RUN: muon-opt %s -optim-assign="report=true" -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// A hidden matrix moves to Muon: AdamW's first moment becomes the momentum
// buffer, the second moment passes through; lr and weight decay are kept.
// CHECK-LABEL: func.func @hidden
// CHECK-SAME: (%[[W:.+]]: tensor<64x32xf32> {onnx.name = "fc1.weight"}, %[[G:.+]]: tensor<64x32xf32>, %[[M:.+]]: tensor<64x32xf32>, %[[V:.+]]: tensor<64x32xf32>, %[[LR:.+]]: tensor<f32>, %[[T:.+]]: tensor<i64>)
// CHECK: %[[W1:.+]], %[[M1:.+]] = optim.muon %[[W]], %[[G]], %[[M]], %[[LR]] {lr_adjust = #optim.lr_adjust<match_rms_adamw>, weight_decay = 1.000000e-01 : f64}
// CHECK-NOT: optim.adamw
// CHECK: return %[[W1]], %[[M1]], %[[V]]
// BF16-LABEL: func.func @hidden
// BF16: optim.muon %arg0, %arg1, %arg2, %arg4 {compute_type = bf16,
// BF16-MUON2-LABEL: func.func @hidden
// BF16-MUON2: optim.muon2 %arg0, %arg1, %arg2, [%arg3], %arg4 {compute_type = bf16,
// MUON2-LABEL: func.func @hidden
// MUON2: %{{.+}}, %{{.+}}, %{{.+}} = optim.muon2 %arg0, %arg1, %arg2, [%arg3], %arg4 {momentum = 9.000000e-01 : f64, ns_steps = 4 : i64, schedule = #optim.ns_schedule<polar_express>, weight_decay = 1.000000e-01 : f64}
// EXCLUDE-LABEL: func.func @hidden
// EXCLUDE: optim.muon
// INCLUDE-LABEL: func.func @hidden
// INCLUDE: optim.adamw
func.func @hidden(%w: tensor<64x32xf32> {onnx.name = "fc1.weight"}, %g: tensor<64x32xf32>, %m: tensor<64x32xf32>, %v: tensor<64x32xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>) {
  // REPORT: remark: optim-assign: 'fc1.weight' 'tensor<64x32xf32>' -> optim.muon: hidden matrix
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {weight_decay = 0.1} : tensor<64x32xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// Vectors, embeddings (by a gather use or by name), the output head and
// unnamed updates of the wrong rank keep AdamW; exclude/include patterns
// act on the names.
// CHECK-LABEL: func.func @policy
// CHECK-COUNT-4: optim.adamw
// CHECK: optim.muon
// CHECK-NOT: optim.adamw
// CHECK: return
// EXCLUDE-LABEL: func.func @policy
// EXCLUDE-COUNT-5: optim.adamw
// EXCLUDE-NOT: optim.muon
// INCLUDE-LABEL: func.func @policy
// INCLUDE-COUNT-4: optim.adamw
// INCLUDE: optim.muon
func.func @policy(%bias: tensor<32xf32> {onnx.name = "fc1.bias"},
                  %table: tensor<100x32xf32> {onnx.name = "tok"},
                  %wte: tensor<50x32xf32> {onnx.name = "transformer.wte.weight"},
                  %head: tensor<32x50xf32> {onnx.name = "lm_head.weight"},
                  %q: tensor<32x32xf32> {onnx.name = "h.0.attn.proj"},
                  %ids: tensor<4x1xindex>,
                  %lr: tensor<f32>, %t: tensor<i64>) -> (tensor<4x1x32xf32>, tensor<32xf32>, tensor<100x32xf32>, tensor<50x32xf32>, tensor<32x50xf32>, tensor<32x32xf32>) {
  %rows = tensor.gather %table[%ids] gather_dims([0]) : (tensor<100x32xf32>, tensor<4x1xindex>) -> tensor<4x1x32xf32>
  // REPORT: remark: optim-assign: 'fc1.bias' 'tensor<32xf32>' keeps optim.adamw: rank-1 parameter
  %b1, %bm, %bv = optim.adamw %bias, %bias, %bias, %bias, %lr, %t : tensor<32xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'tok' 'tensor<100x32xf32>' keeps optim.adamw: embedding (used by tensor.gather)
  %e1, %em, %ev = optim.adamw %table, %table, %table, %table, %lr, %t : tensor<100x32xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'transformer.wte.weight' 'tensor<50x32xf32>' keeps optim.adamw: embedding (by name)
  %p1, %pm, %pv = optim.adamw %wte, %wte, %wte, %wte, %lr, %t : tensor<50x32xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'lm_head.weight' 'tensor<32x50xf32>' keeps optim.adamw: output head (by name)
  %h1, %hm, %hv = optim.adamw %head, %head, %head, %head, %lr, %t : tensor<32x50xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'h.0.attn.proj' 'tensor<32x32xf32>' -> optim.muon: hidden matrix
  %q1, %qm, %qv = optim.adamw %q, %q, %q, %q, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  return %rows, %b1, %e1, %p1, %h1, %q1 : tensor<4x1x32xf32>, tensor<32xf32>, tensor<100x32xf32>, tensor<50x32xf32>, tensor<32x50xf32>, tensor<32x32xf32>
}

// -----

// Names: a word of a table or head inside a longer module name, or ending a
// module above the parameter's own, names neither.
// REPORT: remark: optim-assign: 'encoder.multi_head_attention.linear_q.weight' 'tensor<32x32xf32>' -> optim.muon: hidden matrix
// REPORT: remark: optim-assign: 'time_embedding.linear_1.weight' 'tensor<32x32xf32>' -> optim.muon: hidden matrix
// REPORT: remark: optim-assign: 'model.embed_tokens.weight' 'tensor<32x32xf32>' keeps optim.adamw: embedding (by name)
// REPORT: remark: optim-assign: 'class_embed.weight' 'tensor<32x32xf32>' keeps optim.adamw: embedding (by name)
// REPORT: remark: optim-assign: 'classifier.out_proj.weight' 'tensor<32x32xf32>' keeps optim.adamw: output head (by name)
// CHECK-LABEL: func.func @names
// EXCLUDE-LABEL: func.func @names
// INCLUDE-LABEL: func.func @names
// CHECK-COUNT-2: optim.muon
// CHECK-COUNT-3: optim.adamw
func.func @names(%q: tensor<32x32xf32> {onnx.name = "encoder.multi_head_attention.linear_q.weight"},
                 %t1: tensor<32x32xf32> {onnx.name = "time_embedding.linear_1.weight"},
                 %e: tensor<32x32xf32> {onnx.name = "model.embed_tokens.weight"},
                 %c: tensor<32x32xf32> {onnx.name = "class_embed.weight"},
                 %o: tensor<32x32xf32> {onnx.name = "classifier.out_proj.weight"},
                 %lr: tensor<f32>, %t: tensor<i64>) -> (tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>) {
  %q1, %qm, %qv = optim.adamw %q, %q, %q, %q, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  %a1, %am, %av = optim.adamw %t1, %t1, %t1, %t1, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  %e1, %em, %ev = optim.adamw %e, %e, %e, %e, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  %c1, %cm, %cv = optim.adamw %c, %c, %c, %c, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  %o1, %om, %ov = optim.adamw %o, %o, %o, %o, %lr, %t : tensor<32x32xf32>, tensor<f32>, tensor<i64>
  return %q1, %a1, %e1, %c1, %o1 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
}

// -----

// The ONNX importer's Gather reads the table inside a linalg.generic at
// positions computed from the ids: an embedding (tied or not). A matrix read
// only at iteration indices is not.
// CHECK-LABEL: func.func @imported_gather
// EXCLUDE-LABEL: func.func @imported_gather
// INCLUDE-LABEL: func.func @imported_gather
// CHECK: optim.adamw
// CHECK: optim.muon
#ids = affine_map<(d0, d1) -> (d0)>
#rows = affine_map<(d0, d1) -> (d0, d1)>
func.func @imported_gather(%table: tensor<100x32xf32> {onnx.name = "tok.weight"},
                           %w: tensor<4x32xf32> {onnx.name = "fc.weight"},
                           %ids: tensor<4xi64>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x32xf32>, tensor<100x32xf32>, tensor<4x32xf32>) {
  %e = tensor.empty() : tensor<4x32xf32>
  %rows = linalg.generic {indexing_maps = [#ids, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<4xi64>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%id: i64, %o: f32):
    %i = arith.index_cast %id : i64 to index
    %j = linalg.index 1 : index
    %x = tensor.extract %table[%i, %j] : tensor<100x32xf32>
    %c = arith.constant 0 : index
    %y = tensor.extract %w[%c, %j] : tensor<4x32xf32>
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  // REPORT: remark: optim-assign: 'tok.weight' 'tensor<100x32xf32>' keeps optim.adamw: embedding (rows looked up by index in linalg.generic)
  %e1, %em, %ev = optim.adamw %table, %table, %table, %table, %lr, %t : tensor<100x32xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'fc.weight' 'tensor<4x32xf32>' -> optim.muon: hidden matrix
  %w1, %wm, %wv = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<4x32xf32>, tensor<f32>, tensor<i64>
  return %rows, %e1, %w1 : tensor<4x32xf32>, tensor<100x32xf32>, tensor<4x32xf32>
}

// -----

// A parameter that is not a named argument is reported as <unnamed>.
// CHECK-LABEL: func.func @unnamed
// EXCLUDE-LABEL: func.func @unnamed
// CHECK: optim.muon
func.func @unnamed(%w: tensor<8x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<8x8xf32> {
  // REPORT: remark: optim-assign: '<unnamed>' 'tensor<8x8xf32>' -> optim.muon: hidden matrix
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<8x8xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<8x8xf32>
}

// -----

// A convolution kernel [O, I, kh, kw] read as its flatten view [O, I·kh·kw]
// (the ONNX importer's Conv GEMM) moves to Muon, which orthogonalizes that
// view (view = flatten, the default); a rank-3 parameter read otherwise
// (stacked per-head tensors) keeps AdamW, as does a kernel collapsed into
// another matrix.
// CHECK-LABEL: func.func @conv_kernels
// CHECK: %[[K:.+]], %{{.+}} = optim.muon %arg0
// CHECK-NOT: view
// CHECK-SAME: : tensor<16x8x3x3xf32>, tensor<f32>
// CHECK: optim.adamw %arg1
// CHECK: optim.adamw %arg2
// MUON2-LABEL: func.func @conv_kernels
// MUON2: optim.muon2 %arg0, {{.*}} : tensor<16x8x3x3xf32>
func.func @conv_kernels(%k: tensor<16x8x3x3xf32> {onnx.name = "conv.weight"},
                        %s: tensor<4x8x8xf32> {onnx.name = "stacked"},
                        %r: tensor<16x8x3x3xf32> {onnx.name = "rows.weight"},
                        %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<16x72xf32>, tensor<384x3xf32>, tensor<16x8x3x3xf32>, tensor<4x8x8xf32>, tensor<16x8x3x3xf32>) {
  %flat = tensor.collapse_shape %k [[0], [1, 2, 3]] : tensor<16x8x3x3xf32> into tensor<16x72xf32>
  %rows = tensor.collapse_shape %r [[0, 1, 2], [3]] : tensor<16x8x3x3xf32> into tensor<384x3xf32>
  // REPORT: remark: optim-assign: 'conv.weight' 'tensor<16x8x3x3xf32>' -> optim.muon: convolution kernel, orthogonalized as its flatten view 16x72
  %k1, %km, %kv = optim.adamw %k, %k, %k, %k, %lr, %t : tensor<16x8x3x3xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'stacked' 'tensor<4x8x8xf32>' keeps optim.adamw: rank-3 parameter not read as a matrix
  %s1, %sm, %sv = optim.adamw %s, %s, %s, %s, %lr, %t : tensor<4x8x8xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'rows.weight' 'tensor<16x8x3x3xf32>' keeps optim.adamw: rank-4 parameter not read as a matrix
  %r1, %rm, %rv = optim.adamw %r, %r, %r, %r, %lr, %t : tensor<16x8x3x3xf32>, tensor<f32>, tensor<i64>
  return %flat, %rows, %k1, %s1, %r1 : tensor<16x72xf32>, tensor<384x3xf32>, tensor<16x8x3x3xf32>, tensor<4x8x8xf32>, tensor<16x8x3x3xf32>
}

// -----

// Routing from the graph, not from names: the projection whose product feeds
// the scalar result (the loss) is the output head; a table added to the
// activations (learned positions, broadcast over the batch) is a position
// embedding; the hidden matrix before the head moves to Muon.
// CHECK-LABEL: func.func @graph_roles
// CHECK: optim.adamw %arg1
// CHECK: optim.adamw %arg2
// CHECK: optim.muon %arg3
#bcast = affine_map<(d0, d1, d2) -> (d1, d2)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @graph_roles(%x: tensor<2x4x8xf32>,
                       %proj: tensor<8x5xf32> {onnx.name = "logits_layer"},
                       %table: tensor<4x8xf32> {onnx.name = "learned_positions"},
                       %hidden: tensor<8x8xf32> {onnx.name = "mix"},
                       %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<f32>, tensor<8x5xf32>, tensor<4x8xf32>, tensor<8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e3 = tensor.empty() : tensor<2x4x8xf32>
  // The activations (token embeddings in a model; a function argument would
  // be a weight).
  %act = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x8xf32>) outs(%e3 : tensor<2x4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = math.tanh %a : f32
    linalg.yield %n : f32
  } -> tensor<2x4x8xf32>
  %h = linalg.generic {indexing_maps = [#id3, #bcast, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%act, %table : tensor<2x4x8xf32>, tensor<4x8xf32>) outs(%e3 : tensor<2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8xf32>
  %rows = tensor.collapse_shape %h [[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
  %e8 = tensor.empty() : tensor<8x8xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m = linalg.matmul ins(%rows, %hidden : tensor<8x8xf32>, tensor<8x8xf32>) outs(%z8 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %e5 = tensor.empty() : tensor<8x5xf32>
  %z5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<8x5xf32>) -> tensor<8x5xf32>
  %y = linalg.matmul ins(%m, %proj : tensor<8x8xf32>, tensor<8x5xf32>) outs(%z5 : tensor<8x5xf32>) -> tensor<8x5xf32>
  %e0 = tensor.empty() : tensor<f32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.reduce ins(%y : tensor<8x5xf32>) outs(%z0 : tensor<f32>) dimensions = [0, 1]
    (%a: f32, %b: f32) {
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }
  // REPORT: remark: optim-assign: 'logits_layer' 'tensor<8x5xf32>' keeps optim.adamw: output head (its product feeds the loss)
  %p1, %pm, %pv = optim.adamw %proj, %proj, %proj, %proj, %lr, %t : tensor<8x5xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'learned_positions' 'tensor<4x8xf32>' keeps optim.adamw: position embedding (added to activations)
  %t1, %tm, %tv = optim.adamw %table, %table, %table, %table, %lr, %t : tensor<4x8xf32>, tensor<f32>, tensor<i64>
  // REPORT: remark: optim-assign: 'mix' 'tensor<8x8xf32>' -> optim.muon: hidden matrix
  %h1, %hm, %hv = optim.adamw %hidden, %hidden, %hidden, %hidden, %lr, %t : tensor<8x8xf32>, tensor<f32>, tensor<i64>
  return %loss, %p1, %t1, %h1 : tensor<f32>, tensor<8x5xf32>, tensor<4x8xf32>, tensor<8x8xf32>
}

// -----

// A bucket is routed member by member: the two hidden matrices each become
// an optim.muon (optim-bucket regroups them later), the bias and the
// embedding stay one AdamW bucket, every result in its place.
// CHECK-LABEL: func.func @bucket
// CHECK-SAME: (%[[W1:[^:]+]]: tensor<64x32xf32> {onnx.name = "fc1.weight"}, %[[B:[^:]+]]: tensor<32xf32> {onnx.name = "fc1.bias"}, %[[E:[^:]+]]: tensor<50x32xf32> {onnx.name = "wte.weight"}, %[[W2:[^:]+]]: tensor<32x64xf32> {onnx.name = "fc2.weight"}, %[[LR:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<i64>)
// CHECK: %[[KEPT:.+]]:2, %[[KM:.+]]:2, %[[KV:.+]]:2 = optim.adamw [%[[B]], %[[E]]], [%[[B]], %[[E]]], [%[[B]], %[[E]]], [%[[B]], %[[E]]], %[[LR]], %[[T]] {weight_decay = 1.000000e-01 : f64}
// CHECK: %[[N1:.+]], %{{.+}} = optim.muon %[[W1]], %[[W1]], %[[W1]], %[[LR]]
// CHECK: %[[N2:.+]], %{{.+}} = optim.muon %[[W2]], %[[W2]], %[[W2]], %[[LR]]
// CHECK-NOT: optim.adamw
// CHECK: return %[[N1]], %[[KEPT]]#0, %[[KEPT]]#1, %[[N2]], %[[KV]]#1
// INCLUDE-LABEL: func.func @bucket
// INCLUDE: optim.adamw [%arg0, %arg1, %arg2, %arg3]
// INCLUDE-NOT: optim.muon
func.func @bucket(%w1: tensor<64x32xf32> {onnx.name = "fc1.weight"}, %b: tensor<32xf32> {onnx.name = "fc1.bias"},
                  %e: tensor<50x32xf32> {onnx.name = "wte.weight"}, %w2: tensor<32x64xf32> {onnx.name = "fc2.weight"},
                  %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>, tensor<32x64xf32>, tensor<50x32xf32>) {
  // REPORT: remark: optim-assign: 'fc1.bias' 'tensor<32xf32>' keeps optim.adamw: rank-1 parameter
  // REPORT: remark: optim-assign: 'wte.weight' 'tensor<50x32xf32>' keeps optim.adamw: embedding (by name)
  // REPORT: remark: optim-assign: 'fc1.weight' 'tensor<64x32xf32>' -> optim.muon: hidden matrix
  // REPORT: remark: optim-assign: 'fc2.weight' 'tensor<32x64xf32>' -> optim.muon: hidden matrix
  %n:4, %m:4, %v:4 = optim.adamw [%w1, %b, %e, %w2], [%w1, %b, %e, %w2], [%w1, %b, %e, %w2], [%w1, %b, %e, %w2], %lr, %t {weight_decay = 0.1}
      : [tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>, tensor<32x64xf32>], tensor<f32>, tensor<i64>
  return %n#0, %n#1, %n#2, %n#3, %v#2 : tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>, tensor<32x64xf32>, tensor<50x32xf32>
}

// -----

// A bucket with a step count per member keeps the counts of the members it
// keeps, in their order.
// CHECK-LABEL: func.func @bucket_step_per_member
// CHECK-SAME: %[[T:[^:]+]]: tensor<3xf32>)
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[T1:.+]] = tensor.extract %[[T]][%[[C1]]]
// CHECK: %[[C2:.+]] = arith.constant 2 : index
// CHECK: %[[T2:.+]] = tensor.extract %[[T]][%[[C2]]]
// CHECK: %[[KEPT:.+]] = tensor.from_elements %[[T1]], %[[T2]] : tensor<2xf32>
// CHECK: optim.adamw [%{{.+}}, %{{.+}}], {{.*}}, %[[KEPT]] {weight_decay
// CHECK-NOT: tensor.
// CHECK: optim.muon
func.func @bucket_step_per_member(%w1: tensor<64x32xf32> {onnx.name = "fc1.weight"}, %b: tensor<32xf32> {onnx.name = "fc1.bias"},
                                  %e: tensor<50x32xf32> {onnx.name = "wte.weight"},
                                  %lr: tensor<f32>, %t: tensor<3xf32>)
    -> (tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>) {
  %n:3, %m:3, %v:3 = optim.adamw [%w1, %b, %e], [%w1, %b, %e], [%w1, %b, %e], [%w1, %b, %e], %lr, %t {weight_decay = 0.1}
      : [tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>], tensor<f32>, tensor<3xf32>
  return %n#0, %n#1, %n#2 : tensor<64x32xf32>, tensor<32xf32>, tensor<50x32xf32>
}
