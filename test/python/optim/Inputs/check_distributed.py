"""muon_mlir.optim.Muon(process_group=...) on gloo, CPU, against one process.

`equal N`: N ranks (torch.multiprocessing, gloo) train TinyGPT 5 steps,
each on its own batch, with the sharded optimizer; one process trains a
twin with the plain optimizer on the mean of the same N gradients. The
parameters must be bitwise equal. The gradients are rounded to multiples of
2^-20 (|g| < 4 checked) on both sides, so that every partial sum of N <= 4
of them is exact and the sum does not depend on the order gloo's
reduce_scatter adds them in; everything after the sum is the same compiled
code on the same numbers. The bytes each rank counted at its collectives
must equal bench/comm_model.py's model of the scheme for these shapes.

`fsdp`: TinyGPT under FSDP2 (fully_shard, DTensor Shard(0) parameters),
5 steps with the same optimizer (owners gather matrix rows): bitwise equal
to one process on 2 ranks, within 1e-5 relative on 4 (FSDP2 reduces the
gradients in its own order); the all_to_all bytes each rank counted equal
bench/comm_model.py's model.

`fsdpsave`/`fsdpresume`: the same resume under FSDP2, model and optimizer
through torch.distributed.checkpoint: within 1e-5 of one process.

`skip`: an AdamW and a Muon parameter without gradients on odd steps on
every rank: skipped as one process skips them, bitwise.

`single`: 3 steps of the plain optimizer, its state dict loaded into the
sharded one at 2 ranks, 2 more steps: bitwise the single-process run.

`qkclip`: QKClip(process_group=...) with per-head max logits that differ
by rank: every rank's weights equal one process clipping with their maximum.

`mismatch`: rank 1 builds a model with a different hidden size; every rank
must raise the same ValueError at the first step, before any update. So
with rank 1's betas[0] out of range alone (`hypermismatch`: the others must
not wait for it in a collective), and with the momentum out of range on
every rank (`badmomentum`).

`torchload`: a torch.optim.Muon + AdamW checkpoint taken while OneCycleLR
cycled Muon's momentum, one matrix without state (never a gradient), loaded
at 2 ranks: 2 steps bitwise one process loading it, with the saved momentum.

`stale`: a single-process state dict without a matrix's state loaded into a
trained optimizer: that matrix restarts from zeros, as in one process.

`empty`: a zero-size Muon matrix: state_dict() on every rank, through
torch.distributed.checkpoint into a new optimizer that then steps as the
first does.

`tosingle`: a 2-rank torch.distributed.checkpoint through dcp_to_torch_save
into one process: its next step is the ranks'.

`twice`/`tied`: a parameter listed twice, two Parameters on one storage:
one process's error on every rank, before any collective.

`sparse`/`count`: a sparse gradient, a parameter more on rank 1: the
mismatch error names them.

`dead`: rank 1 exits after the reduce_scatter of step 3 (after computing
nothing); rank 0 must get an exception from the process group within its
timeout, and its parameters and optimizer state must be those before step 3
(rank 0 has updated its own matrices by then: they are rolled back).
`hang`: the same with rank 1 stuck instead: the 10 s timeout must fire.
`fsdpdead`: under FSDP2, rank 1 exits at the all_to_all that returns the
owners' results: rank 0 (an owner) restores its momentum, changes nothing.

`resume`: 3 steps at 2 (4) ranks, torch.distributed.checkpoint, 2 steps at
4 (2) ranks from it: bitwise the single-process run with those gradients.

    check_distributed.py quick   # 2 ranks: equal, skip, single, fsdp, qkclip, mismatch, ...,
                                 # dead; fsdpdead
    check_distributed.py         # 4 ranks (equal, fsdp), resume 2 <-> 4, hang
"""

import datetime
import os
import sys
import tempfile
import time
import warnings

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp

import models
from muon_mlir.optim import Muon, QKClip, _distributed, _fsdp, combine_state_dicts

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[os.pardir] * 4, "bench"))
import comm_model  # noqa: E402

