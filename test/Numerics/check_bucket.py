"""A GPT-2-like optimizer step (repeated layers of several matrix shapes
through Muon, embeddings, norms and biases through AdamW) run by muon-run with
optim-bucket (--bucket=true) and without (the CPU default). Checks that
both give bitwise identical results, and that they match torch.optim.Muon
(fp32 Newton–Schulz) and torch.optim.AdamW."""

import numpy as np
from muon_mlir import ir, runner, testing, torch_reference

p = testing.parser(__doc__)
p.add_argument("--d-model", type=int, default=32)
p.add_argument("--layers", type=int, default=3)
p.add_argument("--vocab", type=int, default=96)
p.add_argument("--tol", type=float, default=1e-5, help="limit on W, M, V vs torch")
args = p.parse_args()

params = ir.gpt2_block_params(args.d_model, args.layers, args.vocab)
muon_attrs = {"weight_decay": 0.1}
adamw_attrs = {"weight_decay": 0.01}
module = ir.optimizer_step_module(params, muon_attrs, adamw_attrs)

rng = np.random.default_rng(args.seed)
inputs, states = [], []
for shape, kind in params:
    w = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    m = 0.1 * rng.standard_normal(shape).astype(np.float32)
    v = np.abs(0.01 * rng.standard_normal(shape)).astype(np.float32)
    state = [w, g, m] + ([v] if kind == "adamw" else [])
    inputs += state
    states.append(state)
lr, adam_lr, t = 0.02, 1e-3, 3
inputs += [np.float32(lr), np.float32(adam_lr), np.int64(t)]
num_results = sum(3 if kind == "adamw" else 2 for _, kind in params)

bucketed = runner.run(module, "step", inputs, num_results, args.runner,
                      extra_args=["--bucket=true"])
unbucketed = runner.run(module, "step", inputs, num_results, args.runner)

# Bitwise: the same bits in every result, NaNs included.
mismatched = [i for i, (a, b) in enumerate(zip(bucketed, unbucketed))
              if a.tobytes() != b.tobytes()]
print(f"{num_results} results, {len(mismatched)} differ bitwise between "
      f"--bucket=true and --bucket=false")
if mismatched:
    print(f"FAIL bucket: results {mismatched} are not bitwise identical")
    raise SystemExit(1)

pairs, results = {}, iter(bucketed)
with torch_reference.fp32_newton_schulz():
    for i, ((shape, kind), state) in enumerate(zip(params, states)):
        label = f"{kind}{i} {'x'.join(map(str, shape))}"
        if kind == "muon":
            w, g, m = state
            want = torch_reference.muon_steps(w, [g], m, [lr], **muon_attrs)
            names = ["W", "M"]
        else:
            w, g, m, v = state
            want = torch_reference.adamw_steps(w, [g], m, v, [adam_lr], t, **adamw_attrs)
            names = ["W", "M", "V"]
        for name, ref in zip(names, want):
            pairs[f"{label} {name}"] = (next(results), ref, args.tol)
testing.check(f"bucket d_model={args.d_model} layers={args.layers}", pairs)
