"""CPU benchmark: one whole training step (forward, backward, optimizer) of
the char transformer of examples/char_transformer — the ONNX Runtime
artifacts imported and compiled by muon-mlir into one step, against the same
torch model trained eagerly and under torch.compile, in the same run, with
AdamW and with Muon on the hidden matrices (AdamW on the rest).

    .venv/bin/python bench/train_step_cpu.py [--steps 50] [--no-compile]
        [--d-model 256 --layers 4 --seq 128 ...]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))
import compiled_step  # noqa: E402
import model  # noqa: E402

LR, WEIGHT_DECAY = 3e-3, 0.01
# What optim-assign routes to Muon in the example (2-D hidden matrices).
MUON_ASSIGN = r"exclude=^tok\.weight$,^pos$"


def median_ms(step, batches, warmup):
    for idx, labels in batches[:warmup]:
        step(idx, labels)
    times = []
    for idx, labels in batches[warmup:]:
        start = time.perf_counter()
        step(idx, labels)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def torch_optimizers(net, muon):
    hidden = [p for n, p in net.named_parameters()
              if muon and p.ndim == 2 and n.startswith("blocks.")]
    rest = [p for p in net.parameters() if all(p is not h for h in hidden)]
    opts = [torch.optim.AdamW(rest, lr=LR, weight_decay=WEIGHT_DECAY)]
    if hidden:
        opts.append(torch.optim.Muon(hidden, lr=LR, weight_decay=WEIGHT_DECAY,
                                     adjust_lr_fn="match_rms_adamw"))
    return opts


def torch_step(c, muon, mode=None, device="cpu"):
    """The seeded torch model's step on `device`: eager, or model and
    optimizer steps under torch.compile(mode=`mode`)."""
    torch.manual_seed(0)
    net = model.CharLM(c).to(device)
    opts = torch_optimizers(net, muon)
    forward = net if mode is None else torch.compile(net, mode=mode)
    updates = [o.step if mode is None else torch.compile(o.step, mode=mode) for o in opts]

    def step(idx, labels):
        loss = nn.functional.cross_entropy(forward(torch.as_tensor(idx, device=device)),
                                           torch.as_tensor(labels, device=device))
        loss.backward()
        for update in updates:
            update()
        for o in opts:
            o.zero_grad(set_to_none=True)
        return loss.item()
    return step


def muon_mlir_step(work, assign):
    library, graph = compiled_step.compile_step(work, assign, in_place=True)
    trainer = compiled_step.CompiledTrainer(
        library, graph, compiled_step.initial_parameters(work, graph))
    return lambda idx, labels: trainer.step(idx, labels, LR)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true",
                        help="skip torch.compile (its first steps compile C++)")
    for size in ("batch", "seq", "d_model", "heads", "layers"):
        parser.add_argument("--" + size.replace("_", "-"), type=int,
                            help="model size (default: the example's)")
    args = parser.parse_args()

    sizes = {k: getattr(args, k) for k in ("batch", "seq", "d_model", "heads", "layers")
             if getattr(args, k) is not None}
    c, batches = model.training_data(args.warmup + args.steps, **sizes)
    print(f"char transformer (d_model {c.d_model}, {c.layers} layers, batch "
          f"{c.batch}x{c.seq}), {torch.get_num_threads()} threads; median of "
          f"{args.steps} steps after {args.warmup}")
    print(f"{'optimizer':10} {'implementation':24} {'ms/step':>8}")
    with tempfile.TemporaryDirectory(prefix="bench-train-") as work:
        model.make_artifacts(c, work)
        for label, assign in [("adamw", None), ("muon", MUON_ASSIGN)]:
            muon = assign is not None
            rows = [("torch eager", torch_step(c, muon))]
            if not args.no_compile:
                rows.append(("torch.compile", torch_step(c, muon, "default")))
            rows.append(("muon-mlir (compiled step)", muon_mlir_step(work, assign)))
            if muon:
                # torch.optim.Muon runs Newton-Schulz in bf16; the default
                # step above keeps the parameters' f32.
                rows.append(("muon-mlir, bf16 NS",
                             muon_mlir_step(work, assign + " ns-compute=bf16")))
            for name, step in rows:
                print(f"{label:10} {name:24} {median_ms(step, batches, args.warmup):8.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
