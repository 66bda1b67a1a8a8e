"""Runs libmuon_cuda_runtime's cuBLASLt GEMM entry points on torch CUDA
tensors against torch.matmul in fp64: every transpose combination, row- and
column-contiguous operands, batches, alpha/beta, D aliasing C, beta = 0 with
a garbage C; then the recorded-error path for a non-contiguous operand.
Budgets: f32 1e-5 relative (Frobenius; fp32 compute, no TF32), bf16 1e-2
(bf16 inputs rounded the same way for the reference, fp32 accumulation)."""

import itertools
import sys

import torch
from runtime_ctypes import Runtime, operand

runtime = Runtime(sys.argv[1])


def gemm(dtype, a, b, c, d, alpha, beta, ta, tb):
    return runtime.call("muon_gpu_gemm", dtype, (a, b, c, d), (alpha, beta), (ta, tb))


torch.manual_seed(0)
budgets = {torch.float32: 1e-5, torch.bfloat16: 1e-2}
worst = {}
batch, m, n, k = 3, 67, 45, 130
for dtype, ta, tb, acol, bcol, inplace, beta in itertools.product(
        (torch.float32, torch.bfloat16), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1),
        (0.0, -0.75)):
    a = operand(batch, k if ta else m, m if ta else k, dtype, acol)
    b = operand(batch, n if tb else k, k if tb else n, dtype, bcol)
    c = torch.randn(batch, m, n, device="cuda").to(dtype)
    if beta == 0.0:
        c.fill_(float("nan"))  # must not be read
    d = c if inplace else torch.empty(batch, m, n, device="cuda", dtype=dtype)
    c_ref = c.double().clone()
    status = gemm(dtype, a, b, c, d, 1.5, beta, ta, tb)
    assert status == 0, runtime.last_error()
    opa = a.double().transpose(1, 2) if ta else a.double()
    opb = b.double().transpose(1, 2) if tb else b.double()
    ref = 1.5 * opa @ opb + (beta * c_ref if beta else 0)
    err = ((d.double() - ref).norm() / ref.norm()).item()
    worst[dtype] = max(worst.get(dtype, 0.0), err)
    assert err <= budgets[dtype], (dtype, ta, tb, acol, bcol, inplace, beta, err)
for dtype, err in worst.items():
    print(f"gemm {dtype}: worst relative error {err:.2e} <= {budgets[dtype]}")

# Contiguous in neither dimension: a recorded error, not a crash.
a = torch.randn(1, 8, 16, device="cuda")[:, :, ::2]
b = torch.randn(1, 8, 8, device="cuda")
d = torch.empty(1, 8, 8, device="cuda")
status = gemm(torch.float32, a, b, d, d, 1.0, 0.0, 0, 0)
print("status", status, runtime.last_error())
