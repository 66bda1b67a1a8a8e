"""Runs libmuon_cuda_runtime's symmetric products muon_gpu_syrk_* (D =
alpha·op(A)·op(A)ᵀ + beta·C, C symmetric) on torch CUDA tensors against
torch in fp64, with the block-row decomposition off (one GEMM), on small
blocks (even and uneven splits) and at the default on a 2048-row product:
both transposes, row- and column-contiguous A, batches, beta = 0 with a NaN
C, D aliasing C. Split products must be exactly symmetric (the lower part is
a copy). Budgets as check_gemm.py: f32 1e-5, bf16 1e-2 relative (Frobenius).
Then times one 4096×4096×4096 bf16 product, split and not, for the record."""

import ctypes
import itertools
import sys

import torch
from runtime_ctypes import Runtime, operand

runtime = Runtime(sys.argv[1])
runtime.lib.muon_gpu_set_symmetric_block.argtypes = [ctypes.c_int64]


def set_block(rows):
    runtime.lib.muon_gpu_set_symmetric_block(rows)


def syrk(dtype, a, c, d, alpha, beta, ta):
    return runtime.call("muon_gpu_syrk", dtype, (a, c, d), (alpha, beta), (ta,))


def symmetric(batch, m, dtype):
    x = torch.randn(batch, m, m, device="cuda")
    return (x + x.transpose(1, 2)).to(dtype).contiguous()


torch.manual_seed(0)
budgets = {torch.float32: 1e-5, torch.bfloat16: 1e-2}
worst = {}
cases = [(0, 300, 90), (64, 300, 90), (64, 512, 200), (48, 200, 70), (1024, 2048, 256)]
for (block, m, k), dtype, ta, acol, inplace, beta in itertools.product(
        cases, (torch.float32, torch.bfloat16), (0, 1), (0, 1), (0, 1), (0.0, -0.75)):
    set_block(block)
    batch = 2
    a = operand(batch, k if ta else m, m if ta else k, dtype, acol)
    c = symmetric(batch, m, dtype)
    if beta == 0.0:
        c.fill_(float("nan"))  # must not be read
    d = c if inplace else torch.empty(batch, m, m, device="cuda", dtype=dtype)
    c_ref = c.double().clone()
    status = syrk(dtype, a, c, d, 1.5, beta, ta)
    assert status == 0, runtime.last_error()
    opa = a.double().transpose(1, 2) if ta else a.double()
    ref = 1.5 * opa @ opa.transpose(1, 2) + (beta * c_ref if beta else 0)
    err = ((d.double() - ref).norm() / ref.norm()).item()
    worst[dtype] = max(worst.get(dtype, 0.0), err)
    assert err <= budgets[dtype], (block, m, k, dtype, ta, acol, inplace, beta, err)
    if 0 < block and 2 * block <= m:
        assert torch.equal(d, d.transpose(1, 2)), ("not symmetric", block, m, dtype)
for dtype, err in worst.items():
    print(f"syrk {dtype}: worst relative error {err:.2e} <= {budgets[dtype]}")

# For the record (not a budget): one 4096^3 bf16 product, one GEMM vs split.
x = torch.randn(1, 4096, 4096, device="cuda", dtype=torch.bfloat16)
s = torch.empty_like(x)
for block in (0, 1024):
    set_block(block)
    syrk(torch.bfloat16, x, s, s, 1.0, 0.0, 0)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        runtime.call("muon_gpu_syrk", torch.bfloat16, (x, s, s), (1.0, 0.0), (0,),
                     synchronize=False)
    end.record()
    torch.cuda.synchronize()
    ms = start.elapsed_time(end) / 20
    print(f"syrk 4096^3 bf16 block={block}: {ms:.3f} ms, "
          f"{2 * 4096**3 / ms / 1e9:.0f} TFLOP/s full-product equivalent")
set_block(1024)
