"""Calls in-place.mlir compiled three ways on the same random inputs: in
place (results land in w, m, b, bm, bv), with out-params (--in-place=false)
and in place through the GPU-emulation pipeline; compares each with muon-run
(1e-6 relative, elementwise max) and checks the wrapper's refusals."""

import sys

import numpy as np
from muon_mlir import aot, runner

module_path, in_place_lib, copy_lib, emu_lib, muon_run = sys.argv[1:6]
rng = np.random.default_rng(0)
in_place, copy, emu = aot.load(in_place_lib), aot.load(copy_lib), aot.load(emu_lib)
inputs = [rng.standard_normal(s.shape).astype(np.float32) for s in in_place.inputs[:7]]
inputs[6] = np.abs(inputs[6])  # second moment
inputs += [np.asarray(np.float32(0.02)), np.asarray(np.float32(1e-3)), np.asarray(np.int64(3))]
tied = [0, 2, 3, 5, 6]  # w, m, b, bm, bv receive results 0, 2, 3, 4, 5


def relative(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


with open(module_path) as f:
    want = runner.run(f.read(), "step", inputs, 6, muon_run)
outs = copy(*inputs)
results = {}
for name, step in (("in place", in_place), ("gpu-emulation", emu)):
    buffers = [x.copy() for x in inputs]
    norm = step(*buffers)
    results[name] = [buffers[0], norm, buffers[2], buffers[3], buffers[5], buffers[6]]
    assert all(np.array_equal(buffers[i], inputs[i]) for i in (1, 4, 7, 8, 9)), name
worst = max(relative(a, b) for a, b in zip(results["in place"], outs))
print(f"in place = out-params: max relative difference {worst:.1e}")
for name in ("in place", "gpu-emulation"):
    worst = max(relative(a, b) for a, b in zip(results[name], want))
    assert worst <= 1e-6, f"{name}: {worst}"
    print(f"{name} vs muon-run: max relative difference {worst:.1e} <= 1e-06")
print("gradients unchanged")

frozen = [x.copy() for x in inputs]
frozen[0].flags.writeable = False
try:
    in_place(*frozen)
except ValueError as e:
    print("read-only:", e)
aliased = [x.copy() for x in inputs]
aliased[1] = aliased[0]  # g is w's buffer: w's update would change g
try:
    in_place(*aliased)
except ValueError as e:
    print("overlap:", e)