STEPS, GRID = 5, 2.0 ** -20
# Small buckets: several per model, so the asynchronous path is exercised.
BUCKET_BYTES = 16 << 10
# The process group's timeout for the step a rank dies or hangs in.
FAILURE_TIMEOUT = datetime.timedelta(seconds=10)


def quantize(model):
    for p in model.parameters():
        assert p.grad.abs().max() < 4, "gradients too large for exact sums"
        p.grad.copy_(torch.round(p.grad / GRID) * GRID)


def optimizer(model, **kwargs):
    return Muon(model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
                verbose=False, **kwargs)


def batch(step, rank, world):
    return models.gpt_batch(step * world + rank)


# Parameters whose gradient the `skip` runs drop on odd steps (on every
# rank alike): an AdamW one and a Muon one.
SKIPPED = ("head.weight", "blocks.layers.0.linear1.weight")


def drop_skipped(model, step):
    named = dict(model.named_parameters())
    assert all(name in named for name in SKIPPED)
    if step % 2:
        for name in SKIPPED:
            named[name].grad = None


def schedule(opt, step):
    """A warm-up of Muon's momentum and a decay of AdamW's beta1, as
    schedules set them before a step: the ranks' inner optimizers must see
    the new values (their compiled steps read them as inputs); from step 2
    on, another weight decay (compiled into the steps)."""
    for group in opt.param_groups:
        group["momentum"] = 0.85 + 0.02 * step
        group["betas"] = (0.9 - 0.01 * step, group["betas"][1])
        if step == 2:
            group["weight_decay"] = 0.05


def train(model, opt, rank, world, steps, skip=False):
    for step in steps:
        opt.zero_grad()
        models.gpt_loss(model, batch(step, rank, world)).backward()
        quantize(model)
        if skip:
            drop_skipped(model, step)
        schedule(opt, step)
        opt.step()


# -- on each rank: the cases share one gloo group, the dead rank last ----


