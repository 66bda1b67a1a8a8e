"""muon_mlir.optim.Muon: a torch.optim.Optimizer whose step is compiled."""

import copy
import ctypes
import functools
import math
import numbers
import operator
import sys
import warnings

import numpy
import torch

from . import _distributed, _plan
from ._graphs import GraphCache
from ._tracked_state import TrackedState
from ._compiler import cache_dir, compile_step

# Bindings kept per group: one per set of parameters with gradients, e.g.
# two for a branch used on alternate batches.
_MAX_BINDINGS = 4
_LR_ADJUST = ("original", "match_rms_adamw", "spectral_unclamped", "none")


def _compile_group_step(entries, group, flags, verbose, deterministic):
    """The compiled step of one param group for one set of parameters with
    gradients: one library call taking every entry's arguments, the AdamW
    step counts and then the two learning rates, AdamW's beta1 and Muon's
    momentum."""
    function = compile_step(_plan.step_module(entries, group, deterministic), flags,
                            verbose=False)
    function._load()
    if verbose and function.compile_seconds is not None:
        print(f"muon_mlir.optim: compiled a step in {function.compile_seconds:.2f} s "
              f"(cached in {cache_dir()})", file=sys.stderr)
    return function


def _flags(device, budget):
    """muon-compile's flags for a step on `device`: on CUDA, the bytes of
    temporaries one bucket may hold (muon-compile's 0 means no limit; at
    least 1 byte: every matrix alone)."""
    if device.type != "cuda":
        return ()
    return ("--target=cuda", f"--bucket-memory={int(min(max(budget, 1), 2**63 - 1))}")


