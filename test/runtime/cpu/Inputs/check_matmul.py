"""The CPU runtime's muon_cpu_{,batch_}matmul_{f32,bf16} entry points (what
convert-matmul-to-blas calls): C = op(A) * op(B) + beta * C, beta 1 (as
linalg.matmul) or 0 (the accumulator was a zero fill, C not read), against
numpy.

Inputs are small integers, so every product is exact in f32 whatever order
BLAS sums in and the results must be equal. Cases: both transposes, row- and
column-major operands, a C that is neither (copied through a buffer), beta 0
over a NaN-filled C, an empty reduction (k = 0), and batches of per-head
products that the runtime splits over its threads."""

import ctypes
import itertools
import sys

import numpy as np

runtime = ctypes.CDLL(sys.argv[1])


def memref_type(rank):
    class MemRef(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]
    return MemRef


def memref(array):
    base = array.__array_interface__["data"][0]
    rank = array.ndim
    return memref_type(rank)(base, base, 0, (ctypes.c_int64 * rank)(*array.shape),
                             (ctypes.c_int64 * rank)(*(s // array.itemsize for s in array.strides)))


def bf16_bits(x):
    """Small integers are exact in bf16: truncation is the rounding."""
    return (x.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def layout(array, column_major):
    """`array` with its last two dims stored row- or column-major."""
    if not column_major:
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(np.swapaxes(array, -1, -2)).swapaxes(-1, -2)


rng = np.random.default_rng(0)
checked = 0
shapes = ((None, 5, 7, 3), (3, 5, 7, 3), (None, 4, 6, 0), (32, 128, 128, 64), (None, 300, 260, 40))
for dtype, (batch, m, n, k), ta, tb, acol, c_kind, beta in itertools.product(
        ("f32", "bf16"), shapes, (0, 1), (0, 1), (0, 1), ("rows", "cols", "strided"), (0.0, 1.0)):
    lead = () if batch is None else (batch,)
    a_val = rng.integers(-4, 5, lead + ((k, m) if ta else (m, k))).astype(np.float32)
    b_val = rng.integers(-4, 5, lead + ((n, k) if tb else (k, n))).astype(np.float32)
    store = bf16_bits if dtype == "bf16" else (lambda x: x)
    a, b = layout(store(a_val), acol), layout(store(b_val), not acol)
    # "strided": every other element of a wider buffer, unit stride nowhere.
    c_full = np.full(lead + (m, 2 * n), np.nan if beta == 0.0 else 0.0, np.float32)
    c = (layout(c_full[..., :n], c_kind == "cols") if c_kind != "strided"
         else c_full[..., ::2])
    if beta == 0.0:
        c[...] = np.nan  # must not be read
    else:
        c[...] = rng.integers(-4, 5, c.shape)
    c_in = c.copy()
    fn = getattr(runtime, "_mlir_ciface_muon_cpu_" + ("batch_" if batch else "") +
                 "matmul_" + dtype)
    refs = [memref(x) for x in (a, b, c)]
    fn.argtypes = [ctypes.POINTER(type(r)) for r in refs] + [ctypes.c_int64] * 2 + [ctypes.c_float]
    fn(*[ctypes.byref(r) for r in refs], ta, tb, beta)
    opa = np.swapaxes(a_val, -1, -2) if ta else a_val
    opb = np.swapaxes(b_val, -1, -2) if tb else b_val
    expected = np.matmul(opa, opb) + (c_in if beta else 0)
    assert np.array_equal(c, expected), (dtype, batch, m, n, k, ta, tb, acol, c_kind, beta)
    checked += 1
print(f"{checked} products equal to numpy's (beta 0 over NaN and 1, transposes, "
      "layouts, strided C, k = 0, batches split over threads)")
