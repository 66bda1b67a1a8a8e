"""Near-equal matrix shapes zero-padded into one bucket (optim-bucket's
default pad-waste 1/8): 31x64, 32x60 and a tall 64x31 Muon matrix join the
32x64 ones, a 23x40 Muon² matrix the 24x40 ones, and a 16x64 one (Newton–
Schulz 3.7x cheaper) stays out. The step is run with and without bucketing
by muon-run on the CPU path (`--pipeline` default: linalg, a zero-filled
packing) or the GPU program (`--pipeline=gpu-emulation`: kernels that write
zeros around each member's matrices). Padding is exact, so momenta and
second moments agree bit for bit and the W' of every matrix whose bucket
runs on another shape (padded or transposed) within --tol of its largest
entry (the GEMMs sum over more, zero, terms)."""

from muon_mlir import runner, testing
from muon_mlir.testing import ir, steps

p = testing.parser(__doc__)
p.add_argument("--pipeline", default="cpu")
p.add_argument("--tol", type=float, default=1e-6)
p.add_argument("--repeat", type=int, default=1,
               help="the updates this many times (25: a Muon bucket of 125 "
                    "members, past what one kernel takes: packed buffers)")
args = p.parse_args()

updates = [((32, 64), "muon"), ((31, 64), "muon"), ((32, 64), "muon"),
           ((64, 31), "muon"), ((32, 60), "muon"), ((16, 64), "muon"),
           ((24, 40), "muon2"), ((23, 40), "muon2"), ((24, 40), "muon2")] * args.repeat
padded = {(31, 64), (64, 31), (32, 60), (23, 40)}
module = ir.optimizer_step_module(updates, {"weight_decay": 0.1}, {},
                                  {"weight_decay": 0.1})
inputs, _, num_results = steps.random_inputs(updates, args.seed)


def run(bucket):
    return runner.run(module, "step", inputs, num_results,
                      f"{args.runner} --pipeline={args.pipeline} --bucket={bucket}")


if not steps.compare_bucketed(updates, run("true"), run("false"), args.tol, padded):
    raise SystemExit(1)
