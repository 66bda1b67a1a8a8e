"""Buckets in the GPU pipeline, emulated on CPU by muon-run: Muon,
Muon² and AdamW updates of several shapes (optim-bucket batches the Muon
updates of one matrix shape, and every AdamW update into one op; the
kernels read and write each parameter's own buffers, AdamW's rows split over
several kernels past kMaxRowBuffersPerKernel) against the same step lowered
with bucket=false (every update alone).
The per-matrix arithmetic is the same either way, so every result must agree
bit for bit (but the W' of matrices sharing a bucket with their transposes,
whose GEMMs sum in another order); the unbucketed updates are checked against the references by
muon.test, muon2.test and gpu-emulation.test."""

from muon_mlir import runner, testing
from muon_mlir.testing import ir, steps

p = testing.parser(__doc__)
p.add_argument("--adamw", type=int, default=0,
               help="this many AdamW updates of assorted shapes too")
p.add_argument("--transposed-tol", type=float, default=1e-6,
               help="limit on W' of transposed bucket members vs alone "
                    "(relative to the largest entry)")
args = p.parse_args()

# (shape, op): repeated shapes form buckets of 3 and 5; the 40x4x6 kernel,
# flattened by its view, joins the 40x24 matrices as its matrix form; the
# 24x40 Muon and 40x24 Muon² matrices join their transposes' buckets (run
# transposed, with their own lr adjustment).
updates = [((24, 40), "muon2"), ((40, 24), "muon"), ((24, 40), "muon2"),
           ((40, 24), "muon"), ((40, 4, 6), "muon"), ((24, 40), "muon"),
           ((40, 24), "muon"), ((40, 24), "muon2"), ((16, 16), "muon2")]
updates += [(((i % 7) * 300 + 5,) if i % 3 else (i % 5 + 1, 17), "adamw")
            for i in range(args.adamw)]
if args.adamw:
    updates.append(((), "adamw"))  # a 0-d parameter: one element
module = ir.optimizer_step_module(updates, {"weight_decay": 0.1}, {"weight_decay": 0.1},
                                  {"weight_decay": 0.1, "compute_type": "bf16"})
inputs, _, num_results = steps.random_inputs(updates, args.seed)


def fused(bucket):
    return runner.run(module, "step", inputs, num_results,
                      f"{args.runner} --pipeline=gpu-emulation --bucket={bucket}")


bucketed, alone = fused("true"), fused("false")
if not steps.compare_bucketed(updates, bucketed, alone, args.transposed_tol):
    raise SystemExit(1)
