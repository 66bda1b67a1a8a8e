// RUN: muon-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s

// MHA (GPT-2 small heads along dim 1): γ = S > τ ? τ/S : 1 per head, then
// γ^α for W_q and γ^(1−α) for W_k; each weight is one generic finding the head
// with linalg.index / chunk and selecting the original entry when the factor
// is exactly 1.
// CHECK-LABEL: func.func @qk_mha
// CHECK-SAME: (%[[WQ:.+]]: tensor<768x768xf32>, %[[WK:.+]]: tensor<768x768xf32>, %[[S:.+]]: tensor<12xf32>)
// CHECK-DAG: %[[TAU:.+]] = arith.constant 1.000000e+02 : f32
// CHECK-DAG: %[[ALPHA:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[ONE_MINUS_ALPHA:.+]] = arith.constant 7.500000e-01 : f32
// CHECK: %[[GAMMA:.+]] = linalg.generic {{.*}} ins(%[[S]] : tensor<12xf32>) outs(%{{.+}} : tensor<12xf32>)
// CHECK-NEXT: ^bb0(%[[SE:[^:]+]]: f32,
// CHECK-NEXT:   %[[CLIPPED:.+]] = arith.cmpf ogt, %[[SE]], %[[TAU]]
// CHECK-NEXT:   %[[RATIO:.+]] = arith.divf %[[TAU]], %[[SE]]
// CHECK-NEXT:   arith.select %[[CLIPPED]], %[[RATIO]], %{{.+}} : f32
// CHECK: %[[FACTORS:.+]]:2 = linalg.generic {{.*}} ins(%[[GAMMA]] : tensor<12xf32>)
// CHECK-NEXT: ^bb0(%[[GE:[^:]+]]: f32,
// CHECK-NEXT:   %[[QF:.+]] = math.powf %[[GE]], %[[ALPHA]]
// CHECK-NEXT:   %[[KF:.+]] = math.powf %[[GE]], %[[ONE_MINUS_ALPHA]]
// CHECK-NEXT:   linalg.yield %[[QF]], %[[KF]]
// CHECK: %[[CHUNK:.+]] = arith.constant 64 : index
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[NEW_WQ:.+]] = linalg.generic {{.*}} ins(%[[WQ]] : tensor<768x768xf32>)
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: f32,
// CHECK-NEXT:   %[[IDX:.+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[HEAD:.+]] = arith.divui %[[IDX]], %[[CHUNK]] : index
// CHECK-NEXT:   %[[F:.+]] = tensor.extract %[[FACTORS]]#0[%[[HEAD]]] : tensor<12xf32>
// CHECK-NEXT:   %[[SCALED:.+]] = arith.mulf %[[WE]], %[[F]]
// CHECK-NEXT:   %[[UNIT:.+]] = arith.cmpf oeq, %[[F]], %[[ONE]]
// CHECK-NEXT:   %[[OUT:.+]] = arith.select %[[UNIT]], %[[WE]], %[[SCALED]]
// CHECK-NEXT:   linalg.yield %[[OUT]]
// CHECK: %[[NEW_WK:.+]] = linalg.generic {{.*}} ins(%[[WK]] : tensor<768x768xf32>)
// CHECK:   tensor.extract %[[FACTORS]]#1
// CHECK: return %[[NEW_WQ]], %[[NEW_WK]]
func.func @qk_mha(%wq: tensor<768x768xf32>, %wk: tensor<768x768xf32>,
                  %s: tensor<12xf32>)
    -> (tensor<768x768xf32>, tensor<768x768xf32>) {
  %a, %b = optim.qk_clip %wq, %wk, %s {num_heads = 12 : i64, head_dim = 64 : i64,
      head_axis = 1 : i64, alpha = 0.25}
      : tensor<768x768xf32>, tensor<768x768xf32>, tensor<12xf32>
  return %a, %b : tensor<768x768xf32>, tensor<768x768xf32>
}

// -----

// GQA (8 query heads, 2 key heads, bf16 weights, heads along dim 0): γ is
// viewed as 2x4, m_g = min over each group, W_k gets m^α, W_q gets γ / m^α;
// the weights are scaled in f32 and truncated back to bf16, but an unclipped
// entry is selected as the original bf16 value.
// CHECK-LABEL: func.func @qk_gqa
// CHECK-SAME: (%[[WQ:.+]]: tensor<64x32xbf16>, %[[WK:.+]]: tensor<16x32xbf16>, %{{.+}}: tensor<8xf32>)
// CHECK: %[[GAMMA:.+]] = linalg.generic
// CHECK: %[[GROUPED:.+]] = tensor.expand_shape %[[GAMMA]] {{\[}}[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
// CHECK: %[[INIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2xf32>)
// CHECK: %[[MIN:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[GROUPED]] : tensor<2x4xf32>) outs(%[[INIT]] : tensor<2xf32>)
// CHECK:   arith.minimumf
// CHECK: %[[KF:.+]] = linalg.generic {{.*}} ins(%[[MIN]] : tensor<2xf32>)
// CHECK:   math.powf
// CHECK: %[[QF2:.+]] = linalg.generic {{.*}} ins(%[[GROUPED]], %[[KF]] : tensor<2x4xf32>, tensor<2xf32>)
// CHECK:   arith.divf
// CHECK: %[[QF:.+]] = tensor.collapse_shape %[[QF2]] {{\[}}[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
// CHECK: %[[NEW_WQ:.+]] = linalg.generic {{.*}} ins(%[[WQ]] : tensor<64x32xbf16>)
// CHECK-NEXT: ^bb0(%[[WE:[^:]+]]: bf16,
// CHECK-NEXT:   linalg.index 0
// CHECK-NEXT:   arith.divui
// CHECK-NEXT:   %[[F:.+]] = tensor.extract %[[QF]]
// CHECK-NEXT:   %[[WIDE:.+]] = arith.extf %[[WE]] : bf16 to f32
// CHECK-NEXT:   %[[PROD:.+]] = arith.mulf %[[WIDE]], %[[F]]
// CHECK-NEXT:   %[[NARROW:.+]] = arith.truncf %[[PROD]] : f32 to bf16
// CHECK-NEXT:   %[[UNIT:.+]] = arith.cmpf oeq, %[[F]]
// CHECK-NEXT:   arith.select %[[UNIT]], %[[WE]], %[[NARROW]] : bf16
// CHECK: linalg.generic {{.*}} ins(%[[WK]] : tensor<16x32xbf16>)
// CHECK:   tensor.extract %[[KF]]
func.func @qk_gqa(%wq: tensor<64x32xbf16>, %wk: tensor<16x32xbf16>,
                  %s: tensor<8xf32>) -> (tensor<64x32xbf16>, tensor<16x32xbf16>) {
  %a, %b = optim.qk_clip %wq, %wk, %s {num_heads = 8 : i64,
      num_kv_heads = 2 : i64, head_dim = 8 : i64}
      : tensor<64x32xbf16>, tensor<16x32xbf16>, tensor<8xf32>
  return %a, %b : tensor<64x32xbf16>, tensor<16x32xbf16>
}

