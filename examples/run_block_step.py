"""The README's main job: run one optimizer step of examples/block_step.mlir
with muon-run on the bundled inputs and compare every result with torch
(torch.optim.Muon with fp32 Newton–Schulz, torch.optim.AdamW) and the numpy
QK-clip reference. Exits non-zero if any result is off by more than 1e-5."""

import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from muon_mlir import reference, runner, torch_reference  # noqa: E402

LIMIT = 1e-5
paths = sorted(glob.glob(os.path.join(ROOT, "examples", "block_step", "*.npy")))
names = [os.path.basename(p)[3:-4] for p in paths]
x = {n: np.load(p) for n, p in zip(names, paths)}
with open(os.path.join(ROOT, "examples", "block_step.mlir")) as f:
    module = f.read()

results = runner.run(module, "step", [x[n] for n in names], 11,
                     runner=os.path.join(ROOT, "build", "bin", "muon-run"))

lr, adam_lr, t = float(x["lr"]), float(x["adam_lr"]), int(x["t"])
want = {}
with torch_reference.fp32_newton_schulz():
    for name, rule, nesterov in [("q", "original", True), ("k", "original", True),
                                 ("fc", "match_rms_adamw", True), ("proj", "original", False)]:
        want[f"w{name}"], want[f"m{name}"] = torch_reference.muon_steps(
            x[f"w{name}"], [x[f"g{name}"]], x[f"m{name}"], [lr], weight_decay=0.1,
            nesterov=nesterov, lr_adjust=rule)
want["ln"], want["mln"], want["vln"] = torch_reference.adamw_steps(
    x["ln"], [x["gln"]], x["mln"], x["vln"], [adam_lr], t, weight_decay=0.0)
want["wq"], want["wk"], _, _ = reference.qk_clip(
    want["wq"], want["wk"], x["max_logits"], num_heads=4, head_dim=16, head_axis=1)

order = ["wq", "mq", "wk", "mk", "wfc", "mfc", "wproj", "mproj", "ln", "mln", "vln"]
print(f"{'result':8} {'shape':>10} {'rel. error vs reference':>24}")
worst = 0.0
for name, got in zip(order, results):
    err = reference.relative_error(got, want[name])
    worst = max(worst, err)
    print(f"{name:8} {'x'.join(map(str, got.shape)):>10} {err:24.2e}")
print(f"worst relative Frobenius error {worst:.2e} (limit {LIMIT:.0e}): "
      f"{'OK' if worst <= LIMIT else 'MISMATCH'}")
sys.exit(0 if worst <= LIMIT else 1)
