"""A GPT-2-like optimizer step (repeated layers of several matrix shapes
through Muon, embeddings, norms and biases through AdamW) run by muon-run with
optim-bucket (--bucket=true) and without (the CPU default). Checks that
both give bitwise identical results (the W' of transposed shapes sharing a
bucket: within --transposed-tol), and that they match torch.optim.Muon
(fp32 Newton–Schulz) and torch.optim.AdamW."""

from muon_mlir import runner, testing
from muon_mlir.testing import ir, steps, torch_reference

p = testing.parser(__doc__)
p.add_argument("--d-model", type=int, default=32)
p.add_argument("--layers", type=int, default=3)
p.add_argument("--vocab", type=int, default=96)
p.add_argument("--tol", type=float, default=1e-5, help="limit on W, M, V vs torch")
p.add_argument("--transposed-tol", type=float, default=1e-6,
               help="limit on W' of transposed bucket members vs unbucketed "
                    "(relative to the largest entry)")
args = p.parse_args()

params = ir.gpt2_block_params(args.d_model, args.layers, args.vocab)
# A convolution-like kernel flattened by its view joins the d×d matrices.
params.append(((args.d_model, 4, args.d_model // 4), "muon"))
muon_attrs = {"weight_decay": 0.1}
adamw_attrs = {"weight_decay": 0.01}
module = ir.optimizer_step_module(params, muon_attrs, adamw_attrs)

inputs, states, num_results = steps.random_inputs(params, args.seed)

bucketed = runner.run(module, "step", inputs, num_results, args.runner,
                      extra_args=["--bucket=true"])
unbucketed = runner.run(module, "step", inputs, num_results, args.runner)

if not steps.compare_bucketed(params, bucketed, unbucketed, args.transposed_tol):
    print("FAIL bucket: --bucket=true and --bucket=false differ")
    raise SystemExit(1)

with torch_reference.fp32_newton_schulz():
    pairs = steps.reference_pairs(params, states, bucketed, muon_attrs,
                                         adamw_attrs, args.tol)
testing.check(f"bucket d_model={args.d_model} layers={args.layers}", pairs)
