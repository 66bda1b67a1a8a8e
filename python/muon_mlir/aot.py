"""Call a step compiled by muon-compile from Python (numpy or CPU torch).

    step = aot.load("libstep.so")           # reads libstep.so.json
    w1, m1 = step(w, g, m, lr)              # numpy arrays or torch tensors

The library's flat entry point `muon_<fn>` takes one data pointer per tensor
(inputs, then outputs; docs/ABI.md); this module checks each argument against
the signature muon-compile wrote next to the library, allocates the outputs
and passes the pointers through ctypes.
"""

import ctypes
import json
import os

import numpy as np

ABI_VERSION = 1

# f16/bf16 cross the ABI as raw 16-bit values; numpy has no bfloat16.
_NUMPY_DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64,
                 "i1": np.bool_, "i32": np.int32, "i64": np.int64}
_TORCH_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32",
                 "f64": "float64", "i1": "bool", "i32": "int32", "i64": "int64"}


class TensorSpec:
    """Name, element type (MLIR spelling) and static shape of one tensor."""

    def __init__(self, name, dtype, shape):
        self.name, self.dtype, self.shape = name, dtype, tuple(shape)

    def __repr__(self):
        return f"{self.name}: tensor<{'x'.join(map(str, self.shape + (self.dtype,)))}>"


def _is_torch(value):
    return type(value).__module__.startswith("torch")


def _torch_dtype(spec):
    import torch
    return getattr(torch, _TORCH_DTYPES[spec.dtype])


def _check(value, spec, what):
    """Returns the data pointer of `value` after checking it against `spec`."""
    if _is_torch(value):
        if value.device.type != "cpu":
            raise ValueError(f"{what} {spec.name}: expected a CPU tensor, got one on "
                             f"{value.device}")
        dtype, expected = value.dtype, _torch_dtype(spec)
        contiguous = value.is_contiguous()
        pointer = value.data_ptr()
    elif isinstance(value, np.ndarray):
        if spec.dtype not in _NUMPY_DTYPES:
            raise TypeError(f"{what} {spec.name}: {spec.dtype} needs a torch tensor "
                            "(numpy has no such dtype)")
        dtype, expected = value.dtype, np.dtype(_NUMPY_DTYPES[spec.dtype])
        contiguous = value.flags.c_contiguous
        pointer = value.ctypes.data
        if what == "output" and not value.flags.writeable:
            raise ValueError(f"output {spec.name}: the array is read-only")
    else:
        raise TypeError(f"{what} {spec.name}: expected a numpy array or torch tensor, "
                        f"got {type(value).__name__}")
    if dtype != expected:
        raise TypeError(f"{what} {spec.name}: expected dtype {expected}, got {dtype}")
    if tuple(value.shape) != spec.shape:
        raise ValueError(f"{what} {spec.name}: expected shape {spec.shape}, got "
                         f"{tuple(value.shape)}")
    if not contiguous:
        raise ValueError(f"{what} {spec.name}: expected a contiguous (row-major) "
                         "buffer; pass .contiguous() / np.ascontiguousarray()")
    return pointer


class CompiledFunction:
    """A function of a library compiled by muon-compile; call it with its
    inputs in argument order. Outputs are new arrays (torch tensors if any
    input is one) unless given with `out=`, which is written and returned."""

    def __init__(self, library_path, signature):
        if signature.get("abi_version") != ABI_VERSION:
            raise ValueError(f"{library_path}: ABI version {signature.get('abi_version')}, "
                             f"this wrapper speaks {ABI_VERSION}")
        self.name = signature["function"]
        self.inputs = [TensorSpec(**t) for t in signature["inputs"]]
        self.outputs = [TensorSpec(**t) for t in signature["outputs"]]
        # Keep the library loaded as long as the function lives.
        self._library = ctypes.CDLL(os.path.abspath(library_path))
        self._entry = getattr(self._library, signature["entry_point"])
        self._entry.restype = None
        self._entry.argtypes = [ctypes.c_void_p] * (len(self.inputs) + len(self.outputs))

    def __repr__(self):
        return f"<muon AOT {self.name}({self.inputs}) -> {self.outputs}>"

    def _allocate(self, spec, use_torch):
        if use_torch:
            import torch
            return torch.empty(spec.shape, dtype=_torch_dtype(spec))
        if spec.dtype not in _NUMPY_DTYPES:
            raise TypeError(f"output {spec.name}: {spec.dtype} needs torch inputs or out=")
        return np.empty(spec.shape, _NUMPY_DTYPES[spec.dtype])

    def __call__(self, *inputs, out=None):
        if len(inputs) != len(self.inputs):
            raise TypeError(f"{self.name}: expected {len(self.inputs)} inputs "
                            f"({', '.join(s.name for s in self.inputs)}), got {len(inputs)}")
        if out is None:
            use_torch = any(_is_torch(x) for x in inputs)
            out = [self._allocate(spec, use_torch) for spec in self.outputs]
        elif len(out) != len(self.outputs):
            raise TypeError(f"{self.name}: expected {len(self.outputs)} outputs in out=, "
                            f"got {len(out)}")
        pointers = [_check(x, s, "input") for x, s in zip(inputs, self.inputs)]
        pointers += [_check(x, s, "output") for x, s in zip(out, self.outputs)]
        self._entry(*pointers)
        return out[0] if len(out) == 1 else tuple(out)


def load(path, signature=None):
    """Loads the library at `path`. `signature` is the JSON description
    (a path or an already parsed dict); default: `path + ".json"`, which
    muon-compile writes next to the library."""
    if signature is None:
        signature = path + ".json"
    if not isinstance(signature, dict):
        with open(signature) as f:
            signature = json.load(f)
    return CompiledFunction(path, signature)
