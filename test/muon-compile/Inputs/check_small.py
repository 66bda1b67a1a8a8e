"""Calls the compiled small.mlir through muon_mlir.aot on random inputs and
compares with muon-run on the same inputs (1e-6 relative, elementwise max);
the inputs must be unchanged by the call."""

import argparse

import numpy as np
from muon_mlir import aot, runner

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("module")
p.add_argument("library")
p.add_argument("--runner", default="muon-run")
args = p.parse_args()

rng = np.random.default_rng(0)
step = aot.load(args.library)
inputs = [rng.standard_normal(s.shape).astype(np.float32) for s in step.inputs[:7]]
inputs[6] = np.abs(inputs[6])  # the second moment is non-negative
inputs += [np.float32(0.02).reshape(()), np.int32(3).reshape(())]
inputs = [np.asarray(x) for x in inputs]
saved = [x.copy() for x in inputs]

got = step(*inputs)
with open(args.module) as f:
    jit = runner.run(f.read(), "small", inputs, len(got), args.runner)
worst = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(got, jit))
assert worst <= 1e-6, f"AOT and muon-run differ by {worst:.2e}"
print(f"AOT vs muon-run: worst max-abs relative difference {worst:.1e}")
assert all(np.array_equal(x, s) for x, s in zip(inputs, saved)), "inputs modified"
print("inputs unchanged")
