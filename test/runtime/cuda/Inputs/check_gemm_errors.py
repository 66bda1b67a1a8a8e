"""Calls libmuon_cuda_runtime's GEMM and symmetric-product entry points with
descriptors the
runtime must refuse, where no GPU is (the toolkit's stub stands in for
libcuda.so.1, so any driver call fails): each case runs on a fresh thread
(errors are per thread), must record status 3 with a message before touching
the GPU, and a valid problem gets as far as the driver (status 1). The
descriptors point nowhere: nothing may be dereferenced."""

import ctypes
import sys
import threading

lib = ctypes.CDLL(sys.argv[1])
lib.muon_gpu_end.restype = ctypes.c_int
lib.muon_gpu_last_error.restype = ctypes.c_char_p


class MemRef3D(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * 3),
                ("strides", ctypes.c_int64 * 3)]


def desc(sizes, strides=None, address=0x10000):
    if strides is None:
        strides = (sizes[1] * sizes[2], sizes[2], 1)
    return MemRef3D(address, address, 0, sizes, strides)


def call(name, entry, dtype, memrefs, beta, flags):
    def body():
        fn = getattr(lib, f"_mlir_ciface_muon_gpu_{entry}_{dtype}")
        fn.argtypes = [ctypes.POINTER(MemRef3D)] * len(memrefs) + \
            [ctypes.c_float] * 2 + [ctypes.c_uint8] * len(flags)
        fn(*map(ctypes.byref, memrefs), 1.0, beta, *flags)
        status = lib.muon_gpu_end()
        print(f"{name}: status {status}: {lib.muon_gpu_last_error().decode()}")
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()


def run(name, dtype, a, b, c, d, beta=0.0, ta=0, tb=0):
    call(name, "gemm", dtype, (a, b, c, d), beta, (ta, tb))


def run_syrk(name, dtype, a, c, d, beta=0.0, ta=0):
    call(name, "syrk", dtype, (a, c, d), beta, (ta,))


d = desc((2, 4, 3), address=0x20000)
run("shape", "f32", desc((2, 4, 5)), desc((2, 6, 3)), d, d)
run("batch", "bf16", desc((1, 4, 5)), desc((2, 5, 3)), d, d)
run("transposed", "f32", desc((2, 4, 5)), desc((2, 5, 3)), d, d, ta=1)
run("strided", "f32", desc((2, 4, 5), (40, 10, 2)), desc((2, 5, 3)), d, d)
run("overlap", "f32", desc((2, 4, 5), (20, 3, 1)), desc((2, 5, 3)), d, d)
run("k0", "f32", desc((2, 4, 0)), desc((2, 0, 3)), d, d)
run("alias", "f32", desc((2, 4, 5)), desc((2, 5, 3)),
    desc((2, 4, 3), (16, 4, 1), address=0x20000), d, beta=1.0)
run("order", "bf16", desc((2, 4, 5)), desc((2, 5, 3)),
    desc((2, 4, 3), (12, 1, 4), address=0x30000), d, beta=1.0)
# beta = 0: C is not read, so its bogus descriptor is no error.
run("valid", "bf16", desc((2, 4, 5)), desc((2, 3, 5)), desc((0, 0, 0), (0, 0, 0)), d,
    tb=1)

# Symmetric products: small ones are one GEMM and report as the GEMMs do;
# split into block rows of 2, the first block's GEMM reports.
d = desc((2, 4, 4), address=0x20000)
run_syrk("syrk shape", "f32", desc((2, 5, 6)), d, d)
run_syrk("syrk square", "bf16", desc((2, 4, 6)), d, desc((2, 4, 3), address=0x20000))
lib.muon_gpu_set_symmetric_block.argtypes = [ctypes.c_int64]
lib.muon_gpu_set_symmetric_block(2)
run_syrk("syrk split strided", "f32", desc((2, 4, 6), (48, 12, 2)), d, d)
run_syrk("syrk split valid", "bf16", desc((2, 6, 4)), d, d, ta=1)
