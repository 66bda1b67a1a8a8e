"""Exercises muon_mlir.aot's argument checks on python-wrapper.mlir's @axpy
(y = a * x on a 2x3 f32 tensor); prints one line per case."""

import sys

import numpy as np
from muon_mlir import aot

f = aot.load(sys.argv[1])
print("repr", f)
x, a = np.ones((2, 3), np.float32), np.array(2, np.float32)
print("numpy", f(x, a).ravel())

cases = {
    "count": lambda: f(x),
    "dtype": lambda: f(x.astype(np.float64), a),
    "shape": lambda: f(np.ones((3, 2), np.float32), a),
    "contiguity": lambda: f(np.ones((3, 2), np.float32).T, a),
    "read-only": lambda: f(x, a, out=[np.broadcast_to(np.float32(0), (2, 3))]),
}
for name, call in cases.items():
    try:
        call()
        print(name, "NOT rejected")
    except (TypeError, ValueError) as error:
        print(f"{name}: {error}")

out = np.zeros((2, 3), np.float32)
f(x, np.array(4, np.float32), out=[out])
print("out=", out.ravel())
