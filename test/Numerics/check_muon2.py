"""optim.muon2 (full and factored) executed by muon-run versus the numpy
reference written from the Muon² formulas."""

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, reference

p = testing.parser(__doc__)
p.add_argument("--shape", type=testing.shape, required=True)
p.add_argument("--factored", type=int, default=0)
p.add_argument("--view", default="flatten")
p.add_argument("--nesterov", type=int, default=1)
p.add_argument("--ns-steps", type=int, default=3)
p.add_argument("--schedule", default="quintic")
p.add_argument("--weight-decay", type=float, default=0.0)
p.add_argument("--steps", type=int, default=2)
args = p.parse_args()

rng = np.random.default_rng(args.seed)
w0 = rng.standard_normal(args.shape).astype(np.float32)
m0 = 0.1 * rng.standard_normal(args.shape).astype(np.float32)
if args.factored:
    mats, _ = reference.as_matrices(w0, args.view)
    batch = list(args.shape[:-2]) if args.view == "batch" else []
    rows, cols = mats.shape[1:]
    moment_shapes = [tuple(batch + [rows, 1]), tuple(batch + [1, cols])]
else:
    moment_shapes = [args.shape]
moments0 = [0.01 * rng.random(s).astype(np.float32) for s in moment_shapes]
grads = [rng.standard_normal(args.shape).astype(np.float32) for _ in range(args.steps)]
lrs = [0.02] * args.steps

attrs = {"nesterov": bool(args.nesterov), "ns_steps": args.ns_steps,
         "weight_decay": args.weight_decay,
         "schedule": f"#optim.ns_schedule<{args.schedule}>",
         "view": f"#optim.matrix_view<{args.view}>"}
module = ir.muon2_module(args.shape, moment_shapes, attrs)

state = [w0, m0] + moments0
ref = [w0, m0] + moments0
for g, lr in zip(grads, lrs):
    state = runner.run(module, "step", [state[0], g, state[1], *state[2:], np.float32(lr)],
                       2 + len(moment_shapes), args.runner)
    ref = reference.muon2_step(ref[0], g, ref[1], ref[2:], lr, nesterov=bool(args.nesterov),
                               weight_decay=args.weight_decay, ns_steps=args.ns_steps,
                               schedule=args.schedule, view=args.view)

pairs = {"W": (state[0], ref[0], 1e-5), "M": (state[1], ref[1], 1e-5),
         "W'-W": (state[0] - w0, ref[0] - w0, 1e-4)}
for i, (got, want) in enumerate(zip(state[2:], ref[2:])):
    pairs[f"V{i}"] = (got, want, 1e-5)
testing.check(f"muon2 {vars(args)}", pairs)
