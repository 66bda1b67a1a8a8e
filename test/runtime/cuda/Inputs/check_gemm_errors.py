"""Calls libmuon_cuda_runtime's GEMM entry points with descriptors the
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


def run(name, dtype, a, b, c, d, beta=0.0, ta=0, tb=0):
    def body():
        fn = getattr(lib, f"_mlir_ciface_muon_gpu_gemm_{dtype}")
        fn.argtypes = [ctypes.POINTER(MemRef3D)] * 4 + [ctypes.c_float] * 2 + \
            [ctypes.c_uint8] * 2
        fn(ctypes.byref(a), ctypes.byref(b), ctypes.byref(c), ctypes.byref(d),
           1.0, beta, ta, tb)
        status = lib.muon_gpu_end()
        print(f"{name}: status {status}: {lib.muon_gpu_last_error().decode()}")
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()


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
