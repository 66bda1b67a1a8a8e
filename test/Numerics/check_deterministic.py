"""A GPT-2-like optimizer step (and a 1024x1024 matrix, whose norm takes two
reduction kernels before the last one) through the GPU program, emulated by
muon-run, in a module marked `optim.deterministic`: the fused kernels store
per-thread partial norms and sum them in a fixed order instead of adding
atomically. Checks the results against the same step without the mark
(they differ only in the f64 norm's summation order) and against
torch.optim.Muon (fp32 Newton–Schulz) and torch.optim.AdamW."""

import numpy as np

from muon_mlir import runner, testing
from muon_mlir.testing import ir, steps, torch_reference

p = testing.parser(__doc__)
p.add_argument("--tol", type=float, default=1e-5, help="limit on W, M, V vs torch")
p.add_argument("--atomic-tol", type=float, default=1e-6,
               help="limit on every result vs the unmarked module's "
                    "(relative to the largest entry)")
args = p.parse_args()

params = ir.gpt2_block_params(32, 2, 96) + [((1024, 1024), "muon")]
muon_attrs = {"weight_decay": 0.1}
adamw_attrs = {"weight_decay": 0.01}
module = ir.optimizer_step_module(params, muon_attrs, adamw_attrs)
marked = "module attributes {optim.deterministic} {\n" + module + "\n}\n"
inputs, states, num_results = steps.random_inputs(params, args.seed)


def run(text):
    return runner.run(text, "step", inputs, num_results,
                      f"{args.runner} --pipeline=gpu-emulation --bucket=true")


deterministic, atomic = run(marked), run(module)
worst = max(float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
            for a, b in zip(deterministic, atomic))
print(f"{num_results} results, deterministic vs atomic norms: max rel diff "
      f"{worst:.1e} (limit {args.atomic_tol:g})")
if not worst <= args.atomic_tol:
    print("FAIL deterministic: results differ from the atomic norms'")
    raise SystemExit(1)
with torch_reference.fp32_newton_schulz():
    pairs = steps.reference_pairs(params, states, deterministic, muon_attrs,
                                  adamw_attrs, args.tol)
testing.check("deterministic", pairs)
