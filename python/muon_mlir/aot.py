"""Call a step compiled by muon-compile from Python.

    step = aot.load("libstep.so")           # reads libstep.so.json
    w1, m1 = step(w, g, m, lr)              # --target=cpu: numpy arrays or CPU torch tensors
    w1, m1 = step(w, g, m, lr)              # --target=cuda: CUDA torch tensors
    step(w, g, m, lr, out=(w1, m1))         # write into preallocated outputs
    step(w, g, m, lr)                        # in-place ABI (v3): w, m updated in their buffers
    run = step.bind(w, g, m, lr, out=(w1, m1)); run()   # checked once, for timing loops

The library's flat entry point `muon_<fn>` takes one data pointer per tensor
(inputs, then outputs; docs/ABI.md), for CUDA then a stream, and returns a
status. Results the module ties to an argument (`optim.aliasing_output`,
ABI version 3) are written into that input's buffer and not returned. This
module checks each argument against the signature muon-compile
wrote next to the library, allocates the outputs and passes the pointers
through ctypes. CUDA steps are enqueued on torch's current stream of the
tensors' device (or `stream=`), so they order with the surrounding torch work
and can be captured in a CUDA graph.
"""

import ctypes
import json
import os
import shutil
import tempfile

import numpy as np

ABI_VERSION = 3
# Version 1 libraries (CPU only, no "target" field) and version 2 ones (void
# CPU entry points, no in-place results) are still accepted.
_KNOWN_ABI_VERSIONS = (1, 2, 3)

# f16/bf16 cross the ABI as raw 16-bit values, the float8 types as bytes;
# numpy has neither bfloat16 nor float8 (torch tensors carry them).
_NUMPY_DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64,
                 "i1": np.bool_, "i8": np.int8, "i16": np.int16,
                 "i32": np.int32, "i64": np.int64, "ui8": np.uint8,
                 "ui16": np.uint16, "ui32": np.uint32, "ui64": np.uint64}
_TORCH_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32",
                 "f64": "float64", "i1": "bool", "i8": "int8", "i16": "int16",
                 "i32": "int32", "i64": "int64", "ui8": "uint8",
                 "ui16": "uint16", "ui32": "uint32", "ui64": "uint64",
                 "f8E4M3FN": "float8_e4m3fn", "f8E4M3FNUZ": "float8_e4m3fnuz",
                 "f8E5M2": "float8_e5m2", "f8E5M2FNUZ": "float8_e5m2fnuz"}


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


def _check(value, spec, what, device):
    """Returns the data pointer of `value` after checking it against `spec`;
    `device` is "cpu" or the torch.device every CUDA tensor must be on."""
    if device != "cpu" and not _is_torch(value):
        raise TypeError(f"{what} {spec.name}: expected a CUDA torch tensor, got "
                        f"{type(value).__name__}")
    if _is_torch(value):
        if device == "cpu" and value.device.type != "cpu":
            raise ValueError(f"{what} {spec.name}: expected a CPU tensor, got one on "
                             f"{value.device}")
        if device != "cpu" and value.device != device:
            raise ValueError(f"{what} {spec.name}: expected a CUDA tensor on {device}, "
                             f"got one on {value.device}")
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
        if what in ("output", "in-out input") and not value.flags.writeable:
            raise ValueError(f"{what} {spec.name}: the array is read-only")
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


def _nbytes(value):
    return value.nbytes if isinstance(value, np.ndarray) else \
        value.numel() * value.element_size()


