"""After the first step, step() reuses the arguments it checked (the fast
path); every change it must notice is made here between steps, on ours and
on torch.optim.Muon + AdamW twins alike, and the parameters must still match:
a parameter's storage replaced (p.data = ...; the old tensor must stay as it
was), gradients updated in place instead of re-created, a non-contiguous
gradient, a gradient gone (skipped), a float learning rate changed and a
tensor one changed in place, state cleared, replaced and reset whole
(opt.state = defaultdict(dict)), a parameter replaced in its group's list
(the removed one untouched), and two gradients sharing storage. Then a
gradient's dtype changed behind the setter's back (grad.data = ...) after
fast steps, and then its shape: the error names it and no parameter
changes."""

import collections
import sys

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

if "--without-tensor-guard" in sys.argv:  # the checks of a torch without it
    import torch._C._dynamo.guards
    torch._C._dynamo.guards.TensorGuards = None

from muon_mlir.optim import Muon
from muon_mlir.testing.torch_reference import fp32_newton_schulz

TOLERANCE = 1e-5
SHAPES = {"w1": (8, 4), "w2": (6, 8), "sq": (8, 8), "b": (8,)}

generator = torch.Generator().manual_seed(0)
init = {n: torch.randn(s, generator=generator) for n, s in SHAPES.items()}
ours = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
ref = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
hidden = ("w1", "w2", "sq")
opt = Muon([{"params": [ours[n] for n in hidden], "use_muon": True},
            {"params": [ours["b"]], "use_muon": False, "lr": 1e-3}], lr=0.02, verbose=False)
torch_muon = torch.optim.Muon([ref[n] for n in hidden], lr=0.02)
torch_adamw = torch.optim.AdamW([ref["b"]], lr=1e-3)


def set_grads(step, in_place=False, skip=()):
    g = torch.Generator().manual_seed(100 + step)
    for n, s in SHAPES.items():
        grad = torch.randn(s, generator=g)
        for params in (ours, ref):
            if n in skip:
                params[n].grad = None
            elif in_place and params[n].grad is not None:
                params[n].grad.copy_(grad)
            else:
                params[n].grad = grad.clone()


def worst():
    return max(float((ours[n].detach() - ref[n].detach()).abs().max()
                     / ref[n].detach().abs().max()) for n in SHAPES)


old_storage = removed = None
with fp32_newton_schulz():
    for step in range(14):
        set_grads(step, in_place=step == 4, skip=("w2",) if step == 6 else ())
        if step == 3:
            old_storage = ours["w1"].data
            before = old_storage.clone()
            for params in (ours, ref):
                params["w1"].data = params["w1"].data.clone()
        if step == 5:
            for params in (ours, ref):
                params["sq"].grad = params["sq"].grad.t()  # same shape, not contiguous
        if step == 2:  # a fast step otherwise
            opt.param_groups[0]["lr"] = torch_muon.param_groups[0]["lr"] = 0.01
        if step == 7:
            rate = torch.tensor(0.03)
            opt.param_groups[0]["lr"] = rate
            torch_muon.param_groups[0]["lr"] = 0.03
        if step == 8:
            rate.fill_(0.005)  # in place: the same tensor, a new value
            torch_muon.param_groups[0]["lr"] = 0.005
        if step == 9:
            opt.state[ours["sq"]].clear()
            torch_muon.state[ref["sq"]].clear()
        if step == 10:
            for o, p in ((opt, ours["w1"]), (torch_muon, ref["w1"])):
                o.state[p]["momentum_buffer"] = torch.ones_like(p)
        if step == 11:
            for o in (opt, torch_muon, torch_adamw):
                o.state = collections.defaultdict(dict)
        if step == 12:
            removed = ours["w2"]
            before = removed.detach().clone()
            for o, params in ((opt, ours), (torch_muon, ref)):
                params["w2"] = torch.nn.Parameter(params["w2"].detach() + 1)
                params["w2"].grad = removed.grad.clone()
                o.param_groups[0]["params"][1] = params["w2"]
        if step == 13:
            for params in (ours, ref):
                shared = torch.randn(48, generator=torch.Generator().manual_seed(7))
                params["w1"].grad, params["w2"].grad = shared[:32].view(8, 4), shared.view(6, 8)
        opt.step()
        torch_muon.step()
        torch_adamw.step()
        if step == 3:
            assert torch.equal(old_storage, before), "the replaced storage was written"
        if step == 12:
            assert torch.equal(removed.detach(), before), "a removed parameter was stepped"

print(f"14 steps with storage, gradient, learning-rate, state and parameter-list changes: "
      f"worst relative difference {worst():.1e} <= {TOLERANCE:g}; replaced storage and "
      "removed parameter untouched")
assert worst() <= TOLERANCE, worst()

saved = {n: p.detach().clone() for n, p in ours.items()}
for what, change, error in [
        ("dtype", lambda g: g.double(), TypeError),
        ("shape", lambda g: g.reshape(8, 6), ValueError)]:
    set_grads(9)
    opt.step()  # a fast step, then the change behind the setter's back
    saved = {n: p.detach().clone() for n, p in ours.items()}
    ours["w2"].grad.data = change(ours["w2"].grad.data)
    try:
        opt.step()
        raise AssertionError(f"no error for a gradient of another {what}")
    except error as e:
        untouched = all(torch.equal(ours[n].detach(), saved[n]) for n in SHAPES)
        print(f"grad {what} after fast steps: {e} "
              f"[parameters {'untouched' if untouched else 'MODIFIED'}]")

# torch.optim.Optimizer's step hooks still run (the step skips torch's
# wrapper only while none is registered and the profiler is off).
seen = []
handles = [opt.register_step_pre_hook(lambda o, a, k: seen.append("pre")),
           opt.register_step_post_hook(lambda o, a, k: seen.append("post")),
           register_optimizer_step_post_hook(
               lambda o, a, k: seen.append("global post"))]
set_grads(10)
opt.step()
for handle in handles:
    handle.remove()
opt.step()
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
    opt.step()
ranges = [e.name for e in prof.events() if e.name.startswith("Optimizer.step#")]
print(f"step hooks: {seen}; profiler range: {ranges}")

# Inside torch.compile the step runs eagerly (a graph break): traced, it
# kept the first call's gradient addresses (a crash once they were freed)
# or failed on the pointer table. Each step's gradients are new tensors.
twins = [{n: torch.nn.Parameter(t.clone()) for n, t in init.items()} for _ in range(2)]
optimizers = [Muon([{"params": [p[n] for n in hidden], "use_muon": True},
                    {"params": [p["b"]], "use_muon": False, "lr": 1e-3}], lr=0.02, verbose=False)
              for p in twins]
compiled_step = torch.compile(lambda: optimizers[0].step(), backend="eager")
for step in range(4):
    g = torch.Generator().manual_seed(200 + step)
    grads = {n: torch.randn(s, generator=g) for n, s in SHAPES.items()}
    for params in twins:
        for n, p in params.items():
            p.grad = grads[n].clone()
    compiled_step()
    optimizers[1].step()
same = all(torch.equal(twins[0][n].detach(), twins[1][n].detach()) for n in SHAPES)
print(f"4 steps called inside torch.compile: {'equal to' if same else 'DIFFERENT from'} "
      "eager steps")
