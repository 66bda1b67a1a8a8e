//===- Passes.td - Passes of the optim dialect -------------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef OPTIM_PASSES
#define OPTIM_PASSES

include "muon/Pass/PassBase.td"

def OptimAssignPass : MuonPass<"optim-assign"> {
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
    3. Rank 1 (biases, norms) keeps AdamW. A parameter of rank > 2 moves
       only when the step reads it as its flatten view [dim0, product of
       the others] (a `tensor.collapse_shape` to that matrix: the ONNX
       importer's convolution kernels [O, I, k...]); Muon then
       orthogonalizes that view (`view = flatten`). Other ranks > 2
       (stacked experts, per-head tensors) keep AdamW.
    4. Embeddings keep AdamW: the parameter is used by an op whose name
       contains `gather` (`tensor.gather`), is read inside a linalg body at
       a position computed from data (`tensor.extract` with an index that
       is not a `linalg.index` or constant: the ONNX importer's Gather), or
       its name says so (case-insensitive): a component of its path
       (separated by `.`, `/` or `:`) is `embed`, `embedding(s)`, `emb`,
       `wte` or `wpe`, or its own module's name (the last component but
       `weight`/`bias`) begins or ends with one of these words
       (`embed_tokens`, `word_embeddings`). A word inside a longer name, or
       ending a module above the parameter's own (`time_embedding.linear_1`,
       an MLP named for its purpose), does not count; muon_mlir.optim
       routes by the same rule.
    5. The output head keeps AdamW: a contraction reads it (up to views)
       on the path that ends in a scalar float result of the function (the
       loss), walking back from that result and stopping at contractions;
       or its name says so by the rule of 4 with the words `lm_head`,
       `head`, `classifier` and `unembed` (`head.weight`, `model/head`,
       `cls_head`, not `multi_head_attention`).
    6. Learned position embeddings keep AdamW: the parameter (up to views:
       slices, broadcasts) is added to an activation (not to another
       weight).
    7. Everything else moves to Muon (or Muon²).

    State: AdamW's first moment `M` becomes the Muon momentum buffer (both
    are EMAs of the gradient, `M = β M + (1 − β) G`); for `muon` the second
    moment `V` is returned unchanged, for `muon2` it becomes Muon²'s second
    moment. The function signature therefore does not change. The learning
    rate operand and `weight_decay` are reused; the default `lr-adjust` is
    `match_rms_adamw`, which scales the update to AdamW's RMS so that the
    AdamW learning rate remains appropriate (Moonlight).

    An AdamW bucket (several parameters in one op, e.g. from `optim-bucket`)
    is routed member by member: each member that moves becomes an op of its
    own (`optim-bucket` regroups them), the members that keep AdamW stay
    one bucket.

    With `report`, one remark per parameter says what it became and why.
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
    Option<"algorithm", "algorithm", "::muon::optim::HiddenMatrixOptimizer",
           /*default=*/"::muon::optim::HiddenMatrixOptimizer::Muon",
           "Optimizer for hidden matrices", [{::llvm::cl::values(
             clEnumValN(::muon::optim::HiddenMatrixOptimizer::Muon, "muon",
                        "optim.muon"),
             clEnumValN(::muon::optim::HiddenMatrixOptimizer::Muon2, "muon2",
                        "optim.muon2"))}]>,
    Option<"nsSteps", "ns-steps", "int64_t", /*default=*/"0",
           "Newton-Schulz iterations (0: the op's default, 5 for muon and 3 "
           "for muon2)">,
    Option<"schedule", "schedule", "::muon::optim::NSScheduleKind",
           /*default=*/"::muon::optim::NSScheduleKind::quintic",
           "Newton-Schulz coefficients", [{::llvm::cl::values(
             clEnumValN(::muon::optim::NSScheduleKind::quintic, "quintic",
                        "Keller Jordan's (3.4445, -4.7750, 2.0315)"),
             clEnumValN(::muon::optim::NSScheduleKind::polar_express,
                        "polar_express", "Polar Express, per iteration"))}]>,
    Option<"nsCompute", "ns-compute", "::muon::optim::NewtonSchulzCompute",
           /*default=*/"::muon::optim::NewtonSchulzCompute::Input",
           "Element type of the Newton-Schulz GEMMs (compute_type)",
           [{::llvm::cl::values(
             clEnumValN(::muon::optim::NewtonSchulzCompute::Input, "input",
                        "the parameter's (no compute_type)"),
             clEnumValN(::muon::optim::NewtonSchulzCompute::BF16, "bf16",
                        "bf16 operands, f32 accumulation, as "
                        "torch.optim.Muon's Newton-Schulz"))}]>,
    Option<"lrAdjust", "lr-adjust", "::muon::optim::LrAdjust",
           /*default=*/"::muon::optim::LrAdjust::match_rms_adamw",
           "Learning-rate rule", [{::llvm::cl::values(
             clEnumValN(::muon::optim::LrAdjust::original, "original",
                        "sqrt(max(1, A/B))"),
             clEnumValN(::muon::optim::LrAdjust::match_rms_adamw,
                        "match_rms_adamw", "0.2 sqrt(max(A, B))"),
             clEnumValN(::muon::optim::LrAdjust::spectral_unclamped,
                        "spectral_unclamped", "sqrt(A/B)"),
             clEnumValN(::muon::optim::LrAdjust::none, "none", "1"))}]>,
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
  // arith and tensor: the step counts of an AdamW bucket's kept members.
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect",
                           "::muon::optim::OptimDialect"];
}

