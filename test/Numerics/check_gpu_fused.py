"""A GPT-2-like optimizer step lowered by muon-gpu-pipeline up to its fused
stage (bucketed updates as the GPU kernels' loop nests plus the
muon_gpu_gemm_* calls with the Newton–Schulz coefficients in alpha/beta),
executed on CPU by muon-run, against torch.optim.Muon and torch.optim.AdamW.
fp32: the fp32 Newton–Schulz reference; bf16: torch.optim.Muon as shipped.
With --device=cuda the whole pipeline runs instead: the step compiled by
muon-compile --target=cuda, called on CUDA tensors (needs a GPU)."""

import contextlib
import subprocess

import numpy as np
from muon_mlir import ir, runner, step_testing, testing, torch_reference

p = testing.parser(__doc__)
p.add_argument("--muon-opt", default="muon-opt")
p.add_argument("--muon-compile", default="muon-compile")
p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
p.add_argument("--work", default=".", help="where --device=cuda puts its library")
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

inputs, states, num_results = step_testing.random_inputs(params, args.seed)

def run_fused_on_cpu():
    fused = subprocess.run(
        [args.muon_opt, "-", "--muon-gpu-pipeline=stop-after=fused"], input=module,
        capture_output=True, text=True, check=True).stdout
    return runner.run(fused, "step", inputs, num_results, args.runner)


def run_on_gpu():
    import os
    import torch
    from muon_mlir import aot
    library = os.path.join(args.work, "libgpu_step.so")
    subprocess.run([args.muon_compile, "-", "--target=cuda", "-o", library],
                   input=module, text=True, check=True)
    step = aot.load(library)
    results = step(*(torch.from_numpy(np.asarray(x)).cuda() for x in inputs))
    torch.cuda.synchronize()
    return [r.cpu().numpy() for r in results]


results = run_on_gpu() if args.device == "cuda" else run_fused_on_cpu()

patch = (torch_reference.fp32_newton_schulz() if args.compute == "f32"
         else contextlib.nullcontext())
with patch:
    pairs = step_testing.reference_pairs(params, states, results, muon_attrs,
                                         adamw_attrs, args.tol, args.update_tol)
testing.check(f"gpu fused {args.compute} d_model={args.d_model} "
              f"layers={args.layers}", pairs)
