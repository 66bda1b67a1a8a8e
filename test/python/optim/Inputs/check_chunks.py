"""How muon_mlir.optim.Muon splits a group's step into compiled calls by
`ns_memory` (the Newton–Schulz temporaries one call may hold): one call per
matrix at 0, matrices of one shape sharing calls up to the budget, all of
one shape in one call with an unbounded one (the CPU default), AdamW's
parameters in one call always; and the parameters and states after 3 steps are the same, bit for
bit, however the step is split."""

import numpy as np
import torch

from muon_mlir.optim import Muon
from muon_mlir.optim import _plan

SHAPES = [(16, 32)] * 5 + [(32, 16)] * 3 + [(2, 8, 8)] + [(16,)] * 2
rng = np.random.default_rng(0)
initial = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(3)]
per_matrix = _plan.ns_temporary_bytes(("muon", (16, 32), "f32", "flatten"))


def train(ns_memory):
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in initial]
    opt = Muon([(f"layer{i}.weight", p) for i, p in enumerate(params)], lr=0.02,
               verbose=False, ns_memory=ns_memory)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.from_numpy(g)
        opt.step()
    calls = len(next(iter(opt._compiled.values())).calls)
    state = [p.detach().numpy().copy() for p in params]
    for p in params:
        state += [v.numpy().copy() for v in opt.state[p].values() if torch.is_tensor(v)]
    return calls, state


runs = {label: train(budget) for label, budget in
        [("0", 0), ("2 matrices", 2 * per_matrix), ("default", None), ("unbounded", 1 << 40)]}
for label, (calls, _) in runs.items():
    print(f"ns_memory {label}: {calls} calls")
reference = runs["0"][1]
for label, (_, state) in runs.items():
    same = len(state) == len(reference) and all(
        np.array_equal(a, b) for a, b in zip(state, reference))
    print(f"ns_memory {label}: {'identical' if same else 'DIFFERENT'} after 3 steps")

# The default budget on CUDA (5% of the group's tensors: here under one
# 16x32 matrix's temporaries), computed without a device.
opt = Muon([(f"layer{i}.weight", torch.nn.Parameter(torch.zeros(s))) for i, s in enumerate(SHAPES)])
entries = [("muon", s, "f32", "flatten") if len(s) > 1 else ("adamw", s, "f32", None)
           for s in SHAPES]
print(f"ns_memory default on CUDA: {len(opt._chunks_of(entries, torch.device('cuda')))} "
      "calls")

try:
    Muon([torch.nn.Parameter(torch.zeros(4, 4))], ns_memory=-1)
except ValueError as error:
    print(f"negative ns_memory: ValueError: {error}")
