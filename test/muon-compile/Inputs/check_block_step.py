"""Calls the AOT-compiled examples/block_step.mlir through muon_mlir.aot on the
bundled inputs and compares with muon-run on the same inputs (within 1e-6
relative, elementwise max) and, with --torch, with torch.optim.Muon/AdamW and
the numpy QK-clip reference (1e-5 relative Frobenius). Also checks that the
call leaves its inputs untouched and that torch tensors work like arrays."""

import argparse
import glob
import os

import numpy as np
from muon_mlir import aot, reference, runner

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("library")
p.add_argument("--src", required=True, help="repository root")
p.add_argument("--runner", default="muon-run")
p.add_argument("--torch", action="store_true")
args = p.parse_args()

paths = sorted(glob.glob(os.path.join(args.src, "examples", "block_step", "*.npy")))
names = [os.path.basename(path)[3:-4] for path in paths]
inputs = [np.load(path) for path in paths]
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
    from muon_mlir import torch_reference

    # The same call on torch tensors, written into caller-provided outputs.
    out = [torch.empty(spec.shape) for spec in step.outputs]
    step(*[torch.from_numpy(x) for x in inputs], out=out)
    assert all(np.array_equal(o.numpy(), a) for o, a in zip(out, got)), "torch call differs"

    x = dict(zip(names, inputs))
    lr, adam_lr, t = float(x["lr"]), float(x["adam_lr"]), int(x["t"])
    want = {}
    with torch_reference.fp32_newton_schulz():
        for name, rule, nesterov in [("q", "original", True), ("k", "original", True),
                                     ("fc", "match_rms_adamw", True),
                                     ("proj", "original", False)]:
            want[f"w{name}"], want[f"m{name}"] = torch_reference.muon_steps(
                x[f"w{name}"], [x[f"g{name}"]], x[f"m{name}"], [lr], weight_decay=0.1,
                nesterov=nesterov, lr_adjust=rule)
    want["ln"], want["mln"], want["vln"] = torch_reference.adamw_steps(
        x["ln"], [x["gln"]], x["mln"], x["vln"], [adam_lr], t, weight_decay=0.0)
    want["wq"], want["wk"], _, _ = reference.qk_clip(
        want["wq"], want["wk"], x["max_logits"], num_heads=4, head_dim=16, head_axis=1)
    order = ["wq", "mq", "wk", "mk", "wfc", "mfc", "wproj", "mproj", "ln", "mln", "vln"]
    worst = max(reference.relative_error(a, want[n]) for n, a in zip(order, got))
    assert worst <= 1e-5, f"AOT vs torch: {worst:.2e}"
    print(f"AOT vs torch: worst relative Frobenius error {worst:.1e}")
print("OK")
