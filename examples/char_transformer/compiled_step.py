"""Imports the artifacts of model.py, compiles one training step and runs it.

(ONNX is imported where artifacts are read: CompiledTrainer runs a compiled
step with numpy and torch alone, as on a GPU machine without ONNX.)

The compiled step is forward + backward (ORT's training graph) + AdamW (its
optimizer graph), optionally rerouted to Muon by `optim-assign`, built by
muon-compile into a shared library that muon_mlir.aot calls.
"""

import hashlib
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

from muon_mlir import aot  # noqa: E402

BIN = os.path.join(ROOT, "build", "bin")


def prepare(directory, adam_mode=None, dims=None):
    """Writes the import copies of the artifacts with in-place results
    declared; with `adam_mode`, first sets it in ORT's optimizer model too
    (0: torch.optim.AdamW; generate_artifacts makes 1, Hugging Face's);
    `dims` gives symbolic dimensions (a batch exported as dynamic) their
    values, {name: value}. Returns (training, optimizer) paths to import."""
    import onnx
    from muon_mlir import onnx_training
    opt_path = os.path.join(directory, "optimizer_model.onnx")
    optimizer = onnx.load(opt_path)
    if adam_mode is not None:
        onnx_training.set_adam_mode(optimizer, adam_mode)
    # onnxblock stamps the optimizer model with the installed onnx package's
    # IR version; ONNX Runtime 1.19 reads up to 10, which the graph fits.
    optimizer.ir_version = min(optimizer.ir_version, 10)
    onnx.save(optimizer, opt_path)
    training, optimizer = onnx_training.declare_inplace_outputs(
        onnx.load(os.path.join(directory, "training_model.onnx")), optimizer)
    onnx_training.scalarize_optimizer_io(optimizer)
    if dims:
        onnx_training.set_dims(training, dims)
    paths = (os.path.join(directory, "training_import.onnx"),
             os.path.join(directory, "optimizer_import.onnx"))
    onnx.save(training, paths[0])
    onnx.save(optimizer, paths[1])
    return paths


def compile_step(directory, assign=None, bin_dir=BIN, gpu=None,
                 adam_mode=None, qk_clip_tau=None, in_place=False, dims=None):
    """Builds step.mlir (optim-assign'ed with the option string `assign`
    when given; with `qk_clip_tau`, QK-clip added by optim-insert-qk-clip)
    and compiles it for CPU. `gpu` compiles the GPU pipeline's program for
    CPU instead, every matmul through the GPU GEMM entry points (their CPU
    implementation): "emulated", its gpu stage (device memory, kernel launches on grids) with
    the kernels run on the host; "cuda", the whole GPU pipeline for a GPU
    (muon-compile --target=cuda; the library runs on a CUDA device, on
    torch tensors). `adam_mode`, `dims`: as prepare(). `in_place`:
    parameters and moments updated in their own buffers (the step returns
    only the loss; CompiledTrainer handles both forms).
    Returns (library, TrainingGraph)."""
    from muon_mlir import onnx_training
    training, optimizer = prepare(directory, adam_mode, dims)
    text, graph = onnx_training.build_step(os.path.join(bin_dir, "muon-translate"),
                                           training, optimizer, directory, in_place)
    path = os.path.join(directory, "step.mlir")
    with open(path, "w") as f:
        f.write(text)
    name = "step_in_place" if in_place else "step"
    passes = []
    if assign is not None:
        # One library per option string: a process may load several.
        name += "_assigned_" + hashlib.sha1(assign.encode()).hexdigest()[:8]
        passes.append(f"--optim-assign={assign}")
    if qk_clip_tau is not None:
        name += "_qk_clip"
        passes.append(f"--optim-insert-qk-clip=tau={qk_clip_tau!r}")
    if passes:
        # Inline the two graphs into @step so that the passes see the
        # forward pass and every update on a named parameter together;
        # optim-assign's report lists the routing.
        transformed = os.path.join(directory, name + ".mlir")
        diagnostics = subprocess.run(
            [os.path.join(bin_dir, "muon-opt"), path, "--inline", "--symbol-dce",
             *passes, "-o", transformed],
            check=True, capture_output=True, text=True).stderr
        for line in diagnostics.splitlines():
            for kind in ("remark: ", "warning: "):
                if kind in line:
                    print(line.split(kind, 1)[1] if kind == "remark: " else line)
        path = transformed
    lowering = ["--target=cpu"]
    if gpu is not None:
        # The GPU pipeline compiles one function: the graphs inlined.
        name += "_gpu_" + gpu
        inlined = os.path.join(directory, name + ".mlir")
        subprocess.run([os.path.join(bin_dir, "muon-opt"), path, "--inline", "--symbol-dce",
                        "-o", inlined], check=True)
        path = inlined
        lowering = {"emulated": ["--target=cpu", "--pipeline=gpu-emulation"],
                    "cuda": ["--target=cuda"]}[gpu]
    library = os.path.join(directory, "lib" + name + ".so")
    subprocess.run([os.path.join(bin_dir, "muon-compile"), path, *lowering,
                    "--function=step", "-o", library], check=True)
    return library, graph


