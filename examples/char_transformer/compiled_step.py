"""The training step of model.py's artifacts, compiled and run through
muon_mlir.training with this checkout's tools (build/bin), and with the
weights of the exported forward model.

(ONNX is imported where artifacts are read: CompiledTrainer runs a compiled
step with numpy and torch alone, as on a GPU machine without ONNX.)
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

from muon_mlir import training  # noqa: E402

BIN = os.path.join(ROOT, "build", "bin")


def _prepare_for_ort(directory, adam_mode):
    """ORT's training API, the reference the tests compare with, reads the
    same optimizer model: with `adam_mode`, set it there too (0:
    torch.optim.AdamW; generate_artifacts makes 1, Hugging Face's)."""
    import onnx
    from muon_mlir import onnx_training
    path = os.path.join(directory, "optimizer_model.onnx")
    optimizer = onnx.load(path)
    if adam_mode is not None:
        onnx_training.set_adam_mode(optimizer, adam_mode)
    # onnxblock stamps the optimizer model with the installed onnx package's
    # IR version; ONNX Runtime 1.19 reads up to 10, which the graph fits.
    optimizer.ir_version = min(optimizer.ir_version, 10)
    onnx.save(optimizer, path)


def compile_step(directory, assign=None, bin_dir=BIN, gpu=None,
                 adam_mode=None, qk_clip_tau=None, in_place=False, dims=None):
    """The step of the artifacts in `directory` (muon_mlir.training's
    compile_artifacts with this checkout's tools in `bin_dir`): optim-assign'ed
    with the option string `assign` when given (Muon for the hidden
    matrices); with `qk_clip_tau`, QK-clip added. `gpu` compiles the GPU
    pipeline's program instead: "emulated" runs it on the host (device
    memory, kernel launches on grids, GEMMs through the GPU entry points'
    CPU implementation); "cuda" for a CUDA device, on torch tensors.
    `dims`: values of symbolic dimensions. `in_place`: parameters and
    moments updated in their own buffers (the step returns only the loss;
    CompiledTrainer runs both forms). Returns (library, TrainingGraph)."""
    _prepare_for_ort(directory, adam_mode)
    return training.compile_artifacts(
        directory, optimizer="adamw" if assign is None else "muon", assign=assign,
        qk_clip_tau=qk_clip_tau, device=gpu or "cpu", dims=dims, adam_mode=adam_mode,
        tools=bin_dir, in_place=in_place, module_dir=directory,
        cache=os.path.join(directory, "compiled"))


def initial_parameters(directory, graph):
    """The exported initial weights (the same values as ORT's checkpoint)."""
    from muon_mlir import onnx_training
    inits = onnx_training.initializers(os.path.join(directory, "forward.onnx"))
    return [inits[p].astype(np.float32) for p in graph.params]


def frozen_parameters(directory, graph):
    """The exported weights of the graph's frozen parameters (inputs of the
    training graph that are initializers of the forward model but not
    trained: generate_artifacts' frozen_params), by name."""
    from muon_mlir import onnx_training
    inits = onnx_training.initializers(os.path.join(directory, "forward.onnx"))
    return {name: inits[name] for name in graph.data if name in inits}


class CompiledTrainer(training.Trainer):
    """muon_mlir.training.Trainer of a language model's step: a batch is
    (token ids, labels)."""

    def __init__(self, library, graph, params, device="cpu", frozen=None):
        super().__init__(library, graph, params, device, frozen)
        if len(self.inputs) != 2:
            raise ValueError(
                f"the step takes the data inputs {', '.join(graph.data)}: the batch (idx, "
                "labels) and the weights of frozen parameters, which frozen= gives "
                "(frozen_parameters(directory, graph)); without weights: "
                f"{', '.join(name for name, _, _ in self.inputs)}")

    def step(self, idx, labels, lr):
        """One forward/backward/update; returns the loss before the update.
        Token ids or labels out of range raise ValueError and change nothing."""
        return super().step((idx, labels), lr)
