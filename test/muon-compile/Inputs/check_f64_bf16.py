"""Calls the compiled f64-bf16-rounding.mlir (f64 -> bf16 -> f64, and a
bf16 input widened to f64) through muon_mlir.aot and compares with
correctly rounded bf16 values computed here in f64 (round to nearest even
at the value's bf16 quantum, subnormals and overflow included): bitwise.
The cases include ties and the values that rounding twice to nearest (f64
to f32 to bf16) gets wrong."""

import sys

import numpy as np
from muon_mlir import aot

BF16_MAX = float.fromhex("0x1.fep127")


def bf16_round(x):
    """Round to nearest even at bf16's quantum (8 significand bits, the
    exponent range of f32, subnormal quantum 2^-133)."""
    out = np.empty_like(x)
    for i, v in enumerate(x):
        if not np.isfinite(v) or v == 0:
            out[i] = v
            continue
        exponent = max(np.frexp(v)[1], -125)  # v = m * 2^e, 0.5 <= |m| < 1
        quantum = np.ldexp(1.0, int(exponent) - 8)
        r = np.round(v / quantum) * quantum  # numpy rounds half to even
        out[i] = np.copysign(np.inf, v) if abs(r) > BF16_MAX else r
    return out


step = aot.load(sys.argv[1])
tricky = [1 + 2**-8 + 2**-30, 1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8 + 2**-40),
          1 + 2**-8 - 2**-40, float.fromhex("0x1.ff7fffffp127"), float.fromhex("0x1.ff8p127"),
          1e300, -1e300, 2.0**-133, 2.0**-134, 3 * 2.0**-135, 2.0**-140, 1e-50, -0.0,
          0.0, np.inf, -np.inf, 2.0**-126 * (1 + 2**-8 + 2**-33)]
rng = np.random.default_rng(0)
random = rng.standard_normal(200) * np.exp2(rng.integers(-140, 128, 200))
x = np.concatenate([tricky, random, [np.nan]]).astype(np.float64)
n = step.inputs[0].shape[0]
x = np.resize(x, n)
x[-1] = np.nan
got, widened = step(x, x.astype(np.float32))
want = bf16_round(x)
same = (got == want) | (np.isnan(got) & np.isnan(want))
bad = [(float(a), float(b), float(c)) for a, b, c in zip(x[~same], got[~same], want[~same])]
print(f"f64 -> bf16: {int(same.sum())} of {n} correctly rounded; first wrong: {bad[:3]}")
# bf16 -> f64 is exact: the f32 input rounded to bf16 in numpy's way is what
# the widening must give back (the module rounds the f32 input to bf16 first).
want_widened = bf16_round(x.astype(np.float32).astype(np.float64))
same_w = (widened == want_widened) | (np.isnan(widened) & np.isnan(want_widened))
print(f"f32 -> bf16 -> f64: {int(same_w.sum())} of {n} exact")
