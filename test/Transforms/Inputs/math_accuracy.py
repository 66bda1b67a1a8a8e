"""Accuracy of muon-approximate-math: erf, exp and tanh over 2^20 f32 inputs
spread over each function's useful range, compiled by muon-run's CPU pipeline
(which approximates them), against numpy in f64. Prints the largest absolute
and relative errors (relative where |f| > 1e-30) and fails above the budget.

  math_accuracy.py MUON_RUN WORK_DIR
"""

import math
import os
import subprocess
import sys

import numpy as np

MUON_RUN, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
N = 1 << 20
# What the CPU parity tests can absorb: 1e-5 relative over whole tensors.
BUDGET = {"erf": 1e-6, "exp": 1e-6, "tanh": 1e-6}
RANGES = {"erf": (-6, 6), "exp": (-87, 88), "tanh": (-10, 10)}
REFERENCE = {"erf": np.vectorize(math.erf), "exp": np.exp, "tanh": np.tanh}

failed = False
for op, (lo, hi) in RANGES.items():
    x = np.linspace(lo, hi, N, dtype=np.float32)
    x[: N // 8] = np.linspace(-1e-3, 1e-3, N // 8, dtype=np.float32)  # near 0
    source = os.path.join(WORK, f"{op}.mlir")
    with open(source, "w") as f:
        f.write(f"""
#map = affine_map<(d0) -> (d0)>
func.func @f(%x: tensor<{N}xf32>) -> tensor<{N}xf32> {{
  %e = tensor.empty() : tensor<{N}xf32>
  %y = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel"]}}
      ins(%x : tensor<{N}xf32>) outs(%e : tensor<{N}xf32>) {{
  ^bb0(%a: f32, %b: f32):
    %r = math.{op} %a : f32
    linalg.yield %r : f32
  }} -> tensor<{N}xf32>
  return %y : tensor<{N}xf32>
}}
""")
    np.save(os.path.join(WORK, f"{op}_x.npy"), x)
    out = os.path.join(WORK, f"{op}_y.npy")
    subprocess.run([MUON_RUN, source, f"--input=@{WORK}/{op}_x.npy", f"--output=@{out}"],
                   check=True)
    got = np.load(out).astype(np.float64)
    ref = REFERENCE[op](x.astype(np.float64))
    abs_err = np.abs(got - ref)
    big = np.abs(ref) > 1e-30
    rel_err = abs_err[big] / np.abs(ref[big])
    ok = rel_err.max() <= BUDGET[op]
    failed |= not ok
    print(f"{op}: max abs err {abs_err.max():.2e}, max rel err {rel_err.max():.2e} "
          f"(budget {BUDGET[op]:.0e}) {'ok' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
