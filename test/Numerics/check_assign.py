"""An imported AdamW step after optim-assign, executed by muon-run, versus
torch.optim.Muon for the hidden matrix and torch.optim.AdamW for the bias."""

import subprocess

import numpy as np
from muon_mlir import runner, testing
from muon_mlir.testing import torch_reference

p = testing.parser(__doc__)
p.add_argument("--opt", default="muon-opt", help="path of muon-opt")
p.add_argument("--shape", type=testing.shape, required=True)
p.add_argument("--options", default="", help="optim-assign's options")
p.add_argument("--momentum", type=float, default=0.95)
p.add_argument("--lr-adjust", default="match_rms_adamw")
p.add_argument("--steps", type=int, default=2)
args = p.parse_args()

rows, cols = args.shape
wd = 0.1
vec = f"tensor<{rows}xf32>"
mat = f"tensor<{rows}x{cols}xf32>"
# The shape of an ONNX Runtime AdamWOptimizer graph after import: one
# optim.adamw per parameter, parameters named by onnx.name.
module = f"""
func.func @step(%w: {mat} {{onnx.name = "fc.weight"}}, %g: {mat}, %m: {mat}, %v: {mat},
                %b: {vec} {{onnx.name = "fc.bias"}}, %gb: {vec}, %mb: {vec}, %vb: {vec},
                %lr: tensor<f32>, %t: tensor<i64>)
    -> ({mat}, {mat}, {mat}, {vec}, {vec}, {vec}) {{
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {{weight_decay = {wd}}} : {mat}, tensor<f32>, tensor<i64>
  %b1, %mb1, %vb1 = optim.adamw %b, %gb, %mb, %vb, %lr, %t {{weight_decay = {wd}}} : {vec}, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1, %b1, %mb1, %vb1 : {mat}, {mat}, {mat}, {vec}, {vec}, {vec}
}}
"""
assigned = subprocess.run([args.opt, "-", f"-optim-assign={args.options}"], input=module,
                          capture_output=True, text=True, check=True).stdout

rng = np.random.default_rng(args.seed)
f32 = np.float32
w0 = rng.standard_normal(args.shape).astype(f32)
m0 = 0.1 * rng.standard_normal(args.shape).astype(f32)
v0 = 0.01 * rng.random(args.shape).astype(f32)
b0 = rng.standard_normal(rows).astype(f32)
grads = [rng.standard_normal(args.shape).astype(f32) for _ in range(args.steps)]
bgrads = [rng.standard_normal(rows).astype(f32) for _ in range(args.steps)]
lrs = [0.02 * 0.5**i for i in range(args.steps)]

w, m, v = w0, m0, v0
b, mb, vb = b0, np.zeros(rows, f32), np.zeros(rows, f32)
for i, (g, gb, lr) in enumerate(zip(grads, bgrads, lrs)):
    w, m, v, b, mb, vb = runner.run(
        assigned, "step", [w, g, m, v, b, gb, mb, vb, f32(lr), np.int64(i + 1)], 6,
        args.runner)

with torch_reference.fp32_newton_schulz():
    w_ref, m_ref = torch_reference.muon_steps(
        w0, grads, m0, lrs, args.momentum, True, wd, 5, args.lr_adjust)
b_ref, mb_ref, vb_ref = torch_reference.adamw_steps(
    b0, bgrads, np.zeros(rows, f32), np.zeros(rows, f32), lrs, 1, weight_decay=wd)
testing.check(f"optim-assign {vars(args)}", {
    "W (muon)": (w, w_ref, 1e-5), "M (momentum)": (m, m_ref, 1e-5),
    "W'-W": (w - w0, w_ref - w0, 1e-4),
    # The second moment of a parameter moved to Muon passes through.
    "V (untouched)": (v, v0, 0.0),
    "b (adamw)": (b, b_ref, 1e-5), "mb": (mb, mb_ref, 1e-5), "vb": (vb, vb_ref, 1e-5)})
