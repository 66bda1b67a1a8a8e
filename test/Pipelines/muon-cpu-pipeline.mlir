// RUN: muon-opt %s --muon-cpu-pipeline | FileCheck %s

// Every optim op (Muon, Muon² full and factored, a standalone Newton–Schulz
// in bf16, AdamW, QK-clip) goes through decomposition, linalg, bufferization
// and loops down to the LLVM dialect, with C-interface wrappers for callers.
// Temporaries come from the CPU runtime's caching allocator.
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(
// CHECK-NOT: llvm.func @malloc(
// CHECK: llvm.func @step(
// CHECK: llvm.func @_mlir_ciface_step(
// CHECK-NOT: optim.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: scf.
func.func @step(%w: tensor<64x32xf32>, %g: tensor<64x32xf32>,
                %m: tensor<64x32xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                %e: tensor<2x8x16xbf16>, %vr: tensor<2x8x1xbf16>,
                %vc: tensor<2x1x16xbf16>, %c: tensor<8x3x3x2xf32>,
                %v: tensor<8x3x3x2xf32>, %u: tensor<48x16xf32>,
                %b: tensor<64xf32>, %s: tensor<4xf32>)
    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<2x8x16xbf16>,
        tensor<2x8x1xbf16>, tensor<2x1x16xbf16>, tensor<8x3x3x2xf32>,
        tensor<8x3x3x2xf32>, tensor<48x16xf32>, tensor<64xf32>,
        tensor<64x32xf32>, tensor<64x32xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {weight_decay = 0.1}
      : tensor<64x32xf32>, tensor<f32>
  %e1, %em1, %vr1, %vc1 = optim.muon2 %e, %e, %e, [%vr, %vc], %lr
      {view = #optim.matrix_view<batch>}
      : tensor<2x8x16xbf16>, [tensor<2x8x1xbf16>, tensor<2x1x16xbf16>], tensor<f32>
  %c1, %cm1, %cv1 = optim.muon2 %c, %c, %c, [%v], %lr
      {schedule = #optim.ns_schedule<polar_express>}
      : tensor<8x3x3x2xf32>, [tensor<8x3x3x2xf32>], tensor<f32>
  %o = optim.newton_schulz %u {compute_type = bf16} : tensor<48x16xf32>
  %b1, %bm1, %bv1 = optim.adamw %b, %b, %b, %b, %lr, %t
      : tensor<64xf32>, tensor<f32>, tensor<i64>
  %q, %k = optim.qk_clip %w1, %w1, %s {num_heads = 4 : i64, head_dim = 8 : i64,
      head_axis = 1 : i64} : tensor<64x32xf32>, tensor<64x32xf32>, tensor<4xf32>
  return %w1, %m1, %e1, %vr1, %vc1, %c1, %cv1, %o, %b1, %q, %k
      : tensor<64x32xf32>, tensor<64x32xf32>, tensor<2x8x16xbf16>,
        tensor<2x8x1xbf16>, tensor<2x1x16xbf16>, tensor<8x3x3x2xf32>,
        tensor<8x3x3x2xf32>, tensor<48x16xf32>, tensor<64xf32>,
        tensor<64x32xf32>, tensor<64x32xf32>
}
