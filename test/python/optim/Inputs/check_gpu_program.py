"""The step muon_mlir.optim builds for TinyGPT's parameters (Muon on the
hidden matrices, AdamW with its step counter on the rest), compiled as the
GPU program (`--pipeline=gpu-emulation`: the CUDA pipeline's kernels and
device memory, run on the host) and for the CPU, updates the same copies of
random parameters and state alike (1e-5 relative); `--packed`: a bucket of
133 small matrices instead; with `--cuda`, the same module also compiles
with --target=cuda. `--deterministic MUON_OPT`: the module marked
optim.deterministic (Muon(deterministic=True)), whose GPU program must
have no atomic norm sums where the unmarked one has some."""

import sys

import torch

import models
from muon_mlir.optim import _compiler, _plan
from muon_mlir.testing.ir import run_muon_opt

if "--packed" in sys.argv:
    # 133 Muon matrices in one bucket (3 of them transposed): more buffers
    # than a kernel takes, so the bucket is packed and its results copied
    # into the parameters' and momenta's own (donated) buffers.
    entries = ([("muon", (8, 12), "f32", "flatten")] * 130 +
               [("muon", (12, 8), "f32", "flatten")] * 3 + [("adamw", (5,), "f32", None)] * 4)
else:
    model = models.TinyGPT()
    entries = [(kind, tuple(p.shape), "f32", None if kind == "adamw" else "flatten")
               for n, p in model.named_parameters()
               for kind in [_plan.route(p, n, None, "muon", n)]]
group = dict(weight_decay=0.1, momentum=0.95, nesterov=True, ns_coefficients=_plan._QUINTIC,
             ns_steps=5, lr_adjust="original", ns_schedule=None, algorithm="muon", beta2=0.95,
             betas=(0.9, 0.999), eps=1e-8, adamw_eps=1e-8, adamw_weight_decay=0.01,
             use_muon=None, view=None)
deterministic = "--deterministic" in sys.argv
module = _plan.step_module(entries, group, deterministic)
if deterministic:
    muon_opt = sys.argv[sys.argv.index("--deterministic") + 1]
    atomics = [run_muon_opt(muon_opt, _plan.step_module(entries, group, marked),
                            "--muon-gpu-pipeline=stop-after=gpu").stdout.count("atomic_rmw")
               for marked in (False, True)]
    assert atomics[0] > 0 and atomics[1] == 0, atomics
    print(f"optim.deterministic: atomic read-modify-writes in the GPU program "
          f"{atomics[0]} -> {atomics[1]}")
cpu = _compiler.compile_step(module, verbose=False)
emulated = _compiler.compile_step(module, ("--pipeline=gpu-emulation",), verbose=False)

torch.manual_seed(0)
inputs = []
for spec in cpu.inputs:
    decays = {"beta1": 0.9, "momentum": 0.95}  # f64 inputs in [0, 1)
    x = torch.randn(spec.shape) if spec.shape else \
        torch.tensor(decays[spec.name], dtype=torch.float64) if spec.name in decays else \
        torch.tensor(0.02)
    inputs.append(x.abs() if spec.name.startswith(("v", "t")) else x)
copies = [[x.clone() for x in inputs] for _ in range(2)]
for step, args in zip((cpu, emulated), copies):
    for _ in range(2):
        step(*args)
worst = max(float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))
            for a, b in zip(*copies))
changed = sum(not torch.equal(a, x) for a, x in zip(copies[0], inputs))
assert worst <= 1e-5, worst
print(f"{len(entries)} parameters, 2 steps: {changed} tensors updated in place, "
      f"GPU program vs CPU: worst relative difference {worst:.1e} <= 1e-05")
if "--cuda" in sys.argv:
    cuda = _compiler.compile_step(module, ("--target=cuda",), verbose=False)
    print(f"--target=cuda: {cuda.target}, {len(cuda.inputs)} inputs, "
          f"{len(cuda.updated_inputs)} updated in place, {len(cuda.outputs)} outputs")
