"""optim-bucket's estimate of a Muon-family bucket's device temporaries
(KernelMemory.h), against what the GPU pipeline's bufferized program
allocates: for each case, the most bytes its memref.allocs hold at once
(muon_mlir.testing.memory, in program order, after early deallocation)
must lie within [0.9, 1] times the largest bucket's estimate, up to the
norm's small per-matrix slots (exact but for those, today). A packed
bucket's estimate counts every packed copy as live throughout: within
[0.7, 1] there. Prints one line per case.

    check_bucket_memory.py MUON_OPT
"""

import re
import sys

from muon_mlir.testing.ir import run_muon_opt
from muon_mlir.testing.memory import allocations

MUON_OPT = sys.argv[1]
REMARK = re.compile(r"remark: bucket of (\d+) matrices: (\d+) bytes of temporaries")


def tensor(shape, element):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def step(ops):
    """A function of Muon-family updates: `ops` is [(op, shape, element,
    attributes)], each with its own parameter, gradient and state, updated
    in place as muon_mlir.optim's steps are (docs/ABI.md)."""
    args, body, results = [], [], []

    def tied(name, t):
        args.append(f"{name}: {t} {{optim.aliasing_output = {len(results)} : i64}}")
        results.append((f"{name}_1", t))

    for i, (op, shape, element, attrs) in enumerate(ops):
        t = tensor(shape, element)
        tied(f"%p{i}", t)
        args.append(f"%g{i}: {t}")
        tied(f"%m{i}", t)
        if op == "muon2":
            tied(f"%v{i}", t)
            body.append(f"  %p{i}_1, %m{i}_1, %v{i}_1 = optim.muon2 %p{i}, %g{i}, %m{i}, "
                        f"[%v{i}], %lr {{{attrs}}} : {t}, [{t}], tensor<f32>")
        else:
            body.append(f"  %p{i}_1, %m{i}_1 = optim.muon %p{i}, %g{i}, %m{i}, %lr "
                        f"{{{attrs}}} : {t}, tensor<f32>")
    types = ", ".join(t for _, t in results)
    return (f"func.func @step({', '.join(args)}, %lr: tensor<f32>) -> ({types}) {{\n" +
            "\n".join(body) + f"\n  return {', '.join(r for r, _ in results)} : {types}\n}}\n")


BF16 = "compute_type = bf16"
STANDARD_BF16 = "compute_type = bf16, schedule = #optim.ns_schedule<quintic, standard>"
CASES = {
    "f32 standard": [("muon", (64, 256), "f32", "")] * 3,
    "bf16 Gram": [("muon", (64, 256), "f32", BF16)] * 3,
    "bf16 standard, transposed members": [("muon", (64, 256), "f32", STANDARD_BF16),
                                          ("muon", (256, 64), "f32", STANDARD_BF16)] * 2,
    "bf16 parameters, f32 iteration": [("muon", (96, 128), "bf16", "compute_type = f32")] * 2,
    "muon2, padded": [("muon2", (48, 96), "f32", ""), ("muon2", (46, 96), "f32", "")],
    "3 steps, batch view": [("muon", (3, 32, 96), "f32",
                             "ns_steps = 3 : i64, view = #optim.matrix_view<batch>")] * 2,
}
PACKED = {"packed (121 members)": [("muon", (16, 32), "f32", "")] * 121}
for name, ops in {**CASES, **PACKED}.items():
    module = step(ops)
    remarks = run_muon_opt(MUON_OPT, module, "--optim-bucket=report-temporary-bytes").stderr
    matrices, estimate = max((int(m), int(b)) for m, b in REMARK.findall(remarks))
    _, _, peak = allocations(run_muon_opt(MUON_OPT, module, "--muon-gpu-pipeline=stop-after=bufferized").stdout)
    # The norm's partial sums: at most 1024 f64 slots per matrix.
    slack = matrices * 1024 * 8
    low = 0.7 if name in PACKED else 0.9
    verdict = "ok" if low * estimate <= peak <= estimate + slack else "WRONG"
    print(f"{name}: {matrices} matrices, estimate {estimate}, allocated at most {peak}: "
          f"{verdict}")
