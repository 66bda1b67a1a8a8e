// RUN: muon-opt %s -convert-optim-to-linalg -split-input-file | FileCheck %s
// RUN: muon-opt %s -convert-optim-to-linalg=ns-gemm=runtime -split-input-file | FileCheck %s --check-prefix=CALLS

// Wide f32 matrix, quintic: f64 norm reduction (no overflow for huge
// entries), X = U / (‖U‖·1 + 1e-7) in f64 rounded to f32, no
// transpose, one scf.for over a 5x3 coefficient table with X·Xᵀ (transposed
// operand through indexing_maps), S·S and T·X as linalg.matmul, X updated in
// place of the iter_arg.
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$SCALAR:.+]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[$A:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BT:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @ns_wide
// CHECK-SAME: (%[[U:.+]]: tensor<64x256xf32>)
// CHECK: %[[ZERO:.+]] = linalg.fill
// CHECK-SAME: -> tensor<f64>
// CHECK: %[[SUMSQ:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]]], iterator_types = ["reduction", "reduction"]} ins(%[[U]] : tensor<64x256xf32>) outs(%[[ZERO]] : tensor<f64>)
// CHECK:   arith.extf %{{.+}} : f32 to f64
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.9999999999999995E-8 : f64
// CHECK: %[[X0:.+]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$SCALAR]], #[[$ID]]], {{.*}} ins(%[[U]], %[[SUMSQ]] :
// CHECK-NEXT: ^bb0(%{{[^:]+}}: f32, %[[SE:[^:]+]]: f64,
// CHECK-NEXT:   %[[UE:.+]] = arith.extf
// CHECK-NEXT:   %[[NORM:.+]] = math.sqrt %[[SE]]
// CHECK-NEXT:   %[[SCALED:.+]] = arith.mulf %[[NORM]], %[[SCALE]]
// CHECK-NEXT:   %[[DENOM:.+]] = arith.addf %[[SCALED]], %[[EPS]]
// CHECK-NEXT:   %[[QUOT:.+]] = arith.divf %[[UE]], %[[DENOM]]
// CHECK-NEXT:   arith.truncf %[[QUOT]] : f64 to f32
// CHECK-NOT: linalg.transpose
// CHECK: %[[TABLE:.+]] = arith.constant dense<{{\[}}[3.444500e+00, -4.775000e+00, 2.031500e+00], [3.444500e+00, -4.775000e+00, 2.031500e+00], [3.444500e+00, -4.775000e+00, 2.031500e+00], [3.444500e+00, -4.775000e+00, 2.031500e+00], [3.444500e+00, -4.775000e+00, 2.031500e+00]]> : tensor<5x3xf32>
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[STEPS:.+]] = arith.constant 5 : index
// CHECK: %[[RES:.+]] = scf.for %[[I:.+]] = %[[C0]] to %[[STEPS]] step %[[C1]] iter_args(%[[X:.+]] = %[[X0]]) -> (tensor<64x256xf32>) {
// CHECK:   %[[CA:.+]] = tensor.extract %[[TABLE]][%[[I]], %[[C0]]] : tensor<5x3xf32>
// CHECK:   %[[CB:.+]] = tensor.extract %[[TABLE]][%[[I]], %[[C1]]] : tensor<5x3xf32>
// CHECK:   %[[CC:.+]] = tensor.extract %[[TABLE]][%[[I]], %[[C2]]] : tensor<5x3xf32>
// CHECK:   %[[SINIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:   %[[S:.+]] = linalg.matmul indexing_maps = [#[[$A]], #[[$BT]], #[[$C]]] ins(%[[X]], %[[X]] : tensor<64x256xf32>, tensor<64x256xf32>) outs(%[[SINIT]] : tensor<64x64xf32>)
// CHECK:   %[[SS:.+]] = linalg.matmul ins(%[[S]], %[[S]] : tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK:   %[[T:.+]] = linalg.generic {{.*}} ins(%[[S]], %[[SS]] :
// CHECK-NEXT: ^bb0(%[[SE2:[^:]+]]: f32, %[[SSE:[^:]+]]: f32,
// CHECK-NEXT:   %[[LIN:.+]] = arith.mulf %[[CB]], %[[SE2]]
// CHECK-NEXT:   %[[QUAD:.+]] = arith.mulf %[[CC]], %[[SSE]]
// CHECK-NEXT:   arith.addf %[[LIN]], %[[QUAD]]
// CHECK:   %[[TX:.+]] = linalg.matmul ins(%[[T]], %[[X]] : tensor<64x64xf32>, tensor<64x256xf32>) outs(%{{.+}} : tensor<64x256xf32>)
// CHECK:   %[[NEXT:.+]] = linalg.generic {{.*}} ins(%[[TX]] : tensor<64x256xf32>) outs(%[[X]] : tensor<64x256xf32>)
// CHECK-NEXT: ^bb0(%[[TXE:[^:]+]]: f32, %[[XE:[^:]+]]: f32):
// CHECK-NEXT:   %[[AX:.+]] = arith.mulf %[[CA]], %[[XE]]
// CHECK-NEXT:   arith.addf %[[AX]], %[[TXE]]
// CHECK:   scf.yield %[[NEXT]] : tensor<64x256xf32>
// CHECK: return %[[RES]] : tensor<64x256xf32>
// ns-gemm=runtime: the same X₀, then the GPU pipeline's runtime calls on its
// buffer (read-only: the iterates are fresh buffers; a single matrix viewed
// as 1×A×B), 3 per iteration with (a, b, c) in alpha/beta; the result leaves
// as a restrict tensor.
// CALLS-LABEL: func.func @ns_wide
// CALLS: %[[X0:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<64x256xf32>)
// CALLS: %[[BUF:.+]] = bufferization.to_buffer %[[X0]] read_only : tensor<64x256xf32> to memref<64x256xf32>
// CALLS: memref.expand_shape %[[BUF]] {{\[}}[0, 1], [2]] output_shape [1, 64, 256] : memref<64x256xf32> into memref<1x64x256xf32>
// CALLS-NOT: scf.for
// CALLS: call @muon_gpu_syrk_f32({{.*}}, %false{{(_[0-9]+)?}})
// CALLS: call @muon_gpu_syrk_f32({{.*}}, %false{{(_[0-9]+)?}})
// CALLS: call @muon_gpu_gemm_f32({{.*}}, %false{{(_[0-9]+)?}}, %false{{(_[0-9]+)?}})
// CALLS-COUNT-12: call @muon_gpu_{{gemm|syrk}}_f32
// CALLS-NOT: call @muon_gpu_
// CALLS: %[[OUT:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : memref<1x64x256xf32> into memref<64x256xf32>
// CALLS: %[[RES:.+]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<64x256xf32> to tensor<64x256xf32>
// CALLS: return %[[RES]]
func.func @ns_wide(%u: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %o = optim.newton_schulz %u : tensor<64x256xf32>
  return %o : tensor<64x256xf32>
}

