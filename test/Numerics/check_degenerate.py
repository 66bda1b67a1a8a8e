"""Degenerate and hostile inputs executed by muon-run, against the behaviour
docs/numerics.md defines for each (one case per --case)."""

import sys

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, reference

p = testing.parser(__doc__)
p.add_argument("--case", required=True, choices=[
    "zero-gradient", "nonfinite-muon", "nonfinite-adamw", "zero-lr", "step-zero",
    "empty-adamw", "huge-gradient"])
p.add_argument("--shape", type=testing.shape, default=(24, 40))
p.add_argument("--compute", default="f32", choices=["f32", "bf16"])
args = p.parse_args()

rng = np.random.default_rng(args.seed)
shape = args.shape
f32 = np.float32


def randn(*shape_):
    return rng.standard_normal(shape_ or shape).astype(f32)


def run(module, function, inputs, num_results):
    return runner.run(module, function, inputs, num_results, args.runner)


failures = []


def expect(label, condition):
    print(f"{'ok  ' if condition else 'FAIL'} {args.case}: {label}")
    if not condition:
        failures.append(label)


def expect_bitwise(label, got, want):
    expect(f"{label} bitwise equal", np.array_equal(got, want, equal_nan=True) and
           got.dtype == want.dtype)


def expect_nan_where(label, got, mask, want, tol):
    """NaN exactly where `mask` is set; elsewhere finite and close to `want`."""
    expect(f"{label} NaN exactly at the {int(mask.sum())} poisoned entries",
           np.array_equal(np.isnan(got), mask))
    finite = ~mask
    expect(f"{label} finite elsewhere", bool(np.isfinite(got[finite]).all()))
    err = reference.relative_error(got[finite], want[finite])
    expect(f"{label} elsewhere rel.err {err:.2e} <= {tol:.0e}", err <= tol)


compute = {"compute_type": "bf16"} if args.compute == "bf16" else {}
adamw_attrs = {"weight_decay": 0.1}


def adamw_reference(w, g, m, v, lr, t, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.1):
    w, g, m, v = (x.astype(np.float64) for x in (w, g, m, v))
    with np.errstate(invalid="ignore", over="ignore"):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w * (1 - lr * wd) - lr * (m / (1 - beta1**t)) / (
            np.sqrt(v / (1 - beta2**t)) + eps)
    return w, m, v


if args.case == "zero-gradient":
    # NS(0) = 0 (the norm's eps keeps 0/0 out): W' = W·(1 − lr·wd), M' = 0.
    w, zero, lr = randn(), np.zeros(shape, f32), f32(0.02)
    for schedule in ["quintic", "polar_express"]:
        attrs = dict(compute, weight_decay=0.1,
                     schedule=f"#optim.ns_schedule<{schedule}>")
        w1, m1 = run(ir.muon_module(shape, attrs), "step", [w, zero, zero, lr], 2)
        decay = f32(1 - np.float64(lr) * 0.1)
        expect_bitwise(f"muon {schedule} W' = W·(1 − lr·wd)", w1, w * decay)
        expect_bitwise(f"muon {schedule} M' = 0", m1, zero)
        o, = run(ir.newton_schulz_module(shape, attrs={**compute,
                 "schedule": f"#optim.ns_schedule<{schedule}>"}), "ns", [zero], 1)
        expect_bitwise(f"newton_schulz {schedule} of 0 = 0", o, zero)
    # Muon²: V = 0 as well, P = 0 / (0 + ε) = 0.
    w1, m1, v1 = run(ir.muon2_module(shape, [shape], compute), "step",
                     [w, zero, zero, zero, lr], 3)
    expect_bitwise("muon2 W' = W", w1, w)
    expect_bitwise("muon2 V' = 0", v1, zero)

elif args.case == "nonfinite-muon":
    # A NaN or ±Inf anywhere in G poisons NS(U) (‖U‖ is NaN/Inf), so the whole
    # updated parameter is NaN; the momentum is element-wise, poisoned only
    # where G was.
    for bad in [np.nan, np.inf, -np.inf]:
        w, g, m, lr = randn(), randn(), randn(), f32(0.02)
        mask = np.zeros(shape, bool)
        mask[1, 2] = mask[-1, -1] = True
        g[mask] = bad
        w1, m1 = run(ir.muon_module(shape, compute), "step", [w, g, m, lr], 2)
        expect(f"muon G={bad}: W' all NaN", bool(np.isnan(w1).all()))
        m_ref = 0.95 * m.astype(np.float64) + 0.05 * g
        expect(f"muon G={bad}: M' is {bad} at the poisoned entries",
               np.array_equal(m1[mask], m_ref[mask].astype(f32), equal_nan=True))
        expect(f"muon G={bad}: M' finite and exact-ish elsewhere",
               reference.relative_error(m1[~mask], m_ref[~mask]) <= 1e-6)

