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

#endif // OPTIM_PASSES
