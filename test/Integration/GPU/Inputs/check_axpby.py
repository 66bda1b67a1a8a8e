"""Runs a step compiled with --target=cuda through muon_mlir.aot on torch CUDA
tensors: results against torch (1e-6 relative: one fp32 multiply-add), on the
default and on a side stream, into out=, and replayed from a captured CUDA
graph with a changed scalar."""

import sys

import torch
from muon_mlir import aot

step = aot.load(sys.argv[1])
torch.manual_seed(0)
x, y = (torch.randn(300, 70, device="cuda") for _ in range(2))
a = torch.tensor(0.37, device="cuda")


def check(r, what):
    ref = a * x + y
    err = ((r - ref).norm() / ref.norm()).item()
    assert err <= 1e-6, (what, err)
    print(what, "ok")


check(step(x, y, a), "default stream")
side = torch.cuda.Stream()
side.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(side):
    r = step(x, y, a)
side.synchronize()
check(r, "side stream")
out = torch.empty(300, 70, device="cuda")
step(x, y, a, out=(out,))
check(out, "out=")

graph = torch.cuda.CUDAGraph()
out.zero_()
capture = torch.cuda.Stream()
capture.wait_stream(torch.cuda.current_stream())
with torch.cuda.stream(capture):
    step(x, y, a, out=(out,))  # warm-up: loads the module outside capture
    capture.synchronize()
    out.zero_()
    with torch.cuda.graph(graph, stream=capture):
        step(x, y, a, out=(out,))
a.fill_(-2.0)
graph.replay()
torch.cuda.synchronize()
check(out, "graph replay")
