//===- Passes.td - Passes of the optim dialect -------------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_PASSES
#define OPTIM_PASSES

include "mlir/Pass/PassBase.td"

def OptimBucket : Pass<"optim-bucket"> {
  let summary = "Batch same-shaped optimizer updates into one op per bucket";
  let description = [{
    Groups the optimizer updates of each block into buckets and replaces
    every bucket of at least `min-bucket-size` ops by one op on packed
    tensors, so that later stages see one launch (one batched Newton–Schulz,
    one element-wise kernel) per bucket instead of one per parameter:

    - `optim.muon`, and `optim.muon2` with a full second moment: ops with
      the same matrix shape A×B (after their matrix view: a rank-2
      parameter, an N-D one flattened to dim0 × rest, or each matrix of a
      batch view), element type, hyper-parameters (resolved defaults
      included) and the same `lr` SSA value. Their matrices are stacked
      into an N×A×B tensor updated by one op with
      `view = #optim.matrix_view<batch>`. The lr adjustment still sees
      A×B per matrix, and the batched lowering runs the same per-matrix
      arithmetic (norm, GEMMs, element-wise math) as the unbatched one, so
      the results are bitwise identical on the CPU path; this is why the
      pass needs no `deterministic` mode (test/Numerics/bucket.test checks
      the claim).
    - `optim.adamw`: ops of any shapes with the same element type,
      hyper-parameters and `lr` and `step` SSA values. AdamW is purely
      element-wise, so each parameter is flattened and the vectors are
      concatenated into one.

    Operands are packed with `tensor.empty` + `tensor.insert_slice` and
    results unpacked with `tensor.extract_slice` (+ reshape). The bucketed
    op is placed where the last member was, so an op only joins a bucket if
    no result of an earlier member is used before that point (in
    particular, an update that consumes another's result, directly or
    through other ops, never shares its bucket); otherwise it starts a new
    bucket. Muon²-F (factored moments) and ops of other dialects are left
    alone.

    Pre-condition: none. Post-condition: every bucket of `min-bucket-size`
    or more ops is one op; results are unchanged. Not done yet (future
    work): zero-padding near-equal shapes into one bucket, which is exact
    for Newton–Schulz but needs a cost model (design notes §3).

    Before:
    ```mlir
    %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<64x256xf32>, tensor<f32>
    %v1, %n1 = optim.muon %v, %h, %n, %lr : tensor<64x256xf32>, tensor<f32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<2x64x256xf32>
    %p0 = tensor.insert_slice %w into %e[0, 0, 0] [1, 64, 256] [1, 1, 1]
        : tensor<64x256xf32> into tensor<2x64x256xf32>
    %p = tensor.insert_slice %v into %p0[1, 0, 0] [1, 64, 256] [1, 1, 1] ...
    ...                                  // likewise the gradients, momenta
    %pw1, %pm1 = optim.muon %p, %pg, %pm, %lr
        {view = #optim.matrix_view<batch>} : tensor<2x64x256xf32>, tensor<f32>
    %w1 = tensor.extract_slice %pw1[0, 0, 0] [1, 64, 256] [1, 1, 1]
        : tensor<2x64x256xf32> to tensor<64x256xf32>
    ...
    ```
  }];
  let options = [
    Option<"minBucketSize", "min-bucket-size", "unsigned", /*default=*/"2",
           "Smallest number of ops worth a bucket (values below 2 act as 2: "
           "a bucket of one is the op itself)">,
  ];
  let statistics = [
    Statistic<"numBuckets", "num-buckets", "Number of buckets formed">,
    Statistic<"numBucketedOps", "num-bucketed-ops",
              "Number of ops replaced by a bucket">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

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

    Pre-condition: bufferized IR. Matmuls of other element types, and those
    with a static size or stride beyond 2^31 − 1 (BLAS takes 32-bit ints),
    stay and are lowered to loops, which index in 64 bits. The JIT or linker must provide
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