class Muon(torch.optim.Optimizer):
    """Muon for hidden matrices, AdamW for everything else, in compiled
    in-place steps (one library call per param group and step).

    Drop-in for torch.optim.Muon (same hyper-parameters, defaults and state
    keys) that also takes the parameters torch.optim.Muon rejects:
    automatic routing sends rank >= 2 parameters to Muon — conv kernels as
    [out, in·kh·kw] matrices, stacked experts [E, M, N] (`view="batch"`, or
    a name containing "expert") as E matrices — and 1-D ones, embeddings and
    output heads (by name, when given `model.named_parameters()`) to AdamW.
    A group's `use_muon=True/False` overrides the routing; a group with
    `use_muon=False` is a plain AdamW group whose `lr`, `betas`, `eps` and
    `weight_decay` are AdamW's (torch.optim.AdamW's defaults apply).

    Args (per-group overridable):
        lr: Muon's learning rate (torch.optim.Muon's meaning).
        weight_decay, momentum, nesterov, ns_steps, ns_coefficients,
        adjust_lr_fn / lr_adjust: as torch.optim.Muon ("original",
            "match_rms_adamw", "spectral_unclamped", "none"); eps (the
            Newton–Schulz normalization) only at its default, 1e-7.
            weight_decay and eps unset: torch.optim.Muon's defaults (0.1,
            1e-7), or torch.optim.AdamW's (0.01, 1e-8) with use_muon=False.
        ns_schedule: "quintic" (torch's), "polar_express".
        ns_algorithm: how the Newton–Schulz steps run: "auto" (Gram
            Newton–Schulz for bf16/f16 matrices over twice as wide as tall,
            else the standard iteration), "standard" or "gram"
            (docs/formulas.md).
        ns_dtype: the element type the Newton–Schulz GEMMs run in: None
            (the parameter's), torch.bfloat16 (torch.optim.Muon's choice:
            the same numbers and speed for float32 parameters),
            torch.float16 or torch.float32.
        algorithm: "muon" or "muon2" (second-moment preconditioned Muon²,
            with `beta2`; state key "second_moment").
        adamw_lr (default: lr), betas, adamw_eps, adamw_weight_decay: AdamW
            for the parameters routed to it in automatic groups. adamw_lr
            holds while lr has the value the group was made with, and
            follows lr's changes in proportion (a scheduler writes lr alone;
            made with lr=0, it stays at adamw_lr, with a warning).
        use_muon: None (automatic), True or False.
        view: "flatten" or "batch" for N-D Muon parameters (None: automatic).
        verbose: print the compile time of each new step.
        cuda_graph: on CUDA, step() captures the compiled step in a CUDA
            graph and replays it (one launch instead of a few hundred),
            once per set of gradient addresses, which torch's caching
            allocator keeps from step to step in a training loop (two
            graphs are kept). The first step runs eagerly; so does a step
            inside the caller's own capture (torch.cuda.graph), and every
            step once a capture fails or addresses change on five steps in
            a row (with a warning). Default False until measured on a GPU.
        deterministic: on CUDA, run-to-run bitwise identical steps: each
            matrix's update norm is summed in a fixed order (per-thread
            partials reduced by small kernels) instead of by atomics
            (`optim.deterministic`, docs/gpu.md). The CPU step is
            deterministic either way.
        process_group: a torch.distributed process group (e.g.
            `torch.distributed.group.WORLD`): data-parallel training with
            replicated parameters and no DDP wrapper. Each rank calls
            step() after a backward on its own batch; the gradients are
            reduce-scattered, each matrix is updated by one rank and the
            results all-gathered (docs/distributed.md).
            Parameters sharded by FSDP2 (`fully_shard`, DTensors) need no
            process group: FSDP2 reduces the gradients, each Muon matrix's
            owner gathers its rows, runs the step and returns them.
        average_gradients: with a process group, divide the summed
            gradients by the world size (DDP's convention).
        bucket_bytes: with a process group, the size of the buckets whose
            collectives overlap the compute of the others (at least one
            element each; None: one bucket, no overlap).
        ns_memory: on CUDA, bytes of device temporaries (Newton–Schulz
            iterates and Gram matrices) one bucket of the compiled step may
            hold. Matrices of one shape, its transpose or a near-equal one
            share a bucket (one batched Newton–Schulz: fewer launches) up
            to it (`optim-bucket`'s max-temporary-bytes, an estimate of
            what the kernels allocate); each bucket frees its temporaries
            before the next runs. None (default): 5% of the group's
            parameters, gradients and state, so that the step's peak memory
            stays within 1.05× of torch.optim.Muon's, which holds the same
            tensors; 0: a bucket per matrix; float("inf"): one per shape.
            The CPU step frees each matrix's temporaries after its update
            and ignores it.

    The step of a group is compiled on the first `step()` for its
    parameters' shapes and dtypes (and again only when the set of
    parameters with a gradient changes), cached on disk and reused across
    runs; learning rates, AdamW step counts, AdamW's beta1 (betas[0],
    which OneCycleLR and CyclicLR cycle; Muon's momentum follows it then,
    as those schedulers cycle torch.optim.Muon's momentum) and Muon's
    momentum (often warmed up) are tensors, so schedules never recompile.
    Parameters, momentum buffers and AdamW moments are updated in their
    own storage, in the parameter's own layout when it is dense but
    permuted (channels_last conv kernels; for Muon with its rows outermost,
    where the update of the matrix with permuted columns is the update with
    its columns permuted).
    """

    def __init__(self, params, lr=1e-3, weight_decay=None, momentum=0.95, nesterov=True,
                 ns_coefficients=_plan._QUINTIC, eps=None, ns_steps=5, adjust_lr_fn=None,
                 *, lr_adjust=None, ns_schedule=None, ns_algorithm="auto", ns_dtype=None,
                 algorithm="muon",
                 beta2=0.95,
                 adamw_lr=None, betas=(0.9, 0.999), adamw_eps=1e-8, adamw_weight_decay=0.01,
                 use_muon=None, view=None, verbose=True, cuda_graph=False,
                 deterministic=False, process_group=None, average_gradients=True,
                 bucket_bytes=256 << 20, ns_memory=None):
        if isinstance(lr, torch.Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        # Unset: torch.optim.Muon's defaults, or torch.optim.AdamW's for an
        # optimizer declared AdamW (as for such a param group).
        adamw = use_muon is False
        if weight_decay is None:
            weight_decay = 1e-2 if adamw else 0.1
        if eps is None:
            eps = 1e-8 if adamw else 1e-7
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                        nesterov=nesterov, ns_coefficients=tuple(ns_coefficients), eps=eps,
                        ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn,
                        lr_adjust=lr_adjust, ns_schedule=ns_schedule,
                        ns_algorithm=ns_algorithm, ns_dtype=ns_dtype, algorithm=algorithm,
                        beta2=beta2, adamw_lr=adamw_lr, betas=tuple(betas),
                        adamw_eps=adamw_eps, adamw_weight_decay=adamw_weight_decay,
                        use_muon=use_muon, view=view)
        self.verbose = verbose
        if not isinstance(cuda_graph, bool):
            raise ValueError(f"cuda_graph must be True or False, got {cuda_graph!r}")
        self.cuda_graph = cuda_graph
        if not isinstance(deterministic, bool):
            raise ValueError(f"deterministic must be True or False, got {deterministic!r}")
        self.deterministic = deterministic
        if bucket_bytes is not None and not (isinstance(bucket_bytes, numbers.Integral) and
                                             not isinstance(bucket_bytes, bool) and
                                             bucket_bytes > 0):
            raise ValueError("bucket_bytes must be a positive number of bytes, or None for "
                             f"one bucket, got {bucket_bytes!r}")
        if ns_memory is not None and not (isinstance(ns_memory, (int, float)) and
                                          ns_memory >= 0):  # NaN fails too
            raise ValueError(f"ns_memory must be >= 0, got {ns_memory}")
        self.ns_memory = ns_memory
        super().__init__(params, defaults)
        self.state = TrackedState(self.state)
        self._compiled = {}  # (group index, layout) -> its compiled step
        # group index -> its _Bounds, the last one run first (it owns the
        # AdamW step counts; see _Bound.take_counts)
        self._bound = {}
        self._sharded = _distributed.sharded_step(self, process_group, average_gradients,
                                                  bucket_bytes)

    def add_param_group(self, param_group):
        if param_group.get("use_muon") is False:
            # A group declared AdamW: torch.optim.AdamW's defaults, not
            # Muon's (the constructor's use_muon=False picks them too).
            param_group = dict(param_group)
            param_group.setdefault("eps", 1e-8)
            param_group.setdefault("weight_decay", 1e-2)
        super().add_param_group(param_group)
        _check_group(self.param_groups[-1])

    # What torch.optim.Optimizer's own pickling leaves out (its state is
    # defaults, state and param_groups), with the values older pickles get.
    _SETTINGS = {"verbose": True, "cuda_graph": False, "deterministic": False,
                 "ns_memory": None}

    def __getstate__(self):
        if self._sharded is not None:
            raise TypeError("a muon_mlir.optim.Muon with a process group or FSDP2 parameters "
                            "cannot be copied or pickled; save its state_dict() instead")
        state = super().__getstate__()
        state.update({key: getattr(self, key) for key in self._SETTINGS})
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if not isinstance(self.state, TrackedState):
            self.state = TrackedState(self.state)
        self._compiled, self._bound = {}, {}
        self.__dict__.setdefault("_sharded", None)
        for key, default in self._SETTINGS.items():
            self.__dict__.setdefault(key, default)

    # -- state dicts -------------------------------------------------------

    def load_state_dict(self, state_dict):
        """Loads a state dict of this optimizer, of torch.optim.Muon or of
        torch.optim.AdamW (see combine_state_dicts for a pair of them): the
        per-parameter state keys are torch's; hyper-parameters the saved
        groups lack keep their current values."""
        if self._sharded is not None:
            return self._sharded.load_state_dict(state_dict)
        current = [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]
        super().load_state_dict(_as_one_process(state_dict, self.param_groups))
        for group, before, saved in zip(self.param_groups, current,
                                        state_dict["param_groups"]):
            _merge_group(group, before, saved)
        self._compiled, self._bound = {}, {}

    def state_dict(self):
        """torch.optim's state dict; with a process group, one whose state
        tensors are ShardedTensors over each rank's part, to be saved and
        loaded (at any world size) with torch.distributed.checkpoint:

            dcp.save({"optim": opt.state_dict()}, checkpoint_id=path)
            sd = opt.state_dict(); dcp.load({"optim": sd}, checkpoint_id=path)
            opt.load_state_dict(sd)
        """
        if self._sharded is not None:
            return self._sharded.state_dict()
        state_dict = super().state_dict()
        # Plain dicts: a checkpoint loads with torch alone (weights_only).
        state_dict["state"] = {k: dict(v) for k, v in state_dict["state"].items()}
        return state_dict

    # -- the step ----------------------------------------------------------

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self._sharded is not None:
            with torch.no_grad():
                self._sharded.step()
            return loss
        # Check every group before running any: bad input leaves all
        # parameters untouched. The fast path records nothing for autograd
        # (0-d rate tensors of its own): no_grad only around the full checks,
        # which create state.
        calls = []
        for index, group in enumerate(self.param_groups):
            call = self._prepare_bound(index, group)
            if call is None:
                with torch.no_grad():
                    call = self._prepare(index, group)
            calls.append(call)
        for call in calls:
            if call is not None:
                call()
        return loss

    def _names(self, group):
        names = group.get("param_names")
        if not names:
            return [None] * len(group["params"])
        if len(names) != len(group["params"]):
            # Without them, an embedding or a head would go to Muon.
            index = next(i for i, g in enumerate(self.param_groups) if g is group)
            raise ValueError(
                f"param group {index} has {len(group['params'])} params but "
                f"{len(names)} param_names, which route them to Muon or AdamW; "
                "edit both lists together")
        return names

    def _prepare(self, index, group):
        """Checks the group's tensors and returns the call of its compiled
        step on them (None if no parameter has a gradient)."""
        if not isinstance(self.state, TrackedState):  # replaced: opt.state = {}
            self.state = TrackedState(self.state)
        # Again: hyper-parameters set in param_groups bypass add_param_group.
        _check_group(group)
        # Until this check succeeds, no binding of the group is valid: the
        # step counts may have moved into a vector none of them holds.
        bindings = self._bound.pop(index, [])
        entries, tensors, device = [], [], None
        grad_slots, empty, states, with_grad, templates = [], [], [], [], []
        labels = []  # what each tensor is, for errors
        for position, p, name in self._positioned(group):
            if p.grad is None:
                continue
            what = _plan.describe(p, name, position)
            _check_grad(p, what)
            if device is None:
                device = p.device
            elif p.device != device:
                raise ValueError(f"{what}: on {p.device}, but the group's other parameters "
                                 f"are on {device}; one param group must live on one device")
            order = _storage_order(p, what)
            entry = _entry(p, name, group, what, order)
            state = self._state_for(p, entry[0], what)
            if entry[0] != "adamw" and p.numel() == 0:
                # Nothing to orthogonalize (the op rejects empty matrices)
                # or update; its state exists, as torch.optim.Muon's does.
                empty.append(p)
                continue
            entries.append(entry)
            states.append(state)
            with_grad.append(p)
            grad, direct = _grad_in_order(p, order)
            templates.append(p.grad if direct else None)
            grad_slots.append(len(tensors) + 1)
            keys = _plan.ARGUMENT_STATE_KEYS[entry[0]]
            tensors += [p.permute(order), grad] + [state[k].permute(order) for k in keys]
            labels += [what, f"the gradient of {what}"] + [f"{k} of {what}" for k in keys]
        if not entries:
            return None
        counts = []
        for members in _plan.adamw_ops(entries):
            counted = [states[i] for i in members]
            tensors.append(_step_counts(counted))
            counts.append((counted, tensors[-1], [state["step"] for state in counted]))
            labels.append("AdamW's step counts")
        _check_device(device, f"param group {index}")
        layout = (tuple(entries), device.type, _group_key(group))
        compiled = self._compiled.get((index, layout))
        if compiled is None:
            compiled = _compile_group_step(entries, group, self._flags(entries, device),
                                          self.verbose, self.deterministic)
            self._compiled[(index, layout)] = compiled
        # Before the rates: read-only, they may share one tensor (lr given as
        # a tensor serves as both rates when adamw_lr is None).
        _check_distinct(tensors, labels, grad_slots, group)
        rates = _step_inputs(group)
        tensors += [_scalar(rate, device, dtype) for rate, dtype in zip(rates, _INPUT_DTYPES)]
        graphs = GraphCache(device) if self.cuda_graph and device.type == "cuda" else None
        bound = _Bound(group, self.state, compiled, tensors, grad_slots, rates, device, graphs,
                       empty, with_grad, templates, counts)
        # One binding per set of parameters with gradients (a branch used on
        # alternate batches keeps two).
        self._bound[index] = [bound] + [
            b for b in bindings
            if b.state_changes == bound.state_changes and b.key == bound.key and
            not _same_objects(b.with_grad, with_grad)][:_MAX_BINDINGS - 1]
        grads = [tensors[slot] for slot in grad_slots]
        return lambda grads=grads: bound.run([g.data_ptr() for g in grads])

    def precompile(self, device=None):
        """Compiles every param group's step for all its parameters (as if
        each had a gradient) for `device` (default: the parameters'), or
        finds it in the cache, without loading it. A machine without the
        compiler then runs `step()` from the cache alone:
        fill it here, e.g. for "cuda" with parameters on the "meta" device,
        and copy it (`$MUON_MLIR_CACHE`) there."""
        if self._sharded is not None:
            raise ValueError("precompile: not available with a process group (each rank "
                             "compiles the steps of its own shard)")
        for index, group in enumerate(self.param_groups):
            params = self._positioned(group)
            if not params:
                continue
            target = torch.device(device) if device is not None else params[0][1].device
            _check_device(target, f"precompile: param group {index}")
            entries = self._group_entries(group)
            compile_step(_plan.step_module(entries, group, self.deterministic),
                         self._flags(entries, target),
                         verbose=False, load=False)

    def _group_entries(self, group):
        """The step entries of `group` as if every parameter had a gradient."""
        entries = []
        for position, p, name in self._positioned(group):
            what = _plan.describe(p, name, position)
            entries.append(_entry(p, name, group, what, _storage_order(p, what)))
        return entries

    def _positioned(self, group):
        """(position, parameter, name) of each parameter of a group."""
        return [(i, p, name) for i, (p, name) in enumerate(zip(group["params"],
                                                                self._names(group)))]

    def _flags(self, entries, device):
        budget = self.ns_memory
        if budget is None:
            budget = sum(map(_plan.step_bytes, entries)) // 20
        return _flags(device, budget)

    def _prepare_bound(self, index, group):
        """The call of a step of this group bound before when nothing it
        was checked for changed but the gradients' storage (the common
        case): the same checks as _prepare's on the gradients and the
        parameters' storage, each one C-level pass over the group (map, list
        equality, a tensor guard) against what _prepare established; any
        difference runs _prepare. The state counts the caller's changes
        (_tracked_state). The last binding run is tried first."""
        bindings = self._bound.get(index)
        if not bindings:
            return None
        values = _compiled_values(group)
        for position, bound in enumerate(bindings):
            call = self._call_bound(bound, group, values)
            if call is not None:
                if position:
                    bindings.insert(0, bindings.pop(position))
                    bound.take_counts()
                return call
        return None

    def _call_bound(self, bound, group, values):
        if self.state is not bound.state or self.state.changes != bound.state_changes or \
                values != bound.key or not _same_objects(group["params"], bound.params):
            return None
        params = bound.with_grad
        grads = list(map(_GRAD, params))
        try:  # None (TypeError) or sparse (RuntimeError: no storage)
            pointers = list(map(_DATA_PTR, grads))
        except (TypeError, RuntimeError):
            return None
        if list(map(_DATA_PTR, params)) != bound.param_pointers or \
                not bound.grads_match(grads):
            return None
        if bound.without_grad and any(p.grad is not None for p in bound.without_grad):
            return None
        if not bound.refresh_rates(_step_inputs(group)):
            return None
        # The gradients stay alive (in the lambda) until the call.
        return lambda grads=grads: bound.run(pointers)

    def _state_for(self, p, kind, what):
        """The parameter's state for `kind`, created as torch does (zeros of
        the parameter's shape; AdamW's step a float32 0-d tensor) and checked
        when loaded from a checkpoint."""
        state = self.state[p]
        for key in _plan.STATE_KEYS[kind]:
            if key not in state:
                # zeros_like keeps the strides of a dense parameter: the
                # state is read in the parameter's storage order.
                _put(state, key, torch.zeros((), dtype=torch.float32) if key == "step"
                     else torch.zeros_like(p))
            value = state[key]
            if key == "step":
                if not isinstance(value, torch.Tensor):
                    value = torch.tensor(float(value))
                if value.numel() != 1:
                    raise ValueError(f"{what}: state 'step' must hold one number, got shape "
                                     f"{tuple(value.shape)}")
                if value.dtype != torch.float32 or value.device != p.device:
                    value = value.to(device=p.device, dtype=torch.float32)
                _put(state, key, value.reshape(()).contiguous())
                continue
            if value.shape != p.shape:
                raise ValueError(f"{what}: its shape changed since its state was created: "
                                 f"state '{key}' has shape {tuple(value.shape)}")
            if value.dtype != p.dtype or value.device != p.device or \
                    not _same_layout(value, p):
                _put(state, key, torch.empty_like(p).copy_(value))
        return state


