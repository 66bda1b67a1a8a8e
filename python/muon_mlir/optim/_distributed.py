"""Sharded Muon over torch.distributed: each matrix orthogonalized once.

Data parallel with replicated parameters (no DDP wrapper): after backward
every rank holds the gradients of its own micro-batch. One step is

    check    all_gather of one int64 per rank: a hash of the parameter list
             and of this step's gradients (which exist, their shapes/dtypes)
    reduce   reduce_scatter of the flat gradients: rank r receives the sum
             (or mean) over ranks of chunk r, the gradients of the matrices
             it owns and of its slice of the AdamW elements
    compute  the compiled step on the owned tensors only (an inner Muon)
    gather   all_gather of the updated chunks into every rank's parameters

so a rank sends 2(N-1)·C elements, C the chunk: 2(N-1)/N·P when the chunks
are balanced, the bytes of the ring all-reduce DDP would have run, with
Newton–Schulz run once per matrix instead of on every rank.

Ownership (ShardPlan): Muon matrices whole, longest-processing-time first
on their Newton–Schulz FLOPs (deterministic: shapes and positions decide,
never timing); AdamW is element-wise, so its elements fill every rank's
chunk up to the common size and the padding is only what the matrix
partition leaves over (none when the AdamW parameters can fill it). The
collectives are cut into parts of about `bucket_bytes` and issued
asynchronously: the matrices in part j are computed while the later parts
are still being reduced, and part j is gathered while later ones compute.

A step updates every rank or none: the owned parameters and their state
are copied before the compute and restored if a collective fails, so a
dead rank surfaces as the process group's timeout exception with the
survivors' parameters and state as before the step.
"""

import hashlib
import math

import torch
import torch.distributed as dist

# _muon imports this module: its names are looked up at call time.
from . import _muon, _plan


def ns_flops(shape, view, ns_steps):
    """Newton–Schulz FLOPs of one Muon parameter: 4m²n + 2m³ per iteration
    on an m×n matrix, m <= n (S = X Xᵀ, S·S, (bS + cS²)·X; design.md §1),
    times the matrices of a batch view."""
    if view == "batch":
        batch, rows, cols = math.prod(shape[:-2]), shape[-2], shape[-1]
    else:
        batch, rows, cols = 1, shape[0], math.prod(shape[1:])
    m, n = min(rows, cols), max(rows, cols)
    return batch * ns_steps * (4 * m * m * n + 2 * m ** 3)


