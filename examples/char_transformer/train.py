"""Train the char-level transformer of model.py with one compiled step.

Exports the model to ONNX, makes ONNX Runtime training artifacts (cross
entropy, AdamW), imports forward + backward + optimizer with muon-translate
into one step function, compiles it for CPU with muon-compile and trains,
printing the loss. With --optimizer=muon the imported AdamW updates of the
2-D hidden matrices are rerouted to Muon by `optim-assign` first (embedding,
output head and 1-D parameters keep AdamW); --optimizer=both runs AdamW and
Muon from the same initial weights on the same batches.

  python examples/char_transformer/train.py --steps 200 --optimizer=both
"""

import argparse
import os
import sys
import time

import compiled_step
import model

REPORT_STEPS = (0, 50, 100, 200)


def train(library, graph, work, batches, steps, lr, label):
    trainer = compiled_step.CompiledTrainer(
        library, graph, compiled_step.initial_parameters(work, graph))
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        idx, labels = batches[step]
        losses.append(trainer.step(idx, labels, lr))
        if step % 10 == 0:
            print(f"[{label}] step {step:4d}  loss {losses[-1]:.4f}", flush=True)
    elapsed = time.perf_counter() - start
    print(f"[{label}] {steps + 1} steps in {elapsed:.1f} s "
          f"({1000 * elapsed / (steps + 1):.1f} ms/step)")
    return losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--optimizer", choices=["adamw", "muon", "both"], default="both")
    parser.add_argument("--lr", type=float, default=3e-3, help="AdamW learning rate")
    parser.add_argument("--work", default=os.path.join(compiled_step.ROOT, "build",
                                                       "char_transformer"))
    args = parser.parse_args()

    data, chars = model.load_text()
    c = model.Config(vocab=len(chars))
    model.make_artifacts(c, args.work)
    stream = model.batches(data, c, seed=1)
    batches = [next(stream) for _ in range(args.steps + 1)]
    # Muon for the 2-D hidden matrices; the embeddings (token, position) and
    # the head (by name) keep AdamW. The default lr-adjust (match_rms_adamw)
    # keeps AdamW's learning rate valid for Muon.
    runs = {"adamw": None, "muon": r"exclude=^tok\.weight$,^pos$ report=true"}
    if args.optimizer != "both":
        runs = {args.optimizer: runs[args.optimizer]}
    results = {}
    for label, assign in runs.items():
        library, graph = compiled_step.compile_step(args.work, assign)
        results[label] = train(library, graph, args.work, batches, args.steps, args.lr,
                               label)
    print("loss at step " + "  ".join(f"{s:>6d}" for s in REPORT_STEPS if s <= args.steps))
    for label, losses in results.items():
        tail = losses[-20:]
        print(f"{label:>12s} " + "  ".join(f"{losses[s]:6.3f}" for s in REPORT_STEPS
                                           if s <= args.steps)
              + f"   mean of the last {len(tail)}: {sum(tail) / len(tail):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
