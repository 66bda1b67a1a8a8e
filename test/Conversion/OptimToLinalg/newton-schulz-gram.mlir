// RUN: muon-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s
// RUN: muon-opt %s -convert-optim-to-linalg=ns-gemm=runtime -split-input-file | FileCheck %s --check-prefix=CALLS

// Gram Newton–Schulz, 3 steps restarting before step 2, unrolled on the
// linalg path: R₀ = X Xᵀ; step 0 starts a segment (Q = Z + a·I) and updates
// R; step 1 ends it (no R update, Q = Q Z + a Q); the restart multiplies X
// by Q and recomputes R; step 2 is a segment of one; X = Q X at the end.
// CHECK-LABEL: func.func @gram_restart
// CHECK: %[[X0:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<32x96xf32>, tensor<f64>)
// CHECK: %[[R0:.+]] = linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[X0]], %[[X0]] : tensor<32x96xf32>, tensor<32x96xf32>) outs(%{{.+}} : tensor<32x32xf32>)
// CHECK: %[[RR0:.+]] = linalg.matmul ins(%[[R0]], %[[R0]] :
// CHECK: %[[Z0:.+]] = linalg.generic {{.*}} ins(%[[RR0]], %[[R0]] :
// CHECK: %[[RZP:.+]] = linalg.matmul ins(%[[R0]], %[[Z0]] :
// CHECK: %[[RZ:.+]] = linalg.generic {{.*}} ins(%[[RZP]], %[[R0]] :
// CHECK: %[[R1P:.+]] = linalg.matmul ins(%[[Z0]], %[[RZ]] :
// CHECK: %[[R1:.+]] = linalg.generic {{.*}} ins(%[[R1P]], %[[RZ]] :
// CHECK: %[[Q0:.+]] = linalg.generic {{.*}} outs(%[[Z0]] : tensor<32x32xf32>)
// CHECK:   linalg.index 0
// CHECK:   linalg.index 1
// CHECK:   arith.cmpi eq
// CHECK:   arith.addf %{{.+}}, %{{.+}} : f32
// CHECK:   arith.select
// CHECK: %[[RR1:.+]] = linalg.matmul ins(%[[R1]], %[[R1]] :
// CHECK: %[[Z1:.+]] = linalg.generic {{.*}} ins(%[[RR1]], %[[R1]] :
// CHECK-NOT: linalg.matmul ins(%[[R1]], %[[Z1]]
// CHECK: %[[QZ:.+]] = linalg.matmul ins(%[[Q0]], %[[Z1]] :
// CHECK: %[[Q1:.+]] = linalg.generic {{.*}} ins(%[[QZ]], %[[Q0]] :
// CHECK: %[[X1:.+]] = linalg.matmul ins(%[[Q1]], %[[X0]] : tensor<32x32xf32>, tensor<32x96xf32>)
// CHECK: %[[R2:.+]] = linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[X1]], %[[X1]] :
// CHECK: %[[RR2:.+]] = linalg.matmul ins(%[[R2]], %[[R2]] :
// CHECK: %[[Z2:.+]] = linalg.generic {{.*}} ins(%[[RR2]], %[[R2]] :
// CHECK: %[[Q2:.+]] = linalg.generic {{.*}} outs(%[[Z2]] : tensor<32x32xf32>)
// CHECK: %[[X2:.+]] = linalg.matmul ins(%[[Q2]], %[[X1]] : tensor<32x32xf32>, tensor<32x96xf32>)
// CHECK: return %[[X2]]

// With the runtime GEMMs: the same products as calls, the m×m buffers
// reused once dead (four of them), two X buffers, Q = Z + a·I in place.
// CALLS-LABEL: func.func @gram_restart
// CALLS-COUNT-2: call @muon_gpu_syrk_f32
// CALLS-COUNT-2: call @muon_gpu_gemm_f32
// CALLS: linalg.generic {{.*}} outs(%{{.+}} : memref<1x32x32xf32>)
// CALLS: call @muon_gpu_syrk_f32
// CALLS: call @muon_gpu_gemm_f32
// CALLS: memref.alloc() : memref<1x32x96xf32>
// CALLS: call @muon_gpu_gemm_f32
// CALLS-COUNT-2: call @muon_gpu_syrk_f32
// CALLS: linalg.generic {{.*}} outs(%{{.+}} : memref<1x32x32xf32>)
// CALLS: memref.alloc() : memref<1x32x96xf32>
// CALLS: call @muon_gpu_gemm_f32
// CALLS-NOT: call @muon_gpu
// CALLS: return
func.func @gram_restart(%u: tensor<32x96xf32>) -> tensor<32x96xf32> {
  %o = optim.newton_schulz %u {steps = 3 : i64,
      schedule = #optim.ns_schedule<quintic, gram restarts [2]>} : tensor<32x96xf32>
  return %o : tensor<32x96xf32>
}

// -----

// `auto` (no algorithm): bf16 GEMMs on a matrix 4 times as wide as tall run
// Gram (default restarts every two steps: three segments, each starting
// with Q = Z + a·I); a tall one iterates on its transpose (X·Qᵀ).
// CALLS-LABEL: func.func @auto_bf16_wide
// CALLS-COUNT-3: arith.cmpi eq
// CALLS-NOT: arith.cmpi eq
// CALLS: return
func.func @auto_bf16_wide(%u: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %o = optim.newton_schulz %u {compute_type = bf16} : tensor<64x256xf32>
  return %o : tensor<64x256xf32>
}

// CALLS-LABEL: func.func @auto_bf16_tall
// CALLS: call @muon_gpu_syrk_bf16({{.*}}, %true)
// CALLS: call @muon_gpu_gemm_bf16({{.*}}, %false{{.*}}, %true{{.*}})
// CALLS: return
func.func @auto_bf16_tall(%u: tensor<256x64xf32>) -> tensor<256x64xf32> {
  %o = optim.newton_schulz %u {compute_type = bf16} : tensor<256x64xf32>
  return %o : tensor<256x64xf32>
}

// -----

// `auto` keeps the standard iteration for f32 (torch's f32 reference), for
// square bf16 matrices (more FLOPs for Gram), and as asked by `standard`.
// CALLS-LABEL: func.func @auto_standard
// CALLS-NOT: linalg.index
// CALLS-COUNT-10: call @muon_gpu_syrk
// CALLS-NOT: linalg.index
// CALLS: return
// CHECK-LABEL: func.func @auto_standard
// CHECK-COUNT-2: scf.for
// CHECK-NOT: linalg.index
// CHECK: return
func.func @auto_standard(%f32: tensor<64x256xf32>, %square: tensor<64x64xbf16>)
    -> (tensor<64x256xf32>, tensor<64x64xbf16>) {
  %a = optim.newton_schulz %f32 : tensor<64x256xf32>
  %b = optim.newton_schulz %square {compute_type = bf16} : tensor<64x64xbf16>
  return %a, %b : tensor<64x256xf32>, tensor<64x64xbf16>
}

// CALLS-LABEL: func.func @forced_standard
// CALLS-NOT: linalg.index
// CALLS: return
func.func @forced_standard(%u: tensor<64x256xbf16>) -> tensor<64x256xbf16> {
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, standard>} : tensor<64x256xbf16>
  return %o : tensor<64x256xbf16>
}