class ShardPlan:
    """Who updates what, for `sizes` (elements per parameter, in order) and
    `flops` (Newton–Schulz FLOPs of a Muon matrix, None for an AdamW
    parameter) over `world` ranks.

    Every rank has a chunk of `chunk` elements: `segments[r]` lists rank r's
    as (parameter, start, end in the flattened parameter, offset in the
    chunk) — its Muon matrices whole, then its slice of the AdamW elements.
    The chunks are cut into `parts` collectives of `part` elements per rank;
    the flat buffer that the collectives scatter and gather is part-major
    (`flat_spans`), so that each part is one contiguous reduce_scatter or
    all_gather. rank_flops: Newton–Schulz FLOPs per rank; padding: elements
    moved that are no parameter's (world·chunk - sum(sizes))."""

    def __init__(self, sizes, flops, world, part_elements=None):
        self.world, self.sizes = world, list(sizes)
        self.rank_flops, used = [0] * world, [0] * world
        self.segments = [[] for _ in range(world)]
        # Longest processing time first: the costliest matrix to the rank
        # with the fewest FLOPs so far, ties to fewer elements, then to the
        # lower rank; shapes and positions decide, never timing.
        owner = {}
        for i in sorted((i for i, f in enumerate(flops) if f is not None),
                        key=lambda i: (-flops[i], i)):
            owner[i] = rank = min(range(world), key=lambda r: (self.rank_flops[r], used[r], r))
            self.rank_flops[rank] += flops[i]
            used[rank] += self.sizes[i]
        self.elements = sum(self.sizes)
        chunk = max(max(used), -(-self.elements // world))
        filled = [0] * world
        for i in sorted(owner):  # parameter order within a chunk
            rank = owner[i]
            self.segments[rank].append((i, 0, self.sizes[i], filled[rank]))
            filled[rank] += self.sizes[i]
        # AdamW elements, in parameter order, fill ranks 0, 1, ... up to the
        # chunk; a parameter may span ranks.
        rank = 0
        for i in (i for i, f in enumerate(flops) if f is None):
            start = 0
            while start < self.sizes[i]:
                while filled[rank] == chunk:
                    rank += 1
                end = min(self.sizes[i], start + chunk - filled[rank])
                self.segments[rank].append((i, start, end, filled[rank]))
                filled[rank] += end - start
                start = end
        self.parts = max(1, -(-world * chunk // part_elements)) if part_elements else 1
        self.part = -(-chunk // self.parts)
        self.chunk = self.parts * self.part
        self.padding = world * self.chunk - self.elements

    def flat_spans(self, rank, offset, count):
        """(offset in the chunk, offset in the flat buffer, length) of the
        elements [offset, offset + count) of rank's chunk, cut at parts."""
        end = offset + count
        while offset < end:
            part, within = divmod(offset, self.part)
            length = min(end - offset, self.part - within)
            yield offset, (part * self.world + rank) * self.part + within, length
            offset += length

    def imbalance(self):
        """max/mean - 1 of the per-rank Newton–Schulz FLOPs."""
        mean = sum(self.rank_flops) / self.world
        return max(self.rank_flops) / mean - 1 if mean else 0.0

    def bytes_per_rank(self, element_size):
        """Bytes a rank sends per step in its reduce_scatters and
        all_gathers (ring algorithms: (N-1)·chunk each)."""
        return 2 * (self.world - 1) * self.chunk * element_size


class _Item:
    """A parameter of the outer optimizer, as the plan sees it."""

    def __init__(self, index, group_index, group, param, name, kind, view):
        self.index, self.group_index, self.param, self.name = index, group_index, param, name
        self.kind, self.view = kind, view
        self.flops = None if kind == "adamw" else ns_flops(tuple(param.shape), view,
                                                           int(group["ns_steps"]))

    def describe(self):
        return (f"group {self.group_index}: {self.name or f'parameter #{self.index}'} "
                f"{tuple(self.param.shape)} {str(self.param.dtype)[6:]} {self.kind}")


class CommunicationCounter:
    """Bytes this rank sends in the optimizer's collectives, counted at
    each call as a ring algorithm sends them: (N-1)/N of the gathered or
    scattered tensor (bench/comm_model.py's model, which the tests compare
    these counts with)."""

    def __init__(self):
        self.bytes = {"reduce_scatter": 0, "all_gather": 0, "check": 0}
        self.calls = {key: 0 for key in self.bytes}

    def add(self, kind, full, world):
        self.bytes[kind] += (world - 1) * full.numel() * full.element_size() // world
        self.calls[kind] += 1


def sharded_step(optimizer, process_group, average_gradients, bucket_bytes):
    """The distributed step of `optimizer`: FSDP2's when its parameters are
    DTensors (over their mesh's group unless one is given), the
    data-parallel one when given a process group, else None."""
    from torch.distributed.tensor import DTensor

    dtensors = [p for group in optimizer.param_groups for p in group["params"]
                if isinstance(p, DTensor)]
    if dtensors:
        from ._fsdp import FSDPStep
        return FSDPStep(optimizer, process_group or dtensors[0].device_mesh.get_group())
    if process_group is None:
        return None
    return ShardedStep(optimizer, process_group, average_gradients, bucket_bytes)


class Collective:
    """What the data-parallel and FSDP2 steps share: the optimizer's
    parameters as _Items (built at the first step), the check that every
    rank has the same ones, the byte counter and the rollback."""

    def __init__(self, optimizer, process_group):
        self.optimizer, self.group = optimizer, process_group
        self.world = dist.get_world_size(process_group)
        self.rank = dist.get_rank(process_group)
        self.counter = CommunicationCounter()
        self.plan = self.items = None

    def _items(self):
        outer = self.optimizer
        items, labels = [], []
        for g, group in enumerate(outer.param_groups):
            for position, (p, name) in enumerate(zip(group["params"], outer._names(group))):
                what = _plan.describe(p, name, position)
                kind = _plan.route(p, name, group["use_muon"], group["algorithm"], what)
                view = _plan.view_of(p, name, group["view"]) if kind != "adamw" else None
                items.append(_Item(len(items), g, group, p, name, kind, view))
                labels.append(what)
        _check_distinct([it.param for it in items], labels)
        dtypes = {it.param.dtype for it in items}
        devices = {it.param.device for it in items}
        if len(dtypes) != 1 or len(devices) != 1:
            raise ValueError("muon_mlir.optim.Muon with a process group: all parameters must "
                             f"share one dtype and device, got {sorted(map(str, dtypes))} on "
                             f"{sorted(map(str, devices))}")
        self.items, self.dtype, self.device = items, dtypes.pop(), devices.pop()
        self.signature = _digest([it.describe() for it in items] + [
            repr(_muon._group_key(group)) for group in outer.param_groups])

    def _check_step(self):
        """Whether this step has gradients, checked on every rank alike
        (param groups unchanged, same parameters, gradients and
        hyper-parameters everywhere, each valid) before any collective moves
        them, and before the first step builds its inner optimizers (which
        check the hyper-parameters too, on this rank alone)."""
        if self.items is None:
            self._items()
        if sum(len(g["params"]) for g in self.optimizer.param_groups) != len(self.items):
            raise ValueError("muon_mlir.optim.Muon with a process group: the param groups "
                             "changed after the first step; build a new optimizer (and load "
                             "its state dict) instead")
        if not self._check():
            return False
        # The check's hash makes the gradients' shapes and dtypes the same on
        # all ranks, so a bad one raises the same error everywhere.
        for it in self.items:
            if it.param.grad is not None:
                self._check_grad(it)
        return True

    def _check_grad(self, it):
        _muon._check_grad(it.param, it.describe())
        _muon._check_contiguous(it.param, it.describe())

    def _check(self):
        """Whether this step has gradients, after checking with one
        all_gather that every rank has the same parameters, gradients and
        hyper-parameters (so that all agree on which parameters are skipped,
        as torch skips those whose .grad is None, and compile the same
        steps): a difference raises the same error on every rank, and so
        does a hyper-parameter out of range, before any collective that a
        rank raising alone would leave the others waiting in."""
        grads = [it.param.grad for it in self.items]
        settings, problem = self._settings()
        step = _digest([str(self.signature), *settings] + [
            "-" if g is None else f"{g.dtype}{tuple(g.shape)}{g.layout}" for g in grads])
        mine = torch.tensor([step], dtype=torch.int64, device=self.device)
        every = torch.empty(self.world, dtype=torch.int64, device=self.device)
        self.counter.add("check", every, self.world)
        dist.all_gather_into_tensor(every, mine, group=self.group)
        if len(set(every.tolist())) != 1:
            self._mismatch(every.tolist(), settings)
        if problem is not None:
            raise problem
        return any(g is not None for g in grads)

    def _settings(self):
        """The param groups' hyper-parameters, one "param group G: key=value"
        each (the learning rates aside: a rank may scale its own), and the
        ValueError one of them raises (None)."""
        settings = []
        for g, group in enumerate(self.optimizer.param_groups):
            try:
                _muon._check_group(group)
                _, _, beta1, momentum = _muon._step_inputs(group)
            except ValueError as e:
                return settings + [f"param group {g}: {e}"], e
            values = (*_muon._group_key(group), ("betas[0]", beta1), ("momentum", momentum))
            settings += [f"param group {g}: {key}={value!r}" for key, value in values]
        return settings, None

    def _mismatch(self, hashes, settings):
        def entry(it):
            g = it.param.grad
            if g is None:
                return f"{it.describe()}, no gradient"
            layout = "" if g.layout == torch.strided else f" {str(g.layout)[6:]}"
            return f"{it.describe()}, gradient {tuple(g.shape)} {str(g.dtype)[6:]}{layout}"

        described = ([f"parameter #{k}: {entry(it)}" for k, it in enumerate(self.items)],
                     settings)
        everyone = [None] * self.world
        dist.all_gather_object(everyone, described, group=self.group)
        other = next(r for r, h in enumerate(hashes) if h != hashes[0])
        # Parameters with parameters, settings with settings: the first
        # difference, or else which list is longer.
        difference = next(filter(None, (
            _difference(mine, theirs, what, other) for mine, theirs, what in
            zip(everyone[0], everyone[other], ("parameters", "hyper-parameter settings")))),
            f"rank 0 and rank {other} differ in what this message does not show")
        raise ValueError(
            "muon_mlir.optim.Muon with a process group: the ranks' parameters or "
            f"hyper-parameters differ: {difference}. Every rank must build the same model "
            "and optimizer and set the same hyper-parameters.")

    # -- checkpoints -------------------------------------------------------

    def state_dict(self):
        """torch.optim's layout (per parameter index, torch's state keys;
        the param groups) with ShardedTensors over this rank's state, for
        torch.distributed.checkpoint: Muon states in the parameter's shape
        with one shard on the owner, AdamW moments flattened with one shard
        per slice, AdamW's step count a plain (replicated) tensor on every
        rank with a slice. Each rank's dict has the tensors it holds a shard
        of; the shards alias the optimizer's state, so dcp.load into this
        dict loads in place."""
        if self.plan is None:
            self._build()
        shards = {}  # (parameter, key) -> [(offsets, sizes, local tensor or None, rank)]
        steps = {}  # AdamW parameter -> its step count, where a slice is here
        for rank in range(self.world):
            for i, start, end in self._segments(rank):
                it = self.items[i]
                local = self._local_state(it, start, end) if rank == self.rank else None
                for key in _plan.STATE_KEYS[it.kind]:
                    if key == "step":
                        # Replicated: every holder of a slice has the count.
                        if local is not None:
                            steps[i] = local[key]
                        continue
                    entry = ([start], (end - start,)) if it.kind == "adamw" else (
                        [0] * it.param.ndim, tuple(it.param.shape))
                    tensor = None if local is None else (
                        local[key].view(-1) if it.kind == "adamw" else local[key])
                    shards.setdefault((i, key), []).append((*entry, tensor, rank))
        state = {}
        for (i, key), entries in shards.items():
            # Only the tensors with a shard here: dcp.load mistakes a state
            # dict holding others for a torch 2.3 checkpoint.
            if all(tensor is None for *_, tensor, _ in entries):
                continue
            it = self.items[i]
            size = tuple(it.param.shape) if it.kind != "adamw" else (it.param.numel(),)
            state.setdefault(i, {})[key] = _sharded_tensor(entries, size, self.dtype,
                                                           self.device, self.group)
        for i, step in steps.items():
            state[i]["step"] = step
        groups = []
        first = 0
        for group in self.optimizer.param_groups:
            saved = {k: v for k, v in group.items() if k not in ("params", "param_names")}
            saved["params"] = list(range(first, first + len(group["params"])))
            first += len(group["params"])
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads the hyper-parameters of `state_dict`'s groups and the state
        of this rank's tensors from its ShardedTensors (state_dict()'s
        layout, filled by dcp.load at any world size) or from full tensors
        (a single-process state dict of this optimizer or torch's)."""
        if self.plan is None:
            self._build()
        outer = self.optimizer
        if len(state_dict["param_groups"]) != len(outer.param_groups):
            raise ValueError(f"the state dict has {len(state_dict['param_groups'])} param "
                             f"groups, the optimizer {len(outer.param_groups)}")
        for group, saved in zip(outer.param_groups, state_dict["param_groups"]):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"a saved param group has {len(saved['params'])} parameters, "
                                 f"the optimizer's {len(group['params'])}")
            before = {k: v for k, v in group.items() if k != "params"}
            group.update((k, v) for k, v in saved.items() if k not in ("params", "param_names"))
            _muon._merge_group(group, before, saved)
        saved_state = state_dict["state"]
        for i, start, end in self._segments(self.rank):
            it = self.items[i]
            values = saved_state.get(i, saved_state.get(str(i)))
            if values is None:
                # No state saved (no gradient yet): it restarts from zeros,
                # as torch's load_state_dict leaves it without state.
                inner, shadow = self._shadow(it, start, end)
                inner.state.pop(shadow, None)
                continue
            local = self._local_state(it, start, end)
            for key in _plan.STATE_KEYS[it.kind]:
                if key not in values:
                    raise ValueError(f"{it.describe()}: the state dict has no '{key}'")
                target = local[key]
                if it.kind == "adamw" and key != "step":
                    target = target.view(-1)
                target.copy_(_local_part(values[key], it, key, start, end))

    def _local_state(self, it, start, end):
        """The inner optimizer's state of this rank's tensor of `it`
        (_shadow), created if new."""
        inner, shadow = self._shadow(it, start, end)
        return inner._state_for(shadow, it.kind, it.describe())

    @staticmethod
    def _backup(tensors, inner, shadow, backups):
        """Saves `shadow` and its state in `inner` (or that it has none)."""
        for tensor in tensors:
            backups.append((tensor, tensor.clone()))
        state = inner.state.get(shadow)
        if not state:
            backups.append(((inner, shadow), None))
        for value in (state or {}).values():
            backups.append((value, value.clone()))

    @staticmethod
    def _restore(backups):
        """Undoes this rank's updates of a failed step, newest first."""
        for tensor, saved in reversed(backups):
            if saved is None:
                inner, shadow = tensor
                inner.state.pop(shadow, None)
            else:
                tensor.copy_(saved)


class ShardedStep(Collective):
    """The data-parallel step of a muon_mlir.optim.Muon (its `_sharded`)."""

    def __init__(self, optimizer, process_group, average_gradients, bucket_bytes):
        super().__init__(optimizer, process_group)
        self.average, self.bucket_bytes = average_gradients, bucket_bytes

    # -- layout ------------------------------------------------------------

    def _build(self):
        if self.items is None:
            self._items()
        outer, items = self.optimizer, self.items
        element = torch.empty((), dtype=self.dtype).element_size()
        self.plan = plan = ShardPlan(
            [it.param.numel() for it in items], [it.flops for it in items], self.world,
            max(1, self.bucket_bytes // element) if self.bucket_bytes else None)
        # This rank's tensors (views of the parameters: the compiled step
        # updates them in place), grouped by the part in which they end: an
        # inner optimizer per part, run as soon as that part is reduced.
        self.shadows = [[] for _ in range(plan.parts)]
        for i, start, end, offset in plan.segments[self.rank]:
            it = items[i]
            if end == start:
                continue
            shadow = it.param.detach()
            if it.kind == "adamw":
                shadow = shadow.view(-1)[start:end]
            self.shadows[(offset + end - start - 1) // plan.part].append(
                (shadow, offset, end - start, it))
        self.inner = [_inner_optimizer(outer, shadows) for shadows in self.shadows]
        # all_gather of part j once the tensors overlapping it are computed:
        # after the compute of part ready[j].
        self.ready = list(range(plan.parts))
        for j, shadows in enumerate(self.shadows):
            for _, offset, _, _ in shadows:
                for k in range(offset // plan.part, j):
                    self.ready[k] = max(self.ready[k], j)
        self.flat = torch.zeros(self.world * plan.chunk, dtype=self.dtype, device=self.device)
        self.mine = torch.zeros(plan.chunk, dtype=self.dtype, device=self.device)
        # (rank, item, flat offset, flattened-parameter offset, length) of
        # every stretch of parameter elements in the flat buffer.
        self.spans = [(rank, items[i], at, start + offset - first, length)
                      for rank in range(self.world)
                      for i, start, end, first in plan.segments[rank]
                      for offset, at, length in plan.flat_spans(rank, first, end - start)]

    # -- the step ----------------------------------------------------------

    def step(self):
        if not self._check_step():
            return
        if self.plan is None:
            self._build()
        plan, flat, mine = self.plan, self.flat, self.mine
        for _, it, at, start, length in self.spans:
            grad = it.param.grad
            if grad is None:
                flat[at:at + length].zero_()
            else:
                flat[at:at + length].copy_(grad.reshape(-1)[start:start + length])
        size = self.world * plan.part
        reduces = []
        for j in range(plan.parts):
            self.counter.add("reduce_scatter", flat[j * size:(j + 1) * size], self.world)
            reduces.append(dist.reduce_scatter_tensor(
                mine[j * plan.part:(j + 1) * plan.part], flat[j * size:(j + 1) * size],
                group=self.group, async_op=True))
        gathers, backups = [], []
        try:
            for j in range(plan.parts):
                reduces[j].wait()
                part = mine[j * plan.part:(j + 1) * plan.part]
                if self.average:
                    part.div_(self.world)
                self._compute(j, backups)
                while len(gathers) < plan.parts and self.ready[len(gathers)] <= j:
                    k = len(gathers)
                    self.counter.add("all_gather", flat[k * size:(k + 1) * size], self.world)
                    gathers.append(dist.all_gather_into_tensor(
                        flat[k * size:(k + 1) * size], mine[k * plan.part:(k + 1) * plan.part],
                        group=self.group, async_op=True))
            for work in gathers:
                work.wait()
        except BaseException:
            # A collective failed (a rank died, a timeout): undo this rank's
            # own updates so that no rank keeps part of the step.
            self._restore(backups)
            raise
        for rank, it, at, start, length in self.spans:
            if rank != self.rank:
                it.param.view(-1)[start:start + length].copy_(flat[at:at + length])

    def _compute(self, j, backups):
        """The compiled step on this rank's tensors that end in part j
        (gradients: their reduced elements), results written back into the
        chunk for the all_gather."""
        inner, mine = self.inner[j], self.mine
        if inner is None:
            return
        for shadow, offset, count, it in self.shadows[j]:
            # A parameter without a gradient (on every rank: _check) is
            # skipped; the all_gather returns it unchanged.
            shadow.grad = None if it.param.grad is None else \
                mine[offset:offset + count].view(shadow.shape)
            self._backup([shadow], inner, shadow, backups)
        sync_inner_groups(inner, self.optimizer)
        inner.step()
        for shadow, offset, count, _ in self.shadows[j]:
            mine[offset:offset + count].copy_(shadow.reshape(-1))

    def _segments(self, rank):
        """(item, start, end in the flattened parameter) of rank's tensors;
        not the empty ones, which have no tensor (_build) and no state."""
        return [(i, start, end) for i, start, end, _ in self.plan.segments[rank] if end > start]

    def _shadow(self, it, start, end):
        """(inner optimizer, tensor) of this rank's tensor of `it` (the whole
        matrix, or the AdamW slice [start, end))."""
        for shadows, inner in zip(self.shadows, self.inner):
            for shadow, _, count, other in shadows:
                if other is it and (it.kind != "adamw" or shadow.storage_offset() ==
                                    it.param.storage_offset() + start):
                    return inner, shadow
        raise AssertionError(f"{it.describe()} [{start}, {end}) is not on rank {self.rank}")


def _check_distinct(params, labels):
    """One process's errors for a parameter listed twice or parameters
    sharing storage (_muon._check_distinct), raised by every rank before
    any collective: here an owner would raise alone after the
    reduce_scatter, or two owners would update the storage and each rank
    keep the other's update (replicas diverging)."""
    if len({id(p) for p in params}) != len(params):
        raise ValueError("a parameter appears twice in one param group")
    spans = []  # (first byte, end, label) of each parameter's elements
    for p, label in zip(params, labels):
        local = p.to_local() if hasattr(p, "to_local") else p  # FSDP2: this rank's rows
        if local.numel():
            extent = sum((size - 1) * stride for size, stride in
                         zip(local.shape, local.stride())) + 1
            spans.append((local.data_ptr(), local.data_ptr() + extent * local.element_size(),
                          label))
    spans.sort(key=lambda span: span[:2])
    for (_, end, first), (start, _, second) in zip(spans, spans[1:]):
        if start < end:
            raise ValueError(f"{first} and {second} share storage; the step updates both in "
                             "place (tied weights must be one parameter)")


def _difference(mine, theirs, what, other):
    """rank 0's and rank `other`'s first different entry of `what`, or
    their numbers of entries when one list extends the other (None if the
    same)."""
    for a, b in zip(mine, theirs):
        if a != b:
            return f"rank 0 has '{a}', rank {other} '{b}'"
    if len(mine) == len(theirs):
        return None
    extra = max(mine, theirs, key=len)[min(len(mine), len(theirs))]
    return (f"rank 0 has {len(mine)} {what}, rank {other} {len(theirs)} "
            f"(the first extra: '{extra}')")


def _digest(strings):
    """A signed 64-bit hash of `strings`, the same in every process."""
    value = int.from_bytes(hashlib.sha256("\0".join(strings).encode()).digest()[:8], "little")
    return value - (1 << 64) if value >= 1 << 63 else value


def sync_inner_groups(inner, outer):
    """Brings the groups of an inner optimizer (_inner_optimizer) up to
    date with their outer groups: what schedules change (the learning
    rate, AdamW's beta1 and Muon's momentum, inputs of the compiled steps)
    and any other hyper-parameter set since (a new compiled step)."""
    for group, g in zip(inner.param_groups, inner._outer_groups):
        group.update(_inner_group(outer.param_groups[g], not group["use_muon"],
                                  group["view"], group["params"]))


def _inner_lr(group, use_muon):
    muon_lr, adamw_lr = _muon._learning_rates(group)
    return muon_lr if use_muon else adamw_lr


def _inner_optimizer(outer, shadows):
    """A muon_mlir.optim.Muon over `shadows` ([(tensor, offset, count,
    item)]), one group per outer group and update kind (None if empty)."""
    groups = {}
    for shadow, _, _, it in shadows:
        # The view the outer routing chose (by name for experts) is set
        # explicitly: the inner groups have no names.
        groups.setdefault((it.group_index, it.kind == "adamw", it.view or ""), []).append(shadow)
    if not groups:
        return None
    keys = sorted(groups)
    inner = _muon.Muon([_inner_group(outer.param_groups[g], adamw, view,
                                     groups[g, adamw, view]) for g, adamw, view in keys],
                       verbose=outer.verbose, deterministic=outer.deterministic,
                       ns_memory=outer.ns_memory)
    inner._outer_groups = [g for g, _, _ in keys]
    return inner


def _inner_group(group, adamw, view, params):
    """The inner optimizer's group for this rank's `params` of an outer
    group: Muon matrices of one view (compiled as the outer step compiles
    them), or AdamW elements as an explicit AdamW group with the outer's
    AdamW hyper-parameters."""
    if not adamw:
        inner = {k: v for k, v in group.items() if k not in ("params", "param_names")}
        inner.update(params=params, use_muon=True, view=view, lr=_inner_lr(group, True),
                     momentum=_muon._momentum(group))
        return inner
    explicit = group["use_muon"] is False
    return {"params": params, "use_muon": False, "view": None, "lr": _inner_lr(group, False),
            "betas": group["betas"], "eps": group["eps"] if explicit else group["adamw_eps"],
            "weight_decay": group["weight_decay"] if explicit else group["adamw_weight_decay"]}


def _sharded_tensor(entries, size, dtype, device, group):
    """A ShardedTensor of `size` whose shards are `entries` ([(offsets,
    sizes, local tensor or None, rank)]), this rank's local ones aliased."""
    from torch.distributed._shard.metadata import ShardMetadata
    from torch.distributed._shard.sharded_tensor import Shard, ShardedTensor
    from torch.distributed._shard.sharded_tensor.metadata import (ShardedTensorMetadata,
                                                                   TensorProperties)

    metadata, local = [], []
    for offsets, sizes, tensor, rank in entries:
        shard = ShardMetadata(list(offsets), list(sizes), f"rank:{rank}/{device}")
        metadata.append(shard)
        if tensor is not None:
            local.append(Shard(tensor, shard))
    properties = TensorProperties(dtype=dtype)
    return ShardedTensor._init_from_local_shards_and_global_metadata(
        local, ShardedTensorMetadata(metadata, torch.Size(size), properties), process_group=group)


def _local_part(value, it, key, start, end):
    """This rank's part of a saved state value: the local shard of a
    ShardedTensor (dcp.load put this rank's layout in it) or the slice of a
    full tensor."""
    if hasattr(value, "local_shards"):
        shards = value.local_shards()
        if len(shards) != 1:
            raise ValueError(f"{it.describe()}: state '{key}' has {len(shards)} local shards "
                             "here, expected the one of this rank's layout")
        return shards[0].tensor.reshape(-1 if it.kind == "adamw" else it.param.shape)
    value = torch.as_tensor(value)
    if key == "step":
        return value.reshape(())
    if value.numel() != it.param.numel():
        raise ValueError(f"{it.describe()}: state '{key}' has shape {tuple(value.shape)}")
    return value.reshape(-1)[start:end] if it.kind == "adamw" else value.reshape(it.param.shape)
