"""Device memory of the in-place optimizer step muon_mlir.optim compiles
(its step module for a gpu_peers set, one param group, defaults), read from
the GPU pipeline's bufferized program without a GPU: the bytes of every
allocation (temporaries: the parameters and states live in the caller's
buffers), the most of them live at once between allocation and
deallocation, and the copies. Compare two builds with --muon-opt.

    .venv/bin/python bench/static_memory.py --set gpt2 [--muon-opt build/bin/muon-opt]

With --chunks, the step as muon_mlir.optim.Muon really runs it: split into
compiled calls by `ns_memory` (0: a call per matrix; the default, 5% of the
parameters, gradients and state; unbounded: a call per shape), each call's
static launches (gpu_step.static_launches) and most temporaries live, and
the persistent bytes (parameters, gradients, state) they add to.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import gpu_peers  # noqa: E402
from muon_mlir.optim import _plan  # noqa: E402
from muon_mlir.testing.memory import allocations  # noqa: E402

GROUP = dict(weight_decay=0.1, momentum=0.95, nesterov=True, ns_coefficients=_plan._QUINTIC,
             ns_steps=5, lr_adjust="original", ns_schedule=None, algorithm="muon", beta2=0.95,
             betas=(0.9, 0.999), eps=1e-8, adamw_eps=1e-8, adamw_weight_decay=0.01,
             use_muon=None, view=None)


def step_module(name):
    muon, adamw = gpu_peers.SETS[name]()
    entries = ([("muon", tuple(s), "f32", "flatten") for s in muon] +
               [("adamw", tuple(s), "f32", None) for s in adamw])
    return _plan.step_module(entries, GROUP)


def lower(module, muon_opt, stage):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir") as f:
        f.write(module)
        f.flush()
        return subprocess.run([muon_opt, f.name, f"--muon-gpu-pipeline=stop-after={stage}"],
                              capture_output=True, text=True, check=True).stdout


def report_chunks(name, muon_opt):
    """Calls, launches and memory of the step split as muon_mlir.optim
    splits it, for three `ns_memory` budgets."""
    import gpu_step
    from muon_mlir.optim import _muon
    muon, adamw = gpu_peers.SETS[name]()
    entries = ([("muon", tuple(s), "f32", "flatten") for s in muon] +
               [("adamw", tuple(s), "f32", None) for s in adamw])
    sizes = [2 + len(_plan.STATE_KEYS[kind]) for kind, *_ in entries]
    persistent = sum(map(_plan.step_bytes, entries))  # as the optimizer counts
    seen = {}
    for label, budget in [("0 (a call per matrix)", 0),
                          ("default (5%)", persistent // 20),
                          ("unbounded", 1 << 62)]:
        calls = _muon._chunks(entries, sizes, budget)
        launches, peak = 0, 0
        for chunk, _ in calls:
            module = _plan.step_module(chunk, GROUP)
            if module not in seen:
                static = gpu_step.static_launches_of(lower(module, muon_opt, "gpu"))
                seen[module] = (static["launches"] + static["memset"] + static["memcpy"],
                                allocations(lower(module, muon_opt, "bufferized"))[2])
            launches += seen[module][0]
            peak = max(peak, seen[module][1])
        print(f"{name}, ns_memory {label}: {len(calls)} calls, {launches} launches "
              f"(kernels, runtime calls, memsets, copies), at most {peak / 2**20:.1f} MiB of "
              f"temporaries live: {(persistent + peak) / persistent:.3f}x the "
              f"{persistent / 2**20:.0f} MiB of parameters, gradients and state")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", default="gpt2", choices=sorted(gpu_peers.SETS))
    p.add_argument("--muon-opt", default=os.path.join(ROOT, "build", "bin", "muon-opt"))
    p.add_argument("--chunks", action="store_true",
                   help="the step split into calls as muon_mlir.optim.Muon runs it")
    args = p.parse_args()
    if args.chunks:
        return report_chunks(args.set, args.muon_opt)
    text = lower(step_module(args.set), args.muon_opt, "bufferized")
    total, count, peak = allocations(text)
    print(f"{args.set}: {total / 2**20:.1f} MiB in {count} allocations, at most "
          f"{peak / 2**20:.1f} MiB live at once, {text.count('memref.copy ')} memref.copy")


if __name__ == "__main__":
    main()
