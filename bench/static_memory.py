"""Device memory of the in-place optimizer step muon_mlir.optim compiles
(its step module for a gpu_peers set, one param group, defaults), read from
the GPU pipeline's bufferized program without a GPU: the bytes of every
allocation (temporaries: the parameters and states live in the caller's
buffers), the most of them live at once between allocation and
deallocation, and the copies. Compare two builds with --muon-opt.

    .venv/bin/python bench/static_memory.py --set gpt2 [--muon-opt build/bin/muon-opt]

With --budgets, the step under three `ns_memory` budgets, the device
temporaries one bucket may hold (optim-bucket's max-temporary-bytes; 0: a
bucket per matrix; the default, 5% of the parameters, gradients and state;
unbounded: a bucket per shape): its static launches
(gpu_step.static_launches), most temporaries live, and the persistent
bytes (parameters, gradients, state) they add to. --ns-dtype bf16 runs
Newton–Schulz in bf16 (torch.optim.Muon's choice).
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import gpu_peers  # noqa: E402
from muon_mlir.optim import _plan  # noqa: E402
from muon_mlir.testing.ir import run_muon_opt  # noqa: E402
from muon_mlir.testing.memory import allocations  # noqa: E402

GROUP = dict(weight_decay=0.1, momentum=0.95, nesterov=True, ns_coefficients=_plan._QUINTIC,
             ns_steps=5, lr_adjust="original", ns_schedule=None, algorithm="muon", beta2=0.95,
             betas=(0.9, 0.999), eps=1e-8, adamw_eps=1e-8, adamw_weight_decay=0.01,
             use_muon=None, view=None)


def set_entries(name):
    muon, adamw = gpu_peers.SETS[name]()
    return ([("muon", tuple(s), "f32", "flatten") for s in muon] +
            [("adamw", tuple(s), "f32", None) for s in adamw])


def lower(module, muon_opt, stage, budget=0):
    return run_muon_opt(muon_opt, module, f"--muon-gpu-pipeline=stop-after={stage} "
                        f"bucket-memory={budget}").stdout


def report_budgets(name, muon_opt, group):
    """Launches and memory of the step for three `ns_memory` budgets."""
    import gpu_step
    entries = set_entries(name)
    module = _plan.step_module(entries, group)
    persistent = sum(map(_plan.step_bytes, entries))  # as the optimizer counts
    for label, budget in [("0 (a bucket per matrix)", 1),
                          ("default (5%)", persistent // 20),
                          ("unbounded", 0)]:
        static = gpu_step.static_launches_of(lower(module, muon_opt, "gpu", budget))
        launches = static["launches"] + static["memset"] + static["memcpy"]
        peak = allocations(lower(module, muon_opt, "bufferized", budget))[2]
        print(f"{name}, ns_memory {label}: {launches} launches (kernels, runtime calls, "
              f"memsets, copies), at most {peak / 2**20:.1f} MiB of temporaries live: "
              f"{(persistent + peak) / persistent:.3f}x the {persistent / 2**20:.0f} MiB of "
              "parameters, gradients and state")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", default="gpt2", choices=sorted(gpu_peers.SETS))
    p.add_argument("--muon-opt", default=os.path.join(ROOT, "build", "bin", "muon-opt"))
    p.add_argument("--budgets", action="store_true",
                   help="the step under three ns_memory budgets")
    p.add_argument("--ns-dtype", choices=["f32", "bf16"], default="f32")
    args = p.parse_args()
    group = dict(GROUP, ns_dtype="torch.bfloat16" if args.ns_dtype == "bf16" else None)
    if args.budgets:
        return report_budgets(args.set, args.muon_opt, group)
    text = lower(_plan.step_module(set_entries(args.set), group), args.muon_opt, "bufferized")
    total, count, peak = allocations(text)
    print(f"{args.set}: {total / 2**20:.1f} MiB in {count} allocations, at most "
          f"{peak / 2**20:.1f} MiB live at once, {text.count('memref.copy ')} memref.copy")


if __name__ == "__main__":
    main()
