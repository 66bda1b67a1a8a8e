// RUN: muon-opt %s -optim-decompose -split-input-file | FileCheck %s

// Muon with Nesterov: one generic yields M' and the blend U, NS runs on U with
// the op's NS attributes, lr·adjust multiplies O (768x3072 is wide: adjust 1).
// CHECK-LABEL: func.func @muon_nesterov
// CHECK-SAME: (%[[W:.+]]: tensor<768x3072xf32>, %[[G:.+]]: tensor<768x3072xf32>, %[[M:.+]]: tensor<768x3072xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK-DAG: %[[BETA:.+]] = arith.constant 0.949999988 : f32
// CHECK-DAG: %[[ONE_MINUS_BETA:.+]] = arith.constant 5.000000e-02 : f32
// CHECK: %[[MOM:.+]]:2 = linalg.generic
// CHECK-SAME: ins(%[[G]], %[[M]] : tensor<768x3072xf32>, tensor<768x3072xf32>)
// CHECK-NEXT: ^bb0(%[[GE:[^:]+]]: f32, %[[ME:[^:]+]]: f32, %{{.+}}: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[DECAYED:.+]] = arith.mulf %[[BETA]], %[[ME]]
// CHECK-NEXT:   %[[SCALED:.+]] = arith.mulf %[[ONE_MINUS_BETA]], %[[GE]]
// CHECK-NEXT:   %[[NEW_M:.+]] = arith.addf %[[DECAYED]], %[[SCALED]]
// CHECK-NEXT:   %[[BLEND_M:.+]] = arith.mulf %[[BETA]], %[[NEW_M]]
// CHECK-NEXT:   %[[BLEND_G:.+]] = arith.mulf %[[ONE_MINUS_BETA]], %[[GE]]
// CHECK-NEXT:   %[[U:.+]] = arith.addf %[[BLEND_M]], %[[BLEND_G]]
// CHECK-NEXT:   linalg.yield %[[NEW_M]], %[[U]] : f32, f32
// CHECK: %[[O:.+]] = optim.newton_schulz %[[MOM]]#1 {compute_type = bf16, schedule = #optim.ns_schedule<polar_express>} : tensor<768x3072xf32>
// CHECK: %[[STEP:.+]] = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f32>)
// CHECK-NEXT: ^bb0(%[[LR_VALUE:[^:]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[ADJUST:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:   %[[STEP_VALUE:.+]] = arith.mulf %[[LR_VALUE]], %[[ADJUST]] : f32
// CHECK-NEXT:   linalg.yield %[[STEP_VALUE]]
// CHECK: %[[NEW_W:.+]] = linalg.generic
// CHECK-SAME: ins(%[[W]], %[[O]], %[[STEP]] : tensor<768x3072xf32>, tensor<768x3072xf32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: f32, %[[OE:[^:]+]]: f32, %[[SE:[^:]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[DELTA:.+]] = arith.mulf %[[SE]], %[[OE]]
// CHECK-NEXT:   %[[RES:.+]] = arith.subf %[[WE]], %[[DELTA]]
// CHECK-NEXT:   linalg.yield %[[RES]]
// CHECK: return %[[NEW_W]], %[[MOM]]#0
// CHECK-NOT: optim.muon
func.func @muon_nesterov(%w: tensor<768x3072xf32>, %g: tensor<768x3072xf32>,
                         %m: tensor<768x3072xf32>, %lr: tensor<f32>)
    -> (tensor<768x3072xf32>, tensor<768x3072xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {compute_type = bf16,
      schedule = #optim.ns_schedule<polar_express>}
      : tensor<768x3072xf32>, tensor<f32>
  return %w1, %m1 : tensor<768x3072xf32>, tensor<768x3072xf32>
}

// -----

// A run-time momentum: β and 1 − β from one scalar generic (in f64, each
// rounded once to f32), taken as inputs by the moments generic.
// CHECK-LABEL: func.func @muon_runtime_momentum
// CHECK-SAME: %[[MU:[^:]+]]: tensor<f64>)
// CHECK: %[[B:.+]]:2 = linalg.generic {{.*}}iterator_types = []} ins(%[[MU]] : tensor<f64>)
// CHECK-NEXT: ^bb0(%[[MV:[^:]+]]: f64,
// CHECK: %[[ONE_MINUS:.+]] = arith.subf %{{.+}}, %[[MV]] : f64
// CHECK: %[[BF:.+]] = arith.truncf %[[MV]] : f64 to f32
// CHECK: %[[OF:.+]] = arith.truncf %[[ONE_MINUS]] : f64 to f32
// CHECK-NEXT: linalg.yield %[[BF]], %[[OF]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}}, %[[B]]#0, %[[B]]#1 : tensor<8x4xf32>, tensor<8x4xf32>, tensor<f32>, tensor<f32>)
// CHECK-NEXT: ^bb0(%[[GE:[^:]+]]: f32, %[[ME:[^:]+]]: f32, %[[BE:[^:]+]]: f32, %[[OE:[^:]+]]: f32,
// CHECK-NEXT:   arith.mulf %[[BE]], %[[ME]]
// CHECK-NEXT:   arith.mulf %[[OE]], %[[GE]]
func.func @muon_runtime_momentum(%w: tensor<8x4xf32>, %lr: tensor<f32>, %mu: tensor<f64>)
    -> tensor<8x4xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr momentum(%mu : tensor<f64>)
      : tensor<8x4xf32>, tensor<f32>
  return %w1 : tensor<8x4xf32>
}

