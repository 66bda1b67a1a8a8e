"""optim-insert-qk-clip on torch-exported attention modules, executed with
muon-run against numpy: the step (forward + identity AdamW update, lr = 0)
returns W_q/W_k (and biases) clipped with the max logits of its own forward
pass. W_q and W_k are scaled up so that some heads exceed tau; tau lies
between two heads' max logits. Checks: every weight and bias within 1e-5 of
reference.qk_clip applied with torch's max logits (relative Frobenius);
rows of heads under tau bitwise unchanged; per query head, the product of
its W_q factor and its key head's W_k factor equals gamma_h (1e-5)."""

import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from muon_mlir import forward_step, reference, runner, testing

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "attention"))
import modules  # noqa: E402

p = testing.parser(__doc__)
p.add_argument("--module", choices=sorted(modules.MODULES), required=True)
p.add_argument("--opt", default="muon-opt")
p.add_argument("--translate", default="muon-translate")
p.add_argument("--work", required=True)
p.add_argument("--alpha", type=float, default=0.5)
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)

torch.manual_seed(args.seed)
module = modules.MODULES[args.module]()
with torch.no_grad():
    module.q.weight.mul_(4.0)
    module.k.weight.mul_(4.0)
x = np.random.default_rng(args.seed).standard_normal((2, module.seq, 32)).astype(np.float32)
smax = modules.max_logits(module, x).astype(np.float64)
order = np.sort(smax)
tau = float((order[len(order) // 2 - 1] + order[len(order) // 2]) / 2)

model = onnx.load(modules.export(module, os.path.join(args.work, "model.onnx")))
params = [i.name for i in model.graph.initializer if i.name != "mask"]
prepared = os.path.join(args.work, "prepared.onnx")
onnx.save(forward_step.prepare(model, params), prepared)
step = forward_step.build_step(args.translate, prepared, params)
clipped = subprocess.run(
    [args.opt, "-", "--inline", "--symbol-dce",
     f"--optim-insert-qk-clip=tau={tau!r} alpha={args.alpha!r}"],
    input=step, capture_output=True, text=True, check=True).stdout

weights = {n: p.detach().numpy().astype(np.float32) for n, p in module.named_parameters()}
values = [weights[n] for n in params]
zeros = [np.zeros_like(v) for v in values]
outs = runner.run(clipped, "step", [x, *values, *zeros, *zeros, *zeros,
                                    np.float32(0.0), np.int64(1)],
                  1 + len(params), args.runner)
got = dict(zip(params, outs[1:]))

heads, kv_heads, head_dim = module.heads, module.kv_heads, module.head_dim
gamma = np.minimum(1.0, tau / smax)
print(f"{args.module}: max logits {np.round(smax, 3).tolist()}, tau {tau:.3f}")
pairs = {}
names = [("q.weight", "k.weight", 0)]
if "q.bias" in weights:
    names.append(("q.bias", "k.bias", 0))
for qn, kn, axis in names:
    want_q, want_k, q_scale, k_scale = reference.qk_clip(
        weights[qn], weights[kn], smax, heads, head_dim,
        kv_heads if kv_heads != heads else None, axis, tau, args.alpha)
    pairs[qn] = (got[qn], want_q, 1e-5)
    pairs[kn] = (got[kn], want_k, 1e-5)
    for name, scale, want in ((qn, q_scale, weights[qn]), (kn, k_scale, weights[kn])):
        if not np.array_equal(got[name][scale == 1.0], want[scale == 1.0]):
            print(f"FAIL {name}: rows of heads under tau changed")
            sys.exit(1)
    # Measured factors: per head, the ratio of norms of clipped to original.
    q_f = np.array([np.linalg.norm(got[qn][h * head_dim:(h + 1) * head_dim]) /
                    np.linalg.norm(weights[qn][h * head_dim:(h + 1) * head_dim])
                    for h in range(heads)])
    k_f = np.array([np.linalg.norm(got[kn][g * head_dim:(g + 1) * head_dim]) /
                    np.linalg.norm(weights[kn][g * head_dim:(g + 1) * head_dim])
                    for g in range(kv_heads)])
    product = q_f * k_f[np.arange(heads) // (heads // kv_heads)]
    pairs[f"{qn}·{kn} factor products vs gamma_h"] = (product, gamma, 1e-5)
    print(f"ok   {qn}/{kn}: {int((q_scale == 1).sum())}/{q_scale.size} and "
          f"{int((k_scale == 1).sum())}/{k_scale.size} rows under tau bitwise unchanged")
# Everything else passes through the identity update unchanged.
for name in params:
    if name not in pairs:
        pairs[name] = (got[name], weights[name], 0.0)
testing.check(args.module, pairs)
