"""Calls read-only-inputs.mlir's compiled @f on [5, 6, 7, 8] and prints the
input after the call and the output."""

import sys

import numpy as np
from muon_mlir import aot

x = np.array([5, 6, 7, 8], np.float32)
y = aot.load(sys.argv[1])(x)
print("input", x)
print("output", y)