// -----

// Without Nesterov the generic yields M' alone and NS runs on it; a tall
// 3072x768 matrix gets the original adjust sqrt(3072/768) = 2; weight decay
// scales W by 1 − lr·wd.
// CHECK-LABEL: func.func @muon_plain_tall
// CHECK-SAME: (%[[W:.+]]: tensor<3072x768xf32>, %{{.+}}: tensor<3072x768xf32>, %{{.+}}: tensor<3072x768xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK: %[[MOM:.+]] = linalg.generic
// CHECK: linalg.yield %{{.+}} : f32
// CHECK: %[[O:.+]] = optim.newton_schulz %[[MOM]] {steps = 6 : i64} : tensor<3072x768xf32>
// CHECK: %[[SCALARS:.+]]:2 = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f32>)
// CHECK-NEXT: ^bb0(%[[LR_VALUE:[^:]+]]: f32, %{{.+}}: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[ADJUST:.+]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:   %[[STEP:.+]] = arith.mulf %[[LR_VALUE]], %[[ADJUST]]
// CHECK-NEXT:   %[[WD:.+]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT:   %[[LR_WD:.+]] = arith.mulf %[[LR_VALUE]], %[[WD]]
// CHECK-NEXT:   %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:   %[[DECAY:.+]] = arith.subf %[[ONE]], %[[LR_WD]]
// CHECK-NEXT:   linalg.yield %[[STEP]], %[[DECAY]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[W]], %[[O]], %[[SCALARS]]#0, %[[SCALARS]]#1 :
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: f32, %[[OE:[^:]+]]: f32, %[[SE:[^:]+]]: f32, %[[DE:[^:]+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[DECAYED:.+]] = arith.mulf %[[WE]], %[[DE]]
// CHECK-NEXT:   %[[DELTA:.+]] = arith.mulf %[[SE]], %[[OE]]
// CHECK-NEXT:   arith.subf %[[DECAYED]], %[[DELTA]]
func.func @muon_plain_tall(%w: tensor<3072x768xf32>, %g: tensor<3072x768xf32>,
                           %m: tensor<3072x768xf32>, %lr: tensor<f32>)
    -> (tensor<3072x768xf32>, tensor<3072x768xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {nesterov = false, weight_decay = 0.1,
      ns_steps = 6 : i64} : tensor<3072x768xf32>, tensor<f32>
  return %w1, %m1 : tensor<3072x768xf32>, tensor<3072x768xf32>
}

// -----

// match_rms_adamw on 768x3072: adjust 0.2·sqrt(3072).
// CHECK-LABEL: func.func @muon_match_rms_adamw
// CHECK: optim.newton_schulz
// CHECK: arith.constant 11.085125 : f32
func.func @muon_match_rms_adamw(%w: tensor<768x3072xf32>, %lr: tensor<f32>)
    -> tensor<768x3072xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {
      lr_adjust = #optim.lr_adjust<match_rms_adamw>}
      : tensor<768x3072xf32>, tensor<f32>
  return %w1 : tensor<768x3072xf32>
}

// -----

// The `none` rule on a tall matrix keeps lr: adjust 1.
// CHECK-LABEL: func.func @muon_no_adjust
// CHECK: optim.newton_schulz
// CHECK: arith.constant 1.000000e+00 : f32
func.func @muon_no_adjust(%w: tensor<3072x768xf32>, %lr: tensor<f32>)
    -> tensor<3072x768xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {lr_adjust = #optim.lr_adjust<none>}
      : tensor<3072x768xf32>, tensor<f32>
  return %w1 : tensor<3072x768xf32>
}

// -----

// A bf16 parameter computes in f32 inside the generics (extf in, truncf out);
// an f16 lr is widened to f32.
// CHECK-LABEL: func.func @muon_bf16
// CHECK-SAME: %[[LR:[^:]+]]: tensor<f16>
// CHECK: linalg.generic
// CHECK: ^bb0(%[[GE:[^:]+]]: bf16, %[[ME:[^:]+]]: bf16, %{{.+}}: bf16, %{{.+}}: bf16):
// CHECK-DAG: arith.extf %[[GE]] : bf16 to f32
// CHECK-DAG: arith.extf %[[ME]] : bf16 to f32
// CHECK: arith.truncf %{{.+}} : f32 to bf16
// CHECK: optim.newton_schulz %{{.+}} : tensor<64x32xbf16>
// CHECK: linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f16>)
// CHECK-NEXT: ^bb0(%[[LR_VALUE:[^:]+]]: f16, %{{.+}}: f32):
// CHECK-NEXT: arith.extf %[[LR_VALUE]] : f16 to f32
// CHECK: linalg.generic
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @muon_bf16(%w: tensor<64x32xbf16>, %lr: tensor<f16>)
    -> tensor<64x32xbf16> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<64x32xbf16>, tensor<f16>
  return %w1 : tensor<64x32xbf16>
}