elif args.case == "nonfinite-adamw":
    # AdamW is element-wise: NaN and ±Inf gradients give NaN parameters
    # (Inf / Inf in M/√V) exactly where they are; the rest updates normally.
    for bad in [np.nan, np.inf, -np.inf]:
        w, g = randn(), randn()
        m, v = 0.1 * randn(), 0.01 * np.abs(randn())
        mask = np.zeros(shape, bool)
        mask[0, 0] = mask[3, 5] = True
        g[mask] = bad
        lr, t = f32(1e-3), np.int64(4)
        w1, m1, v1 = run(ir.adamw_module(shape, adamw_attrs), "step",
                         [w, g, m, v, lr, t], 3)
        w_ref, m_ref, v_ref = adamw_reference(w, g, m, v, float(lr), 4)
        expect_nan_where(f"adamw G={bad} W'", w1, mask, w_ref, 1e-6)
        expect(f"adamw G={bad} M', V' carry {bad} / +inf there",
               np.array_equal(m1[mask], m_ref[mask].astype(f32), equal_nan=True)
               and np.array_equal(v1[mask], v_ref[mask].astype(f32), equal_nan=True))

elif args.case == "zero-lr":
    # lr = 0: the parameter is unchanged bitwise (W·(1 − 0·wd) − 0·update);
    # the optimizer state still moves.
    w, g, m, v, lr = randn(), randn(), randn(), np.abs(randn()), f32(0)
    w1, m1 = run(ir.muon_module(shape, dict(compute, weight_decay=0.1)), "step",
                 [w, g, m, lr], 2)
    expect_bitwise("muon W' = W", w1, w)
    expect("muon M' moved", not np.array_equal(m1, m))
    w1, m1, v1 = run(ir.adamw_module(shape, adamw_attrs), "step",
                     [w, g, m, v, lr, np.int64(3)], 3)
    expect_bitwise("adamw W' = W", w1, w)
    _, m_ref, v_ref = adamw_reference(w, g, m, v, 0.0, 3)
    expect("adamw M', V' updated", reference.relative_error(m1, m_ref) <= 1e-6
           and reference.relative_error(v1, v_ref) <= 1e-6)

elif args.case == "step-zero":
    # t < 1 (t = 0 would divide by 1 − β⁰ = 0) is taken as t = 1, for integer
    # and float steps.
    w, g, m, v, lr = randn(), randn(), np.zeros(shape, f32), np.zeros(shape, f32), f32(1e-3)
    for step_type, dtype in [("i64", np.int64), ("i32", np.int32), ("f32", f32)]:
        module = ir.adamw_module(shape, adamw_attrs, step_type=step_type)
        first = run(module, "step", [w, g, m, v, lr, dtype(1)], 3)
        w_ref, _, _ = adamw_reference(w, g, m, v, float(lr), 1)
        expect(f"adamw {step_type} t=1 matches the reference",
               reference.relative_error(first[0], w_ref) <= 1e-6)
        for t in [0, -3] if step_type != "f32" else [0, 0.5, -1]:
            got = run(module, "step", [w, g, m, v, lr, dtype(t)], 3)
            for name, a, b in zip(["W'", "M'", "V'"], got, first):
                expect_bitwise(f"adamw {step_type} t={t}: {name} as at t=1", a, b)

elif args.case == "empty-adamw":
    # A 0-element parameter is a no-op with 0-element results.
    empty = np.zeros((0,), f32)
    results = run(ir.adamw_module((0,), adamw_attrs), "step",
                  [empty, empty, empty, empty, f32(1e-3), np.int64(1)], 3)
    expect("adamw on tensor<0xf32> gives three empty results",
           all(r.shape == (0,) and r.dtype == f32 for r in results))

elif args.case == "huge-gradient":
    # NS is scale-invariant away from eps: finite gradients near f32's range
    # (‖G‖² ≈ 1e43 overflows f32, not the f64 norm) give the update of G.
    # With a bf16 NS the GPU kernels round U to bf16 before its norm (as
    # torch.optim.Muon does), and G·scale rounds differently from G: the
    # bf16 budget then (an overflow would give an update of 0, error 1).
    limit = 1e-5 if args.compute == "f32" else 3e-2
    w, g, zero, lr = randn(), randn(), np.zeros(shape, f32), f32(0.02)
    module = ir.muon_module(shape, compute)
    w_ref, _ = run(module, "step", [w, g, zero, lr], 2)
    for scale in [1e20, 1e30]:
        w1, _ = run(module, "step", [w, g * f32(scale), zero, lr], 2)
        err = reference.relative_error(w1 - w, w_ref - w)
        expect(f"muon G·{scale:g}: update rel.err {err:.2e} <= {limit:.0e} vs G",
               err <= limit)

if failures:
    sys.exit(1)
