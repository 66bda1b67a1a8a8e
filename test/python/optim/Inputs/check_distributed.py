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

`mismatch`: rank 1 builds a model with a different hidden size; every rank
must raise the same ValueError at the first step, before any update.

`dead`: rank 1 exits after the reduce_scatter of step 3 (after computing
nothing); rank 0 must get an exception from the process group within its
timeout, and its parameters and optimizer state must be those before step 3.
"""

import datetime
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import models
from muon_mlir.optim import Muon, _distributed

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[os.pardir] * 4, "bench"))
import comm_model  # noqa: E402

STEPS, GRID = 5, 2.0 ** -20
# Small buckets: several per model, so the asynchronous path is exercised.
BUCKET_BYTES = 16 << 10


def quantize(model):
    for p in model.parameters():
        assert p.grad.abs().max() < 4, "gradients too large for exact sums"
        p.grad.copy_(torch.round(p.grad / GRID) * GRID)


def optimizer(model, **kwargs):
    return Muon(model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
                verbose=False, **kwargs)


def batch(step, rank, world):
    return models.gpt_batch(step * world + rank)


def init(rank, world, path, seconds=60):
    dist.init_process_group("gloo", init_method=f"file://{path}", rank=rank,
                            world_size=world, timeout=datetime.timedelta(seconds=seconds))


def equal_rank(rank, world, path, out):
    init(rank, world, path)
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    for step in range(STEPS):
        opt.zero_grad()
        models.gpt_loss(model, batch(step, rank, world)).backward()
        quantize(model)
        opt.step()
    counter = opt._sharded.counter
    torch.save({"params": model.state_dict(), "bytes": counter.bytes, "calls": counter.calls,
                "imbalance": opt._sharded.plan.imbalance()}, f"{out}/rank{rank}.pt")
    dist.destroy_process_group()


def reference(worlds):
    """The single-process run: step k on the mean gradient of worlds[k]
    micro-batches."""
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model)
    for step, world in enumerate(worlds):
        total = [torch.zeros_like(p) for p in model.parameters()]
        for rank in range(world):
            opt.zero_grad()
            models.gpt_loss(model, batch(step, rank, world)).backward()
            quantize(model)
            for t, p in zip(total, model.parameters()):
                t += p.grad
        for t, p in zip(total, model.parameters()):
            p.grad = t / world
        opt.step()
    return model


def check_equal(world, out):
    path = tempfile.mktemp(dir=out)
    mp.spawn(equal_rank, args=(world, path, out), nprocs=world)
    expected = reference([world] * STEPS).state_dict()
    shapes = [tuple(p.shape) for p in models.TinyGPT().parameters()]
    names = [n for n, _ in models.TinyGPT().named_parameters()]
    modelled = comm_model.ours_bytes(comm_model.routed(names, shapes), world, 4,
                                     bucket_bytes=BUCKET_BYTES)
    for rank in range(world):
        got = torch.load(f"{out}/rank{rank}.pt")
        differ = [k for k, v in expected.items() if not torch.equal(v, got["params"][k])]
        assert not differ, f"rank {rank}: {differ} differ from the single-process optimizer"
        counted = got["bytes"]["reduce_scatter"] + got["bytes"]["all_gather"]
        assert counted == STEPS * modelled, (counted, STEPS * modelled)
    elements = sum(v.numel() for v in expected.values())
    print(f"equal {world}: {STEPS} steps bitwise equal to one process on every rank; "
          f"bytes per rank per step {counted // STEPS} counted == {modelled} modelled "
          f"(2(N-1)/N·P = {2 * (world - 1) * elements * 4 // world}), check "
          f"{got['bytes']['check'] // STEPS} B; {got['calls']['reduce_scatter'] // STEPS} "
          f"buckets; NS FLOP imbalance {got['imbalance']:.1%}")


def resume_rank(rank, world, path, out, first, steps):
    """Steps [first, first + steps) at `world` ranks, from the checkpoint
    in out/checkpoint if first > 0; saves one there at the end."""
    import torch.distributed.checkpoint as dcp

    init(rank, world, path)
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD, bucket_bytes=BUCKET_BYTES)
    if first:
        model.load_state_dict(torch.load(f"{out}/model.pt"))
        state = opt.state_dict()
        dcp.load({"optim": state}, checkpoint_id=f"{out}/checkpoint")
        opt.load_state_dict(state)
    for step in range(first, first + steps):
        opt.zero_grad()
        models.gpt_loss(model, batch(step, rank, world)).backward()
        quantize(model)
        opt.step()
    dcp.save({"optim": opt.state_dict()}, checkpoint_id=f"{out}/checkpoint")
    if rank == 0:
        torch.save(model.state_dict(), f"{out}/model.pt")
    dist.destroy_process_group()


def check_resume(before, after, out):
    """3 steps at `before` ranks, a torch.distributed.checkpoint, 2 steps at
    `after` ranks from it: bitwise the single-process run."""
    out = os.path.join(out, f"resume{before}to{after}")
    os.makedirs(out)
    mp.spawn(resume_rank, args=(before, tempfile.mktemp(dir=out), out, 0, 3), nprocs=before)
    mp.spawn(resume_rank, args=(after, tempfile.mktemp(dir=out), out, 3, 2), nprocs=after)
    expected = reference([before] * 3 + [after] * 2).state_dict()
    got = torch.load(f"{out}/model.pt")
    differ = [k for k, v in expected.items() if not torch.equal(v, got[k])]
    assert not differ, f"{differ} differ from the single-process optimizer"
    print(f"resume {before} -> {after} ranks: 3 + 2 steps through torch.distributed.checkpoint "
          "bitwise equal to one process")


def mismatch_rank(rank, world, path, out):
    init(rank, world, path)
    model = models.TinyGPT(d=32 if rank == 0 else 48)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = optimizer(model, process_group=dist.group.WORLD)
    models.gpt_loss(model, batch(0, rank, world)).backward()
    try:
        opt.step()
        message = "no error"
    except ValueError as e:
        message = f"ValueError: {e}"
    untouched = all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    with open(f"{out}/mismatch{rank}.txt", "w") as f:
        f.write(f"{message} [parameters {'untouched' if untouched else 'CHANGED'}]")
    dist.destroy_process_group()


def check_mismatch(world, out):
    path = tempfile.mktemp(dir=out)
    mp.spawn(mismatch_rank, args=(world, path, out), nprocs=world)
    messages = [open(f"{out}/mismatch{r}.txt").read() for r in range(world)]
    assert len(set(messages)) == 1, messages
    print(f"mismatch {world}: every rank: {messages[0]}")


def dead_rank(rank, world, path, out):
    init(rank, world, path, seconds=10)
    model, _ = models.twins(models.TinyGPT)
    opt = optimizer(model, process_group=dist.group.WORLD)
    for step in range(3):
        opt.zero_grad()
        models.gpt_loss(model, batch(step, rank, world)).backward()
        if step == 2:
            if rank == 1:
                # Die between the reduce_scatter and the all_gather.
                _distributed.ShardedStep._compute = lambda *args: os._exit(1)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            state = [(v, v.clone()) for inner in opt._sharded.inner if inner is not None
                     for s in inner.state.values() for v in s.values()]
            start = time.monotonic()
            try:
                opt.step()
                message = "no error"
            except Exception as e:  # gloo's: connection closed or timeout
                message = f"{type(e).__name__} after {time.monotonic() - start:.0f} s"
            same = all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
            same_state = state and all(torch.equal(v, saved) for v, saved in state)
            with open(f"{out}/dead{rank}.txt", "w") as f:
                f.write(f"{message}; parameters {'as before' if same else 'CHANGED'}, "
                        f"optimizer state {'as before' if same_state else 'CHANGED'}")
            os._exit(0)  # the group is broken: no destroy_process_group
        opt.step()


def check_dead(out):
    path = tempfile.mktemp(dir=out)
    context = mp.spawn(dead_rank, args=(2, path, out), nprocs=2, join=False)
    for process in context.processes:
        process.join(60)
    if not os.path.exists(f"{out}/dead0.txt"):
        context.join()  # raises with the rank's traceback
    report = open(f"{out}/dead0.txt").read()
    seconds = float(report.split(" after ")[1].split(" s")[0]) if " after " in report else -1
    assert 0 <= seconds <= 15, report
    print(f"dead rank: rank 0 gets {report.split(' after ')[0]} within the 10 s timeout; "
          f"{report.split('; ')[1]}")


if __name__ == "__main__":
    out = os.getcwd()
    for case in sys.argv[1:]:
        if case == "equal2":
            check_equal(2, out)
        elif case == "equal4":
            check_equal(4, out)
        elif case == "resume":
            check_resume(2, 4, out)
            check_resume(4, 2, out)
        elif case == "mismatch":
            check_mismatch(2, out)
        elif case == "dead":
            check_dead(out)