class _Bound:
    """What the last full check of a group established: the compiled step,
    its arguments but the gradients (whose storage changes every step),
    the parameters with and without gradients, what their gradients must
    look like, the compiled hyper-parameters and the learning rates.

    The arguments are laid out once in an array of pointers for the
    library's packed entry point; a step writes the gradients' pointers
    into it (one numpy store) and makes one call, where one argument per
    tensor would cost ctypes ~75 ns a tensor and stop at 1024 tensors."""

    def __init__(self, group, state, function, tensors, grad_slots, rates, device, graphs,
                 empty, with_grad, templates, counts):
        self.function, self.device, self.graphs = function, device, graphs
        self.params = list(group["params"])
        self.state, self.state_changes = state, state.changes
        # A copy: a list hyper-parameter changed in place must not compare
        # equal to itself.
        self.key = copy.deepcopy(_compiled_values(group))
        self.with_grad = with_grad
        # Empty Muon matrices are not stepped, with or without a gradient.
        with_grad = {id(p) for p in [*self.with_grad, *empty]}
        self.without_grad = [p for p in group["params"] if id(p) not in with_grad]
        self.param_pointers = list(map(_DATA_PTR, self.with_grad))
        # A gradient read through a copy (another layout than its
        # parameter's) sends every step through the full check.
        self.grads_match = _grads_like(templates, device) if None not in templates else \
            (lambda grads: False)
        # Not the gradients: holding them would keep last step's alive while
        # backward makes the next ones (zero_grad sets them to None).
        slots = set(grad_slots)
        self.tensors = [t for i, t in enumerate(tensors) if i not in slots]
        self.arguments = (ctypes.c_void_p * len(tensors))(*map(_DATA_PTR, tensors))
        self.grad_slots = numpy.array(grad_slots, dtype=numpy.intp)
        self.pointer_view = numpy.frombuffer(self.arguments, dtype=numpy.uintp)
        self.rates, self.scalars = rates, tensors[-len(rates):]
        # A tensor rate is read in place when the step's scalar is its storage.
        self.shared = [isinstance(r, torch.Tensor) and r.data_ptr() == s.data_ptr()
                       for r, s in zip(rates, self.scalars)]
        # (states, their step-count vector, its views) of each AdamW op
        self.counts = counts

    def take_counts(self):
        """Makes this binding's step-count vectors the states' again after
        another binding of the group ran: their current values copied in,
        each 'step' its view once more."""
        for states, vector, views in self.counts:
            vector.copy_(torch.stack([state["step"] for state in states]))
            for state, view in zip(states, views):
                _put(state, "step", view)

    def refresh_rates(self, rates):
        """Brings the step's 0-d rate tensors up to date with the group's
        (a scheduler's new float, a tensor rate's new value) in place;
        False when a full check must rebind them."""
        for value, old, scalar, shared in zip(rates, self.rates, self.scalars, self.shared):
            if isinstance(value, _Product) and value == old:
                value.into(scalar)
            elif value is old:
                if isinstance(value, torch.Tensor) and not shared:
                    scalar.copy_(value.detach().reshape(()))
            elif isinstance(value, (torch.Tensor, _Product)) or \
                    isinstance(old, (torch.Tensor, _Product)):
                return False
            elif value != old:
                scalar.fill_(value)
        self.rates = rates
        return True

    def run(self, grad_pointers):
        self.pointer_view[self.grad_slots] = grad_pointers
        if self.device.type != "cuda":
            self._launch()
        elif self.graphs is None or not self.graphs.run(tuple(grad_pointers), self._launch):
            # One stream query per step (a few µs).
            self._launch(torch.cuda.current_stream(self.device).cuda_stream)
        # The parameters count as modified in place, as torch's optimizers
        # modify them: a backward through a graph built before the step then
        # raises instead of using the new weights (~5 µs for 145 tensors).
        _increment_version(self.with_grad)

    def _launch(self, *stream):
        function = self.function
        if function._packed is not None:
            status = function._packed(self.arguments, *stream)
        else:  # a library cached by a compiler without the packed entry point
            status = function._entry(*self.pointer_view.tolist(), *stream)
        if status != 0:
            raise _failure(function, status, self.device)


