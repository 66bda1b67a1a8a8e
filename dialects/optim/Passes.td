//===- Passes.td - Passes of the optim dialect -------------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_PASSES
#define OPTIM_PASSES

include "mlir/Pass/PassBase.td"

def OptimAssign : Pass<"optim-assign"> {
  let summary = "Route the AdamW updates of an imported graph to Muon or Muon²";
  let description = [{
    Rewrites the `optim.adamw` update of each parameter that Muon is meant
    for — a 2-D hidden weight matrix — into `optim.muon` or `optim.muon2`
    (`algorithm`), and leaves the AdamW update of every other parameter:

    1. A parameter is named by the `onnx.name` attribute of the function
       argument it comes from (set by `muon-translate --import-onnx`);
       updates of values that are not named arguments are named `<unnamed>`.
    2. A name matching an `exclude` regex keeps AdamW; with `include`
       regexes given, only names matching one of them may move.
    3. Rank other than 2 (biases, norms, conv kernels, stacked experts)
       keeps AdamW.
    4. Embeddings keep AdamW: the parameter is used by an op whose name
       contains `gather` (`tensor.gather`), is read inside a linalg body at
       a position computed from data (`tensor.extract` with an index that
       is not a `linalg.index` or constant: the ONNX importer's Gather), or
       its name contains `embed`, `wte` or `wpe` (case-insensitive).
    5. The output head keeps AdamW: the name contains `lm_head` or
       `classifier`, or has a `head` component (`head.weight`,
       `model/head`).
    6. Everything else moves to Muon (or Muon²).

    State: AdamW's first moment `M` becomes the Muon momentum buffer (both
    are EMAs of the gradient, `M = β M + (1 − β) G`); for `muon` the second
    moment `V` is returned unchanged, for `muon2` it becomes Muon²'s second
    moment. The function signature therefore does not change. The learning
    rate operand and `weight_decay` are reused; the default `lr-adjust` is
    `match_rms_adamw`, which scales the update to AdamW's RMS so that the
    AdamW learning rate remains appropriate (Moonlight).

    With `report`, one remark per AdamW update says what it became and why.
    Bad option values are errors on the processed op.

    Before / after:
    ```mlir
    %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t
        : tensor<64x64xf32>, tensor<f32>, tensor<i64>
    // becomes
    %w1, %m1 = optim.muon %w, %g, %m, %lr {lr_adjust =
        #optim.lr_adjust<match_rms_adamw>, ...} : tensor<64x64xf32>, tensor<f32>
    // and uses of %v1 now use %v
    ```
  }];
  let options = [
    Option<"algorithm", "algorithm", "std::string", /*default=*/"\"muon\"",
           "Optimizer for hidden matrices: muon or muon2">,
    Option<"nsSteps", "ns-steps", "int64_t", /*default=*/"0",
           "Newton-Schulz iterations (0: the op's default, 5 for muon and 3 "
           "for muon2)">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"quintic\"",
           "Newton-Schulz coefficients: quintic or polar_express">,
    Option<"lrAdjust", "lr-adjust", "std::string",
           /*default=*/"\"match_rms_adamw\"",
           "Learning-rate rule: original, match_rms_adamw, "
           "spectral_unclamped or none">,
    Option<"momentum", "momentum", "double", /*default=*/"0.95",
           "Muon momentum (beta)">,
    ListOption<"include", "include", "std::string",
               "Regexes: only parameters whose name matches one may move to "
               "Muon (default: all)">,
    ListOption<"exclude", "exclude", "std::string",
               "Regexes: parameters whose name matches one keep AdamW">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit one remark per parameter saying what it was assigned">,
  ];
  let dependentDialects = ["::muon::optim::OptimDialect"];
}

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