def OptimFoldSkipsPass : MuonPass<"optim-fold-skips"> {
  let summary = "Fold selects that keep an update's operands into its skip operand";
  let description = [{
    `muon-assertions-to-status` keeps a step's parameters and state as they
    were when a check fails by selecting, element-wise, between each updated
    value and its argument under the step's status. That select cannot fuse
    into `optim.muon`, `optim.muon2` or `optim.adamw`, which stay ops until
    they bufferize into their own kernels: on the GPU it would cost one more
    kernel and one more buffer per parameter and state, and the update
    could no longer be written in place.

    This pass gives such an update the status as its `skip` operand instead,
    and removes the selects: the update's kernels keep each element
    themselves. It applies when every use of every result of the update is
    such a select (the `linalg.generic` `buildUnlessFlagged` builds:
    `flag != 0 ? old : value`, `old` being the very operand the result
    updates), all by one flag that dominates the update, and the update has
    no `skip` yet. Anything else is left as it is, so results are unchanged
    either way. Run it before `optim-bucket`, which buckets only updates
    with the same `skip`.

    Before:
    ```mlir
    %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<64x256xf32>, tensor<f32>
    %kw = linalg.generic ... ins(%status, %w1, %w : ...)  // status ? %w : %w1
    %km = linalg.generic ... ins(%status, %m1, %m : ...)
    ```
    After:
    ```mlir
    %kw, %km = optim.muon %w, %g, %m, %lr skip(%status : tensor<i32>)
        : tensor<64x256xf32>, tensor<f32>
    ```
  }];
}