def _grads_like(grads, device):
    """A check that a list of tensors has the gradients' dtypes,
    devices, layouts, shapes and strides: torch's C++ tensor guard (the one
    torch.compile checks its inputs with; one call, ~0.1 µs a tensor, where
    the four separate C-level passes it replaces cost ~0.25 µs), or those
    passes on a torch without it. It keeps no reference to the tensors."""
    try:
        from torch._C._dynamo.guards import TensorGuards
        guard = TensorGuards(*grads, dynamic_dims_sizes=[list(g.shape) for g in grads],
                             dynamic_dims_strides=[list(g.stride()) for g in grads])
        if guard.check(*grads):
            return lambda tensors: guard.check(*tensors)
    except (ImportError, AttributeError, TypeError, RuntimeError, SystemError):
        pass
    shapes, dtypes = list(map(_SHAPE, grads)), list(map(_DTYPE, grads))
    # is_cpu/is_cuda read a flag; .device builds an object per tensor.
    # With one visible GPU, a CUDA tensor is on it.
    if device.type == "cpu":
        on_device = lambda tensors: all(map(_IS_CPU, tensors))  # noqa: E731
    elif torch.cuda.device_count() == 1:
        on_device = lambda tensors: all(map(_IS_CUDA, tensors))  # noqa: E731
    else:
        indices = [device.index] * len(grads)  # a tensor's device has one
        on_device = lambda tensors: (all(map(_IS_CUDA, tensors)) and  # noqa: E731
                                     list(map(_GET_DEVICE, tensors)) == indices)
    strides = list(map(_STRIDE, grads))
    return lambda tensors: (list(map(_SHAPE, tensors)) == shapes and
                            list(map(_DTYPE, tensors)) == dtypes and on_device(tensors) and
                            list(map(_STRIDE, tensors)) == strides)