def rank_main(rank, world, path, out, cases):
    # Generous while ranks compile their steps (four muon-compile runs on a
    # loaded 2-core CI machine can keep one rank away from a collective past
    # 10 s); fail_in_step shortens it to FAILURE_TIMEOUT once they are cached.
    dist.init_process_group("gloo", init_method=f"file://{path}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=300))
    for case in cases:
        globals()[f"{case}_rank"](rank, world, out)
    if cases[-1] not in ("dead", "hang", "fsdpdead"):
        dist.barrier()  # no rank leaves while another still talks to it
        dist.destroy_process_group()
        # Skip interpreter finalization: gloo's threads once aborted a rank
        # there in CI ("terminate called without an active exception").
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def equal_rank(rank, world, out):
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    train(model, opt, rank, world, range(STEPS))
    counter = opt._sharded.counter
    torch.save({"params": model.state_dict(), "bytes": counter.bytes, "calls": counter.calls,
                "imbalance": opt._sharded.plan.imbalance()}, f"{out}/rank{rank}.pt")


def save_rank(rank, world, out):
    """3 steps, then a torch.distributed.checkpoint of the optimizer."""
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    train(model, opt, rank, world, range(3))
    dcp.save({"optim": opt.state_dict()}, checkpoint_id=f"{out}/checkpoint{world}")
    if rank == 0:
        torch.save(model.state_dict(), f"{out}/model{world}.pt")


def resume_rank(rank, world, out):
    """From the other world size's checkpoint, 2 more steps."""
    other = {2: 4, 4: 2}[world]
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    model.load_state_dict(torch.load(f"{out}/model{other}.pt"))
    state = opt.state_dict()
    dcp.load({"optim": state}, checkpoint_id=f"{out}/checkpoint{other}")
    opt.load_state_dict(state)
    train(model, opt, rank, world, range(3, 5))
    if rank == 0:
        torch.save(model.state_dict(), f"{out}/resumed{other}to{world}.pt")


def skip_rank(rank, world, out):
    """4 steps, SKIPPED without gradients on odd steps."""
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    train(model, opt, rank, world, range(4), skip=True)
    if rank == 0:
        torch.save(model.state_dict(), f"{out}/skip.pt")


def single_rank(rank, world, out):
    """3 steps of the single-process optimizer (on every rank alike), its
    plain state dict loaded into the sharded one, 2 more steps."""
    model, _ = models.twins(models.TinyGPT)
    plain = optimizer(model)
    train(model, plain, 0, 1, range(3))
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    opt.load_state_dict(plain.state_dict())
    train(model, opt, rank, world, range(3, 5))
    if rank == 0:
        torch.save(model.state_dict(), f"{out}/resumed1to{world}.pt")


def fsdp_model(world):
    """TinyGPT under FSDP2: fully_shard per block and at the root."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh("cpu", (world,))
    model, _ = models.twins(models.TinyGPT)
    for layer in model.blocks.layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model, optimizer(model)


def fsdp_train(model, opt, rank, world, steps):
    """No rounding of the gradients: FSDP2 reduces them inside backward."""
    for step in steps:
        opt.zero_grad()
        models.gpt_loss(model, batch(step, rank, world)).backward()
        schedule(opt, step)
        opt.step()


def fsdp_rank(rank, world, out):
    """5 steps under FSDP2."""
    model, opt = fsdp_model(world)
    fsdp_train(model, opt, rank, world, range(STEPS))
    full = {k: v.full_tensor() for k, v in model.state_dict().items()}
    torch.save({"params": full, "bytes": opt._sharded.counter.bytes},
               f"{out}/fsdp{world}-{rank}.pt")


def fsdpsave_rank(rank, world, out):
    """3 steps under FSDP2, then model and optimizer through
    torch.distributed.checkpoint."""
    model, opt = fsdp_model(world)
    fsdp_train(model, opt, rank, world, range(3))
    dcp.save({"model": model.state_dict(), "optim": opt.state_dict()},
             checkpoint_id=f"{out}/fsdp-checkpoint{world}")


def fsdpresume_rank(rank, world, out):
    """From the other world size's FSDP2 checkpoint, 2 more steps."""
    other = {2: 4, 4: 2}[world]
    model, opt = fsdp_model(world)
    state = {"model": model.state_dict(), "optim": opt.state_dict()}
    dcp.load(state, checkpoint_id=f"{out}/fsdp-checkpoint{other}")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optim"])
    fsdp_train(model, opt, rank, world, range(3, 5))
    full = {k: v.full_tensor() for k, v in model.state_dict().items()}
    if rank == 0:
        torch.save(full, f"{out}/fsdp-resumed{other}to{world}.pt")


def clip_setup(rank):
    """Two (W_q, W_k) pairs, the same on every rank, and per-head max
    logits that differ by rank: some heads over tau on one rank only."""
    g = torch.Generator().manual_seed(0)
    pairs = [tuple(torch.randn(32, 24, generator=g) for _ in range(2)) for _ in range(2)]
    logits = [torch.tensor([50.0, 180.0, 90.0, 40.0]).roll(rank + layer) for layer in range(2)]
    return pairs, logits


def qkclip_rank(rank, world, out):
    pairs, logits = clip_setup(rank)
    QKClip(pairs, num_heads=4, head_dim=8, tau=100.0, verbose=False,
           process_group=dist.group.WORLD).step(logits)
    torch.save(pairs, f"{out}/clip{rank}.pt")


def mismatch_rank(rank, world, out, case="mismatch", change=None):
    model = models.TinyGPT(d=48 if rank == 1 and change is None else 32)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = optimizer(model, process_group=dist.group.WORLD)
    if change is not None:
        change(rank, opt.param_groups[0])
    models.gpt_loss(model, batch(0, rank, world)).backward()
    report_error(opt, before.values(), model.state_dict().values(), f"{out}/{case}{rank}.txt")


def report_error(opt, before, params, path):
    """Steps `opt` and writes the ValueError it raises (or "no error") and
    whether `params` kept the values `before` to `path`."""
    try:
        opt.step()
        message = "no error"
    except ValueError as e:
        message = f"ValueError: {e}"
    untouched = all(torch.equal(a, b) for a, b in zip(before, params))
    with open(path, "w") as f:
        f.write(f"{message} [parameters {'untouched' if untouched else 'CHANGED'}]")


def hypermismatch_rank(rank, world, out):
    def change(rank, group):
        if rank == 1:
            group["betas"] = (1.5, group["betas"][1])
    mismatch_rank(rank, world, out, "hypermismatch", change)


def badmomentum_rank(rank, world, out):
    mismatch_rank(rank, world, out, "badmomentum",
                  lambda rank, group: group.update(momentum=1.0))


# -- small cases: two matrices (Muon) and a bias (AdamW) --------------------


def small_params(*extra):
    g = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(shape, generator=g))
            for shape in [(6, 5), (4, 6), (6,), *extra]]


