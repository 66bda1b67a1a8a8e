//===- Passes.td - Passes of the optim dialect -------------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_PASSES
#define OPTIM_PASSES

include "mlir/Pass/PassBase.td"

def OptimDecompose : Pass<"optim-decompose"> {
  let summary = "Expand optim.muon and optim.muon2 into moment math and "
                "optim.newton_schulz";
  let description = [{
    Rewrites every `optim.muon` and `optim.muon2` into the element-wise
    computation of its momentum (and second moment), the Nesterov blend and
    the final decoupled-weight-decay update as `linalg` ops on tensors, around
    one `optim.newton_schulz` that keeps the orthogonalization as a single op
    for later passes (bucketing, GEMM lowering) to see.

    Pre-condition: none. Post-condition: no `optim.muon`/`optim.muon2` left;
    `optim.newton_schulz`, `optim.adamw` and `optim.qk_clip` untouched.

    Before:
    ```mlir
    %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<64x256xf32>, tensor<f32>
    ```
    After (schematically):
    ```mlir
    %m1 = linalg.generic ... // β m + (1 − β) g
    %u  = linalg.generic ... // nesterov blend
    %o  = optim.newton_schulz %u : tensor<64x256xf32>
    %w1 = linalg.generic ... // w (1 − lr wd) − lr · adjust · o
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertOptimToLinalg : Pass<"convert-optim-to-linalg"> {
  let summary = "Lower optim ops to linalg, tensor, arith, math and scf";
  let description = [{
    The CPU reference lowering: every op of the `optim` dialect becomes
    upstream ops on tensors. `optim.muon`/`optim.muon2` are decomposed as by
    `optim-decompose`; `optim.newton_schulz` becomes a Frobenius-norm
    reduction, an optional transpose to the wide orientation, and an
    `scf.for` over the iterations whose (a, b, c) are read from a constant
    table, each iteration three `linalg.matmul`s (`linalg.batch_matmul` for
    batched views) in `compute_type` with f32 accumulation;
    `optim.adamw` and `optim.qk_clip` become `linalg.generic`s.

    Post-condition: no op of the `optim` dialect is left (dialect conversion
    fails otherwise).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertMatmulToBlas : Pass<"convert-matmul-to-blas", "::mlir::ModuleOp"> {
  let summary = "Call the CPU runtime's BLAS GEMMs for bufferized linalg matmuls";
  let description = [{
    Replaces `linalg.matmul` and `linalg.batch_matmul` on memrefs whose
    operands are plain or transposed (no broadcast maps) by calls into the
    project's CPU runtime (`runtime/cpu`), which runs OpenBLAS: `cblas_sgemm`
    for f32 × f32 → f32 and `cblas_sbgemm` for bf16 × bf16 → f32 (the
    Newton–Schulz GEMMs with `compute_type = bf16`). The runtime accumulates
    into the output (beta = 1), exactly linalg's semantics, and takes any
    strided layout (copying only when neither dimension is contiguous).

    Pre-condition: bufferized IR. Matmuls of other element types stay and
    are lowered to loops. The JIT or linker must provide
    `libmuon_cpu_runtime.so`.

    Before:
    ```mlir
    linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x64xf32>)
                  outs(%c : memref<64x64xf32>)
    ```
    After:
    ```mlir
    %0 = memref.cast %a : memref<64x256xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    ...
    call @muon_cpu_matmul_f32(%0, %1, %2, %c0, %c0) : (...) -> ()
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // OPTIM_PASSES
