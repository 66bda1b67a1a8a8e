"""Calls unsigned-integers.mlir's @unsigned (a // b on uint8, c + 1 on
uint64, wrapping) through muon_mlir.aot with numpy and torch tensors; prints
one line each."""

import sys

import numpy as np
import torch
from muon_mlir import aot

f = aot.load(sys.argv[1])
a = np.array([255, 200, 7], np.uint8)
b = np.array([2, 100, 7], np.uint8)
c = np.array([2**64 - 1, 2**63], np.uint64)
q, s = f(a, b, c)
assert q.dtype == np.uint8 and s.dtype == np.uint64
assert (q == a // b).all() and (s == c + np.uint64(1)).all()
print("numpy", q.tolist(), s.tolist())
tq, ts = f(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c))
assert (tq.numpy() == q).all() and (ts.view(torch.int64).numpy().view(np.uint64) == s).all()
print("torch", tq.dtype)
try:
    f(a.view(np.int8), b, c)
    print("dtype NOT rejected")
except (TypeError, ValueError) as error:
    print(f"dtype: {error}")
