"""optim.newton_schulz executed by muon-run versus the numpy reference, for
each schedule, orientation, view, compute type and algorithm (the standard
iteration's reference: Gram Newton–Schulz computes the same iterate)."""

import ast

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, reference

p = testing.parser(__doc__)
p.add_argument("--shape", type=testing.shape, required=True)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--schedule", default="quintic",
               help="quintic, polar_express, or a python list of (a, b, c)")
p.add_argument("--view", default="flatten")
p.add_argument("--compute", default="f32", choices=["f32", "bf16"])
p.add_argument("--tol", type=float, default=1e-5)
p.add_argument("--algorithm", choices=["auto", "standard", "gram"], default="auto")
p.add_argument("--restarts", help="comma-separated steps the Gram iteration restarts before")
p.add_argument("--expect-algorithm", choices=["standard", "gram"],
               help="the result must equal, bitwise, that of this explicit algorithm "
                    "(checks the choice of `auto`)")
args = p.parse_args()

custom = args.schedule not in ("quintic", "polar_express")
schedule = ast.literal_eval(args.schedule) if custom else args.schedule
schedule_attr = ("custom [" + ", ".join(f"({a!r}, {b!r}, {c!r})" for a, b, c in schedule) + "]"
                 if custom else schedule)


def run(algorithm):
    how = "" if algorithm == "auto" else f", {algorithm}"
    if args.restarts is not None and algorithm == "gram":
        how += f" restarts [{args.restarts}]"
    attrs = {"steps": args.steps, "schedule": f"#optim.ns_schedule<{schedule_attr}{how}>",
             "view": f"#optim.matrix_view<{args.view}>"}
    if args.compute == "bf16":
        attrs["compute_type"] = "bf16"
    return runner.run(ir.newton_schulz_module(args.shape, attrs), "ns", [u], 1, args.runner)[0]


rng = np.random.default_rng(args.seed)
u = rng.standard_normal(args.shape).astype(np.float32)
o = run(args.algorithm)
mats, restore = reference.as_matrices(u, args.view)
want = restore(reference.newton_schulz(mats, args.steps, schedule))
testing.check(f"newton_schulz {vars(args)}", {"O": (o, want, args.tol)})
if args.expect_algorithm and not np.array_equal(o, run(args.expect_algorithm)):
    raise SystemExit(f"FAIL: {args.algorithm} did not run {args.expect_algorithm}")
