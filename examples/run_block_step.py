"""The README's main job: run one optimizer step of examples/block_step.mlir
with muon-run on the bundled inputs and compare every result with torch
(torch.optim.Muon with fp32 Newton–Schulz, torch.optim.AdamW) and the numpy
QK-clip reference. Exits non-zero if any result is off by more than 1e-5."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from muon_mlir import runner  # noqa: E402
from muon_mlir.testing import block_step, reference  # noqa: E402

LIMIT = 1e-5
names, inputs = block_step.load_inputs(ROOT)
with open(os.path.join(ROOT, "examples", "block_step.mlir")) as f:
    module = f.read()

results = runner.run(module, "step", inputs, len(block_step.RESULTS),
                     runner=os.path.join(ROOT, "build", "bin", "muon-run"))
want = block_step.reference(names, inputs)

print(f"{'result':8} {'shape':>10} {'rel. error vs reference':>24}")
worst = 0.0
for name, got, expected in zip(block_step.RESULTS, results, want):
    err = reference.relative_error(got, expected)
    worst = max(worst, err)
    print(f"{name:8} {'x'.join(map(str, got.shape)):>10} {err:24.2e}")
print(f"worst relative Frobenius error {worst:.2e} (limit {LIMIT:.0e}): "
      f"{'OK' if worst <= LIMIT else 'MISMATCH'}")
sys.exit(0 if worst <= LIMIT else 1)
