"""An AdamWOptimizer node without attributes takes ONNX Runtime's schema
defaults: imported by muon-translate and run by muon-run (CPU pipeline, and
the GPU program emulated on CPU) against ONNX Runtime's own kernel on the
same node and inputs (relative Frobenius error of each output <= 1e-6)."""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model  # noqa: E402
from muon_mlir import runner  # noqa: E402

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--translate", default="muon-translate")
p.add_argument("--runner", default="muon-run")
args = p.parse_args()

SHAPES = [(4, 8), (8,)]
spec = ",".join("x".join(map(str, s)) + "xf32" for s in SHAPES)
model = make_model.ort_adamw()
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.onnx")
    make_model.onnx.save(model, path)
    imported = subprocess.run(
        [args.translate, "--import-onnx", path]
        + [f"--onnx-sequence={name}={spec}" for name in ("params", "grads", "m1", "m2")],
        capture_output=True, text=True, check=True).stdout

rng = np.random.default_rng(0)
params, grads, m1 = ([rng.standard_normal(s).astype(np.float32) for s in SHAPES]
                     for _ in range(3))
m2 = [np.abs(rng.standard_normal(s)).astype(np.float32) for s in SHAPES]
lr, step = np.float32(1e-1), np.int64(3)

# ONNX Runtime 1.19 reads IR version 10 at most.
model.ir_version = 9
session = ort.InferenceSession(model.SerializeToString(),
                               providers=["CPUExecutionProvider"])
# Copies: the kernel updates its sequence inputs in place.
feeds = {"lr": np.array(lr), "step": np.array(step), "params": params,
         "grads": grads, "m1": m1, "m2": m2}
_, *want = session.run(None, {name: [t.copy() for t in value] if isinstance(value, list)
                              else value for name, value in feeds.items()})
want = [t for seq in want for t in seq]

for pipeline in ("cpu", "gpu-emulation"):
    got = runner.run(imported, "g", [lr, step] + params + grads + m1 + m2,
                     1 + 3 * len(SHAPES), f"{args.runner} --pipeline={pipeline}")[1:]
    err = max(np.linalg.norm(g - w) / np.linalg.norm(w) for g, w in zip(got, want))
    print(f"{pipeline}: defaults {'match' if err <= 1e-6 else 'DIFFER from'} "
          f"ONNX Runtime's kernel (max relative error {err:.1e})")
