// RUN: muon-opt %s -optim-decompose -convert-optim-to-linalg -split-input-file | FileCheck %s

// AdamW with an integer step: the scalars (t by sitofp, clamped to >= 1, lr, the bias
// corrections 1 − β^t by math.powf, lr / (1 − β1^t), sqrt(1 − β2^t),
// 1 − lr·wd) are computed once, by a 0-d generic over lr and t, in f64 as
// torch does and rounded once to f32; one generic takes them as inputs and
// computes W', M', V':
// W·(1 − lr·wd) − (lr / (1 − β1^t)) · M' / (sqrt(V') / sqrt(1 − β2^t) + ε).
// CHECK-LABEL: func.func @adamw_int_step
// CHECK-SAME: (%[[W:.+]]: tensor<768xf32>, %[[G:.+]]: tensor<768xf32>, %[[M:.+]]: tensor<768xf32>, %[[V:.+]]: tensor<768xf32>, %[[LR:.+]]: tensor<f32>, %[[T:.+]]: tensor<i64>)
// CHECK: %[[SCALARS:.+]]:3 = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T]] : tensor<f32>, tensor<i64>)
// CHECK-NEXT: ^bb0(%[[LR_F32:[^:]+]]: f32, %[[T_INT:[^:]+]]: i64,
// CHECK: %[[LR_VALUE:.+]] = arith.extf %[[LR_F32]] : f32 to f64
// CHECK: %[[T_RAW:.+]] = arith.sitofp %[[T_INT]] : i64 to f64
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[T_VALUE:.+]] = arith.maximumf %[[T_RAW]], %[[ONE]] : f64
// CHECK: %[[BETA1:.+]] = arith.constant 9.000000e-01 : f64
// CHECK: %[[POW1:.+]] = math.powf %[[BETA1]], %[[T_VALUE]] : f64
// CHECK: %[[BC1:.+]] = arith.subf %{{.+}}, %[[POW1]]
// CHECK: %[[STEP_SIZE_F64:.+]] = arith.divf %[[LR_VALUE]], %[[BC1]]
// CHECK: %[[BETA2:.+]] = arith.constant 0.99899999999999999 : f64
// CHECK: %[[POW2:.+]] = math.powf %[[BETA2]], %[[T_VALUE]] : f64
// CHECK: %[[BC2:.+]] = arith.subf %{{.+}}, %[[POW2]]
// CHECK: %[[BC2_ROOT_F64:.+]] = math.sqrt %[[BC2]]
// CHECK: %[[WD:.+]] = arith.constant 1.000000e-01 : f64
// CHECK: %[[LR_WD:.+]] = arith.mulf %[[LR_VALUE]], %[[WD]]
// CHECK: %[[DECAY_F64:.+]] = arith.subf %{{.+}}, %[[LR_WD]]
// CHECK: %[[STEP_SIZE:.+]] = arith.truncf %[[STEP_SIZE_F64]] : f64 to f32
// CHECK: %[[BC2_ROOT:.+]] = arith.truncf %[[BC2_ROOT_F64]] : f64 to f32
// CHECK: %[[DECAY:.+]] = arith.truncf %[[DECAY_F64]] : f64 to f32
// CHECK-NEXT: linalg.yield %[[STEP_SIZE]], %[[BC2_ROOT]], %[[DECAY]]
// CHECK: %[[RES:.+]]:3 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel"]
// CHECK-SAME: ins(%[[W]], %[[G]], %[[M]], %[[V]], %[[SCALARS]]#0, %[[SCALARS]]#1, %[[SCALARS]]#2 :
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: f32, %[[GE:[^:]+]]: f32, %[[ME:[^:]+]]: f32, %[[VE:[^:]+]]: f32, %[[SE:[^:]+]]: f32, %[[RE:[^:]+]]: f32, %[[DE:[^:]+]]: f32,
// CHECK: %[[EPS:.+]] = arith.constant 9.99999993E-9 : f32
// CHECK:        %[[NEW_M:.+]] = arith.addf
// CHECK:        %[[NEW_V:.+]] = arith.addf
// CHECK-NEXT:   %[[ROOT:.+]] = math.sqrt %[[NEW_V]]
// CHECK-NEXT:   %[[CORRECTED:.+]] = arith.divf %[[ROOT]], %[[RE]]
// CHECK-NEXT:   %[[DENOM:.+]] = arith.addf %[[CORRECTED]], %[[EPS]]
// CHECK-NEXT:   %[[RATIO:.+]] = arith.divf %[[NEW_M]], %[[DENOM]]
// CHECK-NEXT:   %[[DELTA:.+]] = arith.mulf %[[SE]], %[[RATIO]]
// CHECK-NEXT:   %[[DECAYED:.+]] = arith.mulf %[[WE]], %[[DE]]
// CHECK-NEXT:   %[[NEW_W:.+]] = arith.subf %[[DECAYED]], %[[DELTA]]
// CHECK-NEXT:   linalg.yield %[[NEW_W]], %[[NEW_M]], %[[NEW_V]]
// CHECK: return %[[RES]]#0, %[[RES]]#1, %[[RES]]#2
func.func @adamw_int_step(%w: tensor<768xf32>, %g: tensor<768xf32>,
                          %m: tensor<768xf32>, %v: tensor<768xf32>,
                          %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<768xf32>, tensor<768xf32>, tensor<768xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {weight_decay = 0.1}
      : tensor<768xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1 : tensor<768xf32>, tensor<768xf32>, tensor<768xf32>
}

