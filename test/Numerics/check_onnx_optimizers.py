"""ONNX Momentum / Adagrad / Adam imported by muon-translate and run by
muon-run over several updates (T = 0, 1, 2, ...), against ONNX's own
reference formulas (onnx.backend.test.case.node.*.apply_*) evaluated in
float64."""

import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx.backend.test.case.node.adagrad import apply_adagrad
from onnx.backend.test.case.node.adam import apply_adam
from onnx.backend.test.case.node.momentum import apply_momentum, apply_nesterov

from muon_mlir import runner, testing

p = testing.parser(__doc__)
p.add_argument("--translate", default="muon-translate")
p.add_argument("--op", required=True, choices=["momentum", "nesterov", "adagrad", "adam"])
p.add_argument("--shapes", default="17x9,5", help="comma-separated tensor shapes")
p.add_argument("--steps", type=int, default=3)
args = p.parse_args()

shapes = [testing.shape(s) for s in args.shapes.split(",")]
n = len(shapes)
rng = np.random.default_rng(args.seed)
if args.op in ("momentum", "nesterov"):
    op, states = "Momentum", ["V"]
    attrs = {"alpha": 0.9, "beta": 0.5, "norm_coefficient": 0.01,
             "mode": "nesterov" if args.op == "nesterov" else "standard"}
    fn = apply_nesterov if args.op == "nesterov" else apply_momentum
    reference = lambda r, t, x, g, s: fn(r, t, x, g, s[0], attrs["norm_coefficient"],
                                         attrs["alpha"], attrs["beta"])
elif args.op == "adagrad":
    op, states = "Adagrad", ["H"]
    attrs = {"decay_factor": 0.1, "epsilon": 1e-5, "norm_coefficient": 0.001}
    reference = lambda r, t, x, g, s: apply_adagrad(r, t, x, g, s[0], attrs["norm_coefficient"],
                                                    attrs["epsilon"], attrs["decay_factor"])
else:
    op, states = "Adam", ["V", "H"]
    attrs = {"alpha": 0.85, "beta": 0.95, "epsilon": 1e-3, "norm_coefficient": 0.001,
             "norm_coefficient_post": 0.01}
    reference = lambda r, t, x, g, s: apply_adam(
        r, t, x, g, s[0], s[1], attrs["norm_coefficient"], attrs["norm_coefficient_post"],
        attrs["alpha"], attrs["beta"], attrs["epsilon"])

groups = ["X", "G"] + states
inputs = ["R", "T"] + [f"{grp}{i}" for grp in groups for i in range(n)]
outputs = [f"{grp}{i}_new" for grp in ["X"] + states for i in range(n)]
shape_of = lambda name: [] if name in ("R", "T") else list(shapes[int(name.rstrip("_new")[1:])])
node = helper.make_node(op, inputs, outputs, domain="ai.onnx.preview.training", **attrs)
graph = helper.make_graph(
    [node], "step",
    [helper.make_tensor_value_info(v, TensorProto.INT64 if v == "T" else TensorProto.FLOAT, shape_of(v)) for v in inputs],
    [helper.make_tensor_value_info(v, TensorProto.FLOAT, shape_of(v)) for v in outputs])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("ai.onnx.preview.training", 1)])

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.onnx")
    onnx.save(model, path)
    module = subprocess.run([args.translate, "--import-onnx", path], check=True,
                            capture_output=True, text=True).stdout

x = [rng.standard_normal(s).astype(np.float32) for s in shapes]
state = [[(rng.random(s) if k == "H" else rng.standard_normal(s)).astype(np.float32) for s in shapes]
         for k in states]
x_ref = [a.astype(np.float64) for a in x]
state_ref = [[a.astype(np.float64) for a in group] for group in state]
for t in range(args.steps):
    r = np.float32(0.05 * (1 + t))
    g = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    flat = [r, np.int64(t)] + x + g + [a for group in state for a in group]
    results = runner.run(module, "step", flat, len(outputs), args.runner)
    x, state = results[:n], [results[n * (k + 1):n * (k + 2)] for k in range(len(states))]
    for i in range(n):
        new = reference(np.float64(r), np.int64(t), x_ref[i], g[i].astype(np.float64),
                        [group[i] for group in state_ref])
        x_ref[i] = np.asarray(new[0], np.float64)
        for k in range(len(states)):
            state_ref[k][i] = np.asarray(new[k + 1], np.float64)

pairs = {}
for i in range(n):
    pairs[f"X{i}"] = (x[i], x_ref[i], 1e-5)
    for k, name in enumerate(states):
        pairs[f"{name}{i}"] = (state[k][i], state_ref[k][i], 1e-5)
testing.check(f"{op} {vars(args)}", pairs)
