"""ctypes access to libmuon_cuda_runtime's entry points on torch CUDA
tensors, shared by the runtime checks."""

import ctypes

import torch


class MemRef3D(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * 3),
                ("strides", ctypes.c_int64 * 3)]


def memref(t):
    """A descriptor of a 3-D (possibly strided) view: offsets in elements."""
    base = t.untyped_storage().data_ptr()
    return MemRef3D(base, base, t.storage_offset(), tuple(t.shape), tuple(t.stride()))


class Runtime:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.muon_gpu_begin.argtypes = [ctypes.c_void_p]
        self.lib.muon_gpu_end.restype = ctypes.c_int
        self.lib.muon_gpu_last_error.restype = ctypes.c_char_p

    def last_error(self):
        return self.lib.muon_gpu_last_error().decode()

    def call(self, name, dtype, tensors, floats, flags, synchronize=True):
        """Calls `_mlir_ciface_<name>_{bf16,f32}` on the descriptors of
        `tensors`, then the f32 scalars and i1 flags, inside one
        begin/end pair on the current stream; returns the status."""
        suffix = "bf16" if dtype == torch.bfloat16 else "f32"
        fn = getattr(self.lib, f"_mlir_ciface_{name}_{suffix}")
        fn.argtypes = ([ctypes.POINTER(MemRef3D)] * len(tensors) +
                       [ctypes.c_float] * len(floats) + [ctypes.c_uint8] * len(flags))
        descs = [memref(x) for x in tensors]
        self.lib.muon_gpu_begin(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        fn(*[ctypes.byref(x) for x in descs], *floats, *flags)
        status = self.lib.muon_gpu_end()
        if synchronize:
            torch.cuda.synchronize()
        return status


def operand(batch, rows, cols, dtype, column_major):
    """A batch of rows × cols matrices, stored row- or column-contiguous."""
    if column_major:
        return torch.randn(batch, cols, rows, device="cuda").to(dtype).transpose(1, 2)
    return torch.randn(batch, rows, cols, device="cuda").to(dtype)