def small_grads(params, step, skip=()):
    """The same gradients on every rank (their mean is exact)."""
    for i, p in enumerate(params):
        g = torch.Generator().manual_seed(10 * step + i)
        p.grad = None if i in skip else torch.randn(p.shape, generator=g)


def small_optimizer(params, **kwargs):
    """The matrices in a Muon group, the other parameters in an AdamW one."""
    return Muon([dict(params=[p for p in params if p.ndim == 2], use_muon=True),
                 dict(params=[p for p in params if p.ndim != 2], use_muon=False, lr=3e-3)],
                lr=0.02, verbose=False, **kwargs)


def small_train(opt, params, steps, skip=()):
    for step in steps:
        small_grads(params, step, skip)
        opt.step()


def torch_checkpoint():
    """3 steps of torch.optim.Muon (the second matrix without gradients,
    so without state) and AdamW under OneCycleLR, which cycles Muon's
    momentum: the parameters and the combined state dict."""
    params = small_params()
    muon = torch.optim.Muon(params[:2], lr=0.02)
    adamw = torch.optim.AdamW(params[2:], lr=3e-3)
    schedules = [torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=8)
                 for opt, lr in ((muon, 0.02), (adamw, 3e-3))]
    for step in range(3):
        small_grads(params, step, skip=(1,))
        for opt in (muon, adamw, *schedules):
            opt.step()
    return params, combine_state_dicts(muon.state_dict(), adamw.state_dict())


def plain_checkpoint():
    """3 steps of the single-process optimizer, the second matrix without
    gradients (without state)."""
    params = small_params()
    opt = small_optimizer(params)
    small_train(opt, params, range(3), skip=(1,))
    return params, opt.state_dict()


def small_resume(checkpoint, trained, **kwargs):
    """A new optimizer (trained 3 steps first with `trained`) loads the
    checkpoint's state and parameters, 2 more steps: the parameters and
    Muon's momentum."""
    params = small_params()
    opt = small_optimizer(params, **kwargs)
    if trained:
        small_train(opt, params, range(10, 13))
    saved, state_dict = checkpoint()
    with torch.no_grad():
        for p, value in zip(params, saved):
            p.copy_(value)
    opt.load_state_dict(state_dict)
    small_train(opt, params, range(3, 5))
    return {"params": [p.detach() for p in params], "momentum": opt.param_groups[0]["momentum"],
            "saved": state_dict["param_groups"][0]["momentum"]}


def torchload_rank(rank, world, out):
    torch.save(small_resume(torch_checkpoint, False, process_group=dist.group.WORLD),
               f"{out}/torchload{rank}.pt")


def stale_rank(rank, world, out):
    torch.save(small_resume(plain_checkpoint, True, process_group=dist.group.WORLD),
               f"{out}/stale{rank}.pt")


