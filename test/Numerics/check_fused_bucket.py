"""Buckets in the GPU pipeline's fused stage, run on CPU by muon-run: Muon,
Muon² and AdamW updates of several shapes (optim-bucket batches the Muon
updates of one shape, and every AdamW update into one concatenation; the
kernels read and write each parameter's own buffers, AdamW's rows split over
several kernels past kMaxRowBuffersPerKernel, a Muon bucket past it staying
packed) against the same step lowered with bucket=false (every update alone).
The per-matrix arithmetic is the same either way, so every result must agree
bit for bit; the unbucketed updates are checked against the references by
muon.test, muon2.test and gpu-fused.test."""

import subprocess

import numpy as np
from muon_mlir import ir, runner, testing

p = testing.parser(__doc__)
p.add_argument("--muon-opt", default="muon-opt")
p.add_argument("--adamw", type=int, default=0,
               help="this many AdamW updates of assorted shapes too")
p.add_argument("--muon-bucket", type=int, default=0,
               help="this many more Muon updates of one small shape")
args = p.parse_args()

# (shape, op): repeated shapes form buckets of 2 and 3.
updates = [((24, 40), "muon2"), ((40, 24), "muon"), ((24, 40), "muon2"),
           ((40, 24), "muon"), ((40, 24), "muon"), ((16, 16), "muon2")]
updates += [(((i % 7) * 300 + 5,) if i % 3 else (i % 5 + 1, 17), "adamw")
            for i in range(args.adamw)]
updates += [((2, 3), "muon")] * args.muon_bucket
args_text, body, results, types, inputs = [], [], [], [], []
rng = np.random.default_rng(args.seed)
for i, (shape, op) in enumerate(updates):
    t = ir.tensor_type(shape)
    states = ["w", "g", "m"] + (["v"] if op != "muon" else [])
    args_text += [f"%{s}{i}: {t}" for s in states]
    for s in states:
        value = rng.standard_normal(shape).astype(np.float32)
        inputs.append(np.abs(value) if s == "v" else value)
    outs = [f"%{s}{i}n" for s in states if s != "g"]
    if op == "adamw":
        body.append(f"  {', '.join(outs)} = optim.adamw %w{i}, %g{i}, %m{i}, %v{i}, %lr, %t "
                    f"{{weight_decay = 0.1}} : {t}, tensor<f32>, tensor<i64>")
    elif op == "muon2":
        body.append(f"  {', '.join(outs)} = optim.muon2 %w{i}, %g{i}, %m{i}, [%v{i}], %lr "
                    f"{{weight_decay = 0.1, compute_type = bf16}} : {t}, [{t}], tensor<f32>")
    else:
        body.append(f"  {', '.join(outs)} = optim.muon %w{i}, %g{i}, %m{i}, %lr "
                    f"{{weight_decay = 0.1}} : {t}, tensor<f32>")
    results += outs
    types += [t] * len(outs)
inputs += [np.float32(0.02), np.int64(3)]
module = (f"func.func @step({', '.join(args_text)}, %lr: tensor<f32>, %t: tensor<i64>)"
          f" -> ({', '.join(types)}) {{\n"
          + "\n".join(body) + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")


def fused(bucket):
    lowered = subprocess.run(
        [args.muon_opt, "-", f"--muon-gpu-pipeline=stop-after=fused bucket={bucket}"],
        input=module, capture_output=True, text=True, check=True).stdout
    return runner.run(lowered, "step", inputs, len(results), args.runner)


bucketed, alone = fused("true"), fused("false")
differ = [name for name, a, b in zip(results, bucketed, alone) if a.tobytes() != b.tobytes()]
print(f"{len(results)} results, {len(differ)} differ bitwise: {' '.join(differ)}")
if differ:
    raise SystemExit(1)
