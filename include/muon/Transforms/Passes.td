//===- Passes.td - Transforms of upstream dialects ---------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The project's passes on upstream dialects only (no optim op involved).
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TRANSFORMS_PASSES
#define MUON_TRANSFORMS_PASSES

include "muon/Pass/PassBase.td"

def DecomposeSoftmaxPass : MuonPass<"muon-decompose-softmax"> {
  let summary = "Expand linalg.softmax into its max, exp, sum and divide ops";
  let description = [{
    The ONNX importer keeps a softmax as one `linalg.softmax`, so that
    passes before this one (attention matching in `optim-insert-qk-clip`,
    GPU code generation) see a named op. This pass replaces each one by
    upstream's decomposition (`AggregatedOpInterface::decomposeOperation`):
    the row maximum, `exp(x − max)`, its row sum and the division, each a
    `linalg.generic` that elementwise fusion and the loop lowerings handle.
    The pipelines run it right after the optim conversions.

    A row max of the same tensor over the same dim computed earlier in the
    block (`arith.maxnumf` or `arith.maximumf` from −inf or NaN: the per-head
    max logits of `optim-insert-qk-clip` start with one) replaces the
    softmax's own, so QK-clip does not read the scores a second time. The
    two maxima are equal unless a row holds a NaN, and then that row's
    softmax is NaN with either.

    Before:
    ```mlir
    %p = linalg.softmax dimension(1) ins(%s : tensor<4x8xf32>)
        outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    ```
    After (schematically):
    ```mlir
    %max = linalg.generic ... { arith.maxnumf } -> tensor<4xf32>
    %exp = linalg.generic ... { arith.subf, math.exp } -> tensor<4x8xf32>
    %sum = linalg.generic ... { arith.addf } -> tensor<4xf32>
    %p = linalg.generic ... { arith.divf } -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AssertionsToStatusPass
    : MuonPass<"muon-assertions-to-status", "::mlir::ModuleOp"> {
  let summary = "Turn a step's cf.assert checks into a status result";
  let description = [{
    The ONNX importer guards what a malformed input could turn into an
    out-of-bounds access — a token id outside the embedding table, a label
    outside the classes — with `cf.assert` on a condition computed from the
    input tensors (and clamps the index, so the access itself stays in
    bounds). Lowered as they are, asserts abort the process: a compiled step
    called from Python would take the interpreter with it, and on a GPU the
    host cannot even read the condition without a synchronization.

    This pass removes the asserts of every function and appends one result
    instead: a `tensor<i32>` holding 0 when every condition held, else the
    1-based position of the first one that failed. A function calling such a
    function (an imported training graph called by the joined step) takes
    the callee's status as one more check, its messages appended to its own:
    callees are converted first. The messages, in order, become the function's
    `muon.status_messages` string array, which `muon-run`, `muon-compile`'s
    JSON and the Python wrapper use to report the failure by its message
    instead of a number. The status is computed by a `linalg.generic` from
    0-d tensors of the conditions, so it stays on the device with the rest of
    the step. A result written into its argument's buffer
    (`optim.aliasing_output`, the in-place ABI) is selected element-wise
    between the new value and the argument by the status, so a failed check
    leaves parameters and state as they were. Functions without asserts are
    left as they are.

    Asserts in the body of an `scf.for` or a branch of an `scf.if` (an
    imported Loop or Scan gathering x[i], an If) move out first, innermost
    first: the loop carries one 0-d flag per assert, true until its
    condition fails in an iteration (updated in place, so the loop keeps one
    buffer), the `scf.if` yields the condition from the branch holding the
    assert and true from the other, and an assert of the flag follows the
    op. Any other assert or call nested in a region (an `scf.while`) is an
    error, as it might not run on every call. So is a recursive call of a
    function with checks, whose status would have to hold its own
    function's messages.

    Before:
    ```mlir
    func.func @step(%ids: tensor<8xi64>, ...) -> tensor<4x16xf32> {
      %ok = linalg.generic ... -> tensor<i1>
      %c = tensor.extract %ok[] : tensor<i1>
      cf.assert %c, "Gather 'embed': index out of range [0, 100) in 'ids'"
      ...
      return %w : tensor<4x16xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%ids: tensor<8xi64>, ...) -> (tensor<4x16xf32>, tensor<i32>)
        attributes {muon.status_messages = ["Gather 'embed': ..."]} {
      %ok = linalg.generic ... -> tensor<i1>
      %status = linalg.generic ins(%ok : tensor<i1>) ... -> tensor<i32>
      ...
      return %w, %status : tensor<4x16xf32>, tensor<i32>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def FuseElementwisePass : MuonPass<"muon-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Elementwise fusion and reshape propagation that keep the "
                "named GEMMs";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` (elementwise producer/consumer
    fusion, reshapes folded by expansion, expand_shape bubbled up, constant
    folding), except that no reshape is folded into or out of a contraction
    (`linalg.matmul`, `linalg.batch_matmul`, ...): upstream's pattern
    rewrites such a GEMM into a `linalg.generic` with the reshape's
    dimensions expanded, and elementwise fusion then merges a single-use
    producer into it (a convolution's im2col, a ReLU), after which it is no
    longer GEMM-shaped for `convert-matmul-to-blas` (the BLAS / cuBLASLt
    calls). The ONNX importer writes a matmul of a 3-D activation as a
    collapse_shape into a 2-D `linalg.matmul`, and a convolution as im2col
    feeding one.

    ```mlir
    %r = linalg.generic ... -> tensor<2x3x4xf32>            // e.g. ReLU
    %c = tensor.collapse_shape %r [[0, 1], [2]] : ... into tensor<6x4xf32>
    %y = linalg.matmul ins(%c, %w : tensor<6x4xf32>, tensor<4x5xf32>) ...
    ```
    keeps its `linalg.matmul` here; `linalg-fuse-elementwise-ops` turns the
    three ops into one 3-D contraction generic.

    Besides upstream's single-use producers, an elementwise producer whose
    results each have one elementwise user fuses too: an optimizer update
    whose new parameter and moments each pass through the status select of
    `muon-assertions-to-status` becomes one generic per result that
    computes what that result needs (the moment math again for the
    parameter's: arithmetic is cheaper than a pass over memory) and writes
    it in place, instead of the update into temporaries and a select pass
    over each of them.

    A `linalg.reduce` whose input an elementwise generic computes becomes
    the generic it is (upstream's fusion takes generic consumers only), so
    that the producer fuses into it: a LayerNorm's squared deviations are
    summed as they are computed, not written to memory and read back.

    With `recompute-producers` (the GPU pipeline's choice), an elementwise
    producer that reads at most one tensor of its result's size (the
    others broadcast: a mask, a bias, a row's max) and whose every use is a
    `linalg.generic` it can fuse into is recomputed in each and never
    stored: attention's scaled and masked scores, read by the
    softmax's max and its exp, cost GPT-2 small's step a pass over
    8 × 12 × 1024² scores per layer to write and another to read back
    (12 kernels and 9.7 GB less; the softmax's exp is no longer stored
    either). A consumer then reads the producer's full-size input instead
    of its result: no more bytes, and a few flops again.

    Scalars computed once from 0-d tensors (lr, the step count: the 0-d
    generics of `buildScalarGeneric`) are fused into their consumers only
    with `fuse-scalar-producers`: each consumer then recomputes them per
    element, which the GPU pipeline wants (the device reads the 0-d
    tensors; a few flops per thread instead of a kernel launch); a CPU
    computes them once and loads them per element.
  }];
  let options = [
    Option<"fuseScalarProducers", "fuse-scalar-producers", "bool",
           /*default=*/"false",
           "Fuse 0-d producers into every consumer (recomputing them per "
           "element)">,
    Option<"recomputeProducers", "recompute-producers", "bool",
           /*default=*/"false",
           "Fuse an elementwise producer with one full-size input into each "
           "of its consumers when all can take it, instead of storing it">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def FoldUnitDimsPass : MuonPass<"muon-fold-unit-dims", "::mlir::func::FuncOp"> {
  let summary = "Drop unit dims from element-wise and reduction generics, "
                "so that fusion sees through kept reduction dims";
  let description = [{
    A reduction that keeps its reduced dim (`ReduceSum`/`ReduceMean` with
    keepdims, a LayerNorm's or a softmax's row statistic, `[rows, 1]`) is
    read back through a constant index:

    ```mlir
    %y = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1),
                                          (d0, d1) -> (d0, 0), ...]}
        ins(%x, %mean : tensor<8x64xf32>, tensor<8x1xf32>) ...
    ```

    Reshape propagation by expansion cannot move a reshape through such a
    map, so the producer of the next reduction's input stays a loop (a
    kernel) of its own and its result is written to memory and read back,
    and an element-wise consumer cannot join a reduction whose loops it
    does not share. This pass runs upstream's unit-dim folding patterns
    (`linalg::populateFoldUnitExtentDimsPatterns`, reassociative reshapes)
    on `linalg.generic` and `tensor.pad`: the read above becomes
    `(d0, d1) -> (d0)` of a `tensor<8xf32>`. Unlike upstream's
    `linalg-fold-unit-extent-dims` it does not move init operands the
    payload reads to the inputs: an update computed into its own
    loop-carried tensor (Newton–Schulz's `X ← a·X + B·X` in an `scf.for`)
    must keep writing it for bufferization to reuse the iteration
    argument's buffer. Both pipelines run it before `muon-fuse-elementwise`;
    with it (and `convert-linalg-to-thread-loops`' chained reductions), a
    LayerNorm is one GPU kernel instead of four.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def HoistScalarReadsPass : MuonPass<"muon-hoist-scalar-reads", "::mlir::func::FuncOp"> {
  let summary = "Read the 0-d inputs of element-wise generics once, before "
                "their loops (CPU)";
  let description = [{
    Lowerings pass the scalars of an update (lr·adjust, 1 − lr·wd, AdamW's
    bias corrections), computed once by a 0-d `linalg.generic`, into the
    element-wise generics as 0-d inputs (indexing map `(d...) -> ()`), so
    that on a GPU each kernel reads them (`muon-fuse-elementwise
    fuse-scalar-producers` recomputes them there). On a CPU this pass runs
    upstream's `linalg-inline-scalar-operands` (each 0-d input becomes a
    `tensor.extract` in the body) and moves the body's loop-invariant
    scalar ops — those extracts and whatever is computed from them alone —
    before the generic: the loops then keep the scalars in registers
    instead of loading them per element.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def FoldTransposesIntoGemmsPass
    : MuonPass<"muon-fold-transposes-into-gemms", "::mlir::func::FuncOp"> {
  let summary = "Fold linalg.transposes of GEMM operands and results into "
                "the GEMM's indexing maps";
  let description = [{
    Imported backward graphs transpose activations and weights before the
    matmuls of their gradients (`dW = Xᵀ·dY`, `(Xᵀ·dY)ᵀ`), and a transposed
    copy with a power-of-two stride is far slower than the GEMM's own
    transpose flag. On tensors, this pass rewrites

    - a contraction input produced by `linalg.transpose` into the
      contraction reading the transpose's input through a permuted map;
    - a `linalg.transpose` of a contraction result whose accumulator is a
      `linalg.fill` into the contraction writing the transposed result
      (with its operands swapped when `Cᵀ = Bᵀ·Aᵀ` is what makes it a GEMM);
    - `collapse_shape(transpose(x))` into `transpose(collapse_shape(x))`
      when each collapsed group stays one run of dims, so that the
      transpose reaches the contraction it feeds.

    A rewrite happens only when the contraction it produces is still one
    `convert-matmul-to-blas` calls a runtime GEMM for (plain or transposed
    operands, batch dims in one order); the result is a `linalg.generic`
    with the original multiply-accumulate body. A transposed
    `tensor.extract_slice` is folded only when each GEMM dim is one dim of
    it: its strided buffer might not collapse into a matrix dim otherwise.

    With `interleaved-batch`, a contraction may also keep batch dims between
    its matrix dims: attention's `[batch, seq, heads, head_dim]` activations
    feed the per-head products without their `[batch, heads, seq, head_dim]`
    copies. The batch dim a `collapse_shape(transpose(x))` operand merges is
    expanded back into the contraction's loops (upstream's reshape fusion by
    expansion) so that the transpose folds as above. `convert-matmul-to-blas`
    then loops over the batch dims that no single stride spans and calls a
    batched GEMM inside: what the CPU runtime runs well, but one more GPU
    launch per iteration, so the GPU pipeline leaves it off.

    ```mlir
    %t = linalg.transpose ins(%x : tensor<64x32xf32>)
           outs(%e : tensor<32x64xf32>) permutation = [1, 0]
    %y = linalg.matmul ins(%t, %w : tensor<32x64xf32>, tensor<64x16xf32>) ...
    // becomes
    %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                          affine_map<(m, n, k) -> (k, n)>,
                                          affine_map<(m, n, k) -> (m, n)>], ...}
           ins(%x, %w : tensor<64x32xf32>, tensor<64x16xf32>) ...
    ```
  }];
  let options = [
    Option<"interleavedBatch", "interleaved-batch", "bool",
           /*default=*/"false",
           "Also fold transposes that leave batch dims between matrix dims "
           "(the GEMM then runs as a loop of batched GEMMs)">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def SplitReductionsPass : MuonPass<"muon-split-reductions"> {
  let summary = "Split long reductions with few outputs into two reductions";
  let description = [{
    A reduction is parallel over its output elements only: on a GPU the
    loss (one output) or a bias gradient (a few hundred columns reduced over
    every token) occupies a handful of blocks. For linalg ops on tensors
    reducing at least `min-reduction` elements into at most `max-outputs`
    output elements (`max-column-outputs` for a column reduction, whose
    first input has a parallel innermost dim: a row reduction with many
    rows is better served by a block per row, a column one only by more
    threads; the head's 50257-column bias gradient of GPT-2 small, one
    thread per column, took 1.69 ms on an H200), with one reduction dim (several consecutive ones,
    contiguous in every operand, are first collapsed into one by
    `linalg::collapseOpIterationDims`, a `linalg.reduce` generalized for
    it: on an H200, GPT-2 small's unsplit 3072-column bias gradients over
    8 × 1024 tokens took 2.95 ms each, 24 of them a quarter of the step),
    upstream's `linalg::splitReduction`
    splits the reduction dim into chunks of `chunk-length` to
    4 × `chunk-length` elements (the smallest length dividing it; none: the
    op is left alone): a first op reduces every chunk (the chunk index is a
    new parallel dim in front of the output), a second combines the chunks
    into the original output. A column reduction's first op then has one
    thread per (chunk, column), consecutive threads on consecutive columns;
    with few columns the chunks shorten (down to 32 elements) until chunks ×
    columns reaches `column-threads`: GPT-2 small's 768-column LayerNorm and
    projection-bias gradients over 8192 tokens take 64 chunks of 128, 49152
    threads, instead of 32 of 256.
    Ops without a plain combiner (one op with a neutral element) are left
    alone. The sums are taken in another order: equal up to rounding.

    The GPU pipeline runs it before bufferization.
  }];
  let options = [
    Option<"minReduction", "min-reduction", "int64_t", /*default=*/"4096",
           "Shortest reduction that is split">,
    Option<"maxOutputs", "max-outputs", "int64_t", /*default=*/"4096",
           "Most output elements of a split reduction">,
    Option<"maxColumnOutputs", "max-column-outputs", "int64_t",
           /*default=*/"131072",
           "Most output elements of a split column reduction (the first "
           "input's innermost dim parallel)">,
    Option<"chunkLength", "chunk-length", "int64_t", /*default=*/"256",
           "Shortest chunk">,
    Option<"columnThreads", "column-threads", "int64_t", /*default=*/"65536",
           "Threads (chunks × columns) the first op of a split column "
           "reduction aims at: chunks shorten from `chunk-length` down to 32 "
           "elements to reach it">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def NameKernelsAfterModulesPass : MuonPass<"muon-name-kernels-after-modules"> {
  let summary = "Give each outlined kernel its module's unique name";
  let description = [{
    `gpu-kernel-outlining` puts each kernel of a function `f` into a module
    of a unique name (`f_kernel`, `f_kernel_0`, ...) but names every kernel
    itself `f_kernel`: a profiler or `compute-sanitizer` then reports
    hundreds of kernels under one name. This pass renames the only
    `gpu.func` of each such `gpu.module` after the module and updates the
    `gpu.launch_func` references, so that a report names the kernel, which
    the IR after the GPU pipeline's `gpu` stage finds.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ApproximateMathPass : MuonPass<"muon-approximate-math"> {
  let summary = "Replace math.erf/exp/tanh by upstream's polynomial approximations";
  let description = [{
    Lowered as they are, `math.erf` (every GELU of an imported graph) and
    the other transcendental ops of the CPU path become one libm call per
    element, which also keeps LLVM from vectorizing the loop around them.
    This pass rewrites the ops named in `ops` into upstream's polynomial
    approximations (`populateMathPolynomialApproximationPatterns`): plain
    arithmetic that vectorizes, computed in f32 (f16/bf16 operands are
    extended first). Upstream's patterns take scalars and vectors: ops on
    tensors are left alone. The CPU pipeline runs it on its loops; the GPU
    keeps the device library's functions.

    Accuracy, measured against numpy (f64) over 2^20 inputs by
    test/Transforms/muon-approximate-math-accuracy.test: see
    docs/numerics.md (all within the CPU parity budgets of 1e-5 relative).
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "Mnemonics of the math ops to approximate (default: erf, "
               "exp, tanh)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def HostParallelLoopsPass : MuonPass<"muon-host-parallel-loops"> {
  let summary = "Keep the scf.parallel loops worth a thread team; run the rest serially";
  let description = [{
    `convert-linalg-to-parallel-loops` makes every parallel dimension of a
    linalg op an `scf.parallel` loop; `convert-scf-to-openmp` would then
    fork a thread team for each, including the many small element-wise
    loops of a training step, where waking the team costs more than the
    loop. This pass keeps an outermost `scf.parallel` (no `scf.parallel`
    around it) when its nest does at least `min-work` innermost iterations
    (the product of the trip counts along its deepest loop chain; a dynamic
    trip count counts as `min-work`); every other `scf.parallel`, nested
    ones included, becomes nested `scf.for` loops (upstream's
    `scf::parallelForToNestedFors`), so that a kept loop is the only level
    of threads. A kept loop over several dims keeps only the outermost one
    parallel, the others becoming serial loops inside it: OpenMP would
    collapse them into one iteration space whose indices are recovered by
    division in every iteration, which keeps LLVM from vectorizing the
    innermost loop. Loops with reduction results
    (`convert-linalg-to-parallel-loops` makes none) are left to
    `convert-scf-to-openmp`.

    The CPU pipeline runs it before `convert-scf-to-openmp` when its
    `parallel-loops` option is on (the default). The OpenMP calls the
    translation emits resolve to the CPU runtime's entry points, which run
    the loops on the same libgomp team as the runtime's GEMMs.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "Fewest innermost iterations of a loop nest run by threads">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def CheckLibmNamesPass
    : MuonPass<"muon-check-libm-names", "::mlir::ModuleOp"> {
  let summary = "Reject functions named like the libm calls of the remaining math ops";
  let description = [{
    `convert-math-to-libm` turns a math op without an LLVM lowering
    (`math.erf` on f32, say) into a call of the C library's function
    (`erff`), declaring it unless the module has a symbol of that name
    already. When the module's own function has that name (a step called
    `erff`), the call would go to it: upstream's pass then fails with
    "'func.call' op 'erff' does not reference a valid function", naming
    neither the cause nor the fix. This pass, run just before it, reports
    the clash at the math op, with a remark at the function. A libm name is
    the op's mnemonic (`math.powf`: `pow`) with an `f` suffix on f32.
  }];
}

def CheckNoNestedModulesPass
    : MuonPass<"muon-check-no-nested-modules", "::mlir::ModuleOp"> {
  let summary = "Reject a builtin.module nested in the compiled module";
  let description = [{
    The pipelines nest their function passes on the top-level module's
    functions, and the conversions to LLVM treat a nested module as foreign
    IR: a function in `module @inner { ... }` would pass through unlowered
    (its optim ops still there) while the tool reports success. This pass,
    the first of every pipeline, turns that into a located error naming
    the nested module. GPU modules (`gpu.module`), which the GPU pipeline
    creates itself, are not `builtin.module` and are unaffected.
  }];
}

def CheckCUDATargetPass
    : MuonPass<"muon-check-cuda-target", "::mlir::ModuleOp"> {
  let summary = "Reject a CUDA chip and PTX version NVPTX cannot generate code for";
  let description = [{
    NVPTX aborts the process (`LLVM ERROR: PTX version 8.6 does not support
    target 'sm_120'`) when asked for a chip its backend does not know or a
    PTX ISA version older than the chip's minimum, and only once it compiles
    the kernels. The GPU pipeline runs this pass first, with its own `chip`
    and `features`, so that such a combination is an error before any work.
    Features without a PTX version are always accepted: the pipeline then
    uses PTX ISA 8.6, or the chip's minimum when newer (`sm_100f`: 8.8).
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "SM architecture of the kernels">,
    Option<"features", "features", "std::string", "\"\"",
           "NVPTX features (the PTX version)">,
  ];
}

def CheckNoHostAccessPass
    : MuonPass<"muon-check-no-host-access", "::mlir::func::FuncOp"> {
  let summary = "Reject host code that reads or writes a buffer of a GPU program";
  let description = [{
    In the GPU pipeline every buffer is device memory (docs/ABI.md: the
    step's tensors are device pointers; its temporaries come from
    `gpu.alloc`). Host code may pass buffers to kernels and to the
    runtime's memory operations, but a load or store of its own (a
    `tensor.extract` of a 0-d tensor that bufferized into `memref.load`,
    say) would dereference a device pointer on the host and fault. This
    pass, run on the host functions after kernel outlining, reports the
    first such op of each function: a located compile-time error, on the
    CUDA target and in the GPU emulation alike, instead of a crash on the
    device. Ops of the GPU dialect are the runtime's and are allowed.
  }];
}

def OutlineParallelRegionsPass
    : MuonPass<"muon-outline-parallel-regions", "::mlir::ModuleOp"> {
  let summary = "Move each omp.parallel of a function that holds several into a function of its own";
  let description = [{
    Translating an `omp.parallel` to LLVM IR outlines its body with LLVM's
    `CodeExtractor`, and the OpenMPIRBuilder builds that extractor's
    analysis of the *whole enclosing function* once per region, both when
    it creates the region and when it finalizes the function. A function
    with N parallel regions thus costs O(N × its size) to translate: an
    optimizer step over GPT-2 XL's shapes (1200 regions in one function)
    spent about half of its 61 s of `muon-compile` there (17 s now).

    In every function holding at least `min-regions` of them, this pass
    replaces each outermost `omp.parallel` by a `func.call` of a new private
    function (named after the caller, `<caller>_parallel_<i>`) whose body
    is the region. Values defined above it become arguments, except
    constants, which are cloned into the new function so that loop bounds
    and steps stay constant for LLVM. The translation then analyses one small
    function per region. Regions equal up to the values they capture (the
    same update of an optimizer group's same-shape matrices, the same
    softmax of every layer) share one function, across callers too, so that
    LLVM translates, optimizes and compiles each distinct loop nest once:
    the 1200 regions of that GPT-2 XL step are 17 functions.

    The CPU pipeline runs it after `llvm-request-c-wrappers` (the outlined
    functions get no C-interface wrappers) and before the lowering of
    memrefs to LLVM.

    Before:
    ```mlir
    func.func @step(%a: memref<1024xf32>, %n: index) {
      %c0 = arith.constant 0 : index
      omp.parallel {
        omp.wsloop { omp.loop_nest (%i) : index = (%c0) to (%n) step ... }
        omp.terminator
      }
      omp.parallel { ... }
      return
    }
    ```
    After:
    ```mlir
    func.func @step(%a: memref<1024xf32>, %n: index) {
      call @step_parallel_0(%n, %a) : (index, memref<1024xf32>) -> ()
      call @step_parallel_1(...) : ...
      return
    }
    func.func private @step_parallel_0(%n: index, %a: memref<1024xf32>) {
      %c0 = arith.constant 0 : index
      omp.parallel { ... }
      return
    }
    ```
  }];
  let options = [
    Option<"minRegions", "min-regions", "int64_t", /*default=*/"2",
           "Fewest omp.parallel ops a function holds for them to be outlined">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def EarlyDeallocationPass
    : MuonPass<"muon-early-deallocation", "::mlir::func::FuncOp"> {
  let summary = "Move each buffer's dealloc right after its last use";
  let description = [{
    Upstream's ownership-based buffer deallocation frees a buffer at the end
    of the block that owns it, so every temporary of a function is live
    until it returns: the peak is the sum of all temporaries (in an
    optimizer step, every bucket's Newton–Schulz buffers at once) rather
    than what one part of the step needs. This pass moves a
    `memref.dealloc` of a `memref.alloc` of the same block up to right
    after the last op of that block that uses the buffer, directly or
    through views (`ViewLikeOpInterface`, `memref.cast`), including uses
    nested in the op's regions.

    It leaves a dealloc where it is when the buffer may escape what it can
    see: a use outside the block, an op other than a view with a result
    that may refer to it (a memref, a `bufferization.to_tensor`, a pointer:
    anything but integers, floats, indices, vectors, complex numbers), or
    one that takes its pointer
    (`memref.extract_aligned_pointer_as_index`). Frees on the GPU are
    stream-ordered (cuMemFreeAsync on the step's stream), so freeing after
    the last launch that reads a buffer is safe there as on the host.

    The pipelines run it after buffer deallocation.
  }];
  let statistics = [
    Statistic<"numMoved", "num-moved", "Number of deallocs moved earlier">,
  ];
}

def DuplicateSharedInitsPass
    : MuonPass<"muon-duplicate-shared-inits", "::mlir::func::FuncOp"> {
  let summary = "Give every op that writes into a shared fill or empty "
                "tensor its own";
  let description = [{
    CSE merges identical `linalg.fill`s and `tensor.empty`s, so one tensor
    becomes the destination-style init of many ops:

    - A filled tensor (the zeros or -inf that initialize matmuls and
      reductions): each writer writes its init in place, so one-shot
      bufferization fills one buffer and copies it for every writer, a copy
      (read and write) per op instead of a fill (write). The fill is cloned,
      with its `tensor.empty` destination, right before every op that takes
      it as an init: one fill per writer and no copy.
    - An empty tensor (the init of every elementwise op of one shape): its
      writers' results all join one alias set, and one-shot analysis checks
      pairs of their uses for conflicts, a time quadratic in the writers.
      An optimizer step of a 48-layer model had one `tensor<64x64xf32>`
      init shared by 384 ops; `eliminate-empty-tensors` plus
      `one-shot-bufferize` spent 13 s in those checks. Sharing is also how
      bufferization reuses the buffer of a dead result, so runs of
      `max-shared-writers` consecutive writers (in program order) each get
      one clone, made right before the run's first writer: with 32, those
      two passes took 1 s and the step kept all but 2% of its reuse (1482
      allocations instead of 1449; a clone per writer made 2023).

    The originals keep their other uses (or are erased when none is left).
    The pipelines run it right before bufferization.
  }];
  let options = [
    Option<"maxSharedWriters", "max-shared-writers", "unsigned", "32",
           "How many consecutive writers keep sharing one empty tensor">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def DistinctReturnedValuesPass
    : MuonPass<"muon-distinct-returned-values", "::mlir::func::FuncOp"> {
  let summary = "Give each tensor a function returns more than once a copy";
  let description = [{
    A function that returns one tensor value twice (an ONNX graph with two
    outputs of one value, or zero-size results CSE merged into one
    `tensor.empty`) would return one buffer twice after bufferization,
    which `buffer-results-to-out-params` cannot turn into two out-params.
    This pass replaces every repeated tensor operand of `func.return` with
    `bufferization.alloc_tensor() copy(...)`, which bufferizes to a buffer
    of its own (CSE does not merge it). The pipelines run it right before
    bufferization.

    ```mlir
    return %t, %t : tensor<4xf32>, tensor<4xf32>
    // becomes
    %c = bufferization.alloc_tensor() copy(%t) : tensor<4xf32>
    return %t, %c : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def InsertSlicesInPlacePass
    : MuonPass<"muon-insert-slices-in-place", "::mlir::func::FuncOp"> {
  let summary = "Let the producers of a concatenation's parts write into it";
  let description = [{
    A training step concatenates its gradients of Q, K and V into the
    gradient of the fused QKV projection: a chain of `tensor.insert_slice`s
    whose sources are head transposes collapsed back to
    [batch, seq, heads·head_dim]. Empty-tensor elimination would let each
    transpose write into its slice of the concatenation instead of a
    temporary, but it sees through neither the `collapse_shape` nor an
    insertion whose destination is defined after the producer. Bufferized,
    each part costs a copy kernel (GPU) or a strided copy loop (CPU) after
    the producer. This pass prepares both:

    1. A chain of `insert_slice`s with static, pairwise disjoint slices
       whose intermediate results have no other use is rebuilt in the
       order its sources are defined, each insertion right after its
       source (the slices are disjoint, so the result is the same).
    2. `insert_slice(collapse_shape(x)) into d` becomes
       `collapse_shape(insert_slice(x) into expand_shape(d))` when the
       collapsed dims' inner extents divide the slice's offset and the
       destination's extent (the expanded slice is then a box); the
       `expand_shape` is placed right after `d`'s definition.

    Empty-tensor elimination then replaces the producer's `tensor.empty`
    with the slice. Shapes must be static; other insertions are left as
    they are. The pipelines run it right before empty-tensor elimination.

    Before:
    ```mlir
    %t = linalg.transpose ins(%x : tensor<8x4x32x16xf32>)
        outs(%e : tensor<8x32x4x16xf32>) permutation = [0, 2, 1, 3]
    %c = tensor.collapse_shape %t [[0], [1], [2, 3]]
        : tensor<8x32x4x16xf32> into tensor<8x32x64xf32>
    %r = tensor.insert_slice %c into %d[0, 0, 64] [8, 32, 64] [1, 1, 1]
        : tensor<8x32x64xf32> into tensor<8x32x192xf32>
    ```
    After:
    ```mlir
    %de = tensor.expand_shape %d [[0], [1], [2, 3]]
        output_shape [8, 32, 12, 16] : tensor<8x32x192xf32> into tensor<8x32x12x16xf32>
    %t = linalg.transpose ...
    %i = tensor.insert_slice %t into %de[0, 0, 4, 0] [8, 32, 4, 16] [1, 1, 1, 1]
    %r = tensor.collapse_shape %i [[0], [1], [2, 3]]
        : tensor<8x32x12x16xf32> into tensor<8x32x192xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def StridedCopiesToLinalgPass
    : MuonPass<"muon-strided-copies-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Turn memref.copy ops with a strided side into linalg.copy";
  let description = [{
    `finalize-memref-to-llvm` lowers a `memref.copy` between identity-layout
    buffers to `memcpy`, and every other one to a call of the runner
    utilities' `memrefCopy`, which walks the elements one at a time on one
    thread (bufferized training steps copy gradients into their slices of a
    fused buffer this way). This pass rewrites a `memref.copy` of ranked
    memrefs with a non-identity layout on either side into `linalg.copy`,
    which the host pipelines lower to loops like any other linalg op:
    vectorized, and on threads where loops are. Contiguous copies stay.

    ```mlir
    memref.copy %a, %s : memref<8x256xf32> to memref<8x256xf32, strided<[768, 1]>>
    // becomes
    linalg.copy ins(%a : memref<8x256xf32>) outs(%s : memref<8x256xf32, strided<[768, 1]>>)
    ```

    The host LLVM stage runs it before linalg ops become loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ExpandMinifloatConversionsPass
    : MuonPass<"muon-expand-minifloat-conversions"> {
  let summary = "Convert float8/float4 to and from wider floats with integer "
                "ops";
  let description = [{
    LLVM has no float8 or float4 types: the conversion to LLVM keeps their
    values as i8/i4, and `arith.extf`/`arith.truncf` of them have no
    lowering. This pass rewrites those conversions into integer arithmetic
    on the bits, for `f8E4M3FN`, `f8E4M3FNUZ`, `f8E5M2`, `f8E5M2FNUZ` (ONNX's
    FLOAT8 types) and `f4E2M1FN` (FLOAT4E2M1), each format's parameters
    taken from its APFloat semantics: its width W, M mantissa bits, exponent
    bias B = 1 − (smallest normal exponent), and the codes of its largest
    finite value, infinity (E5M2 only) and NaN (not E2M1).

    - `truncf` f32/f64 → float8 rounds to nearest even, as APFloat (and so
      constant folding) does. Normal results round the wide mantissa on its
      bits, `bits + (2^(s−1) − 1) + ((bits >> s) & 1)` shifted right by
      s = (wide mantissa bits − M), and rebias the exponent; subnormal ones
      are the magnitude times 2^(M + B − 1) (exact), rounded to an integer
      by adding and subtracting 2^(wide mantissa bits). A result past the
      largest finite value becomes ±infinity where the format has it, NaN
      where it has NaN, and ±largest in E2M1; NaN becomes the format's NaN
      (in E2M1, as infinities, a zero of its sign); FNUZ formats have no −0
      (its code is NaN) and give +0. f16 and bf16 widen to f32 first,
      exactly. Cast's saturation (ONNX) is the importer's clamp before it.
    - `extf` float8 → any wider float decodes to f32 — exponent rebiased
      into f32's bits, or the mantissa times 2^(1 − B − M) for subnormals,
      infinity and NaN codes by comparison — then widens or narrows exactly
      (every float8 and float4 value is an f16 and a bf16 value).

    Any other `arith` op left on these types is an error: nothing lowers
    their arithmetic. The host LLVM stage and the CUDA pipeline run it
    before the conversion to LLVM.

    ```mlir
    %y = arith.truncf %x : f32 to f8E4M3FN
    // becomes (schematically)
    %b = arith.bitcast %x : f32 to i32
    // ... round and rebias, select subnormal / overflow / NaN codes
    %y = arith.bitcast %t : i8 to f8E4M3FN
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ExpandBF16ConversionsPass
    : MuonPass<"muon-expand-bf16-conversions", "::mlir::func::FuncOp"> {
  let summary = "Round f32/f64 to bf16 (and widen back) with integer ops";
  let description = [{
    LLVM lowers `fptrunc float to bfloat` to a native instruction only on
    CPUs with AVX512-BF16 or AVX-NE-CONVERT; elsewhere it calls
    `__truncsfbf2`, which GCC 12's libgcc (Debian 12) does not have, so a
    library compiled for such a CPU with a bf16 Newton–Schulz fails to link.
    This pass applies upstream's bf16 expansion of the `arith` dialect alone
    (`populateExpandBFloat16Patterns`; `arith-expand` would also rewrite
    min/max and integer divisions): `arith.truncf` f32 → bf16 becomes
    round-to-nearest-even on the bits (NaN stays a quiet NaN; subnormals are
    kept, as torch's CPU conversion keeps them), `arith.extf` bf16 → f32 a
    shift. f64 → bf16 (`__truncdfbf2`, missing too) first rounds to f32 *to
    odd* — the nearest f32, stepped back toward zero when it rounded away,
    its lowest bit set when inexact — so that the f32 → bf16 rounding after
    it is still correctly rounded (rounding twice to nearest would turn
    1 + 2⁻⁸ + 2⁻³⁰ into a tie and then 1, not 1 + 2⁻⁷); bf16 → f64 widens
    through f32, exactly. A named linalg op with such a conversion in its
    body (a bf16 × bf16 → f32 `linalg.matmul`) is generalized first: its
    verifier requires the body its name implies. The host LLVM stage runs it
    before the conversion to LLVM.

    ```mlir
    %b = arith.truncf %x : f32 to bf16
    // becomes (schematically)
    %i = arith.bitcast %x : f32 to i32
    // ... + 0x7fff + ((%i >> 16) & 1), >> 16, NaN → 0x7fc0
    %b = arith.bitcast %t : i16 to bf16
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def MaterializeAliasedResultsPass
    : MuonPass<"muon-materialize-aliased-results", "::mlir::func::FuncOp"> {
  let summary = "Compute results tied to an argument into that argument's "
                "tensor, before one-shot bufferization";
  let description = [{
    An argument marked `optim.aliasing_output = N` donates its buffer to
    result N (muon-compile's in-place ABI, docs/ABI.md). This pass marks the
    argument `bufferization.writable = true` and wraps the returned value in
    `bufferization.materialize_in_destination ... in %arg`, so that one-shot
    bufferization computes the result in the argument's buffer: in place
    where the analysis allows it (with `eliminate-empty-tensors`, an
    elementwise update writes straight into the argument), else through a
    temporary and one copy at the end. Either way the value the function
    returns is equivalent to the argument, which `muon-drop-aliased-results`
    then removes. Malformed markings (a result index out of range, a result
    tied twice, differing types) are errors.

    Before:
    ```mlir
    func.func @step(%w: tensor<4xf32> {optim.aliasing_output = 0 : i64},
                    %g: tensor<4xf32>) -> tensor<4xf32> {
      %w1 = arith.subf %w, %g : tensor<4xf32>
      return %w1 : tensor<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: tensor<4xf32> {bufferization.writable = true,
                                       optim.aliasing_output = 0 : i64}, ...
      %w1 = arith.subf %w, %g : tensor<4xf32>
      %0 = bufferization.materialize_in_destination %w1 in %w
          : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def DropAliasedResultsPass
    : MuonPass<"muon-drop-aliased-results", "::mlir::ModuleOp"> {
  let summary = "Drop the memref results that a function wrote into an "
                "argument's buffer";
  let description = [{
    After one-shot bufferization with function boundaries, each result tied
    to an argument by `optim.aliasing_output` (and prepared by
    `muon-materialize-aliased-results`) returns the argument's own buffer.
    This pass erases those results, and the marking, so that callers pass
    the argument's buffer once and find the result in it. A tied result that
    does not return the argument's buffer, or a function with callers in the
    module, is an error: dropping the result would lose the value.

    Before:
    ```mlir
    func.func @step(%w: memref<4xf32> {optim.aliasing_output = 0 : i64},
                    %g: memref<4xf32>) -> memref<4xf32> {
      ...
      return %w : memref<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: memref<4xf32>, %g: memref<4xf32>) {
      ...
      return
    }
    ```
  }];
}

#endif // MUON_TRANSFORMS_PASSES
