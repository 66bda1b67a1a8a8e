"""Row sums of 1024 x 256 normal f32 values compiled for the CPU (the
reduction vectorized with reassociated partial sums) against numpy in f64
and against the sequential f32 order, relative to sum |x| of each row."""
import sys

import numpy as np

from muon_mlir import aot

row_sum = aot.load(sys.argv[1])
x = np.random.default_rng(0).standard_normal((1024, 256)).astype(np.float32)
got = row_sum(x)
exact = x.astype(np.float64).sum(axis=1)
scale = np.abs(x.astype(np.float64)).sum(axis=1)
sequential = np.cumsum(x, axis=1, dtype=np.float32)[:, -1]
compiled_error = np.max(np.abs(got - exact) / scale)
sequential_error = np.max(np.abs(sequential - exact) / scale)
assert compiled_error <= 1e-7, compiled_error
assert compiled_error <= sequential_error, (compiled_error, sequential_error)
print(f"compiled {compiled_error:.1e} <= sequential {sequential_error:.1e} <= 1e-7 of sum|x|")
