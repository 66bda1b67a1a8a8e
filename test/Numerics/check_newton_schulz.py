"""optim.newton_schulz executed by muon-run versus the numpy reference, for
each schedule, orientation, view and compute type."""

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
args = p.parse_args()

custom = args.schedule not in ("quintic", "polar_express")
schedule = ast.literal_eval(args.schedule) if custom else args.schedule
schedule_attr = ("custom [" + ", ".join(f"({a!r}, {b!r}, {c!r})" for a, b, c in schedule) + "]"
                 if custom else schedule)
attrs = {"steps": args.steps, "schedule": f"#optim.ns_schedule<{schedule_attr}>",
         "view": f"#optim.matrix_view<{args.view}>"}
if args.compute == "bf16":
    attrs["compute_type"] = "bf16"

rng = np.random.default_rng(args.seed)
u = rng.standard_normal(args.shape).astype(np.float32)
(o,) = runner.run(ir.newton_schulz_module(args.shape, attrs), "ns", [u], 1, args.runner)
mats, restore = reference.as_matrices(u, args.view)
want = restore(reference.newton_schulz(mats, args.steps, schedule))
testing.check(f"newton_schulz {vars(args)}", {"O": (o, want, args.tol)})