def OptimInsertQKClip : Pass<"optim-insert-qk-clip", "::mlir::func::FuncOp"> {
  let summary = "Clip W_q / W_k after the optimizer update (MuonClip)";
  let description = [{
    In a training-step function (forward, backward and optimizer updates in
    one function, e.g. after `--inline`), finds each attention and adds
    QK-clip (MuonClip, Kimi K2):

    1. **Scores.** Every softmax — `linalg.softmax`, or the stable expansion
       the ONNX importer emits (max reduction over the last dimension, then
       `exp(x − max)`) — whose input comes, through element-wise scale and
       mask arithmetic (an additive mask, or a select with a fixed mask and
       fill: masked_fill, ONNX `Where`) and reshapes/transposes, from a
       `linalg.matmul` or `linalg.batch_matmul` of two activations is an
       attention; its input is the pre-softmax scores. Softmaxes of `x · W`
       (a contraction with a weight: output heads, routers) are not
       attentions.
    2. **Projections.** Q and K are traced back through
       `tensor.expand_shape`/`collapse_shape`/`extract_slice` (the split of
       a fused QKV projection), `linalg.transpose`, broadcasts (GQA's repeat
       of key heads), multiplication or division by constants and the bias
       addition to `linalg.matmul(x, W)` or `linalg.matmul(x, transpose(W))`
       with `W` a function argument or constant. The trace proves the head
       layout: QKᵀ must contract over the features of one head (stride 1)
       and pair query head h with key head h / (num_heads / num_kv_heads)
       (one shared key head: MQA).
    3. **MLA** (DeepSeek-V3, Kimi K2): when Q and K are concatenations
       [q_C | rope(q_R)] and [k_C | rope(k_R)] along the head features, each
       part is traced on its own: q_C and q_R to the per-head chunks
       [q_C | q_R] of one up-projection W_uq, k_C to the chunks [k_C | V] of
       W_ukv, k_R to one rotary key shared by all heads (its compressed
       projection is not clipped). The clip gets `rope_head_dim` and
       `v_head_dim`.

    Rotary embeddings `x·cos + rotate_half(x)·sin` (constant tables) are
    seen through on any Q or K: they only mix features within a head.
    4. **Max logits.** After the scores, a reduction `max` over every
       dimension but the query head (batch, query and key positions; masked
       positions never win) gives S_h, a `tensor<Hxf32>`.
    5. **Clip.** W_q and W_k (and their biases) must each be the `param` of
       one optimizer update (`optim.muon`, `muon2`, `adamw`, `momentum`,
       `adagrad`, `adam`). After the later update, `optim.qk_clip` (with
       `tau`, `alpha`, the traced head counts and head axis) rescales the
       updated weights — their head slices for a fused projection, which are
       inserted back — and later users of the updated weights see the
       clipped ones. Biases get their own rank-1 `optim.qk_clip`.

    The fused ONNX attention ops (Attention-23, com.microsoft Attention and
    MultiHeadAttention) are lowered by `muon-translate` to this unfused form
    and are found the same way. An attention whose Q or K cannot be traced
    to updated weights gets a warning at the softmax naming it (the ONNX
    node, also after inlining) and saying where tracing stopped, and is left
    unclipped. Run before `optim-bucket` (buckets pack parameters). Not
    handled: soft-capped scores (the max of the softmax input is not the
    raw logit), normalized Q/K (QK-norm: not linear in W), KV caches.

    Before (schematically):
    ```mlir
    %q = linalg.matmul ins(%x, %wq ...)   // → expand, transpose to [B,H,T,D]
    %s = linalg.batch_matmul ins(%qh, %kt ...)
    %p = linalg.softmax dimension(2) ins(%s ...)
    ...
    %wq1, %mq1 = optim.muon %wq, %gq, %mq, %lr : tensor<64x64xf32>, tensor<f32>
    %wk1, %mk1 = optim.muon %wk, %gk, %mk, %lr : tensor<64x64xf32>, tensor<f32>
    return %wq1, %wk1 ...
    ```
    After:
    ```mlir
    %smax = linalg.reduce { arith.maximumf } ins(%s4 ...) dimensions = [0, 2, 3]
    ...
    %wq2, %wk2 = optim.qk_clip %wq1, %wk1, %smax {tau = 100.0, alpha = 0.5,
        num_heads = 4, head_dim = 16, head_axis = 1} : ...
    return %wq2, %wk2 ...
    ```
  }];
  let options = [
    Option<"tau", "tau", "double", /*default=*/"100.0",
           "Logit threshold: heads whose max logit exceeds it are scaled "
           "down to it">,
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Share of the correction applied to W_q (the rest to W_k)">,
  ];
  let statistics = [
    Statistic<"numClipped", "num-clipped", "Number of attentions clipped">,
    Statistic<"numUntraced", "num-untraced",
              "Number of attentions left unclipped (with a warning)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::muon::optim::OptimDialect",
  ];
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
  let summary = "Call the runtime's BLAS GEMMs for bufferized linalg matmuls";
  let description = [{
    Replaces GEMM-shaped contractions on memrefs — `linalg.matmul`,
    `linalg.batch_matmul`, and the multiply-accumulate generics elementwise
    fusion makes of them, whose row, column or reduction dims may span
    several loop dims (reshapes folded into the maps; the groups are
    collapsed back) — whose operands are plain or transposed (no broadcast
    maps) by calls into the
    project's CPU runtime (`runtime/cpu`), which runs OpenBLAS: `cblas_sgemm`
    for f32 × f32 → f32 and `cblas_sbgemm` for bf16 × bf16 → f32 (the
    Newton–Schulz GEMMs with `compute_type = bf16`). The runtime accumulates
    into the output (beta = 1), exactly linalg's semantics, and takes any
    strided layout (copying only when neither dimension is contiguous).

    Pre-condition: bufferized IR. Matmuls of other element types, and those
    with a static size or stride beyond 2^31 − 1 (BLAS takes 32-bit ints),
    stay and are lowered to loops, which index in 64 bits. The JIT or linker must provide
    `libmuon_cpu_runtime.so`.

    `runtime=gpu` (the GPU pipeline) calls the GPU runtime's
    `muon_gpu_gemm_{f32,bf16}(A, B, C, C, 1, 1, transA, transB)` instead
    (cuBLASLt: D = op(A)·op(B) + C in place, 2-D buffers viewed as a batch
    of one) for matmuls whose operands share the element type f32 or bf16
    and whose matrices are contiguous along one dim; others stay for the
    generic thread loops. The CPU runtime implements these entry points
    too, so `muon-cpu-pipeline{blas-runtime=gpu}` runs this lowering on CPU.

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
  let options = [
    Option<"runtime", "runtime", "std::string", /*default=*/"\"cpu\"",
           "Whose GEMM entry points to call: cpu (OpenBLAS) or gpu "
           "(muon_gpu_gemm_*, cuBLASLt)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def ConvertOptimToKernels : Pass<"convert-optim-to-kernels"> {
  let summary = "Lower optimizer updates to fused block × thread kernels and "
                "runtime GEMM calls (GPU pipeline)";
  let description = [{
    The GPU pipeline's lowering of `optim.muon`, `optim.muon2`,
    `optim.adamw` and `optim.newton_schulz`. Each op, typically a bucket of N same-shaped
    matrices from `optim-bucket`, becomes a fixed number of kernels whatever
    N is. A kernel is two nested `scf.parallel`s on buffers: the outer one
    over (block, matrix) is the grid, the inner one over 256 threads is the
    block; consecutive threads take consecutive elements (coalesced), each
    thread up to 16 elements of its matrix. For Muon/Muon²:

    1. momentum, Nesterov blend (Muon²: second moment and preconditioning)
       and the per-matrix Σ U², each thread adding its partial sum
       atomically into one of 32 slots per matrix;
    2. X = U / (‖U‖_F·s + e) in the Newton–Schulz compute type;
    3. after the Newton–Schulz GEMMs, W' = W·(1 − lr·wd) − lr·adjust·X.

    The GEMMs are calls of the runtime's
    `muon_gpu_gemm_{bf16,f32}(A, B, C, D, alpha, beta, transA, transB)`
    (D = alpha·op(A)·op(B) + beta·C per batch index, rank-3 strided
    memrefs) with the schedule's coefficients folded into alpha/beta:
    S = X·Xᵀ; T = c·S·S + b·S; X' = T·X + a·X — three per iteration; tall
    matrices iterate on Xᵀ through the transpose flags (S = Xᵀ·X,
    X' = X·Tᵀ + a·X). S and T are symmetric products (S·S = S·Sᵀ) and call
    `muon_gpu_syrk_{bf16,f32}(A, C, D, alpha, beta, transA)` (D =
    alpha·op(A)·op(A)ᵀ + beta·C) instead, which lets the runtime compute
    only half of each. AdamW is one kernel; every thread loads lr and the
    step from their device buffers and computes the bias corrections. A
    standalone `optim.newton_schulz` is a Σ x² kernel, step 2 and the
    GEMMs. Muon²-F is not fused: it decomposes as in `optim-decompose`
    (moment generics, later generic kernels) around an
    `optim.newton_schulz`.

    The op's tensors enter through `bufferization.to_buffer` (read-only)
    and its results leave fresh buffers through `bufferization.to_tensor
    restrict writable`, so one-shot bufferization turns the rest of the
    function into buffers around the kernels. A Muon/Muon² bucket that
    `optim-bucket` packed from whole tensors (and unpacks into whole
    tensors) is not copied: the kernels read each parameter's own buffer
    and write one result buffer per matrix (which become the function's
    out-params), choosing a row's buffers with one `scf.index_switch`; only
    the Newton–Schulz input and iterates are packed. An AdamW bucket (a
    concatenation of parameters of any shapes) is likewise one kernel over
    rows of different lengths, each row with its own blocks; buckets whose
    buffers would overflow the 32 KB of kernel parameters take several
    kernels (AdamW) or stay packed (Muon). The same IR runs on CPU
    (the CPU runtime implements the GEMM entry points), which is how the
    fused arithmetic is tested without a GPU.

    Pre-condition: tensors. Post-condition: no `optim.muon`, `optim.muon2`,
    `optim.adamw` or `optim.newton_schulz` left; Newton–Schulz compute
    types other than f32/bf16 are errors.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertLinalgToThreadLoops : Pass<"convert-linalg-to-thread-loops"> {
  let summary = "Turn linalg ops on buffers into block × thread parallel loops";
  let description = [{
    The GPU pipeline's generic path for linalg ops the fused kernels do not
    cover (`optim.qk_clip`'s and Muon²-F's generics, imported forward and
    backward ops): each op becomes an
    `scf.parallel` over its parallel dims (reductions run as `scf.for`
    inside), collapsed into one dim and tiled by `block-size`, without
    min/max bounds, so `gpu-map-parallel-loops` maps the tile loop to
    blocks and the loop inside it to threads with consecutive threads on
    consecutive elements. Loop nests that are already two-level (the fused
    kernels) are left alone.

    Pre-condition: bufferized IR. Post-condition: no linalg op on buffers.
  }];
  let options = [
    Option<"blockSize", "block-size", "unsigned", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertMemoryToGPU : Pass<"convert-memory-to-gpu"> {
  let summary = "Put every buffer of the step in device memory";
  let description = [{
    Host code must never dereference device memory, so every allocation,
    free, copy and fill of the bufferized step becomes a GPU runtime
    operation: `memref.alloc` → `gpu.alloc` of its bytes viewed with
    `memref.view`, `memref.dealloc` → `gpu.dealloc`, `memref.copy` →
    `gpu.memcpy` and `linalg.fill` of a whole 16/32-bit buffer →
    `gpu.memset`. Copies of bucket slices (contiguous, at a static offset
    into an allocation) become copies of views at the slice's byte offset,
    because the upstream `gpu.memcpy` lowering takes identity layouts only.

    Post-condition: no `memref.alloc`/`alloca`/`dealloc`/`copy` left; a
    copy of a non-contiguous buffer is an error.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def SinkScalarReads : Pass<"sink-scalar-reads"> {
  let summary = "Compute scalars read from 0-d tensors inside the "
                "linalg.generic ops that use them";
  let description = [{
    Lowerings read a 0-d tensor (the learning rate, the step count) once
    with `tensor.extract`, derive their scalars from it with arith/math
    ops, and capture the results in the bodies of their `linalg.generic`s.
    That is right on a CPU and wrong on a GPU, where the tensor is device
    memory that host code cannot read. This pass makes each such generic
    take the 0-d tensors as inputs (indexing map `(d0, ...) -> ()`) and
    recompute the scalar chain in its body, so the reads happen in the
    kernel, as the fused kernels do. The GPU pipeline runs it before
    bufferization.

    Only pure scalar computations in the generic's block are moved; reads
    that other ops use stay where they are (and the GPU emulation reports
    them).
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertGPUToHostLoops : Pass<"convert-gpu-to-host-loops", "::mlir::ModuleOp"> {
  let summary = "Run a GPU program's kernels and memory operations on the host";
  let description = [{
    Executes the GPU pipeline's `gpu` stage on CPU, so that everything it
    does short of NVVM (device memory, kernel mapping and outlining, launch
    bounds, the asynchronous ordering) is tested without a GPU. Each
    `gpu.launch_func` becomes an `scf.parallel` over grid × block that runs
    the kernel's body with `gpu.block_id`, `gpu.thread_id`,
    `gpu.global_id`, `gpu.block_dim` and `gpu.grid_dim` replaced by the
    loop's indices and bounds; `gpu.alloc`, `gpu.dealloc`, `gpu.memcpy` and
    `gpu.memset` become `memref.alloc`, `memref.dealloc`, `memref.copy` and
    `linalg.fill`; `gpu.wait` and every `!gpu.async.token` disappear, since
    the host runs each operation after the ones before it, which satisfies
    every dependency. The `gpu.module`s are erased.

    Running the threads of a block one after another is only faithful when
    they do not communicate: a kernel with barriers, shuffles, reductions
    across threads or workgroup/private memory is an error, as are calls to
    device functions, clusters and dynamic shared memory. So is host code
    that reads or writes a buffer itself (outside the runtime's calls):
    every buffer of the GPU program is device memory, and a GPU run would
    fault there.

    Pre-condition: kernels outlined (`gpu.launch_func`, not `gpu.launch`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // OPTIM_PASSES