def _check_no_overlap(arguments, written, names):
    """The ABI forbids a written buffer (an output or an in-out input)
    overlapping any other argument. `arguments`: (pointer, value) of every
    tensor; `written`: the indices of the written ones. One sweep over the
    buffers by address (steps take hundreds)."""
    written = set(written)
    order = sorted(range(len(arguments)), key=lambda i: arguments[i][0])
    reach = reach_written = (0, None)  # (furthest end so far, its argument)
    for index in order:
        begin = arguments[index][0]
        end = begin + _nbytes(arguments[index][1])
        if begin == end:
            continue
        # Every earlier buffer begins at or below `begin`: it overlaps this
        # one if it ends above, and the furthest-reaching one shows whether any does.
        other = reach_written[1] if begin < reach_written[0] else \
            reach[1] if index in written and begin < reach[0] else None
        if other is not None:
            raise ValueError(f"{names[index]}: overlaps {names[other]} (written buffers "
                             "must be distinct; docs/ABI.md)")
        if end > reach[0]:
            reach = (end, index)
        if index in written and end > reach_written[0]:
            reach_written = (end, index)


def _cuda_device(inputs, specs):
    """The device of the first input (all are checked against it)."""
    for value, spec in zip(inputs, specs):
        if _is_torch(value) and value.device.type == "cuda":
            return value.device
        got = f"a tensor on {value.device}" if _is_torch(value) else type(value).__name__
        raise ValueError(f"input {spec.name}: expected a CUDA torch tensor, got {got}")
    import torch
    return torch.device("cuda", torch.cuda.current_device())