_GRAD = operator.attrgetter("grad")
_SHAPE = operator.attrgetter("shape")
_DTYPE = operator.attrgetter("dtype")
_IS_CPU = operator.attrgetter("is_cpu")
_IS_CUDA = operator.attrgetter("is_cuda")
_GET_DEVICE = torch.Tensor.get_device
_DATA_PTR = torch.Tensor.data_ptr
_STRIDE = torch.Tensor.stride


def _step_hooks(step):
    """torch.optim.Optimizer's step wrapper (hooks, a profiler range) where
    it does something: when a step hook is registered or the profiler runs;
    otherwise the step alone, without the ~5 µs of its record_function."""
    full = torch.optim.Optimizer.profile_hook_step(step)
    from torch.optim import optimizer as torch_optimizer
    pre = getattr(torch_optimizer, "_global_optimizer_pre_hooks", None)
    post = getattr(torch_optimizer, "_global_optimizer_post_hooks", None)
    if pre is None or post is None:  # a torch whose hooks live elsewhere
        return full

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if pre or post or self._optimizer_step_pre_hooks or \
                self._optimizer_step_post_hooks or torch._C._autograd._profiler_enabled():
            return full(self, *args, **kwargs)
        out = step(self, *args, **kwargs)
        self._optimizer_step_code()
        return out
    wrapper.hooked = True  # torch.optim.Optimizer wraps it no further
    return wrapper


