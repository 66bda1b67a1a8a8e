"""A tiny torch training loop whose optimizer step is an AOT-compiled library.

A 2-layer MLP (16 -> 64 -> 4) learns a fixed random nonlinear map from
synthetic data. torch computes the loss and the gradients; the whole update —
Muon for the hidden matrix W1, AdamW for the biases and the output layer —
is one call of a step compiled by muon-compile and loaded with
muon_mlir.aot. Prints the loss as it falls; exits non-zero if it does not.

    .venv/bin/python examples/train_with_aot.py [--steps 50]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from muon_mlir import aot  # noqa: E402
from muon_mlir.testing.ir import tensor_type  # noqa: E402

IN, HIDDEN, OUT = 16, 64, 4


def step_module(shapes):
    """@step: Muon on the first (matrix) parameter, AdamW on the others.
    Arguments per parameter: w, g, m (+ v for AdamW); then lr, adam_lr, t.
    Results: the new w, m (+ v) per parameter, in the same order."""
    args, body, results, types = [], [], [], []
    for i, shape in enumerate(shapes):
        t = tensor_type(shape)
        muon = i == 0
        names = ["w", "g", "m"] + ([] if muon else ["v"])
        args += [f"%{n}{i}: {t}" for n in names]
        if muon:
            body.append(f"%w{i}_1, %m{i}_1 = optim.muon %w{i}, %g{i}, %m{i}, %lr "
                        f"{{weight_decay = 0.01}} : {t}, tensor<f32>")
        else:
            body.append(f"%w{i}_1, %m{i}_1, %v{i}_1 = optim.adamw %w{i}, %g{i}, %m{i}, "
                        f"%v{i}, %adam_lr, %t {{weight_decay = 0.01}} "
                        f": {t}, tensor<f32>, tensor<i64>")
        new = [f"%{n}{i}_1" for n in names if n != "g"]
        results += new
        types += [t] * len(new)
    args += ["%lr: tensor<f32>", "%adam_lr: tensor<f32>", "%t: tensor<i64>"]
    return (f"func.func @step({', '.join(args)}) -> ({', '.join(types)}) {{\n  "
            + "\n  ".join(body)
            + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--muon-compile", default=os.path.join(ROOT, "build", "bin", "muon-compile"))
    args = p.parse_args()

    torch.manual_seed(0)
    x = torch.randn(512, IN)
    teacher = torch.nn.Sequential(torch.nn.Linear(IN, 32), torch.nn.Tanh(),
                                  torch.nn.Linear(32, OUT))
    with torch.no_grad():
        y = teacher(x)
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(),
                                torch.nn.Linear(HIDDEN, OUT))
    # W1 (hidden matrix) first: it gets Muon; b1, W2, b2 get AdamW.
    params = [model[0].weight, model[0].bias, model[2].weight, model[2].bias]

    with tempfile.TemporaryDirectory(prefix="train-with-aot-") as tmp:
        module = os.path.join(tmp, "step.mlir")
        with open(module, "w") as f:
            f.write(step_module([tuple(q.shape) for q in params]))
        library = os.path.join(tmp, "libstep.so")
        subprocess.run([args.muon_compile, module, "-o", library], check=True)
        step = aot.load(library)

        state = [[torch.zeros_like(q)] + ([] if i == 0 else [torch.zeros_like(q)])
                 for i, q in enumerate(params)]
        lr, adam_lr = torch.tensor(0.05), torch.tensor(1e-2)
        losses = []
        for t in range(1, args.steps + 1):
            loss = torch.nn.functional.mse_loss(model(x), y)
            model.zero_grad()
            loss.backward()
            losses.append(loss.item())
            inputs = []
            for q, s in zip(params, state):
                inputs += [q.detach(), q.grad, *s]
            outputs = iter(step(*inputs, lr, adam_lr, torch.tensor(t)))
            with torch.no_grad():
                for q, s in zip(params, state):
                    q.copy_(next(outputs))
                    s[:] = [next(outputs) for _ in s]
            if t == 1 or t % 10 == 0 or t == args.steps:
                print(f"step {t:3d}  loss {losses[-1]:.4f}")
    fell = losses[-1] < 0.5 * losses[0]
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}: {'falling' if fell else 'NOT falling'}")
    return 0 if fell else 1


if __name__ == "__main__":
    sys.exit(main())
