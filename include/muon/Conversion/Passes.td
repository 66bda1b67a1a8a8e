//===- Passes.td - Conversion passes of muon-mlir ----------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Passes that lower the optim dialect and the programs around it: to linalg
// (CPU), to fused kernels and runtime GEMM calls (GPU), and the GPU program's
// memory, thread mapping and host emulation. The dialect's own passes
// (dialects/optim/Passes.td) never leave the optim dialect's level.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_PASSES
#define MUON_CONVERSION_PASSES

include "muon/Pass/PassBase.td"

def ConvertOptimToLinalgPass : MuonPass<"convert-optim-to-linalg"> {
  let summary = "Lower optim ops to linalg, tensor, arith, math and scf";
  let description = [{
    The CPU reference lowering: every op of the `optim` dialect becomes
    upstream ops on tensors. `optim.muon`/`optim.muon2` must have been
    decomposed by `optim-decompose` (an error otherwise);
    `optim.newton_schulz` becomes a Frobenius-norm
    reduction in f64 of the input rounded to the narrower of its type and
    `compute_type`, X₀ = U / (‖U‖_F·s + e) in `compute_type`, and the
    iterations, with X, S = X·Xᵀ and T = b·S + c·S·S stored in
    `compute_type` and the products accumulated in f32 (f64 for f64):
    with `ns-gemm=runtime` and an f32/bf16 compute type, the same
    `muon_gpu_{gemm,syrk}_*` calls as its fused kernels (three per
    iteration, the coefficients in alpha/beta, on the buffer of X₀:
    `bufferization.to_buffer` read-only in, `to_tensor restrict writable`
    out); otherwise an optional transpose to the wide orientation and an
    `scf.for` over the iterations whose (a, b, c) are read from a constant
    table, each iteration three `linalg.matmul`s (`linalg.batch_matmul` for
    batched views). `optim.adamw` and `optim.qk_clip` become
    `linalg.generic`s.

    With `keep-fusable` (the GPU pipeline), `optim.muon`, `optim.muon2`
    with a full second moment, `optim.adamw` and `optim.newton_schulz` stay:
    one-shot bufferization turns them into their fused kernels
    (`lib/Conversion/OptimToKernels`, docs/gpu.md).

    Post-condition: no op of the `optim` dialect is left (dialect conversion
    fails otherwise) but `optim.scatter_add`, which bufferizes and is
    lowered on buffers (`convert-scatter-add-to-loops`), and with
    `keep-fusable` the ops above.
  }];
  let options = [
    Option<"keepFusable", "keep-fusable", "bool", /*default=*/"false",
           "Leave the ops that bufferize to fused kernels (optim.muon, "
           "full-moment optim.muon2, optim.adamw, optim.newton_schulz)">,
    Option<"nsGemm", "ns-gemm", "::muon::NewtonSchulzGemm",
           /*default=*/"::muon::NewtonSchulzGemm::Linalg",
           "How optim.newton_schulz runs its GEMMs", [{::llvm::cl::values(
             clEnumValN(::muon::NewtonSchulzGemm::Linalg, "linalg",
                        "an scf.for of linalg.matmul"),
             clEnumValN(::muon::NewtonSchulzGemm::Runtime, "runtime",
                        "muon_gpu_{gemm,syrk}_* calls, as the GPU pipeline "
                        "makes them (f32/bf16 compute; linalg otherwise)"))}]>,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertMatmulToBlasPass : MuonPass<"convert-matmul-to-blas", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's BLAS GEMMs for bufferized linalg matmuls";
  let description = [{
    Replaces GEMM-shaped contractions on memrefs — `linalg.matmul`,
    `linalg.batch_matmul`, and the multiply-accumulate generics elementwise
    fusion makes of them, whose row, column or reduction dims may span
    several loop dims (reshapes folded into the maps; the groups are
    collapsed back) — whose operands are plain or transposed by calls into the
    project's CPU runtime (`runtime/cpu`), which runs oneDNN: `dnnl_sgemm`
    for f32 × f32 → f32 and its bf16 × bf16 → f32 GEMM (e.g. the
    matmuls of imported forward/backward graphs; an f32/bf16 Newton–Schulz
    does not reach it in the CPU pipeline, which lowers it to the runtime's
    `muon_gpu_{gemm,syrk}_*` calls directly: `convert-optim-to-linalg`
    `ns-gemm=runtime`). The runtime accumulates
    into the output (beta = 1), exactly linalg's semantics, and takes any
    strided layout (copying only when neither dimension is contiguous).
    Where the accumulator is a zero `linalg.fill` of the same elements of a
    fresh `memref.alloc` earlier in the same block, with no access to that
    allocation in between (how bufferized contractions start), the fill is
    erased and the call overwrites C instead (beta = 0): one pass over C
    fewer per product. Batches of products too small to thread one by one
    run spread over the runtime's OpenMP team. Batch dims that no single
    stride spans (attention's heads between sequence and head dims) are
    looped over around the call; so are batch dims one operand does not
    have (a product broadcast along the result's leading dims, such as
    MLP-Mixer's token mixing [M, K]·[b, K, N] → [b, M, N], as the ONNX
    importer writes a MatMul of a matrix and a stack of them): each
    iteration is one GEMM that reads that operand whole. Other broadcasts
    (a dim only the result has) stay.

    Pre-condition: bufferized IR. Matmuls of other element types, and those
    with a static size or stride beyond 2^31 − 1 (BLAS takes 32-bit ints),
    stay and are lowered to loops, which index in 64 bits. The JIT or linker must provide
    `libmuon_cpu_runtime.so`.

    `runtime=gpu` (the GPU pipeline) calls the GPU runtime's
    `muon_gpu_gemm_{f32,bf16}(A, B, C, C, 1, beta, transA, transB)` instead
    (cuBLASLt: D = op(A)·op(B) + beta·C in place, beta as above; 2-D buffers viewed as a batch
    of one) for matmuls whose operands share the element type f32 or bf16
    and whose matrices are contiguous along one dim; others stay for the
    generic thread loops. The CPU runtime implements these entry points
    too, so `muon-cpu-pipeline{blas-runtime=gpu}` runs this lowering on CPU.
    With `precision=tf32` or `bf16`, f32 GEMMs call
    `muon_gpu_gemm_f32_as_tf32` / `muon_gpu_gemm_f32_as_bf16` instead (same
    arguments; cuBLASLt's `CUBLAS_COMPUTE_32F_FAST_TF32` / `_FAST_16BF`:
    inputs rounded to TF32 / bf16 on tensor cores, f32 accumulation and
    output; the CPU runtime rounds the inputs the same way before its fp32
    GEMM). bf16 GEMMs are unaffected; `runtime=cpu` takes fp32 only.

    Before:
    ```mlir
    linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x64xf32>)
                  outs(%c : memref<64x64xf32>)
    ```
    After:
    ```mlir
    %0 = memref.cast %a : memref<64x256xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    ...
    call @muon_cpu_matmul_f32(%0, %1, %2, %c0, %c0, %one) : (...) -> ()
    ```
  }];
  let options = [
    Option<"runtime", "runtime", "::muon::BlasRuntime",
           /*default=*/"::muon::BlasRuntime::CPU",
           "Whose GEMM entry points to call", [{::llvm::cl::values(
             clEnumValN(::muon::BlasRuntime::CPU, "cpu",
                        "the CPU runtime's oneDNN calls"),
             clEnumValN(::muon::BlasRuntime::GPU, "gpu",
                        "the GPU runtime's muon_gpu_gemm_* (cuBLASLt)"))}]>,
    Option<"precision", "precision", "::muon::GemmPrecision",
           /*default=*/"::muon::GemmPrecision::FP32",
           "runtime=gpu: how f32 GEMMs compute",
           "::muon::getGemmPrecisionValues()">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertLinalgToThreadLoopsPass : MuonPass<"convert-linalg-to-thread-loops"> {
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

    Reductions of at least `cooperative-threshold` elements per output
    element whose every output is `combiner(f(inputs), accumulator)` with a
    combiner `gpu.all_reduce` implements (add, mul, min, max, and, or, xor
    on 32-bit values) become cooperative: a block per output element (the
    parallel dims collapsed into the block loop), up to `block-size`
    threads (whole warps, at least four elements each) that combine a
    strided share of the flattened reduction (consecutive threads on
    consecutive elements, coalesced on a contiguous row) into a partial,
    a uniform `gpu.all_reduce` across the block, and thread 0 folding the
    result into the output's old value (read before the all-reduce, which
    orders it before thread 0's store). Where the output was just filled
    with a constant (a `gpu.memset` of the same buffer, which the reduction
    overwrites entirely, with no access in between: how every imported
    accumulator starts), the kernel folds into the constant instead and the
    memset goes, one launch fewer per reduction. Row reductions (the innermost loop
    walks the innermost dim of the first input: softmax and LayerNorm rows,
    the loss) run this way; from 32 elements (one warp per row) the
    strided, coalesced reads of a warp beat one thread walking a row. A
    column reduction (bias gradients, after `muon-split-reductions` their
    chunks) runs this way only with fewer than 1024 output elements: with
    more, a thread per output element reads consecutive elements across a
    warp and fills the device.

    The ops that follow, each the next op that touches memory (memsets of
    buffers the kernel does not touch aside), run in the same kernel when
    they read the reduced values only at their own row: further reductions
    of the same rows, each with its own partials and all-reduce (a
    softmax's sum after its max, a LayerNorm's variance after its mean),
    then one element-wise op over the same iteration space (the division
    after the sum, the normalization), all reading the reduced values from
    registers (every op is put in parallel-dims-first order before any
    kernel is built, so column reductions over the same tokens chain as
    well). The element-wise op may write a reduction's input in place
    at the elements the row read (the all-reduces order the row's reads
    before), but no other view of a buffer the kernel writes. A softmax or
    a LayerNorm is one kernel.

    Any other reduction is walked serially by each thread, and an op
    without parallel dims runs on one thread. The thread carries its output
    element in a register through the walk (an `scf.for` iter_arg: loaded
    once before, or started from the constant of a memset the reduction
    overwrites, as above, and stored once after) unless the op also reads
    that buffer as an input: loop-lowered linalg reads and writes it on every iteration,
    which the backend cannot undo without knowing that the kernel's buffers
    do not alias, and each iteration then waits for its own store (on an
    H200, ~360 ns per element of a bias gradient). Where a thread's serial share
    reaches `serial-remark-threshold` elements, a remark names the op (and
    its ONNX node): such a kernel is one of the step's slow ones on a GPU.

    Pre-condition: bufferized IR; an `scf.parallel` with reduction results
    in the input is an error (tiling onto threads would drop them).
    Post-condition: no linalg op on buffers.
  }];
  let options = [
    Option<"blockSize", "block-size", "unsigned", /*default=*/"256",
           "Threads per block (1 to 1024, CUDA's limit)">,
    Option<"cooperativeReductions", "cooperative-reductions", "bool",
           /*default=*/"true",
           "Reduce long reductions with a block of threads per output "
           "element">,
    Option<"cooperativeThreshold", "cooperative-threshold", "int64_t",
           /*default=*/"32",
           "Reduction length from which a block of threads reduces each "
           "output element">,
    Option<"serialRemarkThreshold", "serial-remark-threshold", "int64_t",
           /*default=*/"4096",
           "Remark on ops whose threads each walk at least this many "
           "elements serially (0: never)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertLinalgReductionsToLoopsPass
    : MuonPass<"convert-linalg-reductions-to-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower bufferized reductions to loops that accumulate in "
                "registers";
  let description = [{
    `convert-linalg-to-loops` makes a reduction's body load its output
    element, combine and store it back in every iteration; the output and
    inputs are unrelated memrefs to LLVM, which must keep every store (it
    may alias the next load) and, without reassociation, the strict order
    of the additions: a latency-bound scalar chain. For `linalg.generic` ops
    on buffers whose reduction dims come after all parallel dims (row
    reductions: softmax, LayerNorm, cross-entropy, row sums), this pass
    emits an `scf.for` nest over the parallel dims that loads each output
    element once, an inner `scf.for` nest over the reduction dims carrying
    the running values as `iter_args`, and one store per output element.
    Legal because a linalg op's outputs are indexed by its parallel dims
    only and a reduction's output buffer is not one of its inputs (checked:
    ops that read a buffer they write are left alone, and so are ops whose
    outputs some parallel dim does not index, whose rows would share output
    elements).

    With `reassociate` (default), the body's ops that combine a carried
    value get `fastmath<reassoc>`, so LLVM may vectorize the loop with
    partial sums: the order of the additions then differs from the
    sequential one (rounding-level differences, like any vectorized or
    threaded sum; docs/numerics.md).

    Other linalg ops are left for `convert-linalg-to-loops`.
  }];
  let options = [
    Option<"reassociate", "reassociate", "bool", /*default=*/"true",
           "Let the combining ops reassociate (fastmath<reassoc>) so that "
           "LLVM can vectorize the reduction">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertScatterAddToLoopsPass : MuonPass<"convert-scatter-add-to-loops"> {
  let summary = "Lower optim.scatter_add on buffers to loops (CPU) or "
                "parallel loops with atomic adds (GPU)";
  let description = [{
    `optim.scatter_add` (the embedding gradient of imported training graphs)
    after bufferization: O(|updates|) work instead of the dense one-hot
    contraction's O(|dest| · |indices|).

    The default (the CPU) makes an `scf.for` nest: over the dims of `dest`
    before `axis`, the positions of `indices`, then the dims after `axis`;
    each position's index is loaded, wrapped when negative
    (`+ dest.shape[axis]`) and range-checked once, and its row is a
    load/add/store loop. `atomic` (the GPU pipeline, before
    `convert-linalg-to-thread-loops`, which collapses and tiles the loop
    into blocks × threads) makes one `scf.parallel` over all of those dims
    whose body adds with `memref.atomic_rmw addf`: threads that share an
    index add into the same element, in an order that varies from run to
    run, so the rounding of repeated indices is not deterministic on a GPU
    (the GPU emulation runs the same atomics one after another).

    An index outside `[0, dest.shape[axis])` after wrapping skips its row:
    nothing is ever read or written out of bounds. Reporting it is the
    producer's job (the ONNX importer checks GatherGrad's indices with a
    `cf.assert`, which `muon-assertions-to-status` turns into the step's
    status).

    Before:
    ```mlir
    optim.scatter_add %dy into %grad[%ids] {axis = 0 : i64}
        : memref<8x16xf32>, memref<8xi64> into memref<100x16xf32>
    ```
    After (default):
    ```mlir
    scf.for %p = %c0 to %c8 step %c1 {
      %i = memref.load %ids[%p] : memref<8xi64>
      ...                                  // wrap, range check
      scf.if %in_range {
        scf.for %j = %c0 to %c16 step %c1 {
          %u = memref.load %dy[%p, %j] : memref<8x16xf32>
          %d = memref.load %grad[%row, %j] : memref<100x16xf32>
          %s = arith.addf %d, %u : f32
          memref.store %s, %grad[%row, %j] : memref<100x16xf32>
        }
      }
    }
    ```

    Pre-condition: bufferized IR. Post-condition: no `optim.scatter_add`.
  }];
  let options = [
    Option<"atomic", "atomic", "bool", /*default=*/"false",
           "One scf.parallel with memref.atomic_rmw addf (GPU) instead of "
           "an scf.for nest">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertMemoryToGPUPass : MuonPass<"convert-memory-to-gpu"> {
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
    Byte sizes and offsets come from the data layout (an i1 takes a byte,
    as the LLVM lowering stores it). A constant `memref.global` that
    kernels read (an imported graph's causal mask) lives in host memory:
    it is copied into a device allocation at the function's entry, freed
    at its returns, and kernels read that copy; host code's scalar loads
    keep reading the global. Any other copy (a strided one) becomes
    `linalg.copy`, a kernel once loops are mapped onto threads.

    Post-condition: no `memref.alloc`/`alloca`/`dealloc`/`copy` left; an
    allocation of dynamic shape or non-identity layout, a stack buffer, an
    unranked copy, or a mutable global that kernels read, is an error.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def ConvertGPUToHostLoopsPass : MuonPass<"convert-gpu-to-host-loops", "::mlir::ModuleOp"> {
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
    device functions, clusters and dynamic shared memory. Host code that
    reads or writes a buffer itself would fault on a GPU, not here: the GPU
    pipeline's `muon-check-no-host-access` rejects it before this pass.

    Pre-condition: kernels outlined (`gpu.launch_func`, not `gpu.launch`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // MUON_CONVERSION_PASSES
