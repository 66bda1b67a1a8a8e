"""An in-place optimizer step whose input check fails must leave every
parameter and state as it was; when the check passes it is the ordinary
step. The step (GPT-2-like blocks: Muon matrices, AdamW vectors and an
embedding, `optim.aliasing_output` on every updated argument, `cf.assert` on
a flag) is compiled by muon-compile for CPU and as the GPU pipeline's
program emulated on CPU (--pipeline=gpu-emulation), where
muon-assertions-to-status and optim-fold-skips give the updates the status
as their `skip` operand, so that their own kernels keep the old values.
Passing: against torch.optim.Muon (fp32 Newton–Schulz) and AdamW within
--tol. Failing: a ValueError with the check's message, and every buffer
bitwise unchanged."""

import os
import subprocess
import tempfile

import numpy as np
from muon_mlir import aot, testing
from muon_mlir.testing import ir, steps, torch_reference

p = testing.parser(__doc__)
p.add_argument("--muon-compile", default="muon-compile")
p.add_argument("--pipeline", choices=["cpu", "gpu-emulation"], required=True)
p.add_argument("--d-model", type=int, default=16)
p.add_argument("--tol", type=float, default=1e-5)
args = p.parse_args()

params = ir.gpt2_block_params(args.d_model, 1, vocab=40)
muon_attrs, adamw_attrs = {"weight_decay": 0.1}, {"weight_decay": 0.01}
module = ir.optimizer_step_module(params, muon_attrs, adamw_attrs,
                                  in_place=True, checked=True)

with tempfile.TemporaryDirectory() as work:
    library = os.path.join(work, "libskip.so")
    command = [args.muon_compile, "-", "--target=cpu", "--function=step", "-o", library]
    if args.pipeline != "cpu":
        command.append(f"--pipeline={args.pipeline}")
    subprocess.run(command, input=module, text=True, check=True)
    step = aot.load(library)

    inputs, states, _ = steps.random_inputs(params, args.seed)
    arrays = [np.array(x, copy=True) for x in inputs]
    updated = [arrays[i] for i in sorted(step.updated_inputs)]

    before = [np.array(x, copy=True) for x in arrays]
    try:
        step(*arrays, np.array(False))
        raise SystemExit("error: the step accepted a failing check")
    except ValueError as error:
        print(f"failing check: ValueError: {error}")
    changed = [step.inputs[i].name for i, (a, b) in enumerate(zip(arrays, before))
               if not np.array_equal(a, b)]
    print("failing check: every buffer unchanged" if not changed
          else f"failing check: CHANGED {changed}")

    step(*arrays, np.array(True))
    with torch_reference.fp32_newton_schulz():
        pairs = steps.reference_pairs(params, states, updated, muon_attrs,
                                      adamw_attrs, args.tol)
    testing.check(f"skip {args.pipeline}", pairs)
    if changed:
        raise SystemExit(1)
