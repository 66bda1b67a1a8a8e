"""An AdamW group of float32 and float64 parameters whose step counts
differ (some parameters had no gradient on some steps) matches
torch.optim.AdamW over five steps: the counts of one element type are one
vector of the compiled step, one op per element type, each member's bias
correction from its own count; `use_muon=False` in the constructor gives
torch.optim.AdamW's defaults. With --module: the group's step module
(for counting what its GPU program launches) instead."""

import sys

import torch

from muon_mlir.optim import Muon, _plan

TOLERANCE = 1e-6
generator = torch.Generator().manual_seed(0)
shapes = [((5,), torch.float32), ((3,), torch.float64), ((4, 4), torch.float32),
          ((2,), torch.float64), ((6,), torch.float32)]
init = [torch.randn(s, generator=generator, dtype=d) for s, d in shapes]
ours = [torch.nn.Parameter(t.clone()) for t in init]
ref = [torch.nn.Parameter(t.clone()) for t in init]
# Declared AdamW in the constructor: torch.optim.AdamW's defaults (eps,
# weight_decay), not Muon's.
opt = Muon(ours, lr=0.01, use_muon=False, verbose=False)
if "--module" in sys.argv:
    group = opt.param_groups[0]
    print(_plan.step_module(opt._group_entries(group), group))
    sys.exit()
torch_opt = torch.optim.AdamW(ref, lr=0.01, foreach=False)
full_checks = 0
prepare = Muon._prepare


def counted_prepare(*args):
    global full_checks
    full_checks += 1
    return prepare(*args)


Muon._prepare = counted_prepare


def run(steps, skipped):
    """`steps` steps of both optimizers; `skipped(step)`: the parameters
    without a gradient."""
    for step in range(steps):
        for k, (p, q) in enumerate(zip(ours, ref)):
            grad = None if k in skipped(step) else torch.randn(
                p.shape, generator=generator, dtype=p.dtype)
            p.grad, q.grad = grad, None if grad is None else grad.clone()
        opt.step()
        torch_opt.step()
    counts = [int(opt.state[p]["step"]) for p in ours]
    assert counts == [int(torch_opt.state[q]["step"]) for q in ref], counts
    worst = max(float((p.detach() - q.detach()).abs().max() / q.detach().abs().max())
                for p, q in zip(ours, ref))
    return (f"step counts {counts}: worst relative difference {worst:.1e} "
            f"{'<=' if worst <= TOLERANCE else '>'} {TOLERANCE:.0e}")


print(run(5, lambda step: {0: (1,), 1: (2, 3), 3: (1,)}.get(step, ())))
# Two sets of gradients in turn: a binding each, both updating the counts
# the states show (a stale count would change the bias corrections).
full_checks = 0
print(run(8, lambda step: (0, 4) if step % 2 else ()))
print(f"alternating gradient sets: {full_checks} full checks in 8 steps")
