"""optim-insert-qk-clip on exported attention models, executed with muon-run
against numpy: the step (forward + identity AdamW update, lr = 0) returns
W_q/W_k (and biases) clipped with the max logits of its own forward pass.
Models: torch modules (MHA with biases, GQA with repeat_kv, MLA with
rotary embeddings) with their Q/K weights scaled up so that some heads
exceed tau, or one fused ONNX attention op
(Attention-23 with GQA, com.microsoft Attention with packed QKV weights).
tau lies between two key groups' largest max logits. Checks: the clipped head slices
within 1e-5 of reference.qk_clip applied with the reference max logits
(relative Frobenius); rows of heads under tau and all other parameter
entries bitwise unchanged (MLA: V, the shared rotary key's W_dkv); per
query head, the product of its W_q factor and its key head's W_k factor
(MLA: of q_C and k_C) equals gamma_h, and MLA's q_R factor is gamma_h (1e-5)."""

import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from muon_mlir import runner, testing
from muon_mlir.testing import forward_step, reference

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "attention"))
import modules  # noqa: E402

FUSED = {"onnx-attention": "Attention", "ms-attention": "com.microsoft.Attention"}

p = testing.parser(__doc__)
p.add_argument("--model", choices=sorted(modules.MODULES) + sorted(FUSED), required=True)
p.add_argument("--opt", default="muon-opt")
p.add_argument("--translate", default="muon-translate")
p.add_argument("--work", required=True)
p.add_argument("--alpha", type=float, default=0.5)
args = p.parse_args()
os.makedirs(args.work, exist_ok=True)

# Each clipped pair: (W_q name, W_k name, head axis, W_q offset, W_k offset).
# MLA: the rotary query part and the value part of each head's chunks.
rope_dim, v_dim = None, 0
if args.model in modules.MODULES:
    torch.manual_seed(args.seed)
    module = modules.MODULES[args.model]()
    mla = args.model == "mla"
    scaled = ["wq_b", "wkv_b", "wkv_a"] if mla else ["q", "k"]
    with torch.no_grad():
        for name in scaled:
            getattr(module, name).weight.mul_(4.0)
    x = np.random.default_rng(args.seed).standard_normal(
        (2, module.seq, module.d_model)).astype(np.float32)
    smax = modules.max_logits(module, x).astype(np.float64)
    model = onnx.load(modules.export(module, os.path.join(args.work, "model.onnx")))
    weights = {n: p.detach().numpy().astype(np.float32) for n, p in module.named_parameters()}
    if mla:
        heads, kv_heads, head_dim = module.heads, module.heads, module.nope
        rope_dim, v_dim = module.rope, module.v_dim
        pairs = [("wq_b.weight", "wkv_b.weight", 0, 0, 0)]
    else:
        heads, kv_heads, head_dim = module.heads, module.kv_heads, module.head_dim
        pairs = [("q.weight", "k.weight", 0, 0, 0)]
        if "q.bias" in weights:
            pairs.append(("q.bias", "k.bias", 0, 0, 0))
else:
    model, weights, x, smax = modules.fused_op_model(FUSED[args.model], seed=args.seed)
    heads, head_dim = 4, 8
    if args.model == "onnx-attention":
        kv_heads, pairs = 2, [("wq", "wk", 1, 0, 0)]
    else:
        kv_heads = heads
        pairs = [("qkv.weight", "qkv.weight", 1, 0, 32), ("qkv.bias", "qkv.bias", 0, 0, 32)]