// -----

// AdamW on a 0-d f16 parameter with an f16 step and bf16 lr: rank-0 maps, no
// iterators, f32 arithmetic in the body and the results truncated to f16.
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<() -> ()>
// CHECK-LABEL: func.func @adamw_scalar_float_step
// CHECK-SAME: %[[LR:[^:]+]]: tensor<bf16>, %[[T:[^:]+]]: tensor<f16>)
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T]] : tensor<bf16>, tensor<f16>)
// CHECK-NEXT: ^bb0(%[[LR_VALUE:[^:]+]]: bf16, %[[T_VALUE:[^:]+]]: f16,
// CHECK: arith.extf %[[LR_VALUE]] : bf16 to f64
// CHECK: arith.extf %[[T_VALUE]] : f16 to f64
// CHECK: linalg.generic {indexing_maps = [#[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]], #[[$SCALAR]]], iterator_types = []}
// CHECK-SAME: outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<f16>, tensor<f16>, tensor<f16>)
// CHECK-COUNT-4: arith.extf %{{.+}} : f16 to f32
// CHECK-COUNT-3: arith.truncf %{{.+}} : f32 to f16
func.func @adamw_scalar_float_step(%w: tensor<f16>, %lr: tensor<bf16>,
                                   %t: tensor<f16>) -> tensor<f16> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t
      : tensor<f16>, tensor<bf16>, tensor<f16>
  return %w1 : tensor<f16>
}

// -----

// AdamW in f64 keeps every scalar in f64.
// CHECK-LABEL: func.func @adamw_f64
// CHECK: arith.sitofp %{{.+}} : i32 to f64
// CHECK: math.powf %{{.+}}, %{{.+}} : f64
// CHECK-NOT: f32
func.func @adamw_f64(%w: tensor<4x4xf64>, %lr: tensor<f64>, %t: tensor<i32>)
    -> tensor<4x4xf64> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t
      : tensor<4x4xf64>, tensor<f64>, tensor<i32>
  return %w1 : tensor<4x4xf64>
}

// -----

// β₁ read at run time (an f64 0-d tensor): the scalar generic raises it to
// the step for the bias correction and hands β₁ and 1 − β₁, rounded once to
// f32, to the element-wise generic, whose M' uses them; no β₁ constant.
// CHECK-LABEL: func.func @adamw_runtime_beta1
// CHECK-SAME: %[[LR:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<i64>, %[[B1:[^:]+]]: tensor<f64>)
// CHECK: %[[S:.+]]:5 = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T]], %[[B1]] : tensor<f32>, tensor<i64>, tensor<f64>)
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32, %{{[^:]+}}: i64, %[[B1V:[^:]+]]: f64,
// CHECK-NOT: arith.constant 9.000000e-01
// CHECK: math.powf %[[B1V]], %{{.+}} : f64
// CHECK: %[[ONE_MINUS:.+]] = arith.subf %{{.+}}, %[[B1V]] : f64
// CHECK: %[[B1F:.+]] = arith.truncf %[[B1V]] : f64 to f32
// CHECK: %[[ONE_MINUS_F:.+]] = arith.truncf %[[ONE_MINUS]] : f64 to f32
// CHECK-NEXT: linalg.yield %{{.+}}, %{{.+}}, %{{.+}}, %[[B1F]], %[[ONE_MINUS_F]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[S]]#0, %[[S]]#1, %[[S]]#2, %[[S]]#3, %[[S]]#4 :
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32, %[[GE:[^:]+]]: f32, %[[ME:[^:]+]]: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32, %[[BE:[^:]+]]: f32, %[[OBE:[^:]+]]: f32,
// CHECK-NOT: arith.constant 0.899
// CHECK-DAG: arith.mulf %[[BE]], %[[ME]] : f32
// CHECK-DAG: arith.mulf %[[OBE]], %[[GE]] : f32
func.func @adamw_runtime_beta1(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                               %b1: tensor<f64>) -> tensor<8xf32> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t beta1(%b1 : tensor<f64>)
      : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<8xf32>
}

// -----

