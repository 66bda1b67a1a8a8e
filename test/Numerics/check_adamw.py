"""optim.adamw executed by muon-run versus torch.optim.AdamW over several
steps; the Hugging Face variant and updates without bias correction versus
the float64 formulas of ONNX Runtime's AdamWOptimizer (reference.adamw_step)."""

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import ir, reference, torch_reference

p = testing.parser(__doc__)
p.add_argument("--shape", type=testing.shape, default=())
p.add_argument("--start-step", type=int, default=1, help="t of the first step")
p.add_argument("--step-type", default="i64", choices=["i64", "i32", "f32"])
p.add_argument("--beta1", type=float, default=0.9)
p.add_argument("--beta2", type=float, default=0.999)
p.add_argument("--eps", type=float, default=1e-8)
p.add_argument("--weight-decay", type=float, default=0.01)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--variant", default="torch", choices=["torch", "huggingface"])
p.add_argument("--no-bias-correction", action="store_true")
p.add_argument("--lr", type=float, default=1e-3, help="lr of the first step")
args = p.parse_args()

rng = np.random.default_rng(args.seed)
w0 = rng.standard_normal(args.shape).astype(np.float32)
fresh = args.start_step == 1
m0 = np.zeros(args.shape, np.float32) if fresh else 0.1 * rng.standard_normal(args.shape).astype(np.float32)
v0 = np.zeros(args.shape, np.float32) if fresh else 0.01 * rng.random(args.shape).astype(np.float32)
grads = [rng.standard_normal(args.shape).astype(np.float32) for _ in range(args.steps)]
lrs = [args.lr * (1 + i) for i in range(args.steps)]

attrs = {"beta1": args.beta1, "beta2": args.beta2, "eps": args.eps,
         "weight_decay": args.weight_decay,
         "variant": f"#optim.adamw_variant<{args.variant}>",
         "bias_correction": not args.no_bias_correction}
module = ir.adamw_module(args.shape, attrs, step_type=args.step_type)
step_dtype = {"i64": np.int64, "i32": np.int32, "f32": np.float32}[args.step_type]

w, m, v = w0, m0, v0
for i, (g, lr) in enumerate(zip(grads, lrs)):
    t = step_dtype(args.start_step + i)
    w, m, v = runner.run(module, "step", [w, g, m, v, np.float32(lr), t], 3, args.runner)

if args.variant == "torch" and not args.no_bias_correction:
    w_ref, m_ref, v_ref = torch_reference.adamw_steps(
        w0, grads, m0, v0, lrs, args.start_step, (args.beta1, args.beta2), args.eps,
        args.weight_decay)
    update_limit = 1e-5
else:
    # The float64 reference, and the same with its state rounded to f32
    # after each step: small updates of W ~ 1 lose digits to W's own
    # rounding, so W' - W cannot be closer than that floor (1.2e-5 on
    # 200x63 at lr 1e-3) plus the step's second rounding (decay).
    w_ref, m_ref, v_ref = w0, m0, v0
    w_f32 = w0
    for i, (g, lr) in enumerate(zip(grads, lrs)):
        step = (lr, args.start_step + i, (args.beta1, args.beta2), args.eps,
                args.weight_decay, not args.no_bias_correction, args.variant)
        w_f32 = reference.adamw_step(w_f32, g, m_ref, v_ref, *step)[0].astype(np.float32)
        w_ref, m_ref, v_ref = reference.adamw_step(w_ref, g, m_ref, v_ref, *step)
    floor = reference.relative_error(w_f32 - w0, w_ref - w0)
    update_limit = max(1e-5, 3 * floor)
testing.check(f"adamw {vars(args)}", {
    "W": (w, w_ref, 1e-5), "M": (m, m_ref, 1e-5), "V": (v, v_ref, 1e-5),
    "W'-W": (w - w0, w_ref - w0, update_limit)})
