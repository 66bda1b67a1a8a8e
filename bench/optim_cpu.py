"""muon_mlir.optim.Muon against torch.optim.Muon + AdamW on the CPU: peak
memory (RSS) of a few steps over a parameter set, and the step's time split
into the compiled call and the Python around it.

    .venv/bin/python bench/optim_cpu.py [--set gpt2-small] [--steps 3]

Each optimizer runs in a fresh subprocess on the same parameter set (random
parameters and gradients allocated before the optimizer exists); the table
gives the peak RSS, the part of it above parameters + gradients (what the
optimizer state and step cost), the median step time and, for ours, the
median of the bare compiled call on the same buffers: the difference is the
Python dispatch overhead (gradient checks, pointer gathering, ctypes).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

SETS = {
    # (d_model, layers, vocab): Muon on 4 matrices per block, AdamW on the
    # 1-D parameters and the embedding (muon_mlir.testing.ir.gpt2_block_params).
    "gpt2-small": (768, 12, 50257),
    "small": (256, 4, 8192),
}


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker(args):
    import torch
    from muon_mlir.testing.ir import gpt2_block_params

    torch.set_num_threads(args.threads)
    d, layers, vocab = SETS[args.set]
    generator = torch.Generator().manual_seed(0)
    params, hidden = [], []
    for shape, kind in gpt2_block_params(d, layers, vocab):
        p = torch.nn.Parameter(torch.randn(shape, generator=generator) * 0.02)
        p.grad = torch.randn(shape, generator=generator) * 0.01
        params.append(p)
        hidden.append(kind == "muon")
    base = rss_mib()
    if args.which == "torch":
        optimizers = [torch.optim.Muon([p for p, h in zip(params, hidden) if h], lr=0.02),
                      torch.optim.AdamW([p for p, h in zip(params, hidden) if not h], lr=3e-4)]
    else:
        from muon_mlir.optim import Muon
        optimizers = [Muon([{"params": [p for p, h in zip(params, hidden) if h], "use_muon": True},
                            {"params": [p for p, h in zip(params, hidden) if not h],
                             "use_muon": False, "lr": 3e-4}], lr=0.02)]
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        for opt in optimizers:
            opt.step()
        times.append(time.perf_counter() - start)
    result = {"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base": base,
              "step": statistics.median(times[1:] or times)}
    if args.which == "ours":
        # The bare compiled calls on the same buffers, without step()'s Python.
        calls = [o._prepare(i, g) for o in optimizers for i, g in enumerate(o.param_groups)]
        bare = []
        for _ in range(args.steps):
            start = time.perf_counter()
            for call in calls:
                call()
            bare.append(time.perf_counter() - start)
        result["bare"] = statistics.median(bare)
        start = time.perf_counter()
        for _ in range(20):
            for o in optimizers:
                for i, g in enumerate(o.param_groups):
                    o._prepare(i, g)
        result["prepare"] = (time.perf_counter() - start) / 20
    print(json.dumps(result))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", choices=sorted(SETS), default="gpt2-small")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--worker", choices=["torch", "ours"], dest="which")
    args = p.parse_args()
    if args.which:
        return worker(args)
    rows = {}
    for which in ("torch", "ours"):
        out = subprocess.run([sys.executable, __file__, "--worker", which, "--set", args.set,
                              "--steps", str(args.steps), "--threads", str(args.threads)],
                             capture_output=True, text=True, check=True).stdout
        rows[which] = json.loads(out.strip().splitlines()[-1])
    print(f"{args.set}, {args.steps} steps, {args.threads} threads")
    print(f"{'optimizer':34s} {'peak RSS':>10s} {'above params+grads':>19s} {'step':>9s}")
    for which, label in (("torch", "torch.optim.Muon + AdamW (eager)"),
                         ("ours", "muon_mlir.optim.Muon")):
        r = rows[which]
        print(f"{label:34s} {r['peak']:8.0f} MiB {r['peak'] - r['base']:15.0f} MiB "
              f"{r['step'] * 1e3:7.1f} ms")
    ours, torch_row = rows["ours"], rows["torch"]
    print(f"peak RSS ratio ours/torch: {ours['peak'] / torch_row['peak']:.3f}; "
          f"above params+grads: {(ours['peak'] - ours['base']) / (torch_row['peak'] - torch_row['base']):.3f}")
    print(f"ours: bare compiled calls {ours['bare'] * 1e3:.1f} ms, step() {ours['step'] * 1e3:.1f} ms, "
          f"checks + pointers (_prepare) {ours['prepare'] * 1e6:.0f} µs per step")


if __name__ == "__main__":
    main()