// -----

// Rank 4, flatten view: element-wise parts keep the shape, NS gets the view,
// adjust uses A = 256, B = 2·2·4 = 16: sqrt(16) = 4.
// CHECK-LABEL: func.func @muon_conv_flatten
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<256x2x2x4xf32>, tensor<256x2x2x4xf32>)
// CHECK: optim.newton_schulz %{{.+}} : tensor<256x2x2x4xf32>
// CHECK: arith.constant 4.000000e+00 : f32
func.func @muon_conv_flatten(%w: tensor<256x2x2x4xf32>, %lr: tensor<f32>)
    -> tensor<256x2x2x4xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<256x2x2x4xf32>, tensor<f32>
  return %w1 : tensor<256x2x2x4xf32>
}

// -----

// Batch view: A×B = 64x32 per matrix, adjust sqrt(2); the view reaches NS.
// CHECK-LABEL: func.func @muon_batch
// CHECK: optim.newton_schulz %{{.+}} {view = #optim.matrix_view<batch>} : tensor<8x64x32xf32>
// CHECK: arith.constant 1.41421354 : f32
func.func @muon_batch(%w: tensor<8x64x32xf32>, %lr: tensor<f32>)
    -> tensor<8x64x32xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {view = #optim.matrix_view<batch>}
      : tensor<8x64x32xf32>, tensor<f32>
  return %w1 : tensor<8x64x32xf32>
}

// -----

