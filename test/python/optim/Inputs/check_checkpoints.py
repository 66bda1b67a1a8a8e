"""Checkpoints both ways and an LR scheduler run.

torch -> ours: the torch pair trains 3 steps, its two state dicts are
combined and loaded into muon_mlir.optim.Muon, which trains 3 more; ours ->
torch: the reverse, split. Each must equal 6 steps of the torch pair alone
(1e-5 relative). With a LambdaLR on both sides, 10 steps agree too and the
step compiles once: the learning rate is an input of the compiled step; so
with OneCycleLR, which also cycles AdamW's beta1 and Muon's momentum, and
with Muon's momentum warmed up step by step (out of range: an error,
parameters untouched).
"""

import torch

import models
from muon_mlir.optim import Muon, combine_state_dicts, split_state_dict

TOLERANCE = 1e-5
loss, batch = models.gpt_loss, models.gpt_batch


def groups(model):
    """Ours with the torch pair's two groups, in its order."""
    named = list(model.named_parameters())
    return Muon([{"params": [p for n, p in named if models.is_hidden_matrix(n, p)],
                  "use_muon": True},
                 {"params": [p for n, p in named if not models.is_hidden_matrix(n, p)],
                  "use_muon": False, "lr": models.ADAMW_LR}], lr=models.LR, verbose=False)


def report(label, model, reference):
    worst, where = models.worst_relative(model, reference)
    assert worst <= TOLERANCE, f"{label}: {where} differs by {worst:.2e}"
    print(f"{label}: worst relative difference {worst:.1e} <= {TOLERANCE:g}")


