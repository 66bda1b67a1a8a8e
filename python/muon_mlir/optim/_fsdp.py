"""Muon on FSDP2 (`fully_shard`): DTensor parameters sharded by rows.

FSDP2 has already reduce-scattered (and averaged) the gradients when
`step()` runs: every rank holds rows of every parameter and of its
gradient. Newton–Schulz needs whole matrices, so each Muon matrix has an
owner (ShardPlan, balanced by Newton–Schulz FLOPs):

    check     all_gather of one int64 (as the data-parallel step)
    to owner  all_to_all: every rank sends its rows of each matrix's gradient
              and parameter to the matrix's owner
    compute   the owner runs the compiled step on the whole matrix (its
              momentum lives there, whole)
    back      all_to_all: the owner returns each rank's rows of the result
    AdamW     each rank's compiled AdamW step on its own rows, no traffic

Checkpoints: the data-parallel mode's ShardedTensor state dicts (see
Collective.state_dict), in the same layout.

A rank sends, per step, 2(N-1)/N² of the Muon bytes on the way in
(gradient and parameter rows) and (N-1)/N² on the way back, on average:
3(N-1)/N²·M on top of FSDP's own all_gather/reduce_scatter. The AdamW
update runs last, after both collectives succeeded, and the owners' state
is restored if the second one fails: a failed step changes nothing.
"""

import math

import torch
import torch.distributed as dist

from . import _muon
from ._distributed import Collective, ShardPlan, _inner_optimizer, sync_inner_groups