// Muon² with a full second moment: one generic yields M', V' and
// P = U / (sqrt(V') + ε); NS (3 steps by default) runs on P.
// CHECK-LABEL: func.func @muon2_full
// CHECK-SAME: (%[[W:.+]]: tensor<64x256xf32>, %[[G:.+]]: tensor<64x256xf32>, %[[M:.+]]: tensor<64x256xf32>, %[[V:.+]]: tensor<64x256xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK-DAG: %[[BETA2:.+]] = arith.constant 9.900000e-01 : f32
// CHECK-DAG: %[[ONE_MINUS_BETA2:.+]] = arith.constant 0.00999999977 : f32
// CHECK-DAG: %[[EPS:.+]] = arith.constant 1.000000e-10 : f32
// CHECK: %[[MOM:.+]]:3 = linalg.generic
// CHECK-SAME: ins(%[[G]], %[[M]], %[[V]] :
// CHECK-NEXT: ^bb0(%[[GE:[^:]+]]: f32, %{{[^:]+}}: f32, %[[VE:[^:]+]]: f32,
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   arith.addf
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   %[[U:.+]] = arith.addf
// CHECK-NEXT:   %[[SQUARE:.+]] = arith.mulf %[[GE]], %[[GE]]
// CHECK-NEXT:   %[[DECAYED:.+]] = arith.mulf %[[BETA2]], %[[VE]]
// CHECK-NEXT:   %[[ADDED:.+]] = arith.mulf %[[ONE_MINUS_BETA2]], %[[SQUARE]]
// CHECK-NEXT:   %[[NEW_V:.+]] = arith.addf %[[DECAYED]], %[[ADDED]]
// CHECK-NEXT:   %[[ROOT:.+]] = math.sqrt %[[NEW_V]]
// CHECK-NEXT:   %[[DENOM:.+]] = arith.addf %[[ROOT]], %[[EPS]]
// CHECK-NEXT:   %[[P:.+]] = arith.divf %[[U]], %[[DENOM]]
// CHECK-NEXT:   linalg.yield %{{.+}}, %[[NEW_V]], %[[P]]
// CHECK: %[[O:.+]] = optim.newton_schulz %[[MOM]]#2 {steps = 3 : i64} : tensor<64x256xf32>
// CHECK: %[[NEW_W:.+]] = linalg.generic {{.*}} ins(%[[W]], %[[O]], %{{.+}} :
// CHECK: return %[[NEW_W]], %[[MOM]]#0, %[[MOM]]#1
func.func @muon2_full(%w: tensor<64x256xf32>, %g: tensor<64x256xf32>,
                      %m: tensor<64x256xf32>, %v: tensor<64x256xf32>,
                      %lr: tensor<f32>)
    -> (tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>) {
  %w1, %m1, %v1 = optim.muon2 %w, %g, %m, [%v], %lr {beta2 = 0.99, eps = 1.0e-10}
      : tensor<64x256xf32>, [tensor<64x256xf32>], tensor<f32>
  return %w1, %m1, %v1 : tensor<64x256xf32>, tensor<64x256xf32>, tensor<64x256xf32>
}

// -----

