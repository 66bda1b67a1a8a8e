"""Calls a function of gemm-precision.mlir (argv[1]: `matmul`, or
`mixing`, whose batch of matrices shares one left operand) compiled for the
GPU emulation with --gemm-precision=fp32, tf32 and bf16 (argv[2:5]) on the
same random inputs, and compares
each product with a float64 product of the inputs rounded to that
precision's mantissa (nearest, ties to even: 23, 10 and 7 bits), computed
here with numpy. Also requires the reduced precisions to be measurably
different from the exact product (the rounding took place) and fp32 not."""

import sys

import numpy as np
from muon_mlir import aot

MANTISSA = {"fp32": 23, "tf32": 10, "bf16": 7}


def round_mantissa(x, bits):
    if bits == 23:
        return x.astype(np.float64)
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    drop = 23 - bits
    u = (u + ((1 << (drop - 1)) - 1) + ((u >> drop) & 1)) & ~np.uint64((1 << drop) - 1)
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


def rel(got, want):
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


rng = np.random.default_rng(0)
kind = sys.argv[1]
a = rng.standard_normal((64, 96)).astype(np.float32)
b = rng.standard_normal((96, 48) if kind == "matmul" else (3, 96, 48)).astype(np.float32)
exact = a.astype(np.float64) @ b.astype(np.float64)
for path, name in zip(sys.argv[2:5], ("fp32", "tf32", "bf16")):
    got = aot.load(path)(a, b).astype(np.float64)
    bits = MANTISSA[name]
    want = round_mantissa(a, bits) @ round_mantissa(b, bits)
    err, vs_exact = rel(got, want), rel(got, exact)
    assert err <= 1e-6, (name, err)
    # Rounding to 10 (7) mantissa bits moves a product of 96 terms by
    # ~2^-11 (2^-8) relative: far above fp32's ~1e-7.
    assert (vs_exact > 1e-5) == (name != "fp32"), (name, vs_exact)
    print(f"{name}: rel err vs rounded-input reference {err:.1e} <= 1e-06; "
          f"vs exact {vs_exact:.1e}")