def empty_rank(rank, world, out):
    """A zero-size Muon matrix (rank 1 owns it): 2 steps, a checkpoint
    through torch.distributed.checkpoint into a new optimizer on copies of
    the parameters, a step of both."""
    params = small_params((0, 6))
    opt = small_optimizer(params, process_group=dist.group.WORLD)
    small_train(opt, params, range(2))
    dcp.save({"optim": opt.state_dict()}, checkpoint_id=f"{out}/empty-checkpoint")
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    again = small_optimizer(copies, process_group=dist.group.WORLD)
    state = again.state_dict()
    dcp.load({"optim": state}, checkpoint_id=f"{out}/empty-checkpoint")
    again.load_state_dict(state)
    small_train(opt, params, [2])
    small_train(again, copies, [2])
    same = all(torch.equal(a, b) for a, b in zip(params, copies))
    with open(f"{out}/empty{rank}.txt", "w") as f:
        f.write("same" if same else "DIFFERENT")


def tosingle_rank(rank, world, out):
    """2 steps, a checkpoint through torch.distributed.checkpoint, a third
    step; with a 3-D AdamW parameter, whose moments it holds flattened."""
    params = small_params((2, 3, 4))
    opt = small_optimizer(params, process_group=dist.group.WORLD)
    small_train(opt, params, range(2))
    dcp.save({"optim": opt.state_dict()}, checkpoint_id=f"{out}/tosingle-checkpoint")
    before = [p.detach().clone() for p in params]
    small_train(opt, params, [2])
    if rank == 0:
        torch.save({"before": before, "after": [p.detach() for p in params]},
                   f"{out}/tosingle.pt")


def small_error(rank, world, out, case, params, change=None):
    """The step's error on `params` (their gradients changed by `change`)."""
    before = [p.detach().clone() for p in params]
    with warnings.catch_warnings():  # torch's for a parameter listed twice
        warnings.simplefilter("ignore")
        opt = small_optimizer(params, process_group=dist.group.WORLD)
    small_grads(params, 0)
    if change is not None:
        change(params)
    report_error(opt, before, params, f"{out}/{case}{rank}.txt")


def twice_rank(rank, world, out):
    params = small_params()
    small_error(rank, world, out, "twice", [params[0], *params])


def tied_rank(rank, world, out):
    params = small_params()
    small_error(rank, world, out, "tied", [torch.nn.Parameter(params[0].data), *params])


def sparse_rank(rank, world, out):
    def sparse(params):
        params[0].grad = params[0].grad.to_sparse()
    small_error(rank, world, out, "sparse", small_params(), sparse if rank == 0 else None)


def count_rank(rank, world, out):
    small_error(rank, world, out, "count", small_params(*[(5,)] * rank))


def dead_rank(rank, world, out):
    """Rank 1 exits inside step 3, after the reduce_scatter, before its
    compute and the all_gather; the others report what they saw."""
    fail_in_step(rank, world, out, "dead", lambda *args: os._exit(1))


def hang_rank(rank, world, out):
    """As dead_rank, but rank 1 hangs (past the 10 s timeout) instead."""
    fail_in_step(rank, world, out, "hang", lambda *args: (time.sleep(25), os._exit(1)))


def fsdpdead_rank(rank, world, out):
    """As dead_rank under FSDP2: rank 1 exits at the second all_to_all of
    step 3, after the owners have computed."""
    original = _fsdp.FSDPStep._all_to_all
    calls = []

    def second_fails(self, *args):
        calls.append(None)
        if len(calls) == 2:
            os._exit(1)
        return original(self, *args)

    fail_in_step(rank, world, out, "fsdpdead", (_fsdp.FSDPStep, "_all_to_all", second_fails),
                 fsdp=True)