// -----

// MLA: the query chunk is 8 + 4 (q_C then q_R), the key chunk 8 + 6 (k_C then
// V). q_C gets γ^α and q_R γ; k_C gets γ^(1−α) and V stays (factor 1).
// CHECK-LABEL: func.func @qk_mla
// CHECK-SAME: (%[[WQ:.+]]: tensor<16x24xf32>, %[[WK:.+]]: tensor<16x28xf32>, %{{.+}}: tensor<2xf16>)
// CHECK: %[[GAMMA:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<2xf32>)
// CHECK:   arith.extf %{{.+}} : f16 to f32
// CHECK: %[[FACTORS:.+]]:2 = linalg.generic {{.*}} ins(%[[GAMMA]] : tensor<2xf32>)
// CHECK: %[[QCHUNK:.+]] = arith.constant 12 : index
// CHECK: linalg.generic {{.*}} ins(%[[WQ]] : tensor<16x24xf32>)
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32,
// CHECK-NEXT:   %[[IDX:.+]] = linalg.index 1 : index
// CHECK-NEXT:   %[[HEAD:.+]] = arith.divui %[[IDX]], %[[QCHUNK]]
// CHECK-NEXT:   %[[QC:.+]] = tensor.extract %[[FACTORS]]#0[%[[HEAD]]]
// CHECK-NEXT:   %[[SPLIT:.+]] = arith.constant 8 : index
// CHECK-NEXT:   %[[POS:.+]] = arith.remui %[[IDX]], %[[QCHUNK]]
// CHECK-NEXT:   %[[IS_C:.+]] = arith.cmpi ult, %[[POS]], %[[SPLIT]]
// CHECK-NEXT:   %[[QR:.+]] = tensor.extract %[[GAMMA]][%[[HEAD]]]
// CHECK-NEXT:   arith.select %[[IS_C]], %[[QC]], %[[QR]] : f32
// CHECK: %[[KCHUNK:.+]] = arith.constant 14 : index
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%[[WK]] : tensor<16x28xf32>)
// CHECK:   %[[KC:.+]] = tensor.extract %[[FACTORS]]#1
// CHECK:   %[[KPOS:.+]] = arith.remui %{{.+}}, %[[KCHUNK]]
// CHECK:   %[[KIS_C:.+]] = arith.cmpi ult, %[[KPOS]], %{{.+}}
// CHECK-NEXT:   arith.select %[[KIS_C]], %[[KC]], %[[ONE]] : f32
func.func @qk_mla(%wq: tensor<16x24xf32>, %wk: tensor<16x28xf32>,
                  %s: tensor<2xf16>) -> (tensor<16x24xf32>, tensor<16x28xf32>) {
  %a, %b = optim.qk_clip %wq, %wk, %s {num_heads = 2 : i64, head_dim = 8 : i64,
      rope_head_dim = 4 : i64, v_head_dim = 6 : i64, head_axis = 1 : i64}
      : tensor<16x24xf32>, tensor<16x28xf32>, tensor<2xf16>
  return %a, %b : tensor<16x24xf32>, tensor<16x28xf32>
}

// -----

// Biases (rank 1) follow the same rules along their only axis.
// CHECK-LABEL: func.func @qk_bias
// CHECK-SAME: (%[[BQ:.+]]: tensor<768xf32>, %[[BK:.+]]: tensor<768xf32>,
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[BQ]] : tensor<768xf32>)
// CHECK:   linalg.index 0 : index
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[BK]] : tensor<768xf32>)
// CHECK:   linalg.index 0 : index
func.func @qk_bias(%bq: tensor<768xf32>, %bk: tensor<768xf32>,
                   %s: tensor<12xf32>) -> (tensor<768xf32>, tensor<768xf32>) {
  %a, %b = optim.qk_clip %bq, %bk, %s {num_heads = 12 : i64, head_dim = 64 : i64}
      : tensor<768xf32>, tensor<768xf32>, tensor<12xf32>
  return %a, %b : tensor<768xf32>, tensor<768xf32>
}
