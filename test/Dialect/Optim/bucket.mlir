// RUN: muon-opt %s -optim-bucket -split-input-file | FileCheck %s
// RUN: muon-opt %s -optim-bucket="min-bucket-size=3" -split-input-file | FileCheck %s --check-prefix=MIN3
// RUN: muon-opt %s -optim-bucket="pad-waste=0" -split-input-file | FileCheck %s --check-prefix=NOPAD
// RUN: muon-opt %s -optim-bucket="pad-waste=0.5" -split-input-file | FileCheck %s --check-prefix=PAD50

// Twelve same-shaped Muon updates with the same lr: one optim.muon whose
// operand and result lists are the twelve members' (nothing packed: only the
// lowering stacks the Newton–Schulz input), reading the matrices as a batch.
// CHECK-LABEL: func.func @twelve_layers
// CHECK-SAME: (%[[W0:[^:]+]]: tensor<64x256xf32>, %[[G0:[^:]+]]: tensor<64x256xf32>, %[[M0:[^:]+]]: tensor<64x256xf32>, %[[W1:[^:]+]]: tensor<64x256xf32>,
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[NEW_W:.+]]:12, %[[NEW_M:.+]]:12 = optim.muon [%[[W0]], %[[W1]], {{.*}}], [%[[G0]], {{.*}}], [%[[M0]], {{.*}}], %[[LR:.+]] {{{.*}}view = #optim.matrix_view<batch>, weight_decay = 1.000000e-01 : f64} : [tensor<64x256xf32>, {{.*}}], tensor<f32>
// CHECK-NOT: tensor.extract_slice
// CHECK-NOT: optim.muon
// CHECK: return %[[NEW_W]]#0, %[[NEW_M]]#0, %[[NEW_W]]#1, %[[NEW_M]]#1, {{.*}}, %[[NEW_W]]#11, %[[NEW_M]]#11 :
// MIN3-LABEL: func.func @twelve_layers
// MIN3-COUNT-1: optim.muon {{.*}} : [{{(tensor<64x256xf32>, )+}}tensor<64x256xf32>], tensor<f32>
func.func @twelve_layers(%w0: tensor<64x256xf32>, %g0: tensor<64x256xf32>, %m0: tensor<64x256xf32>, %w1: tensor<64x256xf32>, %g1: tensor<64x256xf32>, %m1: tensor<64x256xf32>, %w2: tensor<64x256xf32>, %g2: tensor<64x256xf32>, %m2: tensor<64x256xf32>, %w3: tensor<64x256xf32>, %g3: tensor<64x256xf32>, %m3: tensor<64x256xf32>, %w4: tensor<64x256xf32>, %g4: tensor<64x256xf32>, %m4: tensor<64x256xf32>, %w5: tensor<64x256xf32>, %g5: tensor<64x256xf32>, %m5: tensor<64x256xf32>, %w6: tensor<64x256xf32>, %g6: tensor<64x256xf32>, %m6: tensor<64x256xf32>, %w7: tensor<64x256xf32>, %g7: tensor<64x256xf32>, %m7: tensor<64x256xf32>, %w8: tensor<64x256xf32>, %g8: tensor<64x256xf32>, %m8: tensor<64x256xf32>, %w9: tensor<64x256xf32>, %g9: tensor<64x256xf32>, %m9: tensor<64x256xf32>, %w10: tensor<64x256xf32>, %g10: tensor<64x256xf32>, %m10: tensor<64x256xf32>, %w11: tensor<64x256xf32>, %g11: tensor<64x256xf32>, %m11: tensor<64x256xf32>, %lr: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>) {
  %a0, %b0 = optim.muon %w0, %g0, %m0, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a1, %b1 = optim.muon %w1, %g1, %m1, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a2, %b2 = optim.muon %w2, %g2, %m2, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a3, %b3 = optim.muon %w3, %g3, %m3, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a4, %b4 = optim.muon %w4, %g4, %m4, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a5, %b5 = optim.muon %w5, %g5, %m5, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a6, %b6 = optim.muon %w6, %g6, %m6, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a7, %b7 = optim.muon %w7, %g7, %m7, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a8, %b8 = optim.muon %w8, %g8, %m8, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a9, %b9 = optim.muon %w9, %g9, %m9, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a10, %b10 = optim.muon %w10, %g10, %m10, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  %a11, %b11 = optim.muon %w11, %g11, %m11, %lr {weight_decay = 0.1} : tensor<64x256xf32>, tensor<f32>
  return %a0, %b0, %a1, %b1, %a2, %b2, %a3, %b3, %a4, %b4, %a5, %b5, %a6, %b6, %a7, %b7, %a8, %b8, %a9, %b9, %a10, %b10, %a11, %b11 : tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>
}

// -----

// Mixed shapes: one bucket per matrix shape up to transposition, the
// orientation most of its matrices have first (the lowerings run
// Newton–Schulz in it and transpose the others); 64x128 is a shape of its
// own, and the lone 32x32 update is left as it is.
// CHECK-LABEL: func.func @mixed_shapes
// CHECK-SAME: (%[[A:[^:]+]]: tensor<64x256xf32>, %[[B:[^:]+]]: tensor<256x64xf32>
// CHECK-DAG: %[[T:.+]]:3, %{{.+}}:3 = optim.muon [%[[B]], %[[B]], %[[A]]], {{.*}}view = #optim.matrix_view<batch>{{.*}} : [tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>], tensor<f32>
// CHECK-DAG: optim.muon {{.*}} : [tensor<64x128xf32>, tensor<64x128xf32>], tensor<f32>
// CHECK-DAG: %[[C:.+]], %{{.+}} = optim.muon %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<32x32xf32>, tensor<f32>
// CHECK: return %[[T]]#2, %[[T]]#0, %{{.+}}, %[[T]]#1, %[[C]]
// MIN3-LABEL: func.func @mixed_shapes
// MIN3: optim.muon [{{.*}} : [tensor<256x64xf32>, tensor<256x64xf32>, tensor<64x256xf32>], tensor<f32>
// MIN3-NOT: optim.muon [
// MIN3: // -----
func.func @mixed_shapes(%a: tensor<64x256xf32>, %b: tensor<256x64xf32>,
                        %c: tensor<32x32xf32>, %d: tensor<64x128xf32>,
                        %lr: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<256x64xf32>, tensor<64x128xf32>,
        tensor<256x64xf32>, tensor<32x32xf32>, tensor<64x128xf32>) {
  %a1, %ma1 = optim.muon %a, %a, %a, %lr : tensor<64x256xf32>, tensor<f32>
  %b1, %mb1 = optim.muon %b, %b, %b, %lr : tensor<256x64xf32>, tensor<f32>
  %d1, %md1 = optim.muon %d, %d, %d, %lr : tensor<64x128xf32>, tensor<f32>
  %b2, %mb2 = optim.muon %b, %b, %b, %lr : tensor<256x64xf32>, tensor<f32>
  %c1, %mc1 = optim.muon %c, %c, %c, %lr : tensor<32x32xf32>, tensor<f32>
  %d2, %md2 = optim.muon %d, %d, %d, %lr : tensor<64x128xf32>, tensor<f32>
  return %a1, %b1, %d1, %b2, %c1, %d2 : tensor<64x256xf32>, tensor<256x64xf32>,
      tensor<64x128xf32>, tensor<256x64xf32>, tensor<32x32xf32>,
      tensor<64x128xf32>
}

// -----
func.func @mixed_shapes(%a: tensor<64x256xf32>, %b: tensor<256x64xf32>,
                        %c: tensor<32x32xf32>, %lr: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<256x64xf32>, tensor<64x256xf32>,
        tensor<256x64xf32>, tensor<32x32xf32>) {
  %a1, %ma1 = optim.muon %a, %a, %a, %lr : tensor<64x256xf32>, tensor<f32>
  %b1, %mb1 = optim.muon %b, %b, %b, %lr : tensor<256x64xf32>, tensor<f32>
  %a2, %ma2 = optim.muon %a, %a, %a, %lr : tensor<64x256xf32>, tensor<f32>
  %b2, %mb2 = optim.muon %b, %b, %b, %lr : tensor<256x64xf32>, tensor<f32>
  %c1, %mc1 = optim.muon %c, %c, %c, %lr : tensor<32x32xf32>, tensor<f32>
  return %a1, %b1, %a2, %b2, %c1 : tensor<64x256xf32>, tensor<256x64xf32>,
      tensor<64x256xf32>, tensor<256x64xf32>, tensor<32x32xf32>
}

// -----

// Different hyper-parameters or lr values split buckets; an explicit default
// (momentum = 0.95, schedule quintic, compute_type f32) equals an absent one.
// CHECK-LABEL: func.func @attrs_and_lr
// CHECK-SAME: %[[LR:[^:]+]]: tensor<f32>, %[[LR2:[^:]+]]: tensor<f32>
// CHECK: optim.muon {{.*}}, %[[LR2]] : tensor<16x16xf32>
// CHECK: optim.muon {{.*}}, %[[LR]] {momentum = 9.000000e-01 : f64, view = #optim.matrix_view<batch>} : [tensor<16x16xf32>, tensor<16x16xf32>]
// CHECK: optim.muon {{.*}}, %[[LR]] {view = #optim.matrix_view<batch>} : [tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>]
// CHECK-NOT: optim.muon
func.func @attrs_and_lr(%w: tensor<16x16xf32>, %lr: tensor<f32>,
                        %lr2: tensor<f32>) -> (tensor<16x16xf32>,
    tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>,
    tensor<16x16xf32>, tensor<16x16xf32>) {
  %0, %m0 = optim.muon %w, %w, %w, %lr : tensor<16x16xf32>, tensor<f32>
  %1, %m1 = optim.muon %w, %w, %w, %lr {momentum = 0.9}
      : tensor<16x16xf32>, tensor<f32>
  %2, %m2 = optim.muon %w, %w, %w, %lr2 : tensor<16x16xf32>, tensor<f32>
  %3, %m3 = optim.muon %w, %w, %w, %lr {momentum = 0.95,
      schedule = #optim.ns_schedule<quintic>, compute_type = f32}
      : tensor<16x16xf32>, tensor<f32>
  %4, %m4 = optim.muon %w, %w, %w, %lr {momentum = 0.9}
      : tensor<16x16xf32>, tensor<f32>
  %5, %m5 = optim.muon %w, %w, %w, %lr : tensor<16x16xf32>, tensor<f32>
  return %0, %1, %2, %3, %4, %5 : tensor<16x16xf32>, tensor<16x16xf32>,
      tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>,
      tensor<16x16xf32>
}

// -----

// AdamW of different shapes (768, 16x24 and 0-d), same lr and step: one
// adamw over the three as they are; the one with another step value stays
// separate.
// CHECK-LABEL: func.func @adamw_sizes
// CHECK-SAME: (%[[A:[^:]+]]: tensor<768xf32>, %[[B:[^:]+]]: tensor<16x24xf32>, %[[C:[^:]+]]: tensor<f32>,
// CHECK: %[[NEW:.+]]:3, %{{.+}}:3, %{{.+}}:3 = optim.adamw [%[[A]], %[[B]], %[[C]]], [%[[A]], %[[B]], %[[C]]], {{.*}} {weight_decay = 1.000000e-01 : f64} : [tensor<768xf32>, tensor<16x24xf32>, tensor<f32>], tensor<f32>, tensor<i64>
// CHECK: optim.adamw {{.*}} : tensor<768xf32>, tensor<f32>, tensor<i64>
// CHECK: return %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2,
func.func @adamw_sizes(%a: tensor<768xf32>, %b: tensor<16x24xf32>,
                       %c: tensor<f32>, %lr: tensor<f32>, %t: tensor<i64>,
                       %t2: tensor<i64>)
    -> (tensor<768xf32>, tensor<16x24xf32>, tensor<f32>, tensor<768xf32>) {
  %a1:3 = optim.adamw %a, %a, %a, %a, %lr, %t {weight_decay = 0.1}
      : tensor<768xf32>, tensor<f32>, tensor<i64>
  %b1:3 = optim.adamw %b, %b, %b, %b, %lr, %t {weight_decay = 0.1}
      : tensor<16x24xf32>, tensor<f32>, tensor<i64>
  %c1:3 = optim.adamw %c, %c, %c, %c, %lr, %t {weight_decay = 0.1}
      : tensor<f32>, tensor<f32>, tensor<i64>
  %d1:3 = optim.adamw %a, %a, %a, %a, %lr, %t2 {weight_decay = 0.1}
      : tensor<768xf32>, tensor<f32>, tensor<i64>
  return %a1#0, %b1#0, %c1#0, %d1#0
      : tensor<768xf32>, tensor<16x24xf32>, tensor<f32>, tensor<768xf32>
}

// -----

// An AdamW op with a step count per member is a bucket already: it stays as
// it is, and a same-configured single op beside it is not merged into it.
// CHECK-LABEL: func.func @adamw_step_per_member
// CHECK: optim.adamw [%{{.+}}, %{{.+}}], {{.*}} : [tensor<768xf32>, tensor<16x24xf32>], tensor<f32>, tensor<2xf32>
// CHECK: optim.adamw %{{[^\[]*}} : tensor<768xf32>, tensor<f32>, tensor<f32>
func.func @adamw_step_per_member(%a: tensor<768xf32>, %b: tensor<16x24xf32>,
                                 %lr: tensor<f32>, %steps: tensor<2xf32>,
                                 %t: tensor<f32>)
    -> (tensor<768xf32>, tensor<16x24xf32>, tensor<768xf32>) {
  %n:2, %m:2, %v:2 = optim.adamw [%a, %b], [%a, %b], [%a, %b], [%a, %b], %lr, %steps
      : [tensor<768xf32>, tensor<16x24xf32>], tensor<f32>, tensor<2xf32>
  %c:3 = optim.adamw %a, %a, %a, %a, %lr, %t : tensor<768xf32>, tensor<f32>, tensor<f32>
  return %n#0, %n#1, %c#0 : tensor<768xf32>, tensor<16x24xf32>, tensor<768xf32>
}

// -----

// Muon² with full second moments: four operand lists, three result lists;
// Muon²-F (factored) is not bucketed.
// CHECK-LABEL: func.func @muon2
// CHECK: %[[NEW_W:.+]]:2, %{{.+}}:2, %[[NEW_V:.+]]:2 = optim.muon2 [%{{.+}}, %{{.+}}], [%{{.+}}, %{{.+}}], [%{{.+}}, %{{.+}}], [%{{.+}}, %{{.+}}], %{{.+}} {beta2 = 9.000000e-01 : f64, view = #optim.matrix_view<batch>} : [tensor<32x48xf32>, tensor<32x48xf32>], [tensor<32x48xf32>, tensor<32x48xf32>], tensor<f32>
// CHECK: optim.muon2 {{.*}} : tensor<32x48xf32>, [tensor<32x1xf32>, tensor<1x48xf32>], tensor<f32>
// CHECK: optim.muon2 {{.*}} : tensor<32x48xf32>, [tensor<32x1xf32>, tensor<1x48xf32>], tensor<f32>
// CHECK: return %[[NEW_W]]#0, %[[NEW_V]]#1,
func.func @muon2(%w: tensor<32x48xf32>, %r: tensor<32x1xf32>,
                 %c: tensor<1x48xf32>, %lr: tensor<f32>)
    -> (tensor<32x48xf32>, tensor<32x48xf32>, tensor<32x48xf32>,
        tensor<32x48xf32>) {
  %0:3 = optim.muon2 %w, %w, %w, [%w], %lr {beta2 = 0.9}
      : tensor<32x48xf32>, [tensor<32x48xf32>], tensor<f32>
  %1:3 = optim.muon2 %w, %w, %w, [%w], %lr {beta2 = 0.9}
      : tensor<32x48xf32>, [tensor<32x48xf32>], tensor<f32>
  %2:4 = optim.muon2 %w, %w, %w, [%r, %c], %lr
      : tensor<32x48xf32>, [tensor<32x1xf32>, tensor<1x48xf32>], tensor<f32>
  %3:4 = optim.muon2 %w, %w, %w, [%r, %c], %lr
      : tensor<32x48xf32>, [tensor<32x1xf32>, tensor<1x48xf32>], tensor<f32>
  return %0#0, %1#2, %2#0, %3#0 : tensor<32x48xf32>, tensor<32x48xf32>,
      tensor<32x48xf32>, tensor<32x48xf32>
}

// -----

// An update consuming another's result (through an intermediate op) cannot
// share its bucket: the first stays alone, the second opens a new bucket that
// the third joins.
// CHECK-LABEL: func.func @dependent
// CHECK-SAME: (%[[W:[^:]+]]: tensor<16x16xf32>, %[[V:[^:]+]]: tensor<16x16xf32>, %[[LR:[^:]+]]: tensor<f32>)
// CHECK: %[[W1:.+]], %{{.+}} = optim.muon %[[W]], %[[W]], %[[W]], %[[LR]] : tensor<16x16xf32>, tensor<f32>
// CHECK: %[[X:.+]] = arith.addf %[[W1]], %[[W1]]
// CHECK: optim.muon [%[[X]], %[[V]]], {{.*}} : [tensor<16x16xf32>, tensor<16x16xf32>], tensor<f32>
// CHECK-NOT: optim.muon
func.func @dependent(%w: tensor<16x16xf32>, %v: tensor<16x16xf32>,
                     %lr: tensor<f32>) -> (tensor<16x16xf32>,
    tensor<16x16xf32>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<16x16xf32>, tensor<f32>
  %x = arith.addf %w1, %w1 : tensor<16x16xf32>
  %w2, %m2 = optim.muon %x, %w, %w, %lr : tensor<16x16xf32>, tensor<f32>
  %v1, %n1 = optim.muon %v, %v, %v, %lr : tensor<16x16xf32>, tensor<f32>
  return %w2, %v1 : tensor<16x16xf32>, tensor<16x16xf32>
}

// -----

// N-D parameters join through their matrix view: a bucket reads its members
// as a batch, so a flattened 4x8x6 kernel joins as its 4x48 matrix form
// (collapsed in, expanded out), a 2x4x48 batch view and plain 4x48
// matrices as they are.
// CHECK-LABEL: func.func @views
// CHECK-SAME: (%[[K:[^:]+]]: tensor<4x8x6xf32>, %[[S:[^:]+]]: tensor<2x4x48xf32>, %[[P:[^:]+]]: tensor<4x48xf32>, %[[Q:[^:]+]]: tensor<4x48xf32>,
// CHECK: %[[K2:.+]] = tensor.collapse_shape %[[K]] {{\[}}[0], [1, 2]] : tensor<4x8x6xf32> into tensor<4x48xf32>
// CHECK: %[[NEW:.+]]:4, %{{.+}}:4 = optim.muon [%[[K2]], %[[S]], %[[P]], %[[Q]]], {{.*}} {view = #optim.matrix_view<batch>} : [tensor<4x48xf32>, tensor<2x4x48xf32>, tensor<4x48xf32>, tensor<4x48xf32>], tensor<f32>
// CHECK: %[[K_NEW:.+]] = tensor.expand_shape %[[NEW]]#0 {{\[}}[0], [1, 2]] output_shape [4, 8, 6] : tensor<4x48xf32> into tensor<4x8x6xf32>
// CHECK: return %[[K_NEW]], %[[NEW]]#1, %[[NEW]]#2, %[[NEW]]#3 :
func.func @views(%k: tensor<4x8x6xf32>, %s: tensor<2x4x48xf32>,
                 %p: tensor<4x48xf32>, %q: tensor<4x48xf32>, %lr: tensor<f32>)
    -> (tensor<4x8x6xf32>, tensor<2x4x48xf32>, tensor<4x48xf32>,
        tensor<4x48xf32>) {
  %k1, %mk = optim.muon %k, %k, %k, %lr : tensor<4x8x6xf32>, tensor<f32>
  %s1, %ms = optim.muon %s, %s, %s, %lr {view = #optim.matrix_view<batch>}
      : tensor<2x4x48xf32>, tensor<f32>
  %p1, %mp = optim.muon %p, %p, %p, %lr : tensor<4x48xf32>, tensor<f32>
  %q1, %mq = optim.muon %q, %q, %q, %lr : tensor<4x48xf32>, tensor<f32>
  return %k1, %s1, %p1, %q1 : tensor<4x8x6xf32>, tensor<2x4x48xf32>,
      tensor<4x48xf32>, tensor<4x48xf32>
}

// -----

// AdamW updates join only with the same formulation: two torch-variant
// updates (one spelled out) share a bucket, the Hugging Face one and the one
// without bias correction stay alone.
// CHECK-LABEL: func.func @adamw_variants
// CHECK: optim.adamw {{.*}} {bias_correction = false} : tensor<8xf32>
// CHECK: optim.adamw {{.*}} {variant = #optim.adamw_variant<huggingface>} : tensor<8xf32>
// CHECK: optim.adamw {{.*}} : [tensor<8xf32>, tensor<8xf32>], tensor<f32>, tensor<i64>
// CHECK-NOT: optim.adamw
func.func @adamw_variants(%a: tensor<8xf32>, %b: tensor<8xf32>, %c: tensor<8xf32>,
                          %d: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %a1, %am, %av = optim.adamw %a, %a, %a, %a, %lr, %t : tensor<8xf32>, tensor<f32>, tensor<i64>
  %b1, %bm, %bv = optim.adamw %b, %b, %b, %b, %lr, %t {bias_correction = false} : tensor<8xf32>, tensor<f32>, tensor<i64>
  %c1, %cm, %cv = optim.adamw %c, %c, %c, %c, %lr, %t {variant = #optim.adamw_variant<huggingface>} : tensor<8xf32>, tensor<f32>, tensor<i64>
  %d1, %dm, %dv = optim.adamw %d, %d, %d, %d, %lr, %t {variant = #optim.adamw_variant<torch>} : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %a1, %b1, %c1, %d1 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Updates join only with the same skip flag, which the bucket keeps: the
// two skipped by %s share one, the unskipped and the one skipped by %u stay
// alone.
// CHECK-LABEL: func.func @skip_flags
// CHECK-DAG: optim.muon %{{[^,\[]+}}, {{.*}} skip(%[[U:.+]] : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
// CHECK-DAG: optim.muon %{{[^,\[]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : tensor<4x8xf32>, tensor<f32>
// CHECK-DAG: optim.muon [%{{.+}}, %{{.+}}], {{.*}} skip(%[[S:[^ ]+]] : tensor<i32>) {view = #optim.matrix_view<batch>} : [tensor<4x8xf32>, tensor<4x8xf32>], tensor<f32>
// CHECK-DAG: optim.adamw [%{{.+}}, %{{.+}}], {{.*}} skip(%[[S]] : tensor<i32>) : [tensor<8xf32>, tensor<3xf32>], tensor<f32>, tensor<i64>
// MIN3-LABEL: func.func @skip_flags
// MIN3-NOT: [
// MIN3: return
func.func @skip_flags(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %c: tensor<4x8xf32>,
                      %d: tensor<4x8xf32>, %e: tensor<8xf32>, %f: tensor<3xf32>,
                      %lr: tensor<f32>, %t: tensor<i64>, %s: tensor<i32>,
                      %u: tensor<i32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>,
        tensor<8xf32>, tensor<3xf32>) {
  %a1, %am = optim.muon %a, %a, %a, %lr skip(%s : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
  %b1, %bm = optim.muon %b, %b, %b, %lr : tensor<4x8xf32>, tensor<f32>
  %c1, %cm = optim.muon %c, %c, %c, %lr skip(%u : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
  %d1, %dm = optim.muon %d, %d, %d, %lr skip(%s : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
  %e1, %em, %ev = optim.adamw %e, %e, %e, %e, %lr, %t skip(%s : tensor<i32>) : tensor<8xf32>, tensor<f32>, tensor<i64>
  %f1, %fm, %fv = optim.adamw %f, %f, %f, %f, %lr, %t skip(%s : tensor<i32>) : tensor<3xf32>, tensor<f32>, tensor<i64>
  return %a1, %b1, %c1, %d1, %e1, %f1 : tensor<4x8xf32>, tensor<4x8xf32>,
      tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<3xf32>
}

// -----

// Muon updates with a run-time momentum join only those reading the same
// value, which the bucket keeps after its skip flag; AdamW with a run-time
// beta1 stays alone (its step builds its own buckets).
// CHECK-LABEL: func.func @runtime_hyper_parameters
// CHECK-DAG: optim.muon [%{{.+}}, %{{.+}}], {{.*}} skip(%[[S:[^ ]+]] : tensor<i32>) momentum(%[[MU:[^ ]+]] : tensor<f64>) {view = #optim.matrix_view<batch>} : [tensor<4x8xf32>, tensor<4x8xf32>], tensor<f32>
// CHECK-DAG: optim.muon %{{[^,\[]+}}, {{.*}} skip(%[[S]] : tensor<i32>) momentum(%[[NU:[^ ]+]] : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
// CHECK-DAG: optim.muon %{{[^,\[]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} skip(%[[S]] : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
// CHECK-DAG: optim.adamw %{{[^,\[]+}}, {{.*}} beta1(%[[B1:[^ ]+]] : tensor<f64>) : tensor<8xf32>, tensor<f32>, tensor<i64>
// CHECK-DAG: optim.adamw %{{[^,\[]+}}, {{.*}} beta1(%[[B1]] : tensor<f64>) : tensor<3xf32>, tensor<f32>, tensor<i64>
func.func @runtime_hyper_parameters(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                                    %c: tensor<4x8xf32>, %d: tensor<4x8xf32>,
                                    %e: tensor<8xf32>, %f: tensor<3xf32>,
                                    %lr: tensor<f32>, %t: tensor<i64>, %s: tensor<i32>,
                                    %mu: tensor<f64>, %nu: tensor<f64>, %b1: tensor<f64>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>,
        tensor<8xf32>, tensor<3xf32>) {
  %a1, %am = optim.muon %a, %a, %a, %lr skip(%s : tensor<i32>) momentum(%mu : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
  %b1_, %bm = optim.muon %b, %b, %b, %lr skip(%s : tensor<i32>) momentum(%nu : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
  %c1, %cm = optim.muon %c, %c, %c, %lr skip(%s : tensor<i32>) : tensor<4x8xf32>, tensor<f32>
  %d1, %dm = optim.muon %d, %d, %d, %lr skip(%s : tensor<i32>) momentum(%mu : tensor<f64>) : tensor<4x8xf32>, tensor<f32>
  %e1, %em, %ev = optim.adamw %e, %e, %e, %e, %lr, %t beta1(%b1 : tensor<f64>) : tensor<8xf32>, tensor<f32>, tensor<i64>
  %f1, %fm, %fv = optim.adamw %f, %f, %f, %f, %lr, %t beta1(%b1 : tensor<f64>) : tensor<3xf32>, tensor<f32>, tensor<i64>
  return %a1, %b1_, %c1, %d1, %e1, %f1 : tensor<4x8xf32>, tensor<4x8xf32>,
      tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<3xf32>
}

// -----

// Near-equal shapes share a zero-padded bucket (default pad-waste 1/8):
// Newton–Schulz on 32x64 costs 3·32²·64 + 32³ = 229376 FLOPs per step,
// 1.07x 31x64's and 1.06x 32x60's, and the tall 64x31 joins as its 31x64
// transpose (members of the majority orientation first); 30x64 (1.15x)
// stays out, and 16x64 (3.7x) too. With
// pad-waste=0 only equal and transposed shapes share; at 0.5, 30x64 joins
// as well.
// CHECK-LABEL: func.func @near_equal
// CHECK-DAG: optim.muon [{{.*}} {view = #optim.matrix_view<batch>} : [tensor<32x64xf32>, tensor<31x64xf32>, tensor<32x60xf32>, tensor<32x64xf32>, tensor<64x31xf32>], tensor<f32>
// CHECK-DAG: optim.muon %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} : tensor<30x64xf32>, tensor<f32>
// CHECK-DAG: optim.muon %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} : tensor<16x64xf32>, tensor<f32>
// NOPAD-LABEL: func.func @near_equal
// NOPAD-DAG: optim.muon [{{.*}} : [tensor<31x64xf32>, tensor<64x31xf32>], tensor<f32>
// NOPAD-DAG: optim.muon [{{.*}} : [tensor<32x64xf32>, tensor<32x64xf32>], tensor<f32>
// NOPAD-DAG: optim.muon %{{.*}} : tensor<32x60xf32>, tensor<f32>
// PAD50-LABEL: func.func @near_equal
// PAD50: optim.muon [{{.*}} : [tensor<32x64xf32>, tensor<31x64xf32>, tensor<30x64xf32>, tensor<32x60xf32>, tensor<32x64xf32>, tensor<64x31xf32>], tensor<f32>
// PAD50-NOT: optim.muon [
func.func @near_equal(%a: tensor<32x64xf32>, %b: tensor<31x64xf32>, %c: tensor<30x64xf32>,
                      %d: tensor<64x31xf32>, %e: tensor<32x60xf32>, %f: tensor<16x64xf32>,
                      %lr: tensor<f32>)
    -> (tensor<32x64xf32>, tensor<31x64xf32>, tensor<30x64xf32>, tensor<64x31xf32>,
        tensor<32x60xf32>, tensor<16x64xf32>, tensor<32x64xf32>) {
  %a1, %ma = optim.muon %a, %a, %a, %lr : tensor<32x64xf32>, tensor<f32>
  %b1, %mb = optim.muon %b, %b, %b, %lr : tensor<31x64xf32>, tensor<f32>
  %c1, %mc = optim.muon %c, %c, %c, %lr : tensor<30x64xf32>, tensor<f32>
  %d1, %md = optim.muon %d, %d, %d, %lr : tensor<64x31xf32>, tensor<f32>
  %e1, %me = optim.muon %e, %e, %e, %lr : tensor<32x60xf32>, tensor<f32>
  %f1, %mf = optim.muon %f, %f, %f, %lr : tensor<16x64xf32>, tensor<f32>
  %a2, %ma2 = optim.muon %a, %a, %a, %lr : tensor<32x64xf32>, tensor<f32>
  return %a1, %b1, %c1, %d1, %e1, %f1, %a2 : tensor<32x64xf32>, tensor<31x64xf32>,
      tensor<30x64xf32>, tensor<64x31xf32>, tensor<32x60xf32>, tensor<16x64xf32>,
      tensor<32x64xf32>
}