// Muon²-F on a rank-3 flatten view (16 x 2·4): G and U collapse to 16x8, the
// factors to vectors; row/column sums of G⊙G are reductions, Σ V_c' a full
// reduction, and V̂ = V_r' V_c' / max(Σ V_c', ε) broadcasts them.
// CHECK-DAG: #[[$ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROWS:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$COLS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ALL:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @muon2_factored_flatten
// CHECK-SAME: (%[[W:.+]]: tensor<16x2x4xf32>, %[[G:.+]]: tensor<16x2x4xf32>, %[[M:.+]]: tensor<16x2x4xf32>, %[[VR:.+]]: tensor<16x1xf32>, %[[VC:.+]]: tensor<1x8xf32>, %[[LR:.+]]: tensor<f32>)
// CHECK: %[[MOM:.+]]:2 = linalg.generic {{.*}} ins(%[[G]], %[[M]] :
// CHECK: %[[G2:.+]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1, 2]] : tensor<16x2x4xf32> into tensor<16x8xf32>
// CHECK: %[[ROW_SUMS:.+]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROWS]]], iterator_types = ["parallel", "reduction"]} ins(%[[G2]] : tensor<16x8xf32>)
// CHECK: %[[COL_SUMS:.+]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$COLS]]], iterator_types = ["reduction", "parallel"]} ins(%[[G2]] : tensor<16x8xf32>)
// CHECK: %[[VR1:.+]] = tensor.collapse_shape %[[VR]] {{\[}}[0, 1]] : tensor<16x1xf32> into tensor<16xf32>
// CHECK: %[[NEW_VR:.+]] = linalg.generic {{.*}} ins(%[[VR1]], %[[ROW_SUMS]] : tensor<16xf32>, tensor<16xf32>)
// CHECK: %[[VC1:.+]] = tensor.collapse_shape %[[VC]] {{\[}}[0, 1]] : tensor<1x8xf32> into tensor<8xf32>
// CHECK: %[[NEW_VC:.+]] = linalg.generic {{.*}} ins(%[[VC1]], %[[COL_SUMS]] : tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[TOTAL:.+]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[NEW_VC]] : tensor<8xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK: %[[U2:.+]] = tensor.collapse_shape %[[MOM]]#1 {{\[}}[0], [1, 2]]
// CHECK: %[[P2:.+]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROWS]], #[[$COLS]], #[[$ALL]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[U2]], %[[NEW_VR]], %[[NEW_VC]], %[[TOTAL]] :
// CHECK-NEXT: ^bb0(%[[UE:[^:]+]]: f32, %[[RE:[^:]+]]: f32, %[[CE:[^:]+]]: f32, %[[TE:[^:]+]]: f32,
// CHECK-NEXT:   %[[OUTER:.+]] = arith.mulf %[[RE]], %[[CE]]
// CHECK-NEXT:   %[[CLAMPED:.+]] = arith.maximumf %[[TE]], %[[EPS:.+]] : f32
// CHECK-NEXT:   %[[VHAT:.+]] = arith.divf %[[OUTER]], %[[CLAMPED]]
// CHECK-NEXT:   %[[ROOT:.+]] = math.sqrt %[[VHAT]]
// CHECK-NEXT:   %[[DENOM:.+]] = arith.addf %[[ROOT]], %[[EPS]]
// CHECK-NEXT:   arith.divf %[[UE]], %[[DENOM]]
// CHECK: %[[OUT_VR:.+]] = tensor.expand_shape %[[NEW_VR]] {{\[}}[0, 1]] output_shape [16, 1]
// CHECK: %[[OUT_VC:.+]] = tensor.expand_shape %[[NEW_VC]] {{\[}}[0, 1]] output_shape [1, 8]
// CHECK: %[[P:.+]] = tensor.expand_shape %[[P2]] {{\[}}[0], [1, 2]] output_shape [16, 2, 4]
// CHECK: %[[O:.+]] = optim.newton_schulz %[[P]] {steps = 3 : i64} : tensor<16x2x4xf32>
// CHECK: %[[NEW_W:.+]] = linalg.generic {{.*}} ins(%[[W]], %[[O]], %{{.+}} :
// CHECK: return %[[NEW_W]], %[[MOM]]#0, %[[OUT_VR]], %[[OUT_VC]]
func.func @muon2_factored_flatten(%w: tensor<16x2x4xf32>, %g: tensor<16x2x4xf32>,
                                  %m: tensor<16x2x4xf32>, %vr: tensor<16x1xf32>,
                                  %vc: tensor<1x8xf32>, %lr: tensor<f32>)
    -> (tensor<16x2x4xf32>, tensor<16x2x4xf32>, tensor<16x1xf32>, tensor<1x8xf32>) {
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %g, %m, [%vr, %vc], %lr
      : tensor<16x2x4xf32>, [tensor<16x1xf32>, tensor<1x8xf32>], tensor<f32>
  return %w1, %m1, %vr1, %vc1
      : tensor<16x2x4xf32>, tensor<16x2x4xf32>, tensor<16x1xf32>, tensor<1x8xf32>
}

// -----

