"""Training with one compiled step built from ONNX Runtime training artifacts.

    from muon_mlir.training import Trainer
    trainer = Trainer.from_artifacts("artifacts", optimizer="muon")
    for batch in batches:          # {graph input name: array}, as exported
        loss = trainer.step(batch, lr=1e-3)
    weights = trainer.parameters()  # {ONNX name: array}

`from_artifacts` reads what `onnxruntime.training.artifacts.generate_artifacts`
writes (training_model.onnx, optimizer_model.onnx, and the checkpoint with the
initial weights), joins forward, backward and AdamW into one step
(`onnx_training.build_step`), routes the hidden matrices to Muon or Muon² when
asked (`optim-assign`), adds QK-clip when asked (`optim-insert-qk-clip`) and
compiles the step for the CPU, a CUDA GPU, or the GPU program run on the host
("emulated"). Compiled libraries are cached on disk like muon_mlir.optim's
steps ($MUON_MLIR_CACHE). The step updates parameters and moments in their
own buffers.

`Trainer` itself needs numpy (and torch on CUDA) only, not ONNX: a library
compiled elsewhere runs where ONNX is not installed.
"""

import hashlib
import math
import numbers
import os
import re
import subprocess
import tempfile

import numpy as np

from . import aot

# optimizer= → optim-assign's option string (None: the imported AdamW).
_OPTIMIZERS = {"adamw": None, "muon": "", "muon2": "algorithm=muon2"}
_DEVICES = {"cpu": ["--target=cpu"],
            "emulated": ["--target=cpu", "--pipeline=gpu-emulation"],
            "cuda": ["--target=cuda"]}


def _parse_type(text):
    """(shape, dtype) of an MLIR tensor type such as tensor<4x16xi64>."""
    match = re.fullmatch(r"tensor<(.*)>", text)
    *dims, dtype = match.group(1).split("x")
    return tuple(int(d) for d in dims), dtype


def _read_checkpoint(directory):
    """{name: array} of the ORT checkpoint generate_artifacts wrote."""
    path = os.path.join(directory, "checkpoint")
    try:
        from onnxruntime.training import api
    except ImportError:
        raise RuntimeError(
            f"reading the initial weights from {path} needs onnxruntime-training; "
            "without it, pass parameters= (e.g. muon_mlir.onnx_training.initializers("
            "'model.onnx'), the exported model's weights)") from None
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} does not exist: generate_artifacts writes it next "
                                "to the training model; or pass parameters=")
    state = api.CheckpointState.load_checkpoint(path)
    return {name: np.array(p.data) for name, p in state.parameters}


