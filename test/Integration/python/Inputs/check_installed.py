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
