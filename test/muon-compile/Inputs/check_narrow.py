"""Calls narrow-integers.mlir's @narrow (-a on i8, 2b on i16, wrapping)
through muon_mlir.aot with numpy and torch tensors; prints one line each."""

import sys

import numpy as np
import torch
from muon_mlir import aot

f = aot.load(sys.argv[1])
a = np.array([-128, 127, 5], np.int8)
b = np.array([-32768, 300], np.int16)
r0, r1 = f(a, b)
assert (r0 == -a).all() and (r1 == 2 * b).all()
print("numpy", r0.tolist(), r1.tolist())
t0, t1 = f(torch.from_numpy(a), torch.from_numpy(b))
assert (t0.numpy() == r0).all() and (t1.numpy() == r1).all()
print("torch", t0.dtype, t1.dtype)
try:
    f(b.astype(np.int16)[:1].repeat(3), b)
    print("dtype NOT rejected")
except (TypeError, ValueError) as error:
    print(f"dtype: {error}")
