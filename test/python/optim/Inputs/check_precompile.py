"""Muon.precompile fills the cache from parameters on the meta device, and
a process without the compiler (MUON_COMPILE naming no executable) steps
from that cache alone, bitwise like a process with the compiler; with an
empty cache it raises before touching a parameter. Run with
MUON_MLIR_CACHE set; `--offline` is the process without the compiler."""

import os
import sys

import torch

import models
from muon_mlir.optim import Muon


def model(device):
    torch.manual_seed(0)
    with torch.device(device):
        return models.TinyGPT()


def three_steps(net):
    opt = Muon(net.named_parameters(), lr=0.02, verbose=False)
    generator = torch.Generator().manual_seed(1)
    for _ in range(3):
        for p in net.parameters():
            p.grad = torch.randn(p.shape, generator=generator)
        opt.step()
    return [p.detach().clone() for p in net.parameters()]


cache = os.environ["MUON_MLIR_CACHE"]
if "--offline" in sys.argv:
    expected = torch.load(os.path.join(cache, "..", "expected.pt"))
    got = three_steps(model("cpu"))
    same = all(torch.equal(a, b) for a, b in zip(got, expected))
    print(f"offline: 3 steps from the precompiled cache, bitwise equal: {same}")
    empty = os.path.join(cache, "..", "empty")
    os.environ["MUON_MLIR_CACHE"] = empty
    net = model("cpu")
    before = [p.detach().clone() for p in net.parameters()]
    try:
        three_steps(net)
    except FileNotFoundError as error:
        print(f"offline, empty cache: {type(error).__name__}: {error}")
    untouched = all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    print(f"offline, empty cache: parameters untouched: {untouched}")
    sys.exit(0)

meta = Muon(model("meta").named_parameters(), lr=0.02, verbose=False)
try:
    meta.precompile()
except ValueError as error:
    print(f"meta without a device: {error}")
meta.precompile("cpu")
libraries = [d for d in os.listdir(cache) if d not in ("modules",)]
print(f"precompiled: {len(libraries)} libraries, "
      f"{len(os.listdir(os.path.join(cache, 'modules')))} indexed modules")
torch.save(three_steps(model("cpu")), os.path.join(cache, "..", "expected.pt"))
print(f"online: nothing compiled by step(): {len(os.listdir(cache)) - 1 == len(libraries)}")