with models.fp32_newton_schulz():
    # The reference: 6 steps of the torch pair.
    base, reference = models.twins(models.TinyGPT)
    pair = models.TorchPair(reference)
    models.train(reference, pair, loss, batch, 6)

    # torch -> ours.
    model, _ = models.twins(models.TinyGPT)
    first = models.TorchPair(model)
    models.train(model, first, loss, batch, 3)
    ours = groups(model)
    ours.load_state_dict(combine_state_dicts(first.muon.state_dict(),
                                             first.adamw.state_dict()))
    assert set(ours.state[next(model.parameters())]) == {"step", "exp_avg", "exp_avg_sq"}
    models.train(model, ours, loss, batch, 3, first_seed=3)
    report("torch.optim.Muon + AdamW -> muon_mlir.optim.Muon", model, reference)

    # ours -> torch, through a saved file.
    model, _ = models.twins(models.TinyGPT)
    ours = groups(model)
    models.train(model, ours, loss, batch, 3)
    torch.save(ours.state_dict(), "checkpoint.pt")
    second = models.TorchPair(model)
    muon_sd, adamw_sd = split_state_dict(torch.load("checkpoint.pt"), [1, 1])
    second.muon.load_state_dict(muon_sd)
    second.adamw.load_state_dict(adamw_sd)
    models.train(model, second, loss, batch, 3, first_seed=3)
    report("muon_mlir.optim.Muon -> torch.optim.Muon + AdamW", model, reference)

    # Our own round trip: a fresh optimizer continues where one stopped.
    model, _ = models.twins(models.TinyGPT)
    ours = groups(model)
    models.train(model, ours, loss, batch, 3)
    resumed = groups(model)
    resumed.load_state_dict(ours.state_dict())
    models.train(model, resumed, loss, batch, 3, first_seed=3)
    report("muon_mlir.optim.Muon -> muon_mlir.optim.Muon", model, reference)

    # A schedule: warm-up then decay, on both sides.
    def schedule(step):
        return min(1.0, (step + 1) / 3) * 0.8 ** step

    model, reference = models.twins(models.TinyGPT)
    ours = groups(model)
    pair = models.TorchPair(reference)
    models.train(model, ours, loss, batch, 10,
                 scheduler=torch.optim.lr_scheduler.LambdaLR(ours, schedule))

    class Both:  # one scheduler object per torch optimizer, stepped together
        def __init__(self):
            self.parts = [torch.optim.lr_scheduler.LambdaLR(o, schedule)
                          for o in (pair.muon, pair.adamw)]

        def step(self):
            for part in self.parts:
                part.step()

    models.train(reference, pair, loss, batch, 10, scheduler=Both())
    report("LambdaLR, 10 steps", model, reference)
    assert len(ours._compiled) == 2, len(ours._compiled)  # one step per group
    print(f"compiled steps after 10 scheduled steps: {len(ours._compiled)} (one per group)")

    # A scheduler writes a group's lr alone: in an automatic group, AdamW's
    # rate (adamw_lr, for its 1-D parameters here) follows in proportion,
    # as a second scheduler on torch's AdamW would set it.
    model, reference = models.twins(models.TinyGPT)
    named = list(model.named_parameters())
    outer = [p for n, p in named if "embed" in n or "head" in n]
    ours = Muon([{"params": [p for p in model.parameters() if all(p is not q for q in outer)]},
                 {"params": outer, "use_muon": False, "lr": models.ADAMW_LR}],
                lr=models.LR, adamw_lr=models.ADAMW_LR, verbose=False)
    models.train(model, ours, loss, batch, 10,
                 scheduler=torch.optim.lr_scheduler.LambdaLR(ours, schedule))
    pair = models.TorchPair(reference)
    models.train(reference, pair, loss, batch, 10, scheduler=Both())
    report("LambdaLR, 10 steps, adamw_lr of an automatic group", model, reference)

    # OneCycleLR cycles lr and AdamW's beta1 (betas[0]; bias corrections with
    # each step's beta1, as torch.optim.AdamW): an input of the step too. On
    # torch.optim.Muon it cycles momentum; ours has betas, which OneCycleLR
    # prefers, and Muon's momentum follows them (Muon._momentum).
    model, reference = models.twins(models.TinyGPT)
    ours = groups(model)
    pair = models.TorchPair(reference)
    cycle = dict(total_steps=10, pct_start=0.3)
    models.train(model, ours, loss, batch, 10, scheduler=torch.optim.lr_scheduler.OneCycleLR(
        ours, max_lr=[models.LR, models.ADAMW_LR], **cycle))
    betas = ours.param_groups[1]["betas"]

    class Cycles(Both):
        def __init__(self):
            self.parts = [
                torch.optim.lr_scheduler.OneCycleLR(pair.muon, max_lr=models.LR, **cycle),
                torch.optim.lr_scheduler.OneCycleLR(pair.adamw, max_lr=models.ADAMW_LR, **cycle)]

    models.train(reference, pair, loss, batch, 10, scheduler=Cycles())
    assert betas == pair.adamw.param_groups[0]["betas"], betas
    report(f"OneCycleLR, 10 steps (beta1 now {betas[0]:.3f})", model, reference)
    print(f"compiled steps after 10 cycled steps: {len(ours._compiled)} (one per group)")

    # A checkpoint of the torch pair taken mid-cycle: torch.optim.Muon's
    # group has the cycled momentum and no betas; ours keeps that momentum
    # (not its default betas[0]) when it continues, here without a scheduler.
    model, reference = models.twins(models.TinyGPT)
    pair = models.TorchPair(reference)
    models.train(reference, pair, loss, batch, 3, scheduler=Cycles())
    model.load_state_dict(reference.state_dict())
    ours = groups(model)
    # Through a file: the pair steps on, its state must not be shared.
    torch.save(combine_state_dicts(pair.muon.state_dict(), pair.adamw.state_dict()),
               "cycled.pt")
    ours.load_state_dict(torch.load("cycled.pt"))
    models.train(model, ours, loss, batch, 3, first_seed=3)
    models.train(reference, pair, loss, batch, 3, first_seed=3)
    report(f"OneCycleLR checkpoint (momentum {pair.muon.param_groups[0]['momentum']:.3f}) "
           "-> muon_mlir.optim.Muon", model, reference)

    # Muon's momentum warmed up from 0.85 to 0.95 (modded-nanogpt's
    # schedule), set on the group before every step: an input too.
    model, reference = models.twins(models.TinyGPT)
    ours = groups(model)
    pair = models.TorchPair(reference)

    class WarmUp:
        def __init__(self, *optimizers):
            self.optimizers, self.count = optimizers, 0
            self.step()

        def step(self):
            value = 0.85 + 0.1 * min(self.count / 8, 1.0)
            for optimizer in self.optimizers:
                optimizer.param_groups[0]["momentum"] = value
            self.count += 1

    models.train(model, ours, loss, batch, 10, scheduler=WarmUp(ours))
    models.train(reference, pair, loss, batch, 10, scheduler=WarmUp(pair.muon))
    report("momentum warm-up 0.85 -> 0.95, 10 steps", model, reference)
    print(f"compiled steps after 10 warmed-up steps: {len(ours._compiled)} (one per group)")
    saved = [p.detach().clone() for p in model.parameters()]
    ours.param_groups[0]["momentum"] = 1.5
    try:
        models.train(model, ours, loss, batch, 1)
        raise AssertionError("no error for momentum 1.5")
    except ValueError as e:
        untouched = all(torch.equal(p.detach(), q) for p, q in zip(model.parameters(), saved))
        print(f"momentum 1.5: {e} [parameters {'untouched' if untouched else 'MODIFIED'}]")
