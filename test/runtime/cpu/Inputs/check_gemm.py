"""The CPU runtime's muon_gpu_gemm_{f32,bf16} entry points (what the GPU
pipeline's GEMMs call when its program is emulated on CPU, and what the CPU
pipeline's Newton-Schulz calls): D = alpha * op(A) * op(B) + beta * C per
batch index, on strided operands, against numpy.

Inputs are small integers, so every product is exact in f32 whatever order
BLAS sums in; the bf16 epilogue (alpha * product + beta * C in f32, then
round-to-nearest-even) is then checked bitwise; f32 within 2 ulp of the
terms (BLAS applies alpha and beta there, possibly fused). Cases: both transposes,
row- and column-major operands, D row- or column-major, D aliasing C,
beta = 0 with a NaN-filled C (must not be read), a NaN in A (stays NaN),
alpha values that land halfway between two bf16 values, and matrices large
enough for the multi-threaded epilogue."""

import ctypes
import itertools
import sys

import numpy as np

runtime = ctypes.CDLL(sys.argv[1])


class MemRef3(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * 3),
                ("strides", ctypes.c_int64 * 3)]


def memref(array):
    """A descriptor of a (possibly strided) 3-D numpy view."""
    base = array.__array_interface__["data"][0]
    return MemRef3(base, base, 0, (ctypes.c_int64 * 3)(*array.shape),
                   (ctypes.c_int64 * 3)(*(s // array.itemsize for s in array.strides)))


def to_bf16_bits(x):
    """f32 -> bf16 bits, round to nearest even; NaN quieted."""
    bits = x.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    quiet = ((bits >> 16) | 0x40).astype(np.uint16)
    return np.where((bits & 0x7FFFFFFF) > 0x7F800000, quiet, rounded)


def from_bf16_bits(x):
    return (x.astype(np.uint32) << 16).view(np.float32)


def layout(array, column_major):
    """`array` (batch x r x c) stored row- or column-major per batch."""
    if not column_major:
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(array.transpose(0, 2, 1)).transpose(0, 2, 1)


def run(dtype, a, b, c, d, alpha, beta, ta, tb):
    name = "_mlir_ciface_muon_gpu_gemm_" + ("bf16" if dtype == "bf16" else "f32")
    fn = getattr(runtime, name)
    fn.argtypes = [ctypes.POINTER(MemRef3)] * 4 + [ctypes.c_float] * 2 + [ctypes.c_int] * 2
    refs = [memref(x) for x in (a, b, c, d)]
    fn(*[ctypes.byref(r) for r in refs], alpha, beta, ta, tb)


rng = np.random.default_rng(0)
checked = 0
for dtype, (batch, m, n, k), ta, tb, acol, dcol, inplace, beta, alpha in itertools.product(
        ("f32", "bf16"), ((2, 5, 7, 3), (2, 300, 260, 40)), (0, 1), (0, 1), (0, 1), (0, 1),
        (0, 1), (0.0, -0.75), (1.5, 1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8)):
    if inplace and beta == 0.0:
        continue
    store = (lambda x: to_bf16_bits(x)) if dtype == "bf16" else (lambda x: x.astype(np.float32))
    load = from_bf16_bits if dtype == "bf16" else (lambda x: x)
    a_val = rng.integers(-4, 5, (batch, k, m) if ta else (batch, m, k)).astype(np.float32)
    b_val = rng.integers(-4, 5, (batch, n, k) if tb else (batch, k, n)).astype(np.float32)
    c_val = rng.standard_normal((batch, m, n)).astype(np.float32)
    a_val[0, 0, 0] = np.nan
    a, b = layout(store(a_val), acol), layout(store(b_val), not acol)
    c = layout(store(c_val), dcol)
    if beta == 0.0:
        c[...] = store(np.full(c.shape, np.nan, np.float32))  # must not be read
    d = c if inplace else layout(np.zeros((batch, m, n), c.dtype), dcol)
    c_in = load(c).copy()
    run(dtype, a, b, c, d, alpha, beta, ta, tb)
    opa = load(a).transpose(0, 2, 1) if ta else load(a)
    opb = load(b).transpose(0, 2, 1) if tb else load(b)
    product = np.matmul(opa.astype(np.float64), opb.astype(np.float64)).astype(np.float32)
    # f32 arithmetic in the runtime's order: separate multiply and add.
    value = np.float32(alpha) * product
    if beta != 0.0:
        value = value + np.float32(beta) * c_in
    expected = store(value)
    got = d
    if dtype == "bf16":
        same = np.array_equal(got, expected)
    else:
        # BLAS applies alpha and beta itself (fused or not): to 2 ulp of
        # the terms.
        scale = np.abs(np.float32(alpha) * product) + (abs(beta) * np.abs(c_in) if beta else 0)
        same = np.array_equal(np.isnan(got), np.isnan(expected)) and bool(
            np.all(np.nan_to_num(np.abs(got - expected)) <= 2.4e-7 * np.nan_to_num(scale)))
    assert same, (dtype, batch, m, n, k, ta, tb, acol, dcol, inplace, beta, alpha)
    assert np.isnan(load(got)[0]).any() == np.isnan(value[0]).any()
    checked += 1
print(f"{checked} GEMMs equal to numpy's f32 epilogue (bf16 bitwise, f32 to 2 ulp; "
      "transposes, layouts, D aliasing C, beta = 0 over NaN, NaN in A, ties)")
