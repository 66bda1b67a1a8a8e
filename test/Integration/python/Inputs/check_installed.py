"""Runs muon_mlir.optim.Muon from an installed wheel (argv[1]: its site
directory) on a small MLP for 5 steps against torch.optim.Muon + AdamW."""

import glob
import os
import subprocess
import sys

import torch

site = os.path.realpath(sys.argv[1])
import muon_mlir  # noqa: E402
from muon_mlir.optim import Muon, find_muon_compile  # noqa: E402
from muon_mlir.testing.torch_reference import fp32_newton_schulz  # noqa: E402

assert os.path.realpath(muon_mlir.__file__).startswith(site), muon_mlir.__file__
print(f"muon_mlir from the installed package, muon-compile: {find_muon_compile()}", flush=True)

torch.manual_seed(0)
ours = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))
ref = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))
ref.load_state_dict(ours.state_dict())
x, y = torch.randn(64, 16), torch.randn(64, 4)
opt = Muon([{"params": [ours[0].weight], "use_muon": True},
            {"params": [ours[0].bias, ours[2].weight, ours[2].bias], "use_muon": False,
             "lr": 3e-3}], lr=0.02)
torch_opts = [torch.optim.Muon([ref[0].weight], lr=0.02),
              torch.optim.AdamW([ref[0].bias, ref[2].weight, ref[2].bias], lr=3e-3)]
with fp32_newton_schulz():
    for _ in range(5):
        for model, opts in ((ours, [opt]), (ref, torch_opts)):
            for o in opts:
                o.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            for o in opts:
                o.step()
# The Muon library calls the runtime's GEMMs; the AdamW one links none.
libraries = sorted(glob.glob(os.path.join(os.environ["MUON_MLIR_CACHE"], "*", "libstep.so")))
needed = "".join(subprocess.run(["ldd", library], capture_output=True, text=True).stdout
                 for library in libraries)
runtime = [line.split("=>")[1].split()[0] for line in needed.splitlines()
           if "libmuon_cpu_runtime" in line][0]
print(f"the step links {os.path.realpath(runtime)}")
assert os.path.realpath(runtime).startswith(site), runtime
with torch.no_grad():
    worst = max(float((a - b).abs().max() / b.abs().max())
                for a, b in zip(ours.parameters(), ref.parameters()))
assert worst <= 1e-5, worst
print(f"5 steps: worst relative difference {worst:.1e} <= 1e-05 against "
      "torch.optim.Muon + AdamW")

# ONNX Runtime training artifacts trained by muon_mlir.training with the
# packaged muon-translate, muon-opt and muon-compile: AdamW against ORT's
# training API, and (through optim-assign in muon-opt) Muon.
import numpy as np  # noqa: E402
from onnxruntime.training import api  # noqa: E402
from muon_mlir.optim._compiler import find_tool  # noqa: E402
from muon_mlir.training import Trainer, export_artifacts  # noqa: E402

for tool in ("muon-translate", "muon-opt"):
    assert find_tool(tool).startswith(site), find_tool(tool)
print("muon_mlir.training: muon-translate and muon-opt from the installed package")
mlp = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4))
export_artifacts(mlp, {"x": x}, "artifacts", loss="MSELoss")
batch = [x.numpy(), y.numpy()]
state = api.CheckpointState.load_checkpoint("artifacts/checkpoint")
module = api.Module("artifacts/training_model.onnx", state)
optimizer = api.Optimizer("artifacts/optimizer_model.onnx", module)
optimizer.set_learning_rate(0.01)
module.train()
trainer = Trainer.from_artifacts("artifacts")
for _ in range(3):
    ours = trainer.step(batch, lr=0.01)
    theirs = float(module(*batch))
    optimizer.step()
    module.lazy_reset_grad()
    assert abs(ours - theirs) <= 1e-5 * abs(theirs), (ours, theirs)
worst = max(float(np.abs(p - state.parameters[n].data).max() / np.abs(state.parameters[n].data).max())
            for n, p in trainer.parameters().items())
assert worst <= 1e-5, worst
print(f"3 steps of the ONNX artifacts: worst relative difference {worst:.1e} <= 1e-05 "
      "against ONNX Runtime")
muon = Trainer.from_artifacts("artifacts", optimizer="muon", verbose=False)
losses = [muon.step(batch, lr=0.01) for _ in range(3)]
assert losses[-1] < losses[0], losses
print(f"3 steps with Muon: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