def compile_artifacts(directory, optimizer="adamw", assign=None, qk_clip_tau=None,
                      device="cpu", dims=None, adam_mode=None, gemm_precision=None,
                      tools=None, verbose=True, in_place=True, module_dir=None,
                      cache=None):
    """Compiles the training step of the artifacts in `directory`; returns
    (library path, onnx_training.TrainingGraph). Arguments: as
    Trainer.from_artifacts. `tools`: the directory of muon-translate,
    muon-opt and muon-compile (default: as muon_mlir.optim finds
    muon-compile: installed package, build tree, PATH). `in_place=False`:
    the step returns updated parameters and moments as new tensors (for
    comparisons; Trainer runs both forms). `module_dir`: where to keep the
    imported step module, step.mlir (before optim-assign and QK-clip), and
    the module compiled into lib<name>.so as <name>.mlir.
    `cache`: the compiled libraries' directory (default $MUON_MLIR_CACHE,
    else ~/.cache/muon_mlir)."""
    from . import onnx_training
    from .optim import _compiler
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r}: expected one of {', '.join(_OPTIMIZERS)}")
    kind = device.split(":")[0]
    if kind not in _DEVICES:
        raise ValueError(f"device={device!r}: expected cpu, cuda[:N] or emulated")
    flags = [*_DEVICES[kind], "--function=step"]
    if gemm_precision:
        if kind == "cpu":
            raise ValueError("gemm_precision applies to the GPU program (device cuda or "
                             "emulated); the CPU step computes its GEMMs in fp32")
        flags.append(f"--gemm-precision={gemm_precision}")

    def tool(name):
        return os.path.join(tools, name) if tools else _compiler.find_tool(name)

    options = [o for o in (_OPTIMIZERS[optimizer], assign) if o]
    passes = []
    if optimizer != "adamw" or assign:
        passes.append("--optim-assign" + (f"={','.join(options)}" if options else ""))
    if qk_clip_tau is not None:
        if isinstance(qk_clip_tau, bool) or not isinstance(qk_clip_tau, numbers.Real) or \
                not (math.isfinite(qk_clip_tau) and qk_clip_tau > 0):
            raise ValueError(f"qk_clip_tau must be a finite number > 0, got {qk_clip_tau!r}")
        passes.append(f"--optim-insert-qk-clip=tau={float(qk_clip_tau)!r}")
    with tempfile.TemporaryDirectory(prefix="muon-artifacts-") as work:
        prepared = onnx_training.prepare_artifacts(directory, work, adam_mode=adam_mode,
                                                   dims=dims)
        try:
            module, graph = onnx_training.build_step(tool("muon-translate"), *prepared, work,
                                                     in_place)
        except onnx_training.OnnxImportError as e:
            # Diagnostics name the artifacts, not the prepared copies.
            message = str(e)
            for copy, name in zip(prepared, ("training_model.onnx", "optimizer_model.onnx")):
                message = message.replace(copy, os.path.join(directory, name))
            unbound = re.search(r"--onnx-dim=(\S+)=N\b", message)
            if unbound:  # the importer names its command-line option
                message += f"\nfrom_artifacts takes it as dims={{'{unbound.group(1)}': N}}"
            raise onnx_training.OnnxImportError(message) from None
    if module_dir:
        with open(os.path.join(module_dir, "step.mlir"), "w") as f:
            f.write(module)
    if passes or kind != "cpu":
        # One function for the passes to see the forward pass and every
        # update on a named parameter together (and for the GPU pipeline).
        proc = subprocess.run([tool("muon-opt"), "-", "--inline", "--symbol-dce", *passes],
                              input=module, capture_output=True, text=True)
        if proc.returncode != 0:
            raise onnx_training.OnnxImportError(
                f"muon-opt failed on the step of {directory}:\n{proc.stderr.strip()}")
        module = proc.stdout
        if verbose:  # optim-assign's routing (report=true), warnings
            for line in proc.stderr.splitlines():
                if "remark: " in line or "warning: " in line:
                    print(line.split("remark: ", 1)[-1])
    # Named by content: libraries of several steps can sit in one directory.
    name = "train_step_" + hashlib.sha256("\0".join([module, *flags]).encode()).hexdigest()[:12]
    if module_dir:
        with open(os.path.join(module_dir, name + ".mlir"), "w") as f:
            f.write(module)
    library, _ = _compiler.compile_library(module, flags, name=name, verbose=verbose,
                                           compiler=tools and tool("muon-compile"),
                                           label="muon_mlir.training", cache=cache)
    return library, graph


class _SignatureGraph:
    """A TrainingGraph's names and types read from the compiled step's own
    signature: data inputs, then parameters, both moments, lr and t."""

    def __init__(self, step_fn, n_params):
        specs = step_fn.inputs[:len(step_fn.inputs) - 3 * n_params - 2]
        self.data = [f"input{i}" for i in range(len(specs))]
        self.params = [f"param{i}" for i in range(n_params)]
        specs += step_fn.inputs[len(specs):len(specs) + n_params]
        self.inputs = {name: "tensor<" + "x".join([*map(str, spec.shape), spec.dtype]) + ">"
                       for name, spec in zip(self.data + self.params, specs)}


