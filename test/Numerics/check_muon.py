"""optim.muon executed by muon-run versus torch.optim.Muon over several steps."""

import contextlib

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, torch_reference

p = testing.parser(__doc__)
p.add_argument("--shape", type=testing.shape, required=True)
p.add_argument("--nesterov", type=int, default=1)
p.add_argument("--momentum", type=float, default=0.95)
p.add_argument("--weight-decay", type=float, default=0.0)
p.add_argument("--lr-adjust", default="original")
p.add_argument("--ns-steps", type=int, default=5)
p.add_argument("--view", default="flatten")
p.add_argument("--compute", default="f32", choices=["f32", "bf16"])
p.add_argument("--steps", type=int, default=2)
p.add_argument("--tol", type=float, default=1e-5, help="limit on W and M")
p.add_argument("--update-tol", type=float, default=1e-4, help="limit on W' - W")
args = p.parse_args()

rng = np.random.default_rng(args.seed)
w0 = rng.standard_normal(args.shape).astype(np.float32)
m0 = 0.1 * rng.standard_normal(args.shape).astype(np.float32)
grads = [rng.standard_normal(args.shape).astype(np.float32) for _ in range(args.steps)]
lrs = [0.02 * 0.5**i for i in range(args.steps)]

attrs = {"momentum": args.momentum, "nesterov": bool(args.nesterov),
         "weight_decay": args.weight_decay, "ns_steps": args.ns_steps,
         "lr_adjust": f"#optim.lr_adjust<{args.lr_adjust}>",
         "view": f"#optim.matrix_view<{args.view}>"}
if args.compute == "bf16":
    attrs["compute_type"] = "bf16"
module = ir.muon_module(args.shape, attrs)

w, m = w0, m0
for g, lr in zip(grads, lrs):
    w, m = runner.run(module, "step", [w, g, m, np.float32(lr)], 2, args.runner)

# fp32 runs compare with torch's algorithm in fp32; bf16 runs with torch as is.
patch = torch_reference.fp32_newton_schulz() if args.compute == "f32" else contextlib.nullcontext()
with patch:
    w_ref, m_ref = torch_reference.muon_steps(
        w0, grads, m0, lrs, args.momentum, bool(args.nesterov), args.weight_decay,
        args.ns_steps, args.lr_adjust, args.view)

name = f"muon {args.shape} {vars(args)}"
testing.check(name, {"W": (w, w_ref, args.tol), "M": (m, m_ref, args.tol),
                     "W'-W": (w - w0, w_ref - w0, args.update_tol)})