# torch.compile runs the step eagerly (a graph break): traced, it would keep
# the gradients' addresses of its first call, and the compiled library is
# opaque to it anyway.
Muon.step = torch.compiler.disable(_step_hooks(Muon.step))


def _learning_rates(group):
    """Muon's and AdamW's learning rates of the group. adamw_lr holds at the
    lr the group was made with (`adamw_base_lr`) and follows lr's changes in
    proportion: schedulers write lr alone."""
    lr = group["lr"]
    if group["use_muon"] is False:
        return 0.0, lr
    adamw_lr, base = group["adamw_lr"], group.get("adamw_base_lr")
    if adamw_lr is None:
        return lr, lr
    if not base or (not isinstance(lr, torch.Tensor) and lr == base):
        return lr, adamw_lr
    if isinstance(lr, torch.Tensor) or isinstance(adamw_lr, torch.Tensor):
        return lr, _Product(lr, adamw_lr, 1.0 / base)
    return lr, adamw_lr * (lr / base)


class _Product:
    """A step input computed as a product of numbers and tensors (AdamW's
    share of a tensor lr), into the step's 0-d input on each step. Equal to
    another with the same tensors in the same places: the bound step then
    recomputes its input in place, as it copies a tensor rate's."""
    __slots__ = ("factors",)
    __hash__ = None

    def __init__(self, *factors):
        self.factors = factors

    def __eq__(self, other):
        return isinstance(other, _Product) and len(other.factors) == len(self.factors) and \
            all(a is b if isinstance(a, torch.Tensor) else not isinstance(b, torch.Tensor)
                for a, b in zip(self.factors, other.factors))

    def into(self, scalar):
        tensors = [f for f in self.factors if isinstance(f, torch.Tensor)]
        scalar.fill_(math.prod(f for f in self.factors if not isinstance(f, torch.Tensor)))
        for tensor in tensors:
            scalar.mul_(tensor.detach().reshape(()))
        return scalar


def _as_one_process(state_dict, groups):
    """`state_dict` with a distributed checkpoint's state (a process group's
    or FSDP2's, converted by torch.distributed.checkpoint's
    dcp_to_torch_save) in one process's layout: its parameter ids, strings
    there, as ints (torch maps ints alone: it would keep the others as junk
    and train from zero state) and its flattened AdamW moments in their
    parameter's shape."""
    saved_ids = {i for saved in state_dict["param_groups"] for i in saved["params"]}
    params = {saved_id: p for saved, group in zip(state_dict["param_groups"], groups)
              for saved_id, p in zip(saved["params"], group["params"])}
    state = {}
    for key, values in state_dict["state"].items():
        key = int(key) if isinstance(key, str) and key.isdigit() else key
        if key not in saved_ids:
            raise ValueError(f"the state dict has state for parameter {key!r}, which no "
                             "saved param group lists")
        state[key] = {k: _shaped(v, params.get(key)) if k != "step" else v
                      for k, v in values.items()}
    return dict(state_dict, state=state)


def _shaped(value, p):
    """A flattened state tensor with p's elements in p's shape; any other
    shape stays, for _state_for to report against the parameter's."""
    if isinstance(value, torch.Tensor) and p is not None and value.dim() == 1 and \
            p.dim() > 1 and value.numel() == p.numel():
        return value.reshape(p.shape)
    return value


def _merge_group(group, before, saved):
    """Completes a param group loaded from `saved` (a state dict's group)
    with `before`, its settings before the load (one process and the
    distributed steps alike): hyper-parameters the saved group lacks keep
    their values, and what decides the routing stays ours."""
    if "betas" not in saved and _cycles_momentum(saved):
        # torch.optim.Muon's, whose scheduler cycled momentum: here one
        # cycles betas[0], which Muon's momentum then follows.
        group["betas"] = (saved["momentum"], *before["betas"][1:])
    for key, value in before.items():
        group.setdefault(key, value)
    group["use_muon"] = before["use_muon"]
    _check_group(group)


def _cycles_momentum(group):
    """Whether OneCycleLR or CyclicLR (cycle_momentum=True) schedules the
    group's momentum."""
    return "max_momentum" in group and "base_momentum" in group


def _momentum(group):
    """Muon's momentum: betas[0] while a scheduler cycles that (OneCycleLR
    and CyclicLR with cycle_momentum=True cycle betas[0] of an optimizer
    with betas, where torch.optim.Muon's would cycle its momentum)."""
    if _cycles_momentum(group):
        group["momentum"] = group["betas"][0]
    return group["momentum"]


# The dtypes of the step's trailing 0-d inputs (_step_inputs).
_INPUT_DTYPES = (torch.float32, torch.float32, torch.float64, torch.float64)


def _step_inputs(group):
    """The values the compiled step reads at run time, in its argument
    order: Muon's and AdamW's learning rates, AdamW's beta1 and Muon's
    momentum, which schedules change (checked here: they bypass
    add_param_group's checks)."""
    decays = (("betas[0]", group["betas"][0]), ("momentum", _momentum(group)))
    for name, value in decays:
        if not isinstance(value, torch.Tensor) and not (
                isinstance(value, numbers.Real) and 0.0 <= value < 1.0):
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return (*_learning_rates(group), *(value for _, value in decays))


