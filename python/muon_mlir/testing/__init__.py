"""What the test suite and benchmarks use, not the user API: module builders
(`ir`), numpy references (`reference`), torch references
(`torch_reference`), whole-step inputs and references (`steps`), the bundled
example (`block_step`), forward-only ONNX models as steps (`forward_step`),
and (here) the shared plumbing of the numeric tests under test/Numerics."""

import argparse
import sys

import numpy as np

from .reference import relative_error


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--runner", default="muon-run", help="path of muon-run")
    p.add_argument("--seed", type=int, default=0)
    return p


def shape(text):
    """'64x128' -> (64, 128); '' -> () for 0-d tensors."""
    return tuple(int(d) for d in text.split("x")) if text else ()


def check(name, pairs):
    """pairs: {label: (got, want, limit)}. Prints one line per tensor and
    exits non-zero if any relative Frobenius error exceeds its limit."""
    ok = True
    for label, (got, want, limit) in pairs.items():
        if np.shape(got) != np.shape(want):
            print(f"FAIL {name}: {label} shape {np.shape(got)} != {np.shape(want)}")
            ok = False
            continue
        err = relative_error(got, want)
        passed = bool(np.isfinite(err)) and err <= limit
        ok &= passed
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {label} rel.err {err:.3e} (limit {limit:.0e})")
    if not ok:
        sys.exit(1)