def _rows(length, world):
    """Row ranges [(begin, end)] of a Shard(0) placement over `world` ranks:
    torch.chunk's, ⌈length/world⌉ rows each, the last ones short or empty."""
    size = -(-length // world)
    return [(min(r * size, length), min((r + 1) * size, length)) for r in range(world)]


class FSDPStep(Collective):
    """The step of a muon_mlir.optim.Muon over FSDP2 parameters."""

    def _build(self):
        from torch.distributed.tensor import DTensor, Shard

        if self.items is None:
            self._items()
        for it in self.items:
            p = it.param
            if not isinstance(p, DTensor) or tuple(p.placements) != (Shard(0),) or \
                    p.device_mesh.ndim != 1:
                raise ValueError(f"muon_mlir.optim.Muon over FSDP2: {it.describe()} must be a "
                                 "DTensor sharded on dimension 0 over a 1-D mesh "
                                 "(fully_shard's default)")
            if p.to_local().shape[0] != _span(_rows(p.shape[0], self.world)[self.rank]):
                raise ValueError(f"muon_mlir.optim.Muon over FSDP2: {it.describe()} has "
                                 f"{p.to_local().shape[0]} rows here, not torch.chunk's")
        matrices = [it for it in self.items if it.kind != "adamw"]
        self.plan = ShardPlan([it.param.numel() for it in matrices],
                              [it.flops for it in matrices], self.world)
        self.owner = {}
        for rank, segments in enumerate(self.plan.segments):
            for i, *_ in segments:
                self.owner[matrices[i].index] = rank
        self.matrices = matrices
        # Owned matrices whole (parameter copy and gradient buffer), the
        # compiled Muon step over them; AdamW over this rank's rows.
        self.whole = {it.index: (torch.empty(it.param.shape, dtype=self.dtype,
                                             device=self.device),
                                 torch.empty(it.param.shape, dtype=self.dtype,
                                             device=self.device))
                      for it in matrices if self.owner[it.index] == self.rank}
        self.muon = _inner_optimizer(self.optimizer, [
            (self.whole[it.index][0], 0, 0, it) for it in matrices if it.index in self.whole])
        # (Rows of a short parameter may be none here: nothing to update.)
        self.local = {it.index: it.param.to_local().detach() for it in self.items
                      if it.kind == "adamw" and it.param.to_local().numel()}
        self.adamw = _inner_optimizer(self.optimizer, [
            (self.local[it.index], 0, 0, it) for it in self.items if it.index in self.local])

    def _segments(self, rank):
        """(item, start, end in the flattened parameter) of rank's tensors:
        its owned matrices whole, its rows of the AdamW parameters — in the
        checkpoint layout of the data-parallel mode (no empty matrices)."""
        segments = []
        for it in self.items:
            if it.kind != "adamw":
                if self.owner[it.index] == rank and it.param.numel():
                    segments.append((it.index, 0, it.param.numel()))
                continue
            begin, end = _rows(it.param.shape[0], self.world)[rank]
            width = math.prod(it.param.shape[1:])
            if end > begin:
                segments.append((it.index, begin * width, end * width))
        return segments

    def _shadow(self, it, start, end):
        if it.kind == "adamw":
            return self.adamw, self.local[it.index]
        return self.muon, self.whole[it.index][0]

    def _check_grad(self, it):
        local = _LocalView(it.param)
        _muon._check_grad(local, it.describe())
        _muon._check_contiguous(local, it.describe())

    def step(self):
        if not self._check_step():
            return
        if self.plan is None:
            self._build()
        world, me = self.world, self.rank
        for it in self.items:
            if it.index in self.local and \
                    it.param.to_local().data_ptr() != self.local[it.index].data_ptr():
                raise RuntimeError(f"muon_mlir.optim.Muon over FSDP2: {it.describe()} moved "
                                   "to new storage since the first step")
        # The hash check made the set of gradients the same on every rank,
        # so every rank orders the matrices alike.
        moving = [it for it in self.matrices if it.param.grad is not None]
        owned = [it for it in moving if self.owner[it.index] == me]
        rows = {it.index: _rows(it.param.shape[0], world) for it in moving}

        def count(it, rank):
            return _span(rows[it.index][rank]) * math.prod(it.param.shape[1:])

        # To the owners: for each destination, the gradient and parameter
        # rows held here of the matrices it owns; from each source, its rows
        # of the matrices owned here.
        send = [t.reshape(-1) for r in range(world) for it in moving
                if self.owner[it.index] == r
                for t in (it.param.grad.to_local(), it.param.to_local())]
        sizes_out = [sum(2 * count(it, me) for it in moving if self.owner[it.index] == r)
                     for r in range(world)]
        sizes_in = [sum(2 * count(it, r) for it in owned) for r in range(world)]
        received = self._all_to_all(send, sizes_in, sizes_out)
        at = 0
        for r in range(world):
            for it in owned:
                weight, grad = self.whole[it.index]
                first = rows[it.index][r][0] * math.prod(it.param.shape[1:])
                n = count(it, r)
                grad.view(-1)[first:first + n].copy_(received[at:at + n])
                weight.view(-1)[first:first + n].copy_(received[at + n:at + 2 * n])
                at += 2 * n
        backups = []
        if self.muon is not None:
            for it in self.matrices:
                if it.index in self.whole:
                    weight, grad = self.whole[it.index]
                    weight.grad = grad if it.param.grad is not None else None
                    self._backup([], self.muon, weight, backups)
            sync_inner_groups(self.muon, self.optimizer)
            self.muon.step()
        try:
            # Back: each rank's rows of the matrices owned here.
            send = [self.whole[it.index][0][slice(*rows[it.index][r])].reshape(-1)
                    for r in range(world) for it in owned]
            back = self._all_to_all(
                send, [sum(count(it, me) for it in moving if self.owner[it.index] == r)
                       for r in range(world)],
                [sum(count(it, r) for it in owned) for r in range(world)])
        except BaseException:
            self._restore(backups)
            raise
        at = 0
        for r in range(world):
            for it in moving:
                if self.owner[it.index] == r:
                    local = it.param.to_local()
                    local.view(-1).copy_(back[at:at + local.numel()])
                    at += local.numel()
        # AdamW last: nothing can fail after it.
        if self.adamw is not None:
            for it in self.items:
                if it.index in self.local:
                    grad = it.param.grad
                    self.local[it.index].grad = None if grad is None else grad.to_local()
            sync_inner_groups(self.adamw, self.optimizer)
            self.adamw.step()

    def _all_to_all(self, tensors, sizes_in, sizes_out):
        """all_to_all_single of the concatenated `tensors`, `sizes_out`
        elements to each rank, `sizes_in` from each; counted as sent:
        everything but this rank's part to itself."""
        send = torch.cat(tensors) if tensors else torch.empty(0, dtype=self.dtype,
                                                              device=self.device)
        received = torch.empty(sum(sizes_in), dtype=self.dtype, device=self.device)
        self.counter.bytes["all_to_all"] = self.counter.bytes.get("all_to_all", 0) + (
            sum(sizes_out) - sizes_out[self.rank]) * send.element_size()
        self.counter.calls["all_to_all"] = self.counter.calls.get("all_to_all", 0) + 1
        dist.all_to_all_single(received, send, sizes_in, sizes_out, group=self.group)
        return received


def _span(rows):
    return rows[1] - rows[0]


class _LocalView:
    """A DTensor parameter as _muon._check_grad and _check_contiguous read
    it: its local rows and its local gradient."""

    def __init__(self, param):
        local = param.to_local()
        self.grad = param.grad.to_local()
        self.dtype, self.shape, self.device = local.dtype, local.shape, local.device
        self.is_contiguous, self.is_complex = local.is_contiguous, local.is_complex
