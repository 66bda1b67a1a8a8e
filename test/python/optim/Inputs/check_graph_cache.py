"""The bookkeeping of `Muon(cuda_graph=True)` (muon_mlir.optim._graphs),
with a stand-in for CUDA graph capture that records what it was given:
the first call runs eagerly; a new set of gradient addresses is captured
and replayed, a known one replayed; two graphs are kept, least recently
used out; a failed capture, or addresses changing five steps in a row,
turn graphs off with a warning, after which every step is eager. The
option itself: a bool, ignored on CPU, results unchanged."""

import warnings

import torch

from muon_mlir.optim import Muon
from muon_mlir.optim._graphs import GraphCache


class FakeGraph:
    def __init__(self, launch):
        self.launch, self.replays = launch, 0

    def replay(self):
        self.replays += 1
        self.launch("replayed")


launched = []


def launch(stream):
    launched.append(stream)


def trace(cache, keys):
    out = []
    for key in keys:
        before = (cache.captures, cache.replays)
        graphed = cache.run(key, launch)
        kind = ("eager" if not graphed else
                "capture+replay" if cache.captures > before[0] else "replay")
        out.append(f"{key}:{kind}")
    return " ".join(out)


cache = GraphCache(torch.device("cpu"), capture=FakeGraph)
print("lru:", trace(cache, ["A", "A", "A", "B", "A", "C", "B", "A"]))

cache = GraphCache(torch.device("cpu"), capture=FakeGraph)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("churn:", trace(cache, ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k6"]))
print("churn warning:", caught[0].message if caught else None)


def failing(launch):
    raise RuntimeError("operation not permitted when stream is capturing")


cache = GraphCache(torch.device("cpu"), capture=failing)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("failure:", trace(cache, ["A", "A", "A"]))
print("failure warning:", caught[0].message if caught else None)

try:
    Muon([torch.nn.Parameter(torch.zeros(4, 4))], cuda_graph="yes")
except ValueError as error:
    print(f"cuda_graph='yes': ValueError: {error}")

results = []
for cuda_graph in (False, True):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(8, 16)), torch.nn.Parameter(torch.randn(16))]
    opt = Muon(params, lr=0.02, verbose=False, cuda_graph=cuda_graph)
    for _ in range(3):
        for p in params:
            p.grad = torch.randn_like(p)
        opt.step()
    results.append([p.detach().clone() for p in params])
same = all(torch.equal(a, b) for a, b in zip(*results))
print(f"cpu, cuda_graph=True: graphs {next(iter(opt._bound.values()))[0].graphs}, "
      f"same results: {same}")