// Muon²-F on a batch view 2x3 of 8x4 matrices: the batch dims collapse into
// one (6x8x4), the factors to 6x8 and 6x4, Σ V_c' is per matrix.
// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$BROWS:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$BCOLS:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BATCH:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @muon2_factored_batch
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2], [3]] : tensor<2x3x8x4xbf16> into tensor<6x8x4xbf16>
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<6x8xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<6x4xf32>)
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2, 3]] : tensor<2x3x8x1xbf16> into tensor<6x8xbf16>
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2, 3]] : tensor<2x3x1x4xbf16> into tensor<6x4xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.+}} : tensor<6x4xbf16>) outs(%{{.+}} : tensor<6xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$ID3]], #[[$BROWS]], #[[$BCOLS]], #[[$BATCH]], #[[$ID3]]]
// CHECK-SAME: outs(%{{.+}} : tensor<6x8x4xbf16>)
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2, 3]] output_shape [2, 3, 8, 1] : tensor<6x8xbf16> into tensor<2x3x8x1xbf16>
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2, 3]] output_shape [2, 3, 1, 4] : tensor<6x4xbf16> into tensor<2x3x1x4xbf16>
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2], [3]] output_shape [2, 3, 8, 4] : tensor<6x8x4xbf16> into tensor<2x3x8x4xbf16>
// CHECK: optim.newton_schulz %{{.+}} {steps = 3 : i64, view = #optim.matrix_view<batch>} : tensor<2x3x8x4xbf16>
func.func @muon2_factored_batch(%w: tensor<2x3x8x4xbf16>,
                                %vr: tensor<2x3x8x1xbf16>,
                                %vc: tensor<2x3x1x4xbf16>, %lr: tensor<f32>)
    -> (tensor<2x3x8x4xbf16>, tensor<2x3x8x1xbf16>, tensor<2x3x1x4xbf16>) {
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr
      {view = #optim.matrix_view<batch>}
      : tensor<2x3x8x4xbf16>, [tensor<2x3x8x1xbf16>, tensor<2x3x1x4xbf16>], tensor<f32>
  return %w1, %vr1, %vc1
      : tensor<2x3x8x4xbf16>, tensor<2x3x8x1xbf16>, tensor<2x3x1x4xbf16>
}

// -----

// Other optim ops are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: optim.newton_schulz
// CHECK: optim.adamw
func.func @untouched(%u: tensor<4x4xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %o = optim.newton_schulz %u : tensor<4x4xf32>
  %w1, %m1, %v1 = optim.adamw %u, %u, %u, %u, %lr, %t
      : tensor<4x4xf32>, tensor<f32>, tensor<i64>
  return %o, %w1 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// A bucket: each member gets the generics its own op would (here M' = U, no
// Nesterov), only the Newton–Schulz input is stacked (one 4x8 matrix and a
// batch of two: 3x4x8), one NS runs on the stack as a batch, and each member
// updates its parameter from its slice of O, with lr·adjust computed once.
// CHECK-LABEL: func.func @bucket
// CHECK-SAME: (%[[A:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<2x4x8xf32>, %[[LR:[^:]+]]: tensor<f32>)
// CHECK: %[[UA:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[A]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: %[[UB:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[B]] : tensor<2x4x8xf32>, tensor<2x4x8xf32>)
// CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<3x4x8xf32>
// CHECK: %[[P0:.+]] = tensor.insert_slice %[[UA]] into %[[EMPTY]][0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<4x8xf32> into tensor<3x4x8xf32>
// CHECK: %[[P:.+]] = tensor.insert_slice %[[UB]] into %[[P0]][1, 0, 0] [2, 4, 8] [1, 1, 1] : tensor<2x4x8xf32> into tensor<3x4x8xf32>
// CHECK: %[[O:.+]] = optim.newton_schulz %[[P]] {steps = 2 : i64, view = #optim.matrix_view<batch>} : tensor<3x4x8xf32>
// CHECK: %[[STEP:.+]] = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f32>)
// CHECK: %[[OA:.+]] = tensor.extract_slice %[[O]][0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<3x4x8xf32> to tensor<4x8xf32>
// CHECK: %[[OB:.+]] = tensor.extract_slice %[[O]][1, 0, 0] [2, 4, 8] [1, 1, 1] : tensor<3x4x8xf32> to tensor<2x4x8xf32>
// CHECK: %[[WA:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[OA]], %[[STEP]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK: %[[WB:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[OB]], %[[STEP]] : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<f32>)
// CHECK: return %[[WA]], %[[WB]], %[[UA]], %[[UB]]
func.func @bucket(%a: tensor<4x8xf32>, %b: tensor<2x4x8xf32>, %lr: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>) {
  %w:2, %m:2 = optim.muon [%a, %b], [%a, %b], [%a, %b], %lr
      {view = #optim.matrix_view<batch>, ns_steps = 2 : i64, nesterov = false}
      : [tensor<4x8xf32>, tensor<2x4x8xf32>], tensor<f32>
  return %w#0, %w#1, %m#0, %m#1 : tensor<4x8xf32>, tensor<2x4x8xf32>, tensor<4x8xf32>, tensor<2x4x8xf32>
}

// -----

// A bucket with transposed members: the 8x4 matrices enter the 4x8 stack
// transposed, leave it transposed back, and step with their own lr·adjust
// (original: 1 for 4x8, sqrt(2) for 8x4), computed once per orientation.
// CHECK-LABEL: func.func @bucket_transposed
// CHECK-SAME: (%[[A:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<2x8x4xf32>, %[[LR:[^:]+]]: tensor<f32>)
// CHECK: %[[UA:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[A]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: %[[UB:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[B]] : tensor<2x8x4xf32>, tensor<2x8x4xf32>)
// CHECK: %[[P0:.+]] = tensor.insert_slice %[[UA]] into %{{.+}}[0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<4x8xf32> into tensor<3x4x8xf32>
// CHECK: %[[UBT:.+]] = linalg.transpose ins(%[[UB]] : tensor<2x8x4xf32>) outs(%{{.+}} : tensor<2x4x8xf32>) permutation = [0, 2, 1]
// CHECK: %[[P:.+]] = tensor.insert_slice %[[UBT]] into %[[P0]][1, 0, 0] [2, 4, 8] [1, 1, 1] : tensor<2x4x8xf32> into tensor<3x4x8xf32>
// CHECK: %[[O:.+]] = optim.newton_schulz %[[P]] {view = #optim.matrix_view<batch>} : tensor<3x4x8xf32>
// CHECK: %[[STEP:.+]]:2 = linalg.generic {{.*}}iterator_types = []} ins(%[[LR]] : tensor<f32>)
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: arith.constant 1.41421354 : f32
// CHECK: %[[OA:.+]] = tensor.extract_slice %[[O]][0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<3x4x8xf32> to tensor<4x8xf32>
// CHECK: %[[OB:.+]] = tensor.extract_slice %[[O]][1, 0, 0] [2, 4, 8] [1, 1, 1] : tensor<3x4x8xf32> to tensor<2x4x8xf32>
// CHECK: %[[OBT:.+]] = linalg.transpose ins(%[[OB]] : tensor<2x4x8xf32>) outs(%{{.+}} : tensor<2x8x4xf32>) permutation = [0, 2, 1]
// CHECK: %[[WA:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[OA]], %[[STEP]]#0 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK: %[[WB:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[OBT]], %[[STEP]]#1 : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<f32>)
// CHECK: return %[[WA]], %[[WB]]
func.func @bucket_transposed(%a: tensor<4x8xf32>, %b: tensor<2x8x4xf32>, %lr: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<2x8x4xf32>) {
  %w:2, %m:2 = optim.muon [%a, %b], [%a, %b], [%a, %b], %lr
      {nesterov = false, view = #optim.matrix_view<batch>}
      : [tensor<4x8xf32>, tensor<2x8x4xf32>], tensor<f32>
  return %w#0, %w#1 : tensor<4x8xf32>, tensor<2x8x4xf32>
}

// -----

// A padded bucket: the 3x8 member's U goes into a zero-filled 2x4x8 stack
// (rows 3 of its matrix stay 0), its 3x8 part of Newton–Schulz's result is
// read back, and it steps with its own lr·adjust (original: 1 for 4x8 and
// for 3x8; match_rms_adamw would differ).
// CHECK-LABEL: func.func @bucket_padded
// CHECK-SAME: (%[[A:[^:]+]]: tensor<4x8xf32>, %[[B:[^:]+]]: tensor<3x8xf32>, %[[LR:[^:]+]]: tensor<f32>)
// CHECK: %[[UA:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[A]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: %[[UB:.+]] = linalg.generic {{.*}} ins(%[[B]], %[[B]] : tensor<3x8xf32>, tensor<3x8xf32>)
// CHECK: %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x4x8xf32>)
// CHECK: %[[P0:.+]] = tensor.insert_slice %[[UA]] into %[[ZERO]][0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<4x8xf32> into tensor<2x4x8xf32>
// CHECK: %[[P:.+]] = tensor.insert_slice %[[UB]] into %[[P0]][1, 0, 0] [1, 3, 8] [1, 1, 1] : tensor<3x8xf32> into tensor<2x4x8xf32>
// CHECK: %[[O:.+]] = optim.newton_schulz %[[P]] {view = #optim.matrix_view<batch>} : tensor<2x4x8xf32>
// CHECK: %[[OA:.+]] = tensor.extract_slice %[[O]][0, 0, 0] [1, 4, 8] [1, 1, 1] : tensor<2x4x8xf32> to tensor<4x8xf32>
// CHECK: %[[OB:.+]] = tensor.extract_slice %[[O]][1, 0, 0] [1, 3, 8] [1, 1, 1] : tensor<2x4x8xf32> to tensor<3x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]], %[[OA]], %{{.+}} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>)
// CHECK: linalg.generic {{.*}} ins(%[[B]], %[[OB]], %{{.+}} : tensor<3x8xf32>, tensor<3x8xf32>, tensor<f32>)
func.func @bucket_padded(%a: tensor<4x8xf32>, %b: tensor<3x8xf32>, %lr: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<3x8xf32>) {
  %w:2, %m:2 = optim.muon [%a, %b], [%a, %b], [%a, %b], %lr {nesterov = false}
      : [tensor<4x8xf32>, tensor<3x8xf32>], tensor<f32>
  return %w#0, %w#1 : tensor<4x8xf32>, tensor<3x8xf32>
}

// -----

// With a skip flag, each result is kept at the operand it updates where the
// flag is non-zero: one select per result, which fuses into its producer.
// CHECK-LABEL: func.func @muon_skip
// CHECK-SAME: (%[[W:[^:]+]]: tensor<4x8xf32>, %{{[^:]+}}: tensor<4x8xf32>, %[[M:[^:]+]]: tensor<4x8xf32>, %{{[^:]+}}: tensor<f32>, %[[S:[^:]+]]: tensor<i32>)
// CHECK: %[[MOMENTS:.+]]:2 = linalg.generic
// CHECK: optim.newton_schulz
// CHECK: %[[NEWW:.+]] = linalg.generic {{.*}} ins(%[[W]],
// CHECK: %[[KEPTW:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[NEWW]], %[[W]] : tensor<i32>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: arith.cmpi ne
// CHECK: arith.select
// CHECK: %[[KEPTM:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[MOMENTS]]#0, %[[M]] : tensor<i32>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: return %[[KEPTW]], %[[KEPTM]]
func.func @muon_skip(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                     %lr: tensor<f32>, %s: tensor<i32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr skip(%s : tensor<i32>) {ns_steps = 1 : i64}
      : tensor<4x8xf32>, tensor<f32>
  return %w1, %m1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The skip flag, not the momentum operand that follows it, selects.
// CHECK-LABEL: func.func @muon_skip_and_momentum
// CHECK-SAME: %[[S:[^:]+]]: tensor<i1>, %[[MU:[^:]+]]: tensor<f64>)
// CHECK: linalg.generic {{.*}} ins(%[[S]], %{{.+}}, %{{.+}} : tensor<i1>, tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[S]], %{{.+}}, %{{.+}} : tensor<i1>, tensor<4x8xf32>, tensor<4x8xf32>)
func.func @muon_skip_and_momentum(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                                  %lr: tensor<f32>, %s: tensor<i1>, %mu: tensor<f64>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr skip(%s : tensor<i1>) momentum(%mu : tensor<f64>)
      {ns_steps = 1 : i64} : tensor<4x8xf32>, tensor<f32>
  return %w1, %m1 : tensor<4x8xf32>, tensor<4x8xf32>
}