// -----

// A tall matrix is transposed to the wide orientation before the loop and
// back after it.
// CHECK-LABEL: func.func @ns_tall
// CHECK: %[[X0:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<256x64xf32>)
// CHECK: %[[WIDE:.+]] = linalg.transpose ins(%[[X0]] : tensor<256x64xf32>) outs(%{{.+}} : tensor<64x256xf32>) permutation = [1, 0]
// CHECK: %[[LOOP:.+]] = scf.for {{.*}} iter_args(%{{.+}} = %[[WIDE]]) -> (tensor<64x256xf32>)
// CHECK:   linalg.matmul {{.*}} -> tensor<64x64xf32>
// CHECK: %[[TALL:.+]] = linalg.transpose ins(%[[LOOP]] : tensor<64x256xf32>) outs(%{{.+}} : tensor<256x64xf32>) permutation = [1, 0]
// CHECK: return %[[TALL]]
// ns-gemm=runtime: no transpose; the transpose flags do it (S = Xᵀ·X,
// X' = X·Tᵀ + a·X).
// CALLS-LABEL: func.func @ns_tall
// CALLS-NOT: linalg.transpose
// CALLS: call @muon_gpu_syrk_f32({{.*}}, %true{{(_[0-9]+)?}})
// CALLS: call @muon_gpu_syrk_f32({{.*}}, %false{{(_[0-9]+)?}})
// CALLS: call @muon_gpu_gemm_f32({{.*}}, %false{{(_[0-9]+)?}}, %true{{(_[0-9]+)?}})
// CALLS-NOT: linalg.transpose
// CALLS: return
func.func @ns_tall(%u: tensor<256x64xf32>) -> tensor<256x64xf32> {
  %o = optim.newton_schulz %u : tensor<256x64xf32>
  return %o : tensor<256x64xf32>
}

// -----

