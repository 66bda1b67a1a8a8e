"""Calls the AOT-compiled examples/block_step.mlir through muon_mlir.aot on the
bundled inputs and compares with muon-run on the same inputs (within 1e-6
relative, elementwise max) and, with --torch, with torch.optim.Muon/AdamW and
the numpy QK-clip reference (1e-5 relative Frobenius). Also checks that the
call leaves its inputs untouched and that torch tensors work like arrays."""

import argparse
import os

import numpy as np
from muon_mlir import aot, runner
from muon_mlir.testing import block_step, reference

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("library")
p.add_argument("--src", required=True, help="repository root")
p.add_argument("--runner", default="muon-run")
p.add_argument("--torch", action="store_true")
args = p.parse_args()

names, inputs = block_step.load_inputs(args.src)
saved = [x.copy() for x in inputs]

step = aot.load(args.library)
print(step)
got = step(*inputs)
for name, x, before in zip(names, inputs, saved):
    assert np.array_equal(x, before), f"input {name} was modified by the call"
print("inputs unchanged")

with open(os.path.join(args.src, "examples", "block_step.mlir")) as f:
    jit = runner.run(f.read(), "step", inputs, len(got), args.runner)
worst = 0.0
for spec, a, b in zip(step.outputs, got, jit):
    err = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
    worst = max(worst, err)
    assert err <= 1e-6, f"{spec.name}: AOT and muon-run differ by {err:.2e}"
print(f"AOT vs muon-run: worst max-abs relative difference {worst:.1e}")

if args.torch:
    import torch

    # The same call on torch tensors, written into caller-provided outputs.
    out = [torch.empty(spec.shape) for spec in step.outputs]
    step(*[torch.from_numpy(x) for x in inputs], out=out)
    assert all(np.array_equal(o.numpy(), a) for o, a in zip(out, got)), "torch call differs"

    want = block_step.reference(names, inputs)
    worst = max(reference.relative_error(a, b) for a, b in zip(got, want))
    assert worst <= 1e-5, f"AOT vs torch: {worst:.2e}"
    print(f"AOT vs torch: worst relative Frobenius error {worst:.1e}")
print("OK")
