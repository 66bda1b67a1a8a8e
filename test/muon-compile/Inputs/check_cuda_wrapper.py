"""Exercises muon_mlir.aot's argument checks for a --target=cuda library
where no GPU may be: every case must be rejected before the library (which
needs the GPU driver) is loaded; prints one line per case."""

import sys

import numpy as np
import torch
from muon_mlir import aot

f = aot.load(sys.argv[1])
print("repr", f)
x = torch.ones(300, 70)
cases = {
    "count": lambda: f(x),
    "numpy": lambda: f(np.ones((300, 70), np.float32), x, x),
    "cpu-tensor": lambda: f(x, x, torch.tensor(1.0)),
    "out-count": lambda: f(x, x, x, out=()),
}
for name, call in cases.items():
    try:
        call()
        print(name, "NOT rejected")
    except (TypeError, ValueError) as error:
        print(f"{name}: {error}")