// compute_type = bf16: U is rounded to bf16 before its norm, and X, S and T
// are stored in bf16 across iterations (as the runtime GEMMs store them);
// every GEMM accumulates in f32.
// CHECK-LABEL: func.func @ns_bf16_compute
// CHECK:   %[[ULOW:.+]] = linalg.generic {{.*}} ins(%{{.+}} : tensor<32x48xf32>) outs(%{{.+}} : tensor<32x48xbf16>)
// CHECK-NEXT: ^bb0(%[[UE:[^:]+]]: f32, %{{.+}}: bf16):
// CHECK-NEXT:   %[[TRUNC:.+]] = arith.truncf %[[UE]] : f32 to bf16
// CHECK-NEXT:   linalg.yield %[[TRUNC]] : bf16
// CHECK: linalg.generic {{.*}} ins(%[[ULOW]] : tensor<32x48xbf16>) outs(%{{.+}} : tensor<f64>)
// CHECK: scf.for {{.*}} iter_args(%[[X:.+]] = %{{.+}}) -> (tensor<32x48xbf16>)
// CHECK:   %[[S:.+]] = linalg.matmul {{.*}} ins(%[[X]], %[[X]] : tensor<32x48xbf16>, tensor<32x48xbf16>) outs(%{{.+}} : tensor<32x32xf32>)
// CHECK:   %[[SLOW:.+]] = linalg.generic {{.*}} ins(%[[S]] : tensor<32x32xf32>) outs(%{{.+}} : tensor<32x32xbf16>)
// CHECK:   linalg.matmul ins(%[[SLOW]], %[[SLOW]] : tensor<32x32xbf16>, tensor<32x32xbf16>) outs(%{{.+}} : tensor<32x32xf32>)
// CHECK:   %[[TLOW:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<32x32xbf16>)
// CHECK:   linalg.matmul ins(%[[TLOW]], %[[X]] : tensor<32x32xbf16>, tensor<32x48xbf16>) outs(%{{.+}} : tensor<32x48xf32>)
// CHECK:   linalg.generic {{.*}} outs(%[[X]] : tensor<32x48xbf16>)
// ns-gemm=runtime: bf16 buffers and the bf16 entry points.
// CALLS-LABEL: func.func @ns_bf16_compute
// CALLS: bufferization.to_buffer %{{.+}} read_only : tensor<32x48xbf16> to memref<32x48xbf16>
// CALLS-COUNT-15: call @muon_gpu_{{gemm|syrk}}_bf16
// CALLS-NOT: call @muon_gpu_
// CALLS: return
func.func @ns_bf16_compute(%u: tensor<32x48xf32>) -> tensor<32x48xf32> {
  %o = optim.newton_schulz %u {compute_type = bf16} : tensor<32x48xf32>
  return %o : tensor<32x48xf32>
}

// -----

