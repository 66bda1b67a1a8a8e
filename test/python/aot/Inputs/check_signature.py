"""A library carries its own JSON description (muon_<fn>_signature), the
same text muon-compile writes beside it; aot.load refuses a description
that is not the library's (another compile's, another function's) with the
first difference, instead of calling the code with the wrong buffers. A
hand-written description without the optional keys is accepted."""

import ctypes
import json
import os
import subprocess
import sys

import numpy as np

from muon_mlir import aot

compiler, work = sys.argv[1:3]


def build(name, size, function="step"):
    """w <- 2 * w (in place) over `size` elements; returns the library."""
    source = os.path.join(work, f"{name}.mlir")
    with open(source, "w") as f:
        f.write(f"""
func.func @{function}(%w: tensor<{size}xf32> {{optim.aliasing_output = 0 : i64}})
    -> tensor<{size}xf32> {{
  %e = tensor.empty() : tensor<{size}xf32>
  %w1 = linalg.add ins(%w, %w : tensor<{size}xf32>, tensor<{size}xf32>) outs(%e : tensor<{size}xf32>) -> tensor<{size}xf32>
  return %w1 : tensor<{size}xf32>
}}
""")
    library = os.path.join(work, f"lib{name}.so")
    subprocess.run([compiler, source, "-o", library], check=True)
    return library


small, large, other = build("small", 4), build("large", 4096), build("other", 4, "update")
with open(small + ".json") as f:
    sidecar = f.read()
own = ctypes.string_at(ctypes.addressof(
    ctypes.c_char.in_dll(ctypes.CDLL(small), "muon_step_signature"))).decode()
print(f"embedded description: {'the sidecar' if own == sidecar else 'DIFFERS: ' + own}")

w = np.ones(4, np.float32)
for what, library, signature in (("another compile's", small, large + ".json"),
                                  ("another function's", other, small + ".json")):
    step = aot.load(library, signature)
    try:
        step(np.ones(step.inputs[0].shape, np.float32))
        print(f"{what} description: no error")
    except ValueError as e:
        print(f"{what} description: ValueError: {e}")

minimal = json.loads(sidecar)
del minimal["packed_entry_point"], minimal["ciface"]
aot.load(small, minimal)(w)
print(f"hand-written description: w = {w.tolist()}")
