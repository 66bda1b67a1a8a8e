"""A GPT-2-like optimizer step lowered by muon-gpu-pipeline (bucketed updates
as the GPU kernels plus the muon_gpu_gemm_* calls with the Newton–Schulz
coefficients in alpha/beta), its kernels and device memory emulated on CPU
by muon-run --pipeline=gpu-emulation, against torch.optim.Muon and
torch.optim.AdamW.
fp32: the fp32 Newton–Schulz reference; bf16: torch.optim.Muon as shipped.
With --device=cuda the whole pipeline runs instead: the step compiled by
muon-compile --target=cuda, called on CUDA tensors (needs a GPU). The GPU
machine has no MLIR: there, --library takes the step built here by the same
command with --compile-only (bench/README.md)."""

import contextlib
import os
import subprocess
import sys

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, steps, torch_reference

p = testing.parser(__doc__)
p.add_argument("--muon-compile", default="muon-compile")
p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
p.add_argument("--work", default=".", help="where --device=cuda puts its library")
p.add_argument("--library", help="--device=cuda: a step library built by --compile-only "
               "with the same step options, instead of compiling one into --work")
p.add_argument("--compile-only", action="store_true",
               help="compile the step to --library (and its module to LIBRARY.mlir) and exit")
p.add_argument("--d-model", type=int, default=32)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--vocab", type=int, default=96)
p.add_argument("--compute", choices=["f32", "bf16"], default="f32")
p.add_argument("--tol", type=float, default=1e-5, help="limit on W, M, V")
p.add_argument("--update-tol", type=float, default=1e-5,
               help="limit on W' - W of the Muon parameters")
args = p.parse_args()

params = ir.gpt2_block_params(args.d_model, args.layers, args.vocab)
muon_attrs = {"weight_decay": 0.1}
if args.compute == "bf16":
    muon_attrs["compute_type"] = "bf16"
adamw_attrs = {"weight_decay": 0.01}
module = ir.optimizer_step_module(params, muon_attrs, adamw_attrs)

inputs, states, num_results = steps.random_inputs(params, args.seed)


def compile_library(library):
    subprocess.run([args.muon_compile, "-", "--target=cuda", "-o", library],
                   input=module, text=True, check=True)
    with open(library + ".mlir", "w") as f:
        f.write(module)


if args.compile_only:
    if not args.library:
        p.error("--compile-only needs --library")
    compile_library(args.library)
    sys.exit(0)

def run_emulated():
    return runner.run(module, "step", inputs, num_results,
                      args.runner + " --pipeline=gpu-emulation")


def run_on_gpu():
    import torch
    from muon_mlir import aot
    library = args.library
    if library is None:
        library = os.path.join(args.work, "libgpu_step.so")
        compile_library(library)
    # Shapes alone would not catch a library of another --compute.
    source = library + ".mlir"
    if not os.path.exists(source) or open(source).read() != module:
        sys.exit(f"error: {library} was not compiled from this step by --compile-only "
                 "with the same --d-model, --layers, --vocab and --compute")
    step = aot.load(library)
    results = step(*(torch.from_numpy(np.asarray(x)).cuda() for x in inputs))
    torch.cuda.synchronize()
    return [r.cpu().numpy() for r in results]


results = run_on_gpu() if args.device == "cuda" else run_emulated()

patch = (torch_reference.fp32_newton_schulz() if args.compute == "f32"
         else contextlib.nullcontext())
with patch:
    pairs = steps.reference_pairs(params, states, results, muon_attrs,
                                         adamw_attrs, args.tol, args.update_tol)
testing.check(f"gpu fused {args.compute} d_model={args.d_model} "
              f"layers={args.layers}", pairs)
