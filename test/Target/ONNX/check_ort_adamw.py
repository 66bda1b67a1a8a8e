"""ONNX Runtime's AdamWOptimizer, imported by muon-translate and run by
muon-run (CPU pipeline, and the GPU program emulated on CPU):
- without attributes it takes ORT's schema defaults: against ORT's own kernel
  on the same node and inputs, relative Frobenius error of each output
  <= 1e-6;
- with update_signal true every output equals the signal-less node's, bit for
  bit; with it false the flag is false and every parameter and moment comes
  back as it went in."""

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
SEQUENCES = ("params", "grads", "m1", "m2")
flags = [f"--onnx-sequence={name}={spec}" for name in SEQUENCES]


def imported(onnx_model):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        make_model.onnx.save(onnx_model, path)
        return subprocess.run([args.translate, "--import-onnx", path, *flags],
                              capture_output=True, text=True, check=True).stdout


rng = np.random.default_rng(0)
tensors = [rng.standard_normal(s).astype(np.float32) for _ in range(3) for s in SHAPES]
tensors += [np.abs(rng.standard_normal(s)).astype(np.float32) for s in SHAPES]
inputs = [np.float32(1e-2), np.int64(3)] + tensors
num_results = 1 + 3 * len(SHAPES)
with_signal, plain = imported(make_model.ort_adamw_signal()), imported(make_model.ort_adamw())


def run_ort(model, feeds):
    """ORT's outputs after the flag, sequences flattened."""
    model.ir_version = 9  # ONNX Runtime 1.19 reads IR version 10 at most.
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    _, *outputs = session.run(None, feeds)
    return [t for sequence in outputs for t in sequence]


# Copies: the kernel updates its sequence inputs in place.
n = len(SHAPES)
feeds = {name: [t.copy() for t in tensors[i * n:(i + 1) * n]]
         for i, name in enumerate(SEQUENCES)}
feeds.update(lr=np.array(inputs[0]), step=np.array(inputs[1]))
want_ort = run_ort(make_model.ort_adamw(), feeds)

for pipeline in ("cpu", "gpu-emulation"):
    run = f"{args.runner} --pipeline={pipeline}"
    want = runner.run(plain, "g", inputs, num_results, run)
    err = max(np.linalg.norm(g - w) / np.linalg.norm(w)
              for g, w in zip(want[1:], want_ort))
    print(f"{pipeline}: defaults {'match' if err <= 1e-6 else 'DIFFER from'} "
          f"ONNX Runtime's kernel (max relative error {err:.1e})")
    got = runner.run(with_signal, "g", inputs + [np.bool_(True)], num_results, run)
    same = all(np.array_equal(a, b) for a, b in zip(got, want))
    print(f"{pipeline}: signal true: flag {bool(got[0])}, "
          f"{'identical to' if same else 'DIFFERENT from'} the update without a signal")
    got = runner.run(with_signal, "g", inputs + [np.bool_(False)], num_results, run)
    # Outputs: flag, params', m1', m2'; inputs: lr, step, params, grads, m1, m2.
    kept = inputs[2:2 + n] + inputs[2 + 2 * n:2 + 4 * n]
    same = all(np.array_equal(a, b) for a, b in zip(got[1:], kept))
    print(f"{pipeline}: signal false: flag {bool(got[0])}, parameters and moments "
          f"{'unchanged' if same else 'CHANGED'}")