class CompiledFunction:
    """A function of a library compiled by muon-compile; call it with its
    inputs in argument order. Outputs are new arrays (torch tensors if any
    input is one; on the inputs' GPU for CUDA) unless given with `out=`, which
    is written and returned. CUDA calls take `stream=` (a torch.cuda.Stream;
    default: the current stream of the inputs' device) and raise RuntimeError
    with the runtime's message if the step fails to launch."""

    def __init__(self, library_path, signature):
        if signature.get("abi_version") not in _KNOWN_ABI_VERSIONS:
            raise ValueError(f"{library_path}: ABI version {signature.get('abi_version')}, "
                             f"this wrapper speaks {', '.join(map(str, _KNOWN_ABI_VERSIONS))}")
        self.name = signature["function"]
        self.target = signature.get("target", "cpu")
        if self.target not in ("cpu", "cuda"):
            raise ValueError(f"{library_path}: unknown target {self.target!r}")
        self.inputs = [TensorSpec(**t) for t in signature["inputs"]]
        # Results written into an input have no buffer of their own.
        self.outputs = [TensorSpec(t["name"], t["dtype"], t["shape"])
                        for t in signature["outputs"] if "updates" not in t]
        input_names = [spec.name for spec in self.inputs]
        self.updated_inputs = {input_names.index(t["updates"]): t["name"]
                               for t in signature["outputs"] if "updates" in t}
        self._returns_status = signature["abi_version"] >= 3
        # A step that checks its inputs returns a status last: not an output
        # for the caller, but a reason to raise (docs/ABI.md).
        self._status_messages = signature.get("status_messages")
        self._status = self.outputs.pop() if self._status_messages else None
        self._path = os.path.abspath(library_path)
        self._signature = signature
        self._entry_point = signature["entry_point"]
        # Libraries before the packed entry point take one argument per
        # tensor, at most 1024 through ctypes.
        self._packed_entry_point = signature.get("packed_entry_point")
        self._library = None

    def _load(self):
        """Loads the library on first call: a CUDA step needs the GPU driver,
        which argument errors should not. It stays loaded as long as the
        function lives."""
        if self._library is not None:
            return
        loadable = _loadable_path(self._path)
        try:
            library = ctypes.CDLL(loadable)
        finally:
            if loadable != self._path:  # mapped now (or not at all)
                shutil.rmtree(os.path.dirname(loadable), ignore_errors=True)
        if not hasattr(library, self._entry_point):
            raise ValueError(f"{self._path} has no entry point {self._entry_point}: "
                             "its description is another library's")
        mismatch = _signature_mismatch(_own_signature(library, self._entry_point),
                                       self._signature)
        if mismatch:
            raise ValueError(f"{self._path} does not match its description ({mismatch}): "
                             f"load it with the .json muon-compile wrote with it")
        pointers = [ctypes.c_void_p] * (len(self.inputs) + len(self.outputs)
                                        + (self._status is not None))
        # The flat entry point (one argument per tensor; muon_mlir.optim calls
        # it directly) and, where the library has it, the packed one, which
        # calls made here use.
        self._entry = getattr(library, self._entry_point)
        self._packed = (getattr(library, self._packed_entry_point)
                        if self._packed_entry_point else None)
        stream = [ctypes.c_void_p] if self.target == "cuda" else []
        for entry, params in ((self._entry, pointers), (self._packed, [ctypes.c_void_p])):
            if entry is None:
                continue
            entry.restype = (ctypes.c_int if self.target == "cuda" or self._returns_status
                             else None)
            if len(params) + len(stream) <= 1024:  # ctypes' limit on argtypes
                entry.argtypes = params + stream
        if self.target == "cuda":
            self._last_error = library.muon_gpu_last_error
            self._last_error.restype = ctypes.c_char_p
            self._last_error.argtypes = []
        self._library = library

    def __reduce__(self):
        """Copies and pickles load the library again (ctypes handles do not
        copy)."""
        return CompiledFunction, (self._path, self._signature)

    def __repr__(self):
        target = " cuda" if self.target == "cuda" else ""
        updates = "".join(f", {self.inputs[i].name} <- {name}"
                          for i, name in sorted(self.updated_inputs.items()))
        return (f"<muon AOT{target} {self.name}({self.inputs}) -> {self.outputs}"
                f"{updates}>")

    def _allocate(self, spec, use_torch, device="cpu"):
        if use_torch:
            import torch
            return torch.empty(spec.shape, dtype=_torch_dtype(spec), device=device)
        if spec.dtype not in _NUMPY_DTYPES:
            raise TypeError(f"output {spec.name}: {spec.dtype} needs torch inputs or out=")
        return np.empty(spec.shape, _NUMPY_DTYPES[spec.dtype])

    def __call__(self, *inputs, out=None, stream=None):
        """Returns the outputs (one, a tuple, or None when every result is
        written into an input)."""
        run, out = self._bind(inputs, out, stream)
        run()
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    def bind(self, *inputs, out, stream=None):
        """Checks the arguments once and returns a function of no arguments
        that runs the step on them: for timing loops, where the per-call
        checks of a step with hundreds of tensors would be timed too. It
        holds the buffers; they must keep their storage (no resize_)."""
        return self._bind(inputs, out, stream)[0]

    def _bind(self, inputs, out, stream):
        if len(inputs) != len(self.inputs):
            raise TypeError(f"{self.name}: expected {len(self.inputs)} inputs "
                            f"({', '.join(s.name for s in self.inputs)}), got {len(inputs)}")
        if stream is not None and self.target != "cuda":
            raise TypeError(f"{self.name}: stream= is for CUDA steps")
        if out is not None and len(out) != len(self.outputs):
            raise TypeError(f"{self.name}: expected {len(self.outputs)} outputs in out=, "
                            f"got {len(out)}")
        device = _cuda_device(inputs, self.inputs) if self.target == "cuda" else "cpu"
        if out is None:
            use_torch = device != "cpu" or any(_is_torch(x) for x in inputs)
            out = [self._allocate(spec, use_torch, device) for spec in self.outputs]
        kinds = ["in-out input" if i in self.updated_inputs else "input"
                 for i in range(len(inputs))]
        pointers = [_check(x, s, kind, device)
                    for x, s, kind in zip(inputs, self.inputs, kinds)]
        pointers += [_check(x, s, "output", device) for x, s in zip(out, self.outputs)]
        written = sorted(self.updated_inputs) + [len(inputs) + i for i in range(len(out))]
        names = [f"{kind} {s.name}" for kind, s in zip(kinds, self.inputs)]
        names += [f"output {s.name}" for s in self.outputs]
        _check_no_overlap(list(zip(pointers, list(inputs) + list(out))), written, names)
        self._load()
        status = None
        if self._status is not None:
            use_torch = device != "cpu" or any(_is_torch(x) for x in inputs)
            status = self._allocate(self._status, use_torch, device)
            pointers.append(_check(status, self._status, "output", device))
        if self._packed is not None:
            entry = self._packed
            pointers = [(ctypes.c_void_p * len(pointers))(*pointers)]
        else:
            entry = self._entry

        # Written torch tensors count as modified in place, as torch's own
        # in-place ops do: a backward that saved one before the step raises
        # instead of differentiating with the new values.
        modified = [x for x in [inputs[i] for i in self.updated_inputs] + list(out)
                    if _is_torch(x)]

        def run(buffers=(inputs, out, status)):  # holds the buffers for as long as `run` lives
            if self.target == "cuda":
                self._call_cuda(entry, pointers, device, stream)
            elif self._returns_status:
                code = entry(*pointers)
                if code != 0:
                    raise RuntimeError(f"{self.name}: step failed (status {code})")
            else:
                entry(*pointers)
            if modified:
                import torch
                torch.autograd.graph.increment_version(modified)
            if status is not None:
                self._check_status(status)
        return run, out

    def _check_status(self, status):
        """Raises ValueError with the message of the input check that failed.
        On CUDA this waits for the step, except while a CUDA graph is being
        captured (the replays are then unchecked)."""
        if _is_torch(status):
            import torch
            if status.is_cuda and torch.cuda.is_current_stream_capturing():
                return
            code = int(status.item())
        else:
            code = int(status)
        if code == 0:
            return
        messages = self._status_messages
        reason = messages[code - 1] if 0 < code <= len(messages) else f"status {code}"
        raise ValueError(f"{self.name} rejected its inputs: {reason}")

    def _call_cuda(self, entry, pointers, device, stream):
        import torch
        with torch.cuda.device(device):
            if stream is None:
                stream = torch.cuda.current_stream(device)
            elif stream.device != device:
                raise ValueError(f"{self.name}: stream is on {stream.device}, the "
                                 f"tensors on {device}")
            status = entry(*pointers, stream.cuda_stream)
        if status != 0:
            message = self._last_error().decode(errors="replace")
            raise RuntimeError(f"{self.name}: CUDA step failed (status {status}): "
                               f"{message}")