class Trainer:
    """A compiled training step with its parameters and optimizer moments:
    numpy arrays on the CPU, torch tensors on a CUDA `device`. An in-place
    step (compile_artifacts' default) updates them in their own buffers (on
    the CPU, bound to the arrays: update them in place; one replaced in
    `params`, `m` or `v` is checked and bound at the next step); another
    returns new ones, which replace them.

    `inputs`: the batch the step takes, [(name, shape, dtype)] in the
    training graph's order (model inputs, then the loss's targets); the
    frozen parameters' weights (generate_artifacts' frozen_params) are given
    once, as `frozen`, not with every batch."""

    @classmethod
    def from_artifacts(cls, directory, optimizer="adamw", assign=None, qk_clip_tau=None,
                       device="cpu", dims=None, adam_mode=None, gemm_precision=None,
                       parameters=None, tools=None, verbose=True):
        """The step of generate_artifacts' `directory`.

        optimizer: "adamw" (the artifacts' own AdamW), "muon" or "muon2"
          (optim-assign's policy: hidden matrices to Muon/Muon², the rest
          keeps AdamW); `assign`: more optim-assign options, e.g.
          "ns-steps=3,exclude=^head\\." (docs/Passes).
        qk_clip_tau: add QK-clip (MuonClip) with this threshold.
        device: "cpu", "cuda[:N]", or "emulated" (the GPU program on the host).
        dims: values of symbolic dimensions, {name: value} (a batch exported
          as dynamic). adam_mode: 0 for torch.optim.AdamW's formulation
          (generate_artifacts makes 1, Hugging Face's).
        gemm_precision: "fp32" (default), "tf32" or "bf16" GEMMs on the GPU.
        parameters: initial weights {ONNX name: array}, trained and frozen
          (default: the artifacts' checkpoint, read with onnxruntime-training)."""
        library, graph = compile_artifacts(directory, optimizer, assign, qk_clip_tau, device,
                                           dims, adam_mode, gemm_precision, tools, verbose)
        weights = parameters if parameters is not None else _read_checkpoint(directory)
        missing = [n for n in graph.params if n not in weights]
        if missing:
            raise ValueError(f"no initial weights for the trained parameters "
                             f"{', '.join(missing)}")
        frozen = {n: weights[n] for n in graph.data if n in weights}
        kind = device.split(":")[0]
        return cls(library, graph, [weights[n] for n in graph.params],
                   "cpu" if kind == "emulated" else device, frozen)

    def __init__(self, library, graph, params, device="cpu", frozen=None):
        """`graph`: the step's onnx_training.TrainingGraph, or None where
        the artifacts are not at hand (a GPU machine without ONNX): the
        compiled step's own description then gives the types, its batch
        inputs named input0, input1, … and its parameters param0, …"""
        self.step_fn = aot.load(library)
        self.device = device
        if graph is None:
            graph = _SignatureGraph(self.step_fn, len(params))
        self.names = list(graph.params)
        frozen = frozen or {}
        self.inputs = [(n, *_parse_type(graph.inputs[n])) for n in graph.data
                       if n not in frozen]
        self._layout = []
        batch = 0
        for name in graph.data:
            if name in frozen:
                self._layout.append(("frozen", self._tensor(self._checked(
                    name, frozen[name], *_parse_type(graph.inputs[name]), "frozen parameter"))))
            else:
                self._layout.append(("batch", batch))
                batch += 1
        self._param_types = [_parse_type(graph.inputs[n]) for n in self.names]
        params = [self._checked(n, p, *t, what="parameter") for n, p, t in
                  zip(self.names, params, self._param_types)]
        if device == "cpu":
            # Writable copies: the step updates them.
            self.params = [np.array(p, copy=True) for p in params]
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        else:
            import torch
            self.params = [torch.tensor(p, device=device) for p in params]
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0
        self._bound = None

    def __getstate__(self):
        """Copies and pickles bind their own buffers at their first step: a
        binding holds the original's."""
        state = dict(self.__dict__)
        for name in ("_buffers", "_scalars", "_loss", "_bound_state"):
            state.pop(name, None)
        state["_bound"] = None
        return state

    @staticmethod
    def _checked(name, value, shape, dtype, what="input"):
        """`value` as a numpy array of the input's shape and dtype, or a
        ValueError naming the input (`what`: input or parameter)."""
        if type(value).__module__.startswith("torch"):
            value = value.detach().cpu().numpy()
        value = np.asarray(value)
        expected = np.dtype(aot._NUMPY_DTYPES[dtype])
        if value.shape != shape or value.dtype != expected:
            raise ValueError(f"{what} '{name}': expected {expected} {shape}, got "
                             f"{value.dtype} {value.shape}")
        return value

    @staticmethod
    def _checked_lr(lr):
        """`lr` as a float, or a ValueError: a NaN, infinite or negative rate
        would silently ruin every parameter (or ascend the loss)."""
        if type(lr).__module__.startswith("torch"):
            lr = lr.detach().cpu().numpy()
        value = np.asarray(lr)
        # Finite as the step's float32 too (1e39 is not); NaN fails.
        if (value.shape != () or value.dtype.kind not in "iuf"
                or not 0 <= float(value) <= float(np.finfo(np.float32).max)):
            raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
        return float(value)

    def _batch(self, batch):
        """The batch's arrays in `inputs` order, checked."""
        names = [name for name, _, _ in self.inputs]
        if isinstance(batch, dict):
            unknown = [n for n in batch if n not in names]
            missing = [n for n in names if n not in batch]
            if unknown or missing:
                problems = ([f"no input {n!r}" for n in unknown]
                            + [f"{n!r} missing" for n in missing])
                raise ValueError(f"batch: {', '.join(problems)} (the step takes "
                                 f"{', '.join(names)})")
            batch = [batch[n] for n in names]
        elif len(batch) != len(names):
            raise ValueError(f"the batch has {len(batch)} arrays; the step takes "
                             f"{len(names)}: {', '.join(names)}")
        if self.device != "cpu":
            return [self._on_device(name, value, shape, dtype)
                    for (name, shape, dtype), value in zip(self.inputs, batch)]
        return [self._checked(name, value, shape, dtype)
                for (name, shape, dtype), value in zip(self.inputs, batch)]

    def _on_device(self, name, value, shape, dtype):
        """A CUDA batch input: torch tensors already there are used as they
        are (aot checks them); anything else is checked and copied there."""
        if type(value).__module__.startswith("torch") and value.is_cuda:
            return value
        return self._tensor(self._checked(name, value, shape, dtype))

    def _data(self, batch):
        return [batch[x] if kind == "batch" else x for kind, x in self._layout]

    def _bind(self, batch):
        """An in-place CPU step bound (aot's bind) to the parameters and to
        buffers that each step copies its batch, lr and t into: the checks of
        the step's arguments then run once, not every step. Parameters or
        moments the caller replaced are checked and bound anew."""
        self._buffers = [np.array(x, order="C") for x in batch]
        self._scalars = (np.zeros((), np.float32), np.zeros((), np.int64))
        self._loss = np.zeros((), np.float32)
        for key, buffers in self._state_buffers():
            for i, (name, spec) in enumerate(zip(self.names, self._param_types)):
                what = "parameter" if key == "params" else "state"
                label = name if key == "params" else f"{key}[{name}]"
                # The step writes them: C-ordered and writable, else a copy.
                buffers[i] = np.require(self._checked(label, buffers[i], *spec, what),
                                        requirements=["C", "W"])
        self._bound_state = self.params + self.m + self.v
        self._bound = self.step_fn.bind(*self._data(self._buffers), *self._bound_state,
                                        *self._scalars, out=[self._loss])

    def _state_buffers(self):
        """(state_dict key, buffers) of the parameters and both moments."""
        return (("params", self.params), ("exp_avg", self.m), ("exp_avg_sq", self.v))

    def _rebinding(self):
        """Whether the in-place CPU step must be bound (again): first step, or
        a parameter or moment replaced since."""
        return self._bound is None or any(
            a is not b for a, b in zip(self.params + self.m + self.v, self._bound_state))

    def _tensor(self, value, dtype=None):
        """`value` where the step runs (`dtype`: for Python scalars)."""
        value = np.asarray(value, dtype=dtype)
        if self.device == "cpu":
            return value
        import torch
        return torch.as_tensor(value, device=self.device)

    def step(self, batch, lr):
        """One forward, backward and update on `batch` ({input name: array}
        or the arrays in `inputs` order); returns the loss before the update.
        A batch of the wrong names, shapes or dtypes, or an lr that is not a
        finite number >= 0, raises ValueError; a token id or label out of range raises ValueError naming the node and
        input. Either way parameters and moments are unchanged."""
        lr = self._checked_lr(lr)
        batch = self._batch(batch)
        in_place = bool(self.step_fn.updated_inputs)
        if self.device == "cpu" and in_place:
            if self._rebinding():
                self._bind(batch)
            for buffer, value in zip(self._buffers, batch):
                np.copyto(buffer, value)
            self._scalars[0][()] = lr
            self._scalars[1][()] = self.t + 1
            self._bound()
            self.t += 1
            return float(self._loss)
        out = self.step_fn(*self._data(batch), *self.params, *self.m, *self.v,
                           self._tensor(lr, np.float32), self._tensor(self.t + 1, np.int64))
        self.t += 1
        if in_place:  # only the loss comes back
            return float(out)
        n = len(self.params)
        self.params, self.m, self.v = (list(out[1 + i * n:1 + (i + 1) * n]) for i in range(3))
        return float(out[0])

    def parameters(self):
        """{ONNX name: the parameter's buffer} (live: the step updates it)."""
        return dict(zip(self.names, self.params))

    def numpy_params(self):
        """The current parameters as numpy arrays."""
        return self._numpy(self.params)

    def numpy_state(self):
        """Parameters, first and second moments (copies) and the step count."""
        return [np.array(x, copy=True) for x in
                self._numpy(self.params + self.m + self.v)] + [self.t]

    def _numpy(self, tensors):
        if self.device == "cpu":
            return tensors
        return [x.cpu().numpy() for x in tensors]

    def state_dict(self):
        """Copies of parameters and moments by ONNX name, and the step count:
        {"step", "params", "exp_avg", "exp_avg_sq"} (a Muon parameter's
        momentum buffer is its exp_avg)."""
        params, m, v = (self._numpy(x) for x in (self.params, self.m, self.v))
        copy = (lambda xs: {n: np.array(x, copy=True) for n, x in zip(self.names, xs)})
        return {"step": self.t, "params": copy(params), "exp_avg": copy(m),
                "exp_avg_sq": copy(v)}

    def load_state_dict(self, state):
        """Copies `state` (state_dict's form) into the step's own buffers,
        after checking all of it: a bad state dict changes nothing."""
        missing = [k for k in ("step", "params", "exp_avg", "exp_avg_sq") if k not in state]
        if missing:
            raise ValueError(f"state_dict has no {', '.join(map(repr, missing))}")
        step = state["step"]
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
            raise ValueError(f"state_dict['step'] must be an integer >= 0, got {step!r}")
        copies = []
        for key, buffers in self._state_buffers():
            values = state[key]
            if set(values) != set(self.names):
                raise ValueError(f"state_dict['{key}'] has the parameters "
                                 f"{sorted(values)}; the step trains {sorted(self.names)}")
            for name, buffer, spec in zip(self.names, buffers, self._param_types):
                copies.append((buffer, self._checked(f"{key}[{name}]", values[name], *spec,
                                                     "state")))
        for buffer, value in copies:
            if self.device == "cpu":
                np.copyto(buffer, value)
            else:
                buffer.copy_(self._tensor(value))
        self.t = int(step)