def initial_parameters(directory, graph):
    """The exported initial weights (the same values as ORT's checkpoint)."""
    import onnx
    from onnx import numpy_helper
    inits = {i.name: numpy_helper.to_array(i)
             for i in onnx.load(os.path.join(directory, "forward.onnx")).graph.initializer}
    # np.array, not ascontiguousarray: that makes a 0-d parameter 1-d.
    return [np.array(inits[p], dtype=np.float32, order="C") for p in graph.params]


def frozen_parameters(directory, graph):
    """The exported weights of the graph's frozen parameters (inputs of the
    training graph that are initializers of the forward model but not
    trained: generate_artifacts' frozen_params), by name."""
    import onnx
    from onnx import numpy_helper
    inits = {i.name: i for i in onnx.load(os.path.join(directory, "forward.onnx")).graph.initializer}
    return {name: np.array(numpy_helper.to_array(inits[name]), order="C")
            for name in graph.data if name in inits}


class CompiledTrainer:
    """Parameters and AdamW moments as numpy arrays, or, for a library
    compiled with gpu="cuda", as torch tensors on `device` (a CUDA device),
    where the step runs. An in-place CPU step is bound to the arrays on its
    first call: update them in place, never replace them."""

    def __init__(self, library, graph, params, device="cpu", frozen=None):
        self.step_fn = aot.load(library)
        self.device = device
        self._layout = self._data_layout(graph, frozen or {})
        if device == "cpu":
            # Writable copies: an in-place step updates them.
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

    def _data_layout(self, graph, frozen):
        """The step's data arguments in the training graph's order: the
        batch's two (idx, labels) and the frozen parameters' weights."""
        names = graph.data if graph is not None else ["idx", "labels"]
        unknown = [n for n in names if n not in frozen]
        if len(unknown) != 2:
            raise ValueError(
                f"the step takes the data inputs {', '.join(names)}: the batch (idx, labels) "
                "and the weights of frozen parameters, which frozen= gives "
                f"(frozen_parameters(directory, graph)); without weights: {', '.join(unknown)}")
        batch = iter(range(2))
        return [("batch", next(batch)) if n in unknown else ("frozen", self._tensor(frozen[n]))
                for n in names]

    def _data(self, idx, labels):
        batch = (idx, labels)
        return [batch[x] if kind == "batch" else x for kind, x in self._layout]

    def _bind(self, idx, labels):
        """An in-place CPU step bound once (aot's bind) to the parameters and
        to buffers that each step copies its batch, lr and t into: the checks
        of the step's ~100 arguments then run once, not every step."""
        self._batch = (np.array(idx, copy=True), np.array(labels, copy=True))
        self._scalars = (np.zeros((), np.float32), np.zeros((), np.int64))
        self._loss = np.zeros((), np.float32)
        run = self.step_fn.bind(*self._data(*self._batch), *self.params, *self.m, *self.v,
                                *self._scalars, out=[self._loss])
        self._bound = run

    def _step_bound(self, idx, labels, lr):
        if self._bound is None:
            self._bind(idx, labels)
        for name, value, buffer in zip(("idx", "labels"), (idx, labels), self._batch):
            value = np.asarray(value)
            if value.shape != buffer.shape or value.dtype != buffer.dtype:
                raise ValueError(f"{name}: expected {buffer.dtype} {buffer.shape}, "
                                 f"got {value.dtype} {value.shape}")
            np.copyto(buffer, value)
        self._scalars[0][()] = lr
        self._scalars[1][()] = self.t + 1
        self._bound()
        self.t += 1
        return float(self._loss)

    def _tensor(self, value, dtype=None):
        """`value` where the step runs (`dtype`: for Python scalars)."""
        value = np.asarray(value, dtype=dtype)
        if self.device == "cpu":
            return value
        import torch
        return torch.as_tensor(value, device=self.device)

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

    def step(self, idx, labels, lr):
        """One forward/backward/update; returns the loss before the update.
        Token ids or labels out of range raise ValueError and change nothing."""
        if self.device == "cpu" and self.step_fn.updated_inputs:
            return self._step_bound(idx, labels, lr)
        n = len(self.params)
        out = self.step_fn(*self._data(self._tensor(idx), self._tensor(labels)),
                           *self.params, *self.m, *self.v, self._tensor(lr, np.float32),
                           self._tensor(self.t + 1, np.int64))
        self.t += 1
        if self.step_fn.updated_inputs:  # in place: only the loss comes back
            return float(out)
        self.params, self.m, self.v = list(out[1:1 + n]), list(out[1 + n:1 + 2 * n]), \
            list(out[1 + 2 * n:])
        return float(out[0])
