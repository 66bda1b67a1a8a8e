"""optim.qk_clip executed by muon-run versus the numpy reference: per-head
factors, bitwise-unchanged heads under tau, and per-query-head products."""

import sys

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, reference

p = testing.parser(__doc__)
p.add_argument("--num-heads", type=int, required=True)
p.add_argument("--num-kv-heads", type=int, default=None)
p.add_argument("--head-dim", type=int, default=8)
p.add_argument("--rope-head-dim", type=int, default=None)
p.add_argument("--v-head-dim", type=int, default=0)
p.add_argument("--head-axis", type=int, default=0)
p.add_argument("--other-dim", type=int, default=24, help="0 for biases (rank 1)")
p.add_argument("--tau", type=float, default=100.0)
p.add_argument("--alpha", type=float, default=0.5)
args = p.parse_args()

kv = args.num_kv_heads or args.num_heads
q_rows = args.num_heads * (args.head_dim + (args.rope_head_dim or 0))
k_rows = kv * (args.head_dim + args.v_head_dim)


def weight_shape(rows):
    if not args.other_dim:
        return (rows,)
    return (rows, args.other_dim) if args.head_axis == 0 else (args.other_dim, rows)


rng = np.random.default_rng(args.seed)
wq = rng.standard_normal(weight_shape(q_rows)).astype(np.float32)
wk = rng.standard_normal(weight_shape(k_rows)).astype(np.float32)
# Even heads of the first half over tau, the rest under or exactly at it, so
# that GQA groups of the second half stay entirely under tau.
heads = np.arange(args.num_heads)
smax = np.where((heads % 2 == 0) & (heads < args.num_heads // 2),
                args.tau * (1.5 + rng.random(args.num_heads)),
                args.tau * rng.random(args.num_heads)).astype(np.float32)
smax[-1] = args.tau

attrs = {"head_dim": args.head_dim, "head_axis": args.head_axis, "tau": args.tau,
         "alpha": args.alpha}
if args.num_kv_heads:
    attrs["num_kv_heads"] = args.num_kv_heads
if args.rope_head_dim:
    attrs["rope_head_dim"] = args.rope_head_dim
    attrs["v_head_dim"] = args.v_head_dim
module = ir.qk_clip_module(wq.shape, wk.shape, args.num_heads, attrs)
q, k = runner.run(module, "clip", [wq, wk, smax], 2, args.runner)

want_q, want_k, q_scale, k_scale = reference.qk_clip(
    wq, wk, smax, args.num_heads, args.head_dim, args.num_kv_heads, args.head_axis,
    args.tau, args.alpha, args.rope_head_dim, args.v_head_dim)

# Entries whose factor is exactly 1 must come back bit for bit.
axis_q = np.moveaxis(q, args.head_axis, 0)
axis_wq = np.moveaxis(wq, args.head_axis, 0)
axis_k = np.moveaxis(k, args.head_axis, 0)
axis_wk = np.moveaxis(wk, args.head_axis, 0)
if not (np.array_equal(axis_q[q_scale == 1.0], axis_wq[q_scale == 1.0]) and
        np.array_equal(axis_k[k_scale == 1.0], axis_wk[k_scale == 1.0])):
    print("FAIL qk_clip: entries of heads under tau changed")
    sys.exit(1)
print(f"ok   qk_clip: {int((q_scale == 1).sum())} W_q and {int((k_scale == 1).sum())} "
      "W_k rows under tau bitwise unchanged")
testing.check(f"qk_clip {vars(args)}", {"W_q": (q, want_q, 1e-6), "W_k": (k, want_k, 1e-6)})