def export_artifacts(model, inputs, directory, loss="CrossEntropyLoss", frozen=(),
                     opset=17, weight_decay=0.01):
    """Writes the training artifacts of torch module `model` to `directory`
    (what Trainer.from_artifacts reads): torch.onnx.export of the forward
    pass on `inputs` ({name: example tensor}, the forward's arguments by
    name and in order) with static shapes, then ORT's generate_artifacts
    with `loss` (CrossEntropyLoss, MSELoss, L1Loss or BCEWithLogitsLoss,
    appended to the model's output, which must be one tensor) and AdamW.
    The parameters named in `frozen` are not trained. Needs torch, onnx and onnxruntime-training."""
    import warnings

    import onnx
    import torch
    from onnxruntime.training import artifacts
    from onnxruntime.training.onnxblock.optim import AdamW
    if not hasattr(artifacts.LossType, loss):
        raise ValueError(f"loss={loss!r}: expected one of "
                         f"{', '.join(t.name for t in artifacts.LossType)}")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "forward.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(inputs.values()), path, dynamo=False,
                          input_names=list(inputs), opset_version=opset,
                          do_constant_folding=False,
                          training=torch.onnx.TrainingMode.TRAINING)
    forward = onnx.load(path)
    if len(forward.graph.output) != 1:
        # generate_artifacts would take the other outputs for the loss'
        # target and weights.
        raise ValueError(f"the model returns {len(forward.graph.output)} outputs; the loss "
                         f"({loss}) is built on one: return only the output to train on")
    for node in forward.graph.node:
        # ORT's LayerNormalizationGrad reads the mean and inverse deviation,
        # optional outputs torch's export leaves out.
        if node.op_type == "LayerNormalization":
            while len(node.output) < 3:
                node.output.append(f"{node.name}_stat{len(node.output)}")
    names = [name for name, _ in model.named_parameters()]
    unknown = sorted(set(frozen) - set(names))
    if unknown:
        raise ValueError(f"frozen names {', '.join(unknown)}, which are not parameters of "
                         "the model")
    initializers = {i.name for i in forward.graph.initializer}
    trained = [n for n, p in model.named_parameters() if p.requires_grad and n not in frozen]
    missing = [n for n in trained if n not in initializers]
    if missing:
        raise ValueError(f"parameters {', '.join(missing)} are not weights of the exported "
                         "graph (the forward pass does not use them): pass them in frozen=")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # ORT logs every graph transformer it runs to stderr
    os.close(devnull)
    try:
        artifacts.generate_artifacts(
            forward, requires_grad=trained,
            frozen_params=[n for n in names if n not in trained and n in initializers],
            loss=getattr(artifacts.LossType, loss),
            optimizer=AdamW(weight_decay=weight_decay), artifact_directory=directory)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # onnxblock stamps the optimizer model with the installed onnx package's
    # IR version; ONNX Runtime 1.19 reads up to 10, which the graph fits.
    path = os.path.join(directory, "optimizer_model.onnx")
    optimizer = onnx.load(path)
    if optimizer.ir_version > 10:
        optimizer.ir_version = 10
        onnx.save(optimizer, path)