def _check_group(group):
    if group["algorithm"] not in ("muon", "muon2"):
        raise ValueError(f"algorithm must be 'muon' or 'muon2', got {group['algorithm']!r}")
    # torch.optim.Muon's spelling (adjust_lr_fn) and ours (lr_adjust) are
    # one setting, kept where torch's checkpoints have it; lr_adjust set in
    # a group later wins (_plan.lr_adjust_of) and moves there.
    adjust = _plan.lr_adjust_of(group)
    if adjust not in _LR_ADJUST:
        raise ValueError(f"lr_adjust must be one of {', '.join(_LR_ADJUST)}, got {adjust!r}")
    group["adjust_lr_fn"], group["lr_adjust"] = adjust, None
    for flag in _UNSUPPORTED_FLAGS:
        if group.get(flag):
            raise ValueError(f"{flag}=True is not supported (torch.optim.AdamW's option)")
    if group["ns_schedule"] not in (None, "quintic", "polar_express"):
        raise ValueError(f"ns_schedule must be 'quintic' or 'polar_express', got "
                         f"{group['ns_schedule']!r}")
    if group["ns_algorithm"] not in ("auto", "standard", "gram"):
        raise ValueError(f"ns_algorithm must be 'auto', 'standard' or 'gram', got "
                         f"{group['ns_algorithm']!r}")
    if group["use_muon"] is not False and group["eps"] != 1e-7:
        # torch.optim.Muon's eps normalizes the Newton–Schulz input; the
        # compiled iteration uses its default.
        raise ValueError(f"eps={group['eps']} for Muon: only torch.optim.Muon's default 1e-7 "
                         "is supported (AdamW's epsilon is adamw_eps)")
    if group["ns_dtype"] not in _NS_DTYPES:
        raise ValueError(f"ns_dtype must be one of {', '.join(map(str, _NS_DTYPES))}, got "
                         f"{group['ns_dtype']!r}")
    if group["view"] not in (None, "flatten", "batch"):
        raise ValueError(f"view must be 'flatten' or 'batch', got {group['view']!r}")
    if group["use_muon"] not in (None, True, False):
        raise ValueError(f"use_muon must be None, True or False, got {group['use_muon']!r}")
    if group["use_muon"] is not False and "adamw_base_lr" not in group:
        group["adamw_base_lr"] = float(group["lr"])
        if group["adamw_base_lr"] == 0.0 and group["adamw_lr"] is not None:
            warnings.warn(
                "muon_mlir.optim: adamw_lr follows lr's changes in proportion to the lr a "
                "group is made with, which cannot start from lr=0: it stays at adamw_lr. "
                "Make the group with the lr a warm-up reaches (LambdaLR or LinearLR scale "
                "it from 0), or use separate groups for AdamW's parameters", stacklevel=5)
    _check_hyper_parameters(group)


def _check_hyper_parameters(group):
    """The ranges the compiled ops verify (optim.muon, optim.muon2,
    optim.adamw), checked when the group is added, as torch.optim checks
    its own, rather than as a compile error at the first step."""
    def check(name, value, low, high=None, low_open=False):
        try:
            ok = math.isfinite(value) and (value > low if low_open else value >= low) and \
                (high is None or value < high)
        except TypeError:
            ok = False
        if not ok:
            bound = f"in [{low}, {high})" if high is not None else \
                f"{'>' if low_open else '>='} {low}"
            raise ValueError(f"{name} must be {bound}, got {value!r}")

    explicit_adamw = group["use_muon"] is False
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for name, value in zip(("betas[0]", "betas[1]"), betas):
        check(name, value, 0.0, 1.0)
    if explicit_adamw:
        check("eps", group["eps"], 0.0, low_open=True)
        check("weight_decay", group["weight_decay"], 0.0)
        return
    check("adamw_eps", group["adamw_eps"], 0.0, low_open=True)
    check("adamw_weight_decay", group["adamw_weight_decay"], 0.0)
    check("momentum", group["momentum"], 0.0, 1.0)
    check("weight_decay", group["weight_decay"], 0.0)
    if group["algorithm"] == "muon2":
        check("beta2", group["beta2"], 0.0, 1.0)
    steps = group["ns_steps"]
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or \
            not 1 <= steps <= 100:
        raise ValueError(f"ns_steps must be an integer in [1, 100], got {steps!r}")
    coefficients = group["ns_coefficients"]
    if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3 or \
            not all(isinstance(c, numbers.Real) and math.isfinite(c) for c in coefficients):
        raise ValueError(f"ns_coefficients must be three finite numbers (a, b, c), got "
                         f"{coefficients!r}")


# Hyper-parameters compiled into the step (the learning rates, beta1 and
# momentum are inputs; of betas, beta2 is compiled).
_NS_DTYPES = (None, torch.bfloat16, torch.float16, torch.float32)
_COMPILED_KEYS = ("weight_decay", "nesterov", "ns_coefficients", "ns_steps",
                  "lr_adjust", "adjust_lr_fn", "ns_schedule", "ns_algorithm", "ns_dtype", "algorithm", "beta2",
                  "eps", "adamw_eps", "adamw_weight_decay", "use_muon", "view")
_COMPILED_VALUES = operator.itemgetter(*_COMPILED_KEYS)


# AdamW options of torch's that a group may carry (a loaded checkpoint of
# torch.optim.AdamW): rejected when true, rather than ignored.
_UNSUPPORTED_FLAGS = ("maximize", "amsgrad")


def _compiled_values(group):
    """What a step compiled for `group` depends on (equality: a bound step
    still fits)."""
    return (_COMPILED_VALUES(group), group["betas"][1],
            *map(group.get, _UNSUPPORTED_FLAGS))


def _group_key(group):
    return tuple((k, tuple(group[k]) if isinstance(group[k], (list, tuple)) else group[k])
                 for k in _COMPILED_KEYS) + (("adamw_beta2", group["betas"][1]),)


