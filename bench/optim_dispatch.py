"""Host overhead of one optimizer step: muon_mlir.optim.Muon's `step()`
against its bare compiled calls and against torch's optimizers, on a
parameter list shaped like GPT-2 small's (12 blocks: 48 Muon matrices,
AdamW on the 1-D parameters and the embedding; 145 tensors) but tiny
(d_model 8 by default), so that the arithmetic is negligible and what is
timed is the Python and dispatch around it.

    .venv/bin/python bench/optim_dispatch.py [--steps 2000] [--repetitions 3]

Per optimizer and repetition: the median over `--steps` single-step times
(time.perf_counter around each step()); the table gives the median of the
repetitions and their spread (min..max). For ours, "bare" is the compiled
libraries called directly through ctypes with pointer lists prepared
outside the timing: step() minus bare is the dispatch overhead (the
issue's target: <= 50 µs per step). CPU tensors, one thread.
`--profile` prints cProfile's top functions of our step() instead.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402

from muon_mlir.optim import Muon  # noqa: E402
from muon_mlir.testing.ir import gpt2_block_params  # noqa: E402


def make_params(d_model, layers, vocab):
    generator = torch.Generator().manual_seed(0)
    params, hidden = [], []
    for shape, kind in gpt2_block_params(d_model, layers, vocab):
        p = torch.nn.Parameter(torch.randn(shape, generator=generator) * 0.02)
        p.grad = torch.randn(shape, generator=generator) * 0.01
        params.append(p)
        hidden.append(kind == "muon")
    return ([p for p, h in zip(params, hidden) if h],
            [p for p, h in zip(params, hidden) if not h])


def optimizers(which, hidden, rest):
    if which == "ours":
        return [Muon([{"params": hidden, "use_muon": True},
                      {"params": rest, "use_muon": False, "lr": 3e-4}], lr=0.02, verbose=False)]
    if which.startswith("torch-muon"):
        fused = which.endswith("fused")
        return [torch.optim.Muon(hidden, lr=0.02),
                torch.optim.AdamW(rest, lr=3e-4, foreach=not fused, fused=fused)]
    fused = which.endswith("fused")
    return [torch.optim.AdamW(hidden + rest, lr=3e-4, foreach=not fused, fused=fused)]


def median_step(opts, steps):
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        for opt in opts:
            opt.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_calls(opt):
    """A function running every compiled library of `opt`'s last step with
    its pointers as step() would pass them (prepared here, untimed)."""
    opt.step()
    calls = []
    for index, group in enumerate(opt.param_groups):
        bound = opt._bound.get(index)
        if isinstance(bound, list):  # the bindings of a group, the last one run first
            bound = bound[0]
        if hasattr(bound, "arguments"):  # the packed argument array
            bound.pointer_view[bound.grad_slots] = [p.grad.data_ptr() for p in bound.with_grad]
            calls.append((bound.function._packed, (bound.arguments,)))
            continue
        if hasattr(bound, "fixed"):  # one argument per tensor
            arguments = bound.fixed + [p.grad.data_ptr() for p in bound.with_grad]
            calls += [(f._entry, pick(arguments)) for f, pick in bound.calls]
            continue
        # The optimizer before the bound argument layout (docs/performance.md's
        # "before" row): the pointers of its full-check call.
        call = opt._prepare(index, group)
        cells = dict(zip(call.__code__.co_freevars, call.__closure__))
        pointers = list(cells["pointers"].cell_contents)
        for function, begin, end in cells["compiled"].cell_contents.calls:
            calls.append((function._entry, tuple(pointers[begin:end] + pointers[-2:])))

    def run():
        for entry, args in calls:
            entry(*args)
    return run


def median_bare(run, steps):
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--d-model", type=int, default=8)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--vocab", type=int, default=16)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)

    if args.profile:
        opts = optimizers("ours", *make_params(args.d_model, args.layers, args.vocab))
        median_step(opts, 10)
        profile = cProfile.Profile()
        profile.enable()
        median_step(opts, args.steps)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return

    rows = ["torch-muon+adamw-foreach", "torch-muon+adamw-fused", "torch-adamw-foreach",
            "torch-adamw-fused", "ours", "ours-bare"]
    results = {row: [] for row in rows}
    for _ in range(args.repetitions):
        for row in rows[:-1]:
            hidden, rest = make_params(args.d_model, args.layers, args.vocab)
            opts = optimizers(row, hidden, rest)
            median_step(opts, 20)  # compile / warm up
            results[row].append(median_step(opts, args.steps))
            if row == "ours":
                results["ours-bare"].append(median_bare(bare_calls(opts[0]), args.steps))
    count = sum(map(len, make_params(args.d_model, args.layers, args.vocab)))
    print(f"{count} parameters (d_model {args.d_model}, {args.layers} blocks), "
          f"median of {args.steps} steps, {args.repetitions} repetitions, 1 thread")
    print(f"{'optimizer':34s} {'median':>10s}   spread")
    labels = {"torch-muon+adamw-foreach": "torch.optim.Muon + AdamW(foreach)",
              "torch-muon+adamw-fused": "torch.optim.Muon + AdamW(fused)",
              "torch-adamw-foreach": "torch.optim.AdamW(foreach), all",
              "torch-adamw-fused": "torch.optim.AdamW(fused), all",
              "ours": "muon_mlir.optim.Muon step()",
              "ours-bare": "  its bare compiled calls"}
    for row in rows:
        values = [v * 1e6 for v in results[row]]
        print(f"{labels[row]:34s} {statistics.median(values):8.1f} µs   "
              f"{min(values):.1f}..{max(values):.1f}")
    overhead = [(s - b) * 1e6 for s, b in zip(results["ours"], results["ours-bare"])]
    print(f"ours: dispatch overhead step() - bare: median {statistics.median(overhead):.1f} µs "
          f"(spread {min(overhead):.1f}..{max(overhead):.1f})")


if __name__ == "__main__":
    main()