smax = np.asarray(smax, dtype=np.float64)
# tau between two key groups' largest logits: some groups stay under it
# (one key group, MQA: between its two largest heads).
order = np.sort(smax.reshape(kv_heads, -1).max(axis=1) if kv_heads > 1 else smax)
tau = float((order[len(order) // 2 - 1] + order[len(order) // 2]) / 2
            if kv_heads > 1 else (order[-1] + order[-2]) / 2)

params = [i.name for i in model.graph.initializer if i.name in weights]
prepared = os.path.join(args.work, "prepared.onnx")
onnx.save(forward_step.prepare(model, params), prepared)
step = forward_step.build_step(args.translate, prepared, params)
clipped = subprocess.run(
    [args.opt, "-", "--inline", "--symbol-dce",
     f"--optim-insert-qk-clip=tau={tau!r} alpha={args.alpha!r}"],
    input=step, capture_output=True, text=True, check=True).stdout

values = [weights[n] for n in params]
zeros = [np.zeros_like(v) for v in values]
outs = runner.run(clipped, "step", [x, *values, *zeros, *zeros, *zeros,
                                    np.float32(0.0), np.int64(1)],
                  1 + len(params), args.runner)
got = dict(zip(params, outs[1:]))

gamma = np.minimum(1.0, tau / smax)
print(f"{args.model}: max logits {np.round(smax, 3).tolist()}, tau {tau:.3f}")
checks = {}
untouched = {n: np.ones(weights[n].shape, dtype=bool) for n in params}


q_chunk, k_chunk = head_dim + (rope_dim or 0), head_dim + v_dim


def heads_of(w, axis, offset, count, chunk):
    """[count, chunk, ...]: the head slices of w along axis."""
    part = np.take(w, np.arange(offset, offset + count * chunk), axis=axis)
    part = np.moveaxis(part, axis, 0)
    return part.reshape(count, chunk, *part.shape[1:])


for qn, kn, axis, q_off, k_off in pairs:
    q_w = heads_of(weights[qn], axis, q_off, heads, q_chunk)
    k_w = heads_of(weights[kn], axis, k_off, kv_heads, k_chunk)
    q_g = heads_of(got[qn], axis, q_off, heads, q_chunk)
    k_g = heads_of(got[kn], axis, k_off, kv_heads, k_chunk)
    flat = lambda t: t.reshape(t.shape[0] * t.shape[1], -1)  # noqa: E731
    want_q, want_k, q_scale, k_scale = reference.qk_clip(
        flat(q_w), flat(k_w), smax, heads, head_dim,
        kv_heads if kv_heads != heads else None, 0, tau, args.alpha, rope_dim, v_dim)
    checks[qn + " (query heads)"] = (flat(q_g), want_q, 1e-5)
    checks[kn + " (key heads)"] = (flat(k_g), want_k, 1e-5)
    for label, scale, g, w in (("query", q_scale, q_g, q_w), ("key", k_scale, k_g, k_w)):
        if not np.array_equal(flat(g)[scale == 1.0], flat(w)[scale == 1.0]):
            print(f"FAIL {label} heads under tau changed")
            sys.exit(1)
    for name, off, count, chunk in ((qn, q_off, heads, q_chunk), (kn, k_off, kv_heads, k_chunk)):
        index = [slice(None)] * weights[name].ndim
        index[axis] = slice(off, off + count * chunk)
        untouched[name][tuple(index)] = False
    # Measured per-head factors: norm ratios of the content parts (q_C/k_C,
    # or the whole head), and of MLA's rotary query part.
    norms = lambda t: np.linalg.norm(t.reshape(t.shape[0], -1), axis=1)  # noqa: E731
    factor = lambda g, w: norms(g[:, :head_dim]) / norms(w[:, :head_dim])  # noqa: E731
    product = factor(q_g, q_w) * factor(k_g, k_w)[np.arange(heads) // (heads // kv_heads)]
    checks[f"{qn}·{kn} factor products vs gamma_h"] = (product, gamma, 1e-5)
    if rope_dim:
        rotary = norms(q_g[:, head_dim:]) / norms(q_w[:, head_dim:])
        checks[f"{qn} rotary part factor vs gamma_h"] = (rotary, gamma, 1e-5)
    print(f"ok   {qn}/{kn}: {int((q_scale == 1).sum())}/{q_scale.size} and "
          f"{int((k_scale == 1).sum())}/{k_scale.size} rows under tau bitwise unchanged")
for name in params:
    if not np.array_equal(got[name][untouched[name]], weights[name][untouched[name]]):
        print(f"FAIL {name}: entries outside the clipped heads changed")
        sys.exit(1)
print("ok   every other parameter entry bitwise unchanged")
testing.check(args.model, checks)
