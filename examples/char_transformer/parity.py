"""Compiled step vs ONNX Runtime training on the same artifacts and batches.

Runs N steps with ORT's own training API (Module + Optimizer over
training_model.onnx / optimizer_model.onnx) and N steps of the step muon
compiled from the same files, then compares every loss and every parameter
after the last step: relative error |a - b| / |b| (Frobenius for tensors)
must stay <= --rtol (default 1e-5). Exits 1 otherwise.

  python examples/char_transformer/parity.py --steps 5 --work /tmp/parity

--gpu-fused compiles the step's GPU form (fused kernels as loops, GEMM calls)
for CPU instead, checking the GPU pipeline's arithmetic without a GPU.
"""

import argparse
import os
import sys

import numpy as np

import compiled_step
import model


def ort_steps(directory, batches, lr):
    from onnxruntime.training import api
    state = api.CheckpointState.load_checkpoint(os.path.join(directory, "checkpoint"))
    module = api.Module(os.path.join(directory, "training_model.onnx"), state,
                        os.path.join(directory, "eval_model.onnx"))
    optimizer = api.Optimizer(os.path.join(directory, "optimizer_model.onnx"), module)
    optimizer.set_learning_rate(lr)
    module.train()
    losses = []
    for idx, labels in batches:
        losses.append(float(module(idx, labels)))
        optimizer.step()
        module.lazy_reset_grad()
    return losses, state


def rel(a, b):
    return np.linalg.norm(np.asarray(a, np.float64) - b) / max(np.linalg.norm(b), 1e-30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", default=compiled_step.BIN)
    parser.add_argument("--gpu-fused", action="store_true",
                        help="compile the GPU pipeline's fused stage (run on CPU)")
    parser.add_argument("--adam-mode", type=int, choices=[0, 1],
                        help="set AdamWOptimizer's adam_mode for ORT and the "
                             "import (default: as generate_artifacts makes it, 1)")
    args = parser.parse_args()

    c, batches = model.training_data(args.steps)
    model.make_artifacts(c, args.work)
    library, graph = compiled_step.compile_step(args.work, bin_dir=args.bin,
                                                gpu_fused=args.gpu_fused,
                                                adam_mode=args.adam_mode)

    trainer = compiled_step.CompiledTrainer(
        library, graph, compiled_step.initial_parameters(args.work, graph))
    ours = [trainer.step(idx, labels, args.lr) for idx, labels in batches]
    theirs, state = ort_steps(args.work, batches, args.lr)

    worst = 0.0
    for step, (a, b) in enumerate(zip(ours, theirs)):
        err = abs(a - b) / abs(b)
        worst = max(worst, err)
        print(f"step {step}: loss muon {a:.7f} ort {b:.7f} rel err {err:.2e}")
    for name, value in zip(graph.params, trainer.params):
        err = rel(value, state.parameters[name].data)
        worst = max(worst, err)
        print(f"param {name}: rel err {err:.2e}")
    print(f"max rel err {worst:.2e} (tolerance {args.rtol:.0e})")
    return 0 if worst <= args.rtol else 1


if __name__ == "__main__":
    sys.exit(main())
