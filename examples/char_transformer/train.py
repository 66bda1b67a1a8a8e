"""Train the char-level transformer of model.py with one compiled step.

Exports the model to ONNX, makes ONNX Runtime training artifacts (cross
entropy, AdamW), imports forward + backward + optimizer with muon-translate
into one step function, compiles it for CPU with muon-compile and trains,
printing the loss. With --optimizer=muon the imported AdamW updates of the
2-D hidden matrices are rerouted to Muon by `optim-assign` first (embedding,
output head and 1-D parameters keep AdamW); --optimizer=both runs AdamW and
Muon from the same initial weights on the same batches. With --qk-clip,
`optim-insert-qk-clip` adds QK-clip (MuonClip) with threshold --qk-clip-tau
to the step, and each log line shows the largest attention logit of the
step's forward pass.

--arch llama trains LLaMA-style blocks instead (RMSNorm, rotary
embeddings, SwiGLU, no biases; model.Config).

--device cuda compiles the whole step for a GPU (muon-compile --target=cuda:
the GPU pipeline's kernels and cuBLASLt GEMMs in one library) and trains on
torch CUDA tensors; --device emulated runs that GPU program on the CPU
(device memory, kernels on their grids, executed as host loops), which is
how it is tested on machines without a GPU.

  python examples/char_transformer/train.py --steps 200 --optimizer=both
  python examples/char_transformer/train.py --optimizer=muon --qk-clip --qk-clip-tau 20
  python examples/char_transformer/train.py --device cuda
  python examples/char_transformer/train.py --arch llama --optimizer=muon
"""

import argparse
import os
import sys
import time

import compiled_step
import model

REPORT_STEPS = (0, 50, 100, 200)


def train(library, graph, work, batches, steps, lr, label, config=None, device="cpu"):
    """Trains from the exported weights; with `config`, log lines also show
    the forward pass's largest attention logit."""
    trainer = compiled_step.CompiledTrainer(
        library, graph, compiled_step.initial_parameters(work, graph),
        "cuda" if device == "cuda" else "cpu")
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        idx, labels = batches[step]
        logits = (model.max_logits(config, graph.params, trainer.numpy_params(), idx).max()
                  if config is not None and step % 10 == 0 else None)
        losses.append(trainer.step(idx, labels, lr))
        if step % 10 == 0:
            extra = f"  max logit {logits:.2f}" if logits is not None else ""
            print(f"[{label}] step {step:4d}  loss {losses[-1]:.4f}{extra}", flush=True)
    elapsed = time.perf_counter() - start
    print(f"[{label}] {steps + 1} steps in {elapsed:.1f} s "
          f"({1000 * elapsed / (steps + 1):.1f} ms/step)")
    return losses


def _non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=_non_negative, default=200,
                        help="updates after the first (steps + 1 in all)")
    parser.add_argument("--optimizer", choices=["adamw", "muon", "both"], default="both")
    parser.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate")
    parser.add_argument("--qk-clip", action="store_true",
                        help="add QK-clip (optim-insert-qk-clip) to the step")
    parser.add_argument("--qk-clip-tau", type=float, default=100.0,
                        help="QK-clip threshold on the max attention logit")
    parser.add_argument("--arch", choices=["gpt", "llama"], default="gpt",
                        help="the model's blocks: GPT-2's or LLaMA's (model.Config)")
    parser.add_argument("--device", choices=["cpu", "cuda", "emulated"], default="cpu",
                        help="where the step runs: the CPU pipeline, a CUDA GPU, or the "
                             "GPU program emulated on the CPU")
    parser.add_argument("--work", default=os.path.join(compiled_step.ROOT, "build",
                                                       "char_transformer"))
    args = parser.parse_args()

    c, batches = model.training_data(args.steps + 1, arch=args.arch)
    model.make_artifacts(c, args.work)
    # Muon for the 2-D hidden matrices; the embeddings (token, position) and
    # the head (by name) keep AdamW. The default lr-adjust (match_rms_adamw)
    # keeps AdamW's learning rate valid for Muon.
    runs = {"adamw": None, "muon": r"exclude=^tok\.weight$,^pos$ report=true"}
    if args.optimizer != "both":
        runs = {args.optimizer: runs[args.optimizer]}
    results = {}
    for label, assign in runs.items():
        tau = args.qk_clip_tau if args.qk_clip else None
        gpu = None if args.device == "cpu" else args.device
        library, graph = compiled_step.compile_step(args.work, assign, qk_clip_tau=tau,
                                                    gpu=gpu, in_place=True)
        results[label] = train(library, graph, args.work, batches, args.steps, args.lr,
                               label, c if args.qk_clip else None, args.device)
    print("loss at step " + "  ".join(f"{s:>6d}" for s in REPORT_STEPS if s <= args.steps))
    for label, losses in results.items():
        tail = losses[-20:]
        print(f"{label:>12s} " + "  ".join(f"{losses[s]:6.3f}" for s in REPORT_STEPS
                                           if s <= args.steps)
              + f"   mean of the last {len(tail)}: {sum(tail) / len(tail):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