// Polar Express: normalization 1.02 and 1e-6; a 7-step table repeats the last
// tuple; the loop stays a loop (no unrolling).
// CHECK-LABEL: func.func @ns_polar_express
// CHECK-DAG: arith.constant 1.020000e+00 : f64
// CHECK-DAG: arith.constant 9.9999999999999995E-7 : f64
// CHECK: arith.constant dense<{{\[}}[8.15655422, -22.4832935, 15.8787699], [4.042930e+00, -2.80891752, 0.500017822], [3.89166784, -2.77248406, 0.506064832], [3.28575373, -2.36812949, 0.464490235], [2.3465414, -1.70978284, 0.423235506], [2.3465414, -1.70978284, 0.423235506], [2.3465414, -1.70978284, 0.423235506]]> : tensor<7x3xf32>
// CHECK: %[[STEPS:.+]] = arith.constant 7 : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[STEPS]]
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: linalg.matmul
// CHECK: scf.yield
func.func @ns_polar_express(%u: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %o = optim.newton_schulz %u {steps = 7 : i64,
      schedule = #optim.ns_schedule<polar_express>} : tensor<16x32xf32>
  return %o : tensor<16x32xf32>
}

// -----

// A custom schedule becomes the table as written.
// CHECK-LABEL: func.func @ns_custom
// CHECK: arith.constant dense<{{\[}}[2.000000e+00, -1.500000e+00, 5.000000e-01], [3.000000e+00, -3.000000e+00, 1.000000e+00]]> : tensor<2x3xf32>
func.func @ns_custom(%u: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %o = optim.newton_schulz %u {steps = 2 : i64,
      schedule = #optim.ns_schedule<custom [(2.0, -1.5, 0.5), (3.0, -3.0, 1.0)]>}
      : tensor<8x8xf32>
  return %o : tensor<8x8xf32>
}

// -----

// Batch view of rank 4 with tall f16 matrices and bf16 GEMMs: the batch dims
// collapse into one, the norm is per matrix, the GEMMs are batch_matmuls, and
// the result is truncated to f16 and expanded back.
// CHECK-DAG: #[[$ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$PERBATCH:.+]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[$BA:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$BBT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$BC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @ns_batch
// CHECK-SAME: (%[[U:.+]]: tensor<2x3x16x8xf16>)
// CHECK: %[[U3:.+]] = tensor.collapse_shape %[[U]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x16x8xf16> into tensor<6x16x8xf16>
// CHECK: %[[SUMSQ:.+]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$PERBATCH]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[U3]] : tensor<6x16x8xf16>) outs(%{{.+}} : tensor<6xf64>)
// CHECK:   arith.extf %{{.+}} : f16 to f64
// CHECK: linalg.generic {indexing_maps = [#[[$ID3]], #[[$PERBATCH]], #[[$ID3]]], {{.*}} ins(%[[U3]], %[[SUMSQ]] : tensor<6x16x8xf16>, tensor<6xf64>) outs(%{{.+}} : tensor<6x16x8xbf16>)
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1]
// CHECK: scf.for
// CHECK:   linalg.batch_matmul indexing_maps = [#[[$BA]], #[[$BBT]], #[[$BC]]] ins(%{{.+}}, %{{.+}} : tensor<6x8x16xbf16>, tensor<6x8x16xbf16>) outs(%{{.+}} : tensor<6x8x8xf32>)
// CHECK:   linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<6x8x8xbf16>, tensor<6x8x8xbf16>) outs(%{{.+}} : tensor<6x8x8xf32>)
// CHECK:   linalg.batch_matmul ins(%{{.+}}, %{{.+}} : tensor<6x8x8xbf16>, tensor<6x8x16xbf16>) outs(%{{.+}} : tensor<6x8x16xf32>)
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 1]
// CHECK: %[[LOW:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x16x8xf16>)
// CHECK:   arith.truncf %{{.+}} : f32 to f16
// CHECK: %[[OUT:.+]] = tensor.expand_shape %[[LOW]] {{\[}}[0, 1], [2], [3]] output_shape [2, 3, 16, 8] : tensor<6x16x8xf16> into tensor<2x3x16x8xf16>
// CHECK: return %[[OUT]]
func.func @ns_batch(%u: tensor<2x3x16x8xf16>) -> tensor<2x3x16x8xf16> {
  %o = optim.newton_schulz %u {compute_type = bf16,
      view = #optim.matrix_view<batch>} : tensor<2x3x16x8xf16>
  return %o : tensor<2x3x16x8xf16>
}

// -----

// Flatten view of a conv kernel: collapsed to 8 x (3·3·2) = 8x18 and back.
// CHECK-LABEL: func.func @ns_flatten
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2, 3]] : tensor<8x3x3x2xf32> into tensor<8x18xf32>
// CHECK: scf.for
// CHECK:   linalg.matmul {{.*}} -> tensor<8x8xf32>
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2, 3]] output_shape [8, 3, 3, 2] : tensor<8x18xf32> into tensor<8x3x3x2xf32>
func.func @ns_flatten(%u: tensor<8x3x3x2xf32>) -> tensor<8x3x3x2xf32> {
  %o = optim.newton_schulz %u : tensor<8x3x3x2xf32>
  return %o : tensor<8x3x3x2xf32>
}

// -----

// f64 computes and accumulates in f64 throughout (table included). The
// runtimes have no f64 GEMMs: ns-gemm=runtime keeps the loop.
// CALLS-LABEL: func.func @ns_f64
// CALLS-NOT: call @muon_gpu_
// CALLS: scf.for
// CALLS-NOT: call @muon_gpu_
// CALLS: return
// CHECK-LABEL: func.func @ns_f64
// CHECK: arith.constant dense<{{.*}}> : tensor<5x3xf64>
// CHECK: scf.for {{.*}} -> (tensor<8x16xf64>)
// CHECK:   linalg.matmul {{.*}} ins(%{{.+}}, %{{.+}} : tensor<8x16xf64>, tensor<8x16xf64>) outs(%{{.+}} : tensor<8x8xf64>)
// CHECK-NOT: f32
func.func @ns_f64(%u: tensor<16x8xf64>) -> tensor<16x8xf64> {
  %o = optim.newton_schulz %u : tensor<16x8xf64>
  return %o : tensor<16x8xf64>
}
