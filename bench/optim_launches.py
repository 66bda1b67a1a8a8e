"""What muon_mlir.optim.Muon's CUDA steps launch, read from the host code
the GPU pipeline generates (its `gpu` stage): kernels, runtime calls and
memory operations per param group, and the time muon-compile takes for the
group (--target=cuda). Runs here, without a GPU.

    .venv/bin/python bench/optim_launches.py [--sets gpt2,llama1b] [--variant bf16]

The sets are bench/gpu_peers.py's (plus `gpt2-xl`: GPT-2 XL's 48 blocks at
d_model 1600), built as bench/optim_gpu.py builds them: a Muon group and
an AdamW group (use_muon=False), on the meta device.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpu_peers  # noqa: E402
import optim_gpu  # noqa: E402
from muon_mlir.optim import _plan  # noqa: E402
from muon_mlir.optim._compiler import find_muon_compile  # noqa: E402
from muon_mlir.testing.ir import gpt2_block_params  # noqa: E402

SETS = dict(gpu_peers.SETS)
SETS["gpt2-xl"] = lambda: tuple(
    [shape for shape, kind in gpt2_block_params(1600, 48, 50257) if kind == k]
    for k in ("muon", "adamw"))
# What the gpu stage's host code calls: kernels, the runtime's GEMMs, memory.
COUNTED = {"kernels": r"gpu\.launch_func", "runtime calls": r"call @muon_gpu_",
           "memcpy": r"gpu\.memcpy", "memset": r"gpu\.memset"}


def group_modules(name, variant):
    """(group label, step module, muon-compile flags) of each group."""
    import torch
    muon, adamw = SETS[name]()
    with torch.device("meta"):
        muon = [torch.empty(s, requires_grad=True) for s in muon]
        adamw = [torch.empty(s, requires_grad=True) for s in adamw]
    opt = optim_gpu.ours(muon, adamw, variant)
    for group in opt.param_groups:
        entries = opt._group_entries(group)
        label = "muon" if group["use_muon"] else "adamw"
        yield (f"{label} ({len(entries)} parameters)", _plan.step_module(entries, group),
               opt._flags(entries, torch.device("cuda")))


def count(module, flags, work):
    compiler = find_muon_compile()
    muon_opt = os.path.join(os.path.dirname(compiler), "muon-opt")
    source = os.path.join(work, "step.mlir")
    with open(source, "w") as f:
        f.write(module)
    budget = next(f.split("=")[1] for f in flags if f.startswith("--bucket-memory="))
    gpu = subprocess.run([muon_opt, source, f"--muon-gpu-pipeline=stop-after=gpu "
                          f"bucket-memory={budget}"], check=True, capture_output=True,
                         text=True).stdout
    start = time.perf_counter()
    subprocess.run([compiler, source, "-o", os.path.join(work, "libstep.so"), *flags],
                   check=True)
    seconds = time.perf_counter() - start
    return {k: len(re.findall(pattern, gpu)) for k, pattern in COUNTED.items()}, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default="gpt2,llama1b,gpt2-xl")
    p.add_argument("--variant", default="bf16", choices=sorted(optim_gpu.NS_DTYPES))
    args = p.parse_args()
    print(f"{'set / group':32} {'kernels':>8} {'runtime':>8} {'memcpy':>7} {'memset':>7} "
          f"{'compile s':>10}")
    with tempfile.TemporaryDirectory() as work:
        for name in args.sets.split(","):
            for label, module, flags in group_modules(name, args.variant):
                counts, seconds = count(module, flags, work)
                print(f"{name + ' ' + label:32} {counts['kernels']:8} "
                      f"{counts['runtime calls']:8} {counts['memcpy']:7} "
                      f"{counts['memset']:7} {seconds:10.1f}", flush=True)


if __name__ == "__main__":
    main()