// The skip flag, not the beta1 operand that follows it, selects.
// CHECK-LABEL: func.func @adamw_skip_and_beta1
// CHECK-SAME: %[[S:[^:]+]]: tensor<i32>, %{{[^:]+}}: tensor<f64>)
// CHECK-COUNT-3: ins(%[[S]], %{{.+}}, %{{.+}} : tensor<i32>, tensor<8xf32>, tensor<8xf32>)
func.func @adamw_skip_and_beta1(%w: tensor<8xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                                %s: tensor<i32>, %b1: tensor<f64>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t skip(%s : tensor<i32>)
      beta1(%b1 : tensor<f64>) : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// A whole step: Muon and Muon²-F decompose and their Newton–Schulz lowers in
// the same conversion, next to AdamW and QK-clip; no optim op is left.
// CHECK-LABEL: func.func @step
// CHECK: scf.for
// CHECK: linalg.matmul
// CHECK: scf.for
// CHECK: linalg.batch_matmul
// CHECK: math.powf
// CHECK: linalg.index
// CHECK-NOT: optim.
func.func @step(%w: tensor<64x32xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                %e: tensor<2x8x16xbf16>, %vr: tensor<2x8x1xbf16>,
                %vc: tensor<2x1x16xbf16>, %b: tensor<64xf32>,
                %s: tensor<4xf32>)
    -> (tensor<64x32xf32>, tensor<2x8x16xbf16>, tensor<64xf32>,
        tensor<64x32xf32>, tensor<64x32xf32>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<64x32xf32>, tensor<f32>
  %e1, %em1, %vr1, %vc1 = optim.muon2 %e, %e, %e, [%vr, %vc], %lr
      {view = #optim.matrix_view<batch>}
      : tensor<2x8x16xbf16>, [tensor<2x8x1xbf16>, tensor<2x1x16xbf16>], tensor<f32>
  %b1, %bm1, %bv1 = optim.adamw %b, %b, %b, %b, %lr, %t
      : tensor<64xf32>, tensor<f32>, tensor<i64>
  %q, %k = optim.qk_clip %w1, %w1, %s {num_heads = 4 : i64, head_dim = 8 : i64,
      head_axis = 1 : i64} : tensor<64x32xf32>, tensor<64x32xf32>, tensor<4xf32>
  return %w1, %e1, %b1, %q, %k : tensor<64x32xf32>, tensor<2x8x16xbf16>,
      tensor<64xf32>, tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// An AdamW bucket: the step scalars once, then one generic per member on its
// own tensors, results in list order.
// CHECK-LABEL: func.func @adamw_bucket
// CHECK-SAME: (%[[A:[^:]+]]: tensor<4x3xf32>, %[[B:[^:]+]]: tensor<5xf32>,
// CHECK: %[[S:.+]]:3 = linalg.generic {{.*}}iterator_types = []}
// CHECK-COUNT-2: math.powf
// CHECK: %[[NA:.+]]:3 = linalg.generic {{.*}} ins(%[[A]], %[[A]], %[[A]], %[[A]], %[[S]]#0, %[[S]]#1, %[[S]]#2 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK-NOT: math.powf
// CHECK: %[[NB:.+]]:3 = linalg.generic {{.*}} ins(%[[B]], %[[B]], %[[B]], %[[B]], %[[S]]#0, %[[S]]#1, %[[S]]#2 : tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK: return %[[NA]]#0, %[[NB]]#0, %[[NA]]#2, %[[NB]]#1
func.func @adamw_bucket(%a: tensor<4x3xf32>, %b: tensor<5xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x3xf32>, tensor<5xf32>, tensor<4x3xf32>, tensor<5xf32>) {
  %w:2, %m:2, %v:2 = optim.adamw [%a, %b], [%a, %b], [%a, %b], [%a, %b], %lr, %t
      : [tensor<4x3xf32>, tensor<5xf32>], tensor<f32>, tensor<i64>
  return %w#0, %w#1, %v#0, %m#1 : tensor<4x3xf32>, tensor<5xf32>, tensor<4x3xf32>, tensor<5xf32>
}

// -----

// A step count per member: each member's scalars come from its own 0-d
// slice of the counts.
// CHECK-LABEL: func.func @adamw_step_per_member
// CHECK-SAME: %[[LR:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<2xi64>)
// CHECK: %[[T0:.+]] = tensor.extract_slice %[[T]][0] [1] [1] : tensor<2xi64> to tensor<i64>
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T0]] : tensor<f32>, tensor<i64>)
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<768xf32>,
// CHECK: %[[T1:.+]] = tensor.extract_slice %[[T]][1] [1] [1] : tensor<2xi64> to tensor<i64>
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%[[LR]], %[[T1]] : tensor<f32>, tensor<i64>)
// CHECK: linalg.generic {{.*}} ins({{.*}} : tensor<4x8xf32>,
func.func @adamw_step_per_member(%b: tensor<768xf32>, %w: tensor<4x8xf32>,
                                 %lr: tensor<f32>, %t: tensor<2xi64>)
    -> (tensor<768xf32>, tensor<4x8xf32>) {
  %p:2, %m:2, %v:2 = optim.adamw [%b, %w], [%b, %w], [%b, %w], [%b, %w], %lr, %t
      : [tensor<768xf32>, tensor<4x8xf32>], tensor<f32>, tensor<2xi64>
  return %p#0, %p#1 : tensor<768xf32>, tensor<4x8xf32>
}