def OptimBucketPass : MuonPass<"optim-bucket"> {
  let summary = "Batch same-shaped optimizer updates into one op per bucket";
  let description = [{
    Groups the optimizer updates of each block into buckets and replaces
    every bucket of at least `min-bucket-size` ops by one op over all their
    parameters: the update ops take lists of parameters (member i is
    `params[i]`, `grads[i]`, its state, and its results), so a bucket is
    logical — nothing is packed or copied here. Later stages see one launch
    (one batched Newton–Schulz, one element-wise kernel) per bucket instead
    of one per parameter; the lowerings stack only the Newton–Schulz input
    (`optim-decompose`: `tensor.insert_slice` of each member's update, which
    the member's generic writes in place after empty-tensor elimination;
    the fused kernels: a kernel temporary) and read and write every
    other tensor in its member's own buffer.

    - `optim.muon`, and `optim.muon2` with a full second moment: ops with
      the same matrix shape A×B or its transpose B×A (after their matrix
      view: a rank-2
      parameter, an N-D one flattened to dim0 × rest, or each matrix of a
      batch view), element type, hyper-parameters (resolved defaults
      included) and the same `lr` SSA value. The bucket reads its members
      as a batch (`view = #optim.matrix_view<batch>`); a member flattened
      by its own view joins as its matrix form (`tensor.collapse_shape` in,
      `tensor.expand_shape` out). The lr adjustment still sees A×B per
      matrix, and the batched lowering runs the same per-matrix arithmetic
      (norm, GEMMs, element-wise math) as the unbatched one, so the results
      are bitwise identical on the CPU path; this is why the pass needs no
      `deterministic` mode (test/Numerics/bucket.test checks the claim).
      Transposed shapes share a bucket because NS(Uᵀ) = NS(U)ᵀ: Newton–
      Schulz runs in the orientation most of the bucket's matrices have
      (its members come first) and the others are transposed into and out
      of the batch, so one batched orthogonalization serves, e.g., GPT-2's
      768×3072 and 3072×768 MLP weights (their results agree with the
      unbucketed ones up to the GEMMs' summation order).
    - `optim.adamw`: ops of any shapes with the same element type,
      hyper-parameters and `lr` and `step` SSA values.

    The bucketed op is placed where the last member was, so an op only
    joins a bucket if no result of an earlier member is used before that
    point (in particular, an update that consumes another's result,
    directly or through other ops, never shares its bucket); otherwise it
    starts a new bucket. Muon²-F (factored moments) and ops of other
    dialects are left alone; an op that is a bucket already joins as one
    op.

    Near-equal shapes are zero-padded into one bucket: a shape m×n (m ≤ n
    after orienting it wide) joins the bucket of a larger M×N (m ≤ M,
    n ≤ N) when the standard iteration's FLOPs per step, 3·M²·N + M³,
    exceed the shape's own 3·m²·n + m³ by at most `pad-waste` (default
    1/8; each shape goes to the cheapest such larger one, and the shapes
    chosen as buckets are those no larger one takes). Padding is exact:
    with X̃ = [X 0; 0 0], X̃X̃ᵀ = diag(XXᵀ, 0), so every polynomial step
    maps X̃ to [p(X) 0; 0 0] and the Frobenius norm is X's; the lowerings
    pad each member's matrices with zeros, read its own part of the result
    and apply its own lr adjustment (docs/formulas.md). Results agree with
    the unpadded ones up to the GEMMs' summation order
    (test/Numerics/bucket.test).

    With `max-temporary-bytes`, a Muon-family op joins an open bucket only
    while the bucket's device temporaries stay within that many bytes;
    otherwise it opens the next bucket of its key (an op alone may exceed
    it). The estimate is what the fused-kernel lowering holds at once
    (KernelMemory.h): two iterates of the bucket's N padded R×C matrices
    and 2 (standard) or up to 4 (Gram) s×s matrices, s = min(R, C), in the
    compute type, or U and X₀ before the GEMMs if that is more, plus packed
    copies of the members' tensors when a bucket has over 120 members.
    Each bucket frees its temporaries after its last kernel
    (`muon-early-deallocation`), so the budget bounds a step's peak: an
    optimizer that must stay near another's memory trades launches for
    memory here, in one compiled step.

    Pre-condition: none. Post-condition: every bucket of `min-bucket-size`
    or more ops is one op; results are unchanged up to rounding.

    Before:
    ```mlir
    %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<64x256xf32>, tensor<f32>
    %v1, %n1 = optim.muon %v, %h, %n, %lr : tensor<64x256xf32>, tensor<f32>
    ```
    After:
    ```mlir
    %p:2, %q:2 = optim.muon [%w, %v], [%g, %h], [%m, %n], %lr
        {view = #optim.matrix_view<batch>}
        : [tensor<64x256xf32>, tensor<64x256xf32>], tensor<f32>
    ```
  }];
  let options = [
    Option<"minBucketSize", "min-bucket-size", "unsigned", /*default=*/"2",
           "Smallest number of ops worth a bucket (values below 2 act as 2: "
           "a bucket of one is the op itself)">,
    Option<"padWaste", "pad-waste", "double", /*default=*/"0.125",
           "Zero-pad a Muon-family matrix shape into the bucket of a larger "
           "one when Newton–Schulz on the padded matrix costs at most this "
           "fraction more than on its own (0: no padding)">,
    Option<"maxTemporaryBytes", "max-temporary-bytes", "int64_t",
           /*default=*/"0",
           "Estimated device temporaries one Muon-family bucket may hold, "
           "in bytes (0: no limit)">,
    Option<"reportTemporaryBytes", "report-temporary-bytes", "bool",
           /*default=*/"false",
           "Remark on each Muon-family bucket formed with its estimated "
           "temporaries">,
  ];
  let statistics = [
    Statistic<"numBuckets", "num-buckets", "Number of buckets formed">,
    Statistic<"numBucketedOps", "num-bucketed-ops",
              "Number of ops replaced by a bucket">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def OptimInsertQKClipPass : MuonPass<"optim-insert-qk-clip", "::mlir::func::FuncOp"> {
  let summary = "Clip W_q / W_k after the optimizer update (MuonClip)";
  let description = [{
    In a training-step function (forward, backward and optimizer updates in
    one function, e.g. after `--inline`), finds each attention and adds
    QK-clip (MuonClip, Kimi K2):

    1. **Scores.** Every `linalg.softmax` (the ONNX importer emits softmaxes
       as this named op; run before `muon-decompose-softmax`) whose input
       comes, through element-wise scale and
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

    Rotary embeddings are seen through on any Q or K in every form models
    write: each output feature is a combination with constant coefficients
    of the features of the same position (`lib/Dialect/Optim/Transforms/
    RotaryMatch.cpp`): half-split `x·cos + rotate_half(x)·sin`, interleaved
    even/odd pairs (strided slices, stacked and flattened back), partial
    rotary (`[rope(x[..., :r]) | x[..., r:]]`, not MLA's two projections),
    and the real form of a complex multiply ((re, im) pairs read by
    Gather). An added constant (affine, not linear) is not seen through.
    4. **Max logits.** After the scores, a reduction `max` over every
       dimension but the query head (batch, query and key positions; masked
       positions never win) gives S_h, a `tensor<Hxf32>`: first the row max
       over the softmax's dim — the max the decomposed softmax needs too,
       which `muon-decompose-softmax` then shares, so the scores are read
       once — then the max of the row maxes.
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

def OptimDecomposePass : MuonPass<"optim-decompose"> {
  let summary = "Expand optim.muon and optim.muon2 into moment math and "
                "optim.newton_schulz";
  let description = [{
    Rewrites every `optim.muon` and `optim.muon2` into the element-wise
    computation of its momentum (and second moment), the Nesterov blend and
    the final decoupled-weight-decay update as `linalg` ops on tensors, around
    one `optim.newton_schulz` that keeps the orthogonalization as a single op
    for later passes (bucketing, GEMM lowering) to see.

    This is the only pass that decomposes the Muon updates:
    `convert-optim-to-linalg` requires it to have run, and the GPU pipeline
    runs it with `keep-fusable`, keeping `optim.muon` and full-moment
    `optim.muon2`, which bufferize into fused kernels
    (lib/Conversion/OptimToKernels). Both follow
    the one order of an update (`buildMuonUpdate`, MuonUpdate.h) and its
    per-element math (`MuonUpdateMath`).

    Pre-condition: none. Post-condition: no `optim.muon`/`optim.muon2` left
    (with `keep-fusable`: no `optim.muon2` with a factored second moment);
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
  let options = [
    Option<"keepFusable", "keep-fusable", "bool", /*default=*/"false",
           "Decompose only optim.muon2 with a factored second moment; leave "
           "optim.muon and full-moment optim.muon2, which bufferize to "
           "fused kernels">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // OPTIM_PASSES
