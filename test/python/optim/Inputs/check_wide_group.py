"""A param group of more than 1024 tensors (parameters, gradients, state,
rates, beta1 and momentum: 1069 here), past what ctypes passes as separate arguments, steps
through the packed entry point and matches torch.optim.Muon (fp32
Newton–Schulz) + torch.optim.AdamW over three steps, gradients re-created
every step as backward does."""

import torch

from muon_mlir.optim import Muon
from muon_mlir.testing.torch_reference import fp32_newton_schulz

TOLERANCE = 1e-5
generator = torch.Generator().manual_seed(0)
shapes = [(4, 3)] * 4 + [(5,)] * 263
init = [torch.randn(s, generator=generator) for s in shapes]
ours = [torch.nn.Parameter(t.clone()) for t in init]
ref = [torch.nn.Parameter(t.clone()) for t in init]
opt = Muon(ours, lr=0.02, verbose=False)
torch_opts = [torch.optim.Muon(ref[:4], lr=0.02), torch.optim.AdamW(ref[4:], lr=0.02)]

with fp32_newton_schulz():
    for step in range(3):
        for p, q in zip(ours, ref):
            p.grad = torch.randn(p.shape, generator=generator)
            q.grad = p.grad.clone()
        opt.step()
        for o in torch_opts:
            o.step()

tensors = len(opt._bound[0][0].arguments)
worst = max(float((p.detach() - q.detach()).abs().max() / q.detach().abs().max())
            for p, q in zip(ours, ref))
print(f"{tensors} tensors in one group: worst relative difference {worst:.2e} "
      f"{'<=' if worst <= TOLERANCE else '>'} {TOLERANCE:.0e}")