def fail_in_step(rank, world, out, case, failure, fsdp=False):
    """Two steps, then step 3 with `failure` ((class, attribute, value) or
    ShardedStep._compute's replacement) on rank 1; rank 0 reports."""
    if fsdp:
        model, opt = fsdp_model(world)
        fsdp_train(model, opt, rank, world, range(2))
        inner = [opt._sharded.muon, opt._sharded.adamw]
    else:
        model, _ = models.twins(models.TinyGPT)
        opt = optimizer(model, process_group=dist.group.WORLD)
        train(model, opt, rank, world, range(2))
        inner = opt._sharded.inner
        failure = (_distributed.ShardedStep, "_compute", failure)
    dist.set_timeout(FAILURE_TIMEOUT)
    opt.zero_grad()
    models.gpt_loss(model, batch(2, rank, world)).backward()
    if rank == 1:
        setattr(*failure)

    def local():  # no DTensor operation: the group is about to break
        return {k: getattr(v, "_local_tensor", v) for k, v in model.state_dict().items()}

    before = {k: v.clone() for k, v in local().items()}
    state = [(v, v.clone()) for i in inner if i is not None
             for s in i.state.values() for v in s.values()]
    start = time.monotonic()
    try:
        opt.step()
        message = "no error"
    except Exception as e:  # gloo's: connection closed, or the timeout
        message = f"{type(e).__name__} after {time.monotonic() - start:.0f} s"
    same = all(torch.equal(v, local()[k]) for k, v in before.items())
    same_state = state and all(torch.equal(v, saved) for v, saved in state)
    with open(f"{out}/{case}{rank}.txt", "w") as f:
        f.write(f"{message}; parameters {'as before' if same else 'CHANGED'}, "
                f"optimizer state {'as before' if same_state else 'CHANGED'}")
    os._exit(0)  # the group is broken: no destroy_process_group


# -- in the parent ----------------------------------------------------------


def spawn(world, out, cases):
    context = mp.spawn(rank_main, args=(world, tempfile.mktemp(dir=out), out, cases),
                       nprocs=world, join=False)
    for process in context.processes:
        process.join(120)
    if not os.path.exists(f"{out}/{cases[-1]}0.txt"):
        context.join()  # raises with a failed rank's traceback


def reference(worlds, rounded=True, skip=False):
    """The single-process run: step k on the mean gradient of worlds[k]
    micro-batches (each rounded as the ranks round theirs; SKIPPED dropped
    on odd steps with `skip`)."""
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model)
    for step, world in enumerate(worlds):
        total = [torch.zeros_like(p) for p in model.parameters()]
        for rank in range(world):
            opt.zero_grad()
            models.gpt_loss(model, batch(step, rank, world)).backward()
            if rounded:
                quantize(model)
            for t, p in zip(total, model.parameters()):
                t += p.grad
        for t, p in zip(total, model.parameters()):
            p.grad = t / world
        if skip:
            drop_skipped(model, step)
        schedule(opt, step)
        opt.step()
    return model.state_dict()


def differing(expected, got):
    return [k for k, v in expected.items() if not torch.equal(v, got[k])]


def check_equal(world, out):
    expected = reference([world] * STEPS)
    names, shapes = zip(*[(n, tuple(p.shape)) for n, p in models.TinyGPT().named_parameters()])
    modelled = comm_model.ours_bytes(comm_model.routed(names, shapes), world, 4,
                                     bucket_bytes=BUCKET_BYTES)
    for rank in range(world):
        got = torch.load(f"{out}/rank{rank}.pt")
        differ = differing(expected, got["params"])
        assert not differ, f"rank {rank}: {differ} differ from the single-process optimizer"
        counted = got["bytes"]["reduce_scatter"] + got["bytes"]["all_gather"]
        assert counted == STEPS * modelled, (counted, STEPS * modelled)
    elements = sum(v.numel() for v in expected.values())
    print(f"equal {world}: {STEPS} steps bitwise equal to one process on every rank; "
          f"bytes per rank per step {counted // STEPS} counted == {modelled} modelled "
          f"(2(N-1)/N·P = {2 * (world - 1) * elements * 4 // world}), check "
          f"{got['bytes']['check'] // STEPS} B; {got['calls']['reduce_scatter'] // STEPS} "
          f"parts; NS FLOP imbalance {got['imbalance']:.1%}")


def check_resume(before, after, out):
    differ = differing(reference([before] * 3 + [after] * 2),
                       torch.load(f"{out}/resumed{before}to{after}.pt"))
    assert not differ, f"{differ} differ from the single-process optimizer"
    through = "a plain state dict" if before == 1 else "torch.distributed.checkpoint"
    print(f"resume {before} -> {after} ranks: 3 + 2 steps through {through} bitwise equal "
          "to one process")


