"""Rounding drift of Gram Newton-Schulz against its restarts, and the FLOP
model that picks it (docs/formulas.md, "Gram Newton-Schulz").

Runs in numpy on the CPU: bf16 storage is emulated by rounding every stored
product to bf16 (nearest even) after an f32 epilogue, as the runtime GEMMs
store them.

    .venv/bin/python bench/gram_restarts.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "python"))
from muon_mlir.testing.reference import POLAR_EXPRESS, QUINTIC  # noqa: E402


def bf16(x):
    u = np.asarray(x, np.float32).copy().view(np.uint32)
    u += 0x7FFF + ((u >> 16) & 1)
    u &= 0xFFFF0000
    return u.view(np.float32)


def f32(x):
    return np.asarray(x, np.float32)


def exact(x):
    return np.asarray(x, np.float64)


def standard(x, tuples, store):
    x = store(x)
    for a, b, c in tuples:
        s = store(x @ x.T)
        x = store(a * x + store(b * s + c * (s @ s)) @ x)
    return x


def gram(x, tuples, restarts, store):
    x = store(x)
    r, q = store(x @ x.T), None
    for i, (a, b, c) in enumerate(tuples):
        if i in restarts:
            x = store(q @ x)
            r, q = store(x @ x.T), None
        z = store(b * r + c * (r @ r))
        if i + 1 < len(tuples) and i + 1 not in restarts:
            w = store(r @ z + a * r)
            r = store(z @ w + a * w)
        q = store(z + a * np.eye(len(z))) if q is None else store(q @ z + a * q)
    return store(q @ x)


def flops(m, n, steps, restarts=None):
    """Executed FLOPs (symmetric products at half) of both algorithms."""
    m, n = min(m, n), max(m, n)
    std = steps * (3 * m * m * n + m**3)
    if restarts is None:
        restarts = list(range(2, steps, 2))
    g = 3 * m * m * n + len(restarts) * 3 * m * m * n
    for i in range(steps):
        start = i == 0 or i in restarts
        end = i + 1 == steps or i + 1 in restarts
        g += m**3 + (0 if start else 2 * m**3) + (0 if end else 4 * m**3)
    return std, g


def main():
    rng = np.random.default_rng(0)
    cases = [((64, 256), 1e3, "quintic", [QUINTIC] * 5), ((64, 256), 1e3, "polar_express", POLAR_EXPRESS),
             ((128, 512), 1e6, "quintic x10", [QUINTIC] * 10)]
    print("max abs error against the f64 standard iteration")
    for (m, n), cond, name, tuples in cases:
        u, _ = np.linalg.qr(rng.standard_normal((m, m)))
        v, _ = np.linalg.qr(rng.standard_normal((n, m)))
        g = (u * np.geomspace(1, 1 / cond, m)) @ v.T
        x0 = (g / (np.linalg.norm(g) + 1e-7)).astype(np.float32)
        want = standard(x0, tuples, exact)
        for label, store in (("f32", f32), ("bf16", bf16)):
            row = [f"standard {np.abs(standard(x0, tuples, store) - want).max():.1e}"]
            for restarts in ([2], list(range(2, len(tuples), 2))):
                with np.errstate(all="ignore"):
                    err = np.abs(gram(x0, tuples, set(restarts), store) - want).max()
                row.append(f"gram {restarts} {err:.1e}")
            print(f"  {name} {m}x{n} cond {cond:g} {label}: " + ", ".join(row))
    print("executed FLOPs, 5 steps, gram with default restarts vs standard")
    for m, n in [(768, 768), (768, 1536), (768, 2304), (768, 3072), (4096, 11008), (4096, 14336)]:
        std, g = flops(m, n, 5)
        print(f"  {m}x{n}: standard {std:.3g}, gram {g:.3g} ({100 * (g / std - 1):+.1f}%)")


if __name__ == "__main__":
    main()
