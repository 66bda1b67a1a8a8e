// bf16 Newton–Schulz in an AOT library of the emulated GPU program: every
// f32 -> bf16 rounding, in the kernels run on the host included (Gram's
// Q = Z + a·I among them), is integer code. A bf16 select or phi left for
// LLVM would call __truncsfbf2, which GCC 12's libgcc lacks: the link
// (--no-undefined) would fail on hosts without AVX512-BF16.
// RUN: muon-compile %s --target=cpu --pipeline=gpu-emulation -o %t.so
// RUN: llvm-nm -u %t.so | FileCheck %s
// RUN: muon-compile %s --target=cpu -o %t.cpu.so
// RUN: llvm-nm -u %t.cpu.so | FileCheck %s
// CHECK-NOT: __truncsfbf2
// CHECK-NOT: __truncdfbf2

func.func @step(%u: tensor<32x96xbf16>, %w: tensor<64x192xf32>, %g: tensor<64x192xf32>,
                %m: tensor<64x192xf32>, %lr: tensor<f32>)
    -> (tensor<32x96xbf16>, tensor<64x192xf32>, tensor<64x192xf32>) {
  %o = optim.newton_schulz %u {schedule = #optim.ns_schedule<quintic, gram>} : tensor<32x96xbf16>
  %w1, %m1 = optim.muon %w, %g, %m, %lr {compute_type = bf16} : tensor<64x192xf32>, tensor<f32>
  return %o, %w1, %m1 : tensor<32x96xbf16>, tensor<64x192xf32>, tensor<64x192xf32>
}
