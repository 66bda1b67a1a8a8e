"""`ns_memory` (the device temporaries one bucket of a CUDA step may hold)
as muon_mlir.optim.Muon passes it to muon-compile, and what it does to the
step: for each budget, the Muon ops optim-bucket leaves in the GPU program
(one per bucket) and the parameters and states after 3 steps of the
emulated GPU program (`--pipeline=gpu-emulation`), which must agree with
the unbucketed step's within 1e-6 (bucketing changes only GEMM summation
order) however the budget splits the step.

    check_ns_memory.py MUON_OPT
"""

import re
import sys

import numpy as np
import torch

from muon_mlir.optim import Muon, _compiler, _muon, _plan
from muon_mlir.testing.ir import run_muon_opt

# 5 + 3 transposed 16×32 matrices (one bucket), a 2×64 matrix, 2 vectors.
SHAPES = [(16, 32)] * 5 + [(32, 16)] * 3 + [(2, 8, 8)] + [(16,)] * 2
# One 16×32 f32 matrix: two iterates and two 16×16 matrices (KernelMemory.h).
PER_MATRIX = 2 * 16 * 32 * 4 + 2 * 16 * 16 * 4

params = [torch.nn.Parameter(torch.zeros(s)) for s in SHAPES]
names = [f"layer{i}.weight" for i in range(len(SHAPES))]
group = None


def flags(ns_memory):
    global group
    opt = Muon(list(zip(names, params)), lr=0.02, verbose=False, ns_memory=ns_memory)
    group = opt.param_groups[0]
    entries = [_muon._entry(p, n, group, n) for p, n in zip(params, names)]
    return entries, opt._flags(entries, torch.device("cuda"))


def muon_ops(module, budget):
    out = run_muon_opt(sys.argv[1], module, f"--optim-bucket=max-temporary-bytes={budget}").stdout
    return len(re.findall(r"= optim\.muon ", out))


def train(module, budget):
    step = _compiler.compile_step(module, ("--pipeline=gpu-emulation",
                                           f"--bucket-memory={budget}"), verbose=False)
    rng = np.random.default_rng(0)
    inputs = []
    for spec in step.inputs:
        x = torch.from_numpy(rng.standard_normal(spec.shape).astype(np.float32))
        if spec.name in ("beta1", "momentum"):  # f64 inputs in [0, 1)
            x = torch.tensor(0.9, dtype=torch.float64)
        inputs.append(x.abs() if spec.name.startswith(("v", "t")) else x)
    initial = [x.clone() for x in inputs]
    for _ in range(3):
        step(*inputs)
    changed = sum(not torch.equal(a, b) for a, b in zip(inputs, initial))
    return inputs, changed


runs = {}
for label, ns_memory in [("0", 0), ("2 matrices", 2 * PER_MATRIX), ("default", None),
                         ("unbounded", float("inf"))]:
    entries, cuda_flags = flags(ns_memory)
    budget = int(cuda_flags[1].split("=")[1])
    module = _plan.step_module(entries, group)
    runs[label], changed = train(module, budget)
    print(f"ns_memory {label}: {' '.join(cuda_flags)}: {muon_ops(module, budget)} Muon ops "
          f"after optim-bucket, {changed} tensors updated")

reference, _ = train(module, 1)
for label, state in runs.items():
    worst = max(float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))
                for a, b in zip(state, reference))
    print(f"ns_memory {label}: 3 steps, worst relative difference from per-matrix buckets "
          f"{worst:.0e} {'<=' if worst <= 1e-6 else '>'} 1e-06")

for bad in (-1, float("nan"), "1GB"):
    try:
        Muon([torch.nn.Parameter(torch.zeros(4, 4))], ns_memory=bad)
    except ValueError as error:
        print(f"ns_memory={bad!r}: ValueError: {error}")
