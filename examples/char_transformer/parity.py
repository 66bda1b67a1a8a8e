"""Compiled step vs ONNX Runtime training on the same artifacts and batches.

Runs N steps with ORT's own training API (Module + Optimizer over
training_model.onnx / optimizer_model.onnx) and N steps of the step muon
compiled from the same files, then compares every loss and every parameter
after the last step: relative error |a - b| / |b| (Frobenius for tensors)
must stay <= --rtol (default 1e-5). Exits 1 otherwise.

  python examples/char_transformer/parity.py --steps 5 --work /tmp/parity

--gpu compiles the step's GPU form for CPU instead, checking the GPU
pipeline without a GPU: "emulated", the whole GPU program (device memory,
kernels launched on grids, asynchronous order) with kernels and memory
operations run on the host (muon-compile --pipeline=gpu-emulation).
"""

import argparse
import os
import sys

import compiled_step
import model
from muon_mlir.testing.training_parity import check_bad_inputs, compare, save_bundle


def ort_steps(directory, batches, lr, training_model="training_model.onnx",
              extra_inputs=lambda step: []):
    """ORT's training API on the artifacts; `extra_inputs(step)` (step from
    1) gives the inputs a modified `training_model` takes after the batch."""
    from onnxruntime.training import api
    state = api.CheckpointState.load_checkpoint(os.path.join(directory, "checkpoint"))
    # Training only: no eval model (ORT fails to load its BatchNormalization
    # with torch's training-mode outputs, which training never reads).
    module = api.Module(os.path.join(directory, training_model), state)
    optimizer = api.Optimizer(os.path.join(directory, "optimizer_model.onnx"), module)
    optimizer.set_learning_rate(lr)
    module.train()
    losses = []
    for step, (idx, labels) in enumerate(batches, start=1):
        losses.append(float(module(idx, labels, *extra_inputs(step))))
        optimizer.step()
        module.lazy_reset_grad()
    return losses, state


MUON_ASSIGN = r"exclude=^tok\.weight$,^pos$"


def compile_args(args, gpu):
    """(library, graph) of the step as `args` ask for it (`gpu`: its GPU form)."""
    return compiled_step.compile_step(
        args.work, bin_dir=args.bin, gpu=gpu, adam_mode=args.adam_mode,
        assign=MUON_ASSIGN if args.muon else None, qk_clip_tau=args.qk_clip_tau,
        in_place=True)


def compiled_steps(args, batches, gpu, vocab=None):
    """Losses and final parameters of the compiled step (`gpu`: its GPU form);
    with `vocab`, then the bad-input checks."""
    library, graph = compile_args(args, gpu)
    trainer = compiled_step.CompiledTrainer(
        library, graph, compiled_step.initial_parameters(args.work, graph),
        "cuda" if gpu == "cuda" else "cpu")
    losses = [trainer.step(idx, labels, args.lr) for idx, labels in batches]
    if vocab is not None:
        check_bad_inputs(trainer, batches[0], vocab)
    return losses, dict(zip(graph.params, trainer.numpy_params()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", default=compiled_step.BIN)
    parser.add_argument("--gpu", choices=["emulated", "cuda"],
                        help="compile the GPU pipeline's program: run on CPU "
                             "(emulated) or on a CUDA GPU (cuda)")
    parser.add_argument("--adam-mode", type=int, choices=[0, 1],
                        help="set AdamWOptimizer's adam_mode for ORT and the "
                             "import (default: as generate_artifacts makes it, 1)")
    parser.add_argument("--reference", choices=["ort", "cpu"], default="ort",
                        help="compare with ORT's training API, or with the step "
                             "compiled for CPU (then --muon / --qk-clip-tau, which "
                             "ORT cannot run, may change the step)")
    parser.add_argument("--muon", action="store_true",
                        help="--reference=cpu: Muon for the hidden matrices "
                             "(optim-assign, as train.py does)")
    parser.add_argument("--arch", choices=["gpt", "llama"], default="gpt",
                        help="the model's blocks (model.Config): GPT-2's or LLaMA's")
    parser.add_argument("--qk-clip-tau", type=float,
                        help="--reference=cpu: add QK-clip with this threshold")
    parser.add_argument("--bundle", metavar="DIR",
                        help="with --gpu: compile the step and compute the reference "
                             "here, and write both to DIR for bench/training_numerics.py "
                             "to run elsewhere (with cuda: on a GPU machine)")
    args = parser.parse_args()
    if args.reference == "ort" and (args.muon or args.qk_clip_tau is not None):
        parser.error("--muon and --qk-clip-tau need --reference=cpu")
    if args.bundle and not args.gpu:
        parser.error("--bundle needs --gpu")

    c, batches = model.training_data(args.steps, arch=args.arch)
    model.make_artifacts(c, args.work)
    if args.bundle:
        library, graph = compile_args(args, args.gpu)
        names = graph.params
    else:
        ours, params = compiled_steps(args, batches, args.gpu, vocab=c.vocab)
        names = list(params)
    if args.reference == "ort":
        theirs, state = ort_steps(args.work, batches, args.lr)
        reference = {name: state.parameters[name].data for name in names}
    else:
        theirs, reference = compiled_steps(args, batches, None)
    if args.bundle:
        save_bundle(args.bundle, library, graph.params,
                    compiled_step.initial_parameters(args.work, graph), batches, args.lr,
                    theirs, reference, args.reference, args.rtol, vocab=c.vocab)
        print(f"bundle written to {args.bundle}")
        return 0

    worst = compare(ours, theirs, params, reference, args.reference)
    print(f"max rel err {worst:.2e} (tolerance {args.rtol:.0e})")
    return 0 if worst <= args.rtol else 1


if __name__ == "__main__":
    sys.exit(main())
