"""Bounded logits: the char transformer's max attention logit over compiled
training steps, without and with QK-clip (optim-insert-qk-clip).

The query and key rows of every block's QKV weight start scaled up
(--qk-scale) and the learning rate is high, so that the logits grow. Both
runs start from the same weights and see the same batches; each line shows
the largest pre-softmax score (over blocks, heads, batch and positions) of
that step's forward pass, computed by torch from the compiled step's
parameters, and finally that of the parameters after the last step.

  python examples/char_transformer/qk_clip_experiment.py --steps 20 --tau 12
"""

import argparse
import os
import sys

import numpy as np

import compiled_step
import model


def run(library, graph, params, batches, lr, c):
    trainer = compiled_step.CompiledTrainer(library, graph, params)
    series = []
    for idx, labels in batches:
        series.append(model.max_logits(c, graph.params, trainer.params, idx).max())
        trainer.step(idx, labels, lr)
    series.append(model.max_logits(c, graph.params, trainer.params, batches[-1][0]).max())
    return series


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--tau", type=float, default=12.0, help="QK-clip threshold")
    parser.add_argument("--qk-scale", type=float, default=3.0,
                        help="initial scale of the query and key weight rows")
    parser.add_argument("--lr", type=float, default=1e-2, help="AdamW learning rate")
    parser.add_argument("--work", default=os.path.join(compiled_step.ROOT, "build",
                                                       "char_transformer"))
    args = parser.parse_args()

    c, batches = model.training_data(args.steps)
    model.make_artifacts(c, args.work)
    series = {}
    for label, tau in (("without", None), ("with", args.tau)):
        library, graph = compiled_step.compile_step(args.work, qk_clip_tau=tau)
        params = [p.copy() for p in compiled_step.initial_parameters(args.work, graph)]
        for name, p in zip(graph.params, params):
            if name.endswith("qkv.weight") or name.endswith("qkv.bias"):
                p[:2 * c.d_model] *= args.qk_scale  # Q and K rows
        series[label] = run(library, graph, params, batches, args.lr, c)
    print(f"max attention logit per step (tau = {args.tau:g}, q/k scale "
          f"{args.qk_scale:g}, lr {args.lr:g})")
    print(" step   without QK-clip   with QK-clip")
    for step, (a, b) in enumerate(zip(series["without"], series["with"])):
        label = f"{step:5d}" if step < args.steps else "final"
        print(f"{label}   {a:15.3f}   {b:12.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