def check_skip(world, out):
    differ = differing(reference([world] * 4, skip=True), torch.load(f"{out}/skip.pt"))
    assert not differ, f"{differ} differ from the single-process optimizer"
    print(f"skip {world}: {', '.join(SKIPPED)} without gradients on odd steps (on every "
          "rank): 4 steps bitwise equal to one process skipping them")


def check_mismatch(world, out, case="mismatch"):
    messages = [open(f"{out}/{case}{r}.txt").read() for r in range(world)]
    assert len(set(messages)) == 1, messages
    print(f"{case} {world}: every rank: {messages[0]}")


def check_small(case, world, out, checkpoint, trained):
    """Every rank's parameters after small_resume bitwise one process's."""
    expected = small_resume(checkpoint, trained)
    for rank in range(world):
        got = torch.load(f"{out}/{case}{rank}.pt")
        assert all(map(torch.equal, expected["params"], got["params"])), \
            f"{case}, rank {rank}: differs from one process"
        assert got["momentum"] == expected["momentum"], (got["momentum"], expected["momentum"])
    return got


def check_torchload(world, out):
    got = check_small("torchload", world, out, torch_checkpoint, False)
    print(f"torchload {world}: a torch.optim.Muon + AdamW checkpoint (OneCycleLR's momentum "
          f"{got['saved']:.4f}, a matrix without state): 2 steps with momentum "
          f"{got['momentum']:.4f}, bitwise equal to one process loading it")


def check_stale(world, out):
    check_small("stale", world, out, plain_checkpoint, True)
    print(f"stale {world}: a state dict without a matrix's state loaded after 3 steps: "
          "2 steps bitwise equal to one process (the matrix restarts from zeros)")


def check_empty(world, out):
    reports = [open(f"{out}/empty{r}.txt").read() for r in range(world)]
    assert reports == ["same"] * world, reports
    print(f"empty {world}: a zero-size Muon matrix: state_dict() on every rank, through "
          "torch.distributed.checkpoint into a new optimizer that steps bitwise as the first")


def check_tosingle(world, out):
    """The ranks' checkpoint into one process through dcp_to_torch_save:
    its third step is the ranks'."""
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    dcp_to_torch_save(f"{out}/tosingle-checkpoint", f"{out}/tosingle-single.pt")
    saved = torch.load(f"{out}/tosingle.pt")
    params = [torch.nn.Parameter(p.clone()) for p in saved["before"]]
    opt = small_optimizer(params)
    opt.load_state_dict(torch.load(f"{out}/tosingle-single.pt", weights_only=False)["optim"])
    small_train(opt, params, [2])
    assert all(map(torch.equal, params, saved["after"])), "differs from the ranks' step"
    print(f"tosingle {world} -> 1: a torch.distributed.checkpoint through dcp_to_torch_save "
          "into one process (a 3-D AdamW parameter's moments saved flattened): its next step "
          "bitwise equal to the ranks'")


def check_failure(case, out, within):
    report = open(f"{out}/{case}0.txt").read()
    seconds = float(report.split(" after ")[1].split(" s")[0]) if " after " in report else -1
    assert 0 <= seconds <= within, report
    print(f"{case} rank: rank 0 gets {report.split(' after ')[0]} after {seconds:.0f} s "
          f"(timeout {FAILURE_TIMEOUT.seconds} s); {report.split('; ')[1]}")


