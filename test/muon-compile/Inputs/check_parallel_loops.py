"""Runs test/muon-compile/parallel-loops.mlir's step built with threads and
without, compares them bitwise and with numpy (f64)."""
import os
import sys

import numpy as np

from muon_mlir import aot

threaded, serial = (aot.load(path) for path in sys.argv[1:3])
rng = np.random.default_rng(0)
x = rng.standard_normal((512, 256)).astype(np.float32)
s = rng.standard_normal((256, 256)).astype(np.float32)
small = rng.standard_normal((8, 8)).astype(np.float32)
got, want = threaded(x, s, small), serial(x, s, small)
for a, b in zip(got, want):
    assert np.array_equal(a, b), "threaded and serial builds differ"
x64, s64 = x.astype(np.float64), s.astype(np.float64)
reference = (0.5 * x64 * (1 + np.tanh(x64)),
             np.exp(s64 - s64.max(axis=1, keepdims=True)).sum(axis=1),
             2 * small.astype(np.float64))
for a, r in zip(got, reference):
    np.testing.assert_allclose(a, r, rtol=1e-6, atol=1e-6)
threads = os.environ.get("OMP_NUM_THREADS", "?")
print(f"OMP_NUM_THREADS={threads}: equal to the serial build bit for bit; within 1e-6 "
      "of numpy")