def _own_signature(library, entry_point):
    """The description a library carries (docs/ABI.md), or None for one
    compiled before libraries carried it."""
    try:
        text = ctypes.c_char.in_dll(library, entry_point + "_signature")
    except ValueError:
        return None
    return json.loads(ctypes.string_at(ctypes.addressof(text)))


def _signature_mismatch(own, given):
    """The first difference between a library's own description and the one
    it is loaded with, or None. Optional keys absent from `given` (a
    hand-written description) are not differences."""
    if own is None:
        return None
    describe = (lambda t: f"{t.get('name')} {t.get('dtype')}{t.get('shape')}"
                + (f" updating {t['updates']}" if "updates" in t else ""))
    for key, value in own.items():
        if key not in given and key in ("packed_entry_point", "ciface"):
            continue
        if key in ("inputs", "outputs") and isinstance(given.get(key), list):
            theirs = given[key]
            for i, (a, b) in enumerate(zip(value, theirs)):
                if a != b:
                    return f"{key[:-1]} {i}: the library's is {describe(a)}, the description's {describe(b)}"
            if len(value) != len(theirs):
                return f"the library has {len(value)} {key}, the description {len(theirs)}"
        elif given.get(key) != value:
            return f"{key}: the library's is {value!r}, the description's {given.get(key)!r}"
    return None


# path -> the identity of the file this process loaded from it.
_LOADED = {}


def _loadable_path(path):
    """`path`, or a private copy of it when this process loaded another file
    from that path before (a library rebuilt in place): the dynamic loader
    would return the library it already has for the path, whose code does
    not match the new signature."""
    status = os.stat(path)
    identity = (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)
    if _LOADED.setdefault(path, identity) == identity:
        return path
    copy = os.path.join(tempfile.mkdtemp(prefix="muon-aot-"), os.path.basename(path))
    shutil.copy2(path, copy)
    return copy


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