def _entry(p, name, group, what, order=None):
    """(kind, shape, element type, view) of a parameter's update, its shape
    in storage `order` (_storage_order; None: contiguous)."""
    kind = _plan.route(p, name, group["use_muon"], group["algorithm"], what)
    view = _plan.view_of(p, name, group["view"]) if kind != "adamw" else None
    if str(p.dtype) not in _plan.ELEMENT_TYPES:
        raise TypeError(f"{what}: dtype {p.dtype} is not supported "
                        f"({', '.join(_plan.ELEMENT_TYPES)})")
    identity = tuple(range(p.ndim))
    order = identity if order is None else order
    # Permuting the columns of the matrix permutes those of its
    # orthogonalization alike; rows must stay rows.
    if kind != "adamw" and order != identity:
        if view == "batch":
            raise ValueError(f"{what}: Muon needs stacked matrices contiguous, but its strides "
                             f"{p.stride()} order its dimensions {order}; make it contiguous")
        if order[0] != 0:
            raise ValueError(f"{what}: Muon needs its rows (dimension 0) outermost in memory, "
                             f"but its strides {p.stride()} put dimension {order[0]} there; "
                             "make it contiguous")
    return kind, tuple(p.shape[d] for d in order), _plan.ELEMENT_TYPES[str(p.dtype)], view


def _check_device(device, what):
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{what}: device {device} is not supported (CPU, CUDA)")


def _check_grad(p, what):
    """A ValueError/TypeError naming the parameter where its gradient
    cannot be stepped with it (its layout may differ: _grad_in_order)."""
    grad = p.grad
    if grad.is_sparse:
        raise RuntimeError(f"{what}: sparse gradients are not supported")
    if p.is_complex() or grad.is_complex():
        raise TypeError(f"{what}: complex parameters and gradients are not supported")
    if grad.dtype != p.dtype:
        raise TypeError(f"{what}: gradient has dtype {grad.dtype}, expected {p.dtype}")
    if grad.shape != p.shape:
        raise ValueError(f"{what}: gradient has shape {tuple(grad.shape)}")
    if grad.device != p.device:
        raise ValueError(f"{what}: gradient is on {grad.device}, the parameter on {p.device}")


def _check_contiguous(p, what):
    """The distributed steps update flat views of contiguous parameters."""
    if not p.is_contiguous():
        raise ValueError(f"{what}: the parameter is not contiguous; it is updated in place")


def _storage_order(p, what):
    """The order of p's dimensions from outermost to innermost in memory:
    p.permute(order) is a contiguous view of p's storage, which the
    compiled step updates in place (channels_last conv kernels, transposed
    views). A ValueError when p's elements are not one dense block."""
    if p.is_contiguous():
        return tuple(range(p.ndim))
    strides = p.stride()
    order = tuple(sorted(range(p.ndim), key=lambda d: (-strides[d], d)))
    if not p.permute(order).is_contiguous():
        raise ValueError(f"{what}: the parameter's elements (strides {strides}) are not one "
                         "dense block; it is updated in place, so it must be")
    return order


def _grad_in_order(p, order):
    """p's gradient in p's storage order as a contiguous tensor, and whether
    that is a view of the gradient itself (not a copy)."""
    view = p.grad.permute(order)
    return (view, True) if view.is_contiguous() else (view.contiguous(), False)


def _same_layout(a, b):
    """Whether a's elements lie in memory as b's do."""
    return a.stride() == b.stride() or (a.is_contiguous() and b.is_contiguous())


def _check_distinct(tensors, labels, grad_slots, group):
    """Written buffers must not overlap any other argument (docs/ABI.md): a
    parameter listed twice, state shared between parameters, a gradient
    sharing a parameter's or its state's storage. Gradients are only read:
    parameters may share one, as torch allows. `labels` names the tensors."""
    if len({id(p) for p in group["params"]}) != len(group["params"]):
        raise ValueError("a parameter appears twice in one param group")
    written, grads = {}, set(grad_slots)
    for i, t in enumerate(tensors):
        if i in grads or t.numel() == 0:  # no storage to share (its pointer may be 0)
            continue
        pointer = t.data_ptr()
        if pointer in written and tensors[written[pointer]] is not t:
            raise ValueError(f"{labels[written[pointer]]} and {labels[i]} share storage; the "
                             "step updates both in place (tied weights must be one parameter)")
        written[pointer] = i
    for i in grad_slots:
        if tensors[i].numel() != 0 and tensors[i].data_ptr() in written:
            raise ValueError(f"{labels[i]} shares storage with "
                             f"{labels[written[tensors[i].data_ptr()]]}, which the step updates")


def _same_objects(a, b):
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _step_counts(states):
    """The AdamW step counts of `states` as the one float32 vector the
    compiled step takes and increments in place; each state's 'step' becomes
    its 0-d view (still torch's per-parameter tensor)."""
    counts = torch.stack([state["step"] for state in states])
    for k, state in enumerate(states):
        _put(state, "step", counts[k])
    return counts


# The optimizer's own writes of state: they do not count as the caller's
# changes (_tracked_state).
_put = dict.__setitem__
_increment_version = torch.autograd.graph.increment_version


def _scalar(value, device, dtype=torch.float32):
    if isinstance(value, _Product):
        return value.into(torch.empty((), dtype=dtype, device=device))
    if isinstance(value, torch.Tensor):
        return value.detach().to(device=device, dtype=dtype).reshape(())
    return torch.tensor(float(value), dtype=dtype, device=device)


def _run(function, pointers, device):
    arguments = [torch.cuda.current_stream(device).cuda_stream] if device.type == "cuda" else []
    status = function._entry(*pointers, *arguments)
    if status != 0:
        raise _failure(function, status, device)


def _failure(function, status, device):
    if device.type == "cuda":
        message = function._last_error().decode(errors="replace")
        return RuntimeError(f"muon_mlir.optim: CUDA step failed (status {status}): {message}")
    return RuntimeError(f"muon_mlir.optim: step failed (status {status})")