def check_fsdp(world, out):
    """On 2 ranks bitwise against one process: a sum of two floats does not
    depend on the order, and FSDP2 divides by the world size (a power of
    two) exactly. On more, FSDP2's reduce_scatter adds in its own order:
    1e-5 relative, the parity tests' bound against torch."""
    expected = reference([world] * STEPS, rounded=False)
    names, shapes = zip(*[(n, tuple(p.shape)) for n, p in models.TinyGPT().named_parameters()])
    modelled = comm_model.ours_fsdp_bytes(comm_model.routed(names, shapes), world, 4)
    for rank in range(world):
        got = torch.load(f"{out}/fsdp{world}-{rank}.pt")
        if world == 2:
            differ = differing(expected, got["params"])
            assert not differ, f"FSDP2, rank {rank}: {differ} differ from one process"
        else:
            worst = max(float((got["params"][k] - v).abs().max() / v.abs().max())
                        for k, v in expected.items())
            assert worst <= 1e-5, f"FSDP2, rank {rank}: {worst:.2e} from one process"
        counted = got["bytes"]["all_to_all"]
        assert counted == STEPS * modelled[rank], (rank, counted, STEPS * modelled[rank])
    equal = "bitwise equal to" if world == 2 else f"within {worst:.1e} <= 1e-05 of"
    print(f"fsdp {world}: {STEPS} steps {equal} one process on every rank; all_to_all bytes "
          f"per rank per step counted == modelled: {[m for m in modelled]}")


def check_fsdp_resume(before, after, out):
    """FSDP2 at 4 ranks does not sum like one process: 1e-5 relative."""
    expected = reference([before] * 3 + [after] * 2, rounded=False)
    got = torch.load(f"{out}/fsdp-resumed{before}to{after}.pt")
    worst = max(float((got[k] - v).abs().max() / v.abs().max()) for k, v in expected.items())
    assert worst <= 1e-5, f"FSDP2 resumed {before} -> {after}: {worst:.2e} from one process"
    print(f"fsdp resume {before} -> {after} ranks: 3 + 2 steps through "
          f"torch.distributed.checkpoint within {worst:.1e} <= 1e-05 of one process")


def check_qkclip(world, out):
    """The ranks' weights equal one process clipping with the maximum of
    every rank's logits."""
    pairs, _ = clip_setup(0)
    logits = [torch.stack(layer).amax(0) for layer in zip(*(clip_setup(r)[1]
                                                            for r in range(world)))]
    QKClip(pairs, num_heads=4, head_dim=8, tau=100.0, verbose=False).step(logits)
    for rank in range(world):
        got = torch.load(f"{out}/clip{rank}.pt")
        assert all(torch.equal(a, b) for pa, pb in zip(pairs, got) for a, b in zip(pa, pb)), rank
    clipped = sum(int((s > 100.0).sum()) for s in logits)
    print(f"qk-clip {world}: every rank's weights bitwise equal to one process clipping with "
          f"the maximum logits ({clipped} of 8 heads clipped)")


if __name__ == "__main__":
    out, cases = os.getcwd(), sys.argv[1:]
    if cases == ["quick"]:  # check-muon: one 2-rank group
        spawn(2, out, ["equal", "skip", "single", "fsdp", "qkclip", "mismatch", "hypermismatch",
                       "badmomentum", "torchload", "stale", "empty", "tosingle", "twice", "tied",
                       "sparse", "count", "dead"])
        check_equal(2, out)
        check_skip(2, out)
        check_fsdp(2, out)
        check_resume(1, 2, out)
        check_qkclip(2, out)
        check_mismatch(2, out)
        check_mismatch(2, out, "hypermismatch")
        check_mismatch(2, out, "badmomentum")
        check_torchload(2, out)
        check_stale(2, out)
        check_empty(2, out)
        check_tosingle(2, out)
        for case in ("twice", "tied", "sparse", "count"):
            check_mismatch(2, out, case)
        check_failure("dead", out, 15)
        spawn(2, out, ["fsdpdead"])
        check_failure("fsdpdead", out, 15)
    else:  # the integration suite: 4 ranks, and resuming across 2 and 4
        spawn(4, out, ["equal", "fsdp", "save", "fsdpsave"])
        check_equal(4, out)
        check_fsdp(4, out)
        spawn(2, out, ["save", "resume", "fsdpsave", "fsdpresume"])
        check_resume(4, 2, out)
        check_fsdp_resume(4, 2, out)
        spawn(4, out, ["resume", "fsdpresume"])
        check_resume(2, 4, out)
        check_fsdp_resume(2, 4, out)
        spawn(2, out, ["hang"])
        check_failure("hang", out, 20)
