"""Compiling step modules with muon-compile, cached on disk.

The tool is looked up once: `$MUON_COMPILE`, the copy installed inside this
package (`pip install .` puts it in `muon_mlir/_native/bin`, the CPU runtime
it links steps against in `_native/lib`), the repository's build tree
(`build/bin`), then PATH. A compiled library is stored under the cache directory
(`$MUON_MLIR_CACHE`, default `~/.cache/muon_mlir`) by the SHA-256 of the
module text, the compile flags and the compiler binary itself, so a changed
compiler never reuses a stale library and a rerun of the same model skips
compilation.

A machine without the compiler (a GPU node, a container without MLIR) uses
a cache filled elsewhere (`Muon.precompile`): every compiled module is also
indexed by the SHA-256 of its text and flags alone, and without a compiler
the library last compiled for the same module and flags is loaded.
`MUON_COMPILE` set to a path that is not an executable means "no compiler".
"""

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .. import aot

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CompileError(RuntimeError):
    """muon-compile rejected a step module; the message has its output."""


@functools.lru_cache(maxsize=None)
def find_muon_compile():
    """The muon-compile executable this package uses."""
    explicit = os.environ.get("MUON_COMPILE")
    if explicit is not None and not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
        raise FileNotFoundError(f"muon-compile not found: MUON_COMPILE={explicit!r} is not "
                                "an executable")
    candidates = [explicit,
                  os.path.join(_PACKAGE, "_native", "bin", "muon-compile"),
                  os.path.join(os.path.dirname(os.path.dirname(_PACKAGE)), "build", "bin",
                               "muon-compile"),
                  shutil.which("muon-compile")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        "muon-compile not found: install the package with `pip install .` from the "
        "muon-mlir repository, build it (cmake --build build), or set MUON_COMPILE")


@functools.lru_cache(maxsize=None)
def compiler_fingerprint():
    """SHA-256 of the compiler binary: the 'compiler version' of cache keys."""
    digest = hashlib.sha256()
    with open(find_muon_compile(), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir():
    return os.environ.get("MUON_MLIR_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "muon_mlir"))


def _module_index(module, flags):
    """Where the cache records the directory of the last library compiled
    for `module` with `flags`, by any compiler."""
    key = hashlib.sha256("\0".join([module, *flags]).encode()).hexdigest()[:32]
    return os.path.join(cache_dir(), "modules", key)


def _precompiled(module, flags, name, missing):
    """The library a compiler elsewhere left in the cache for `module`, or
    `missing` (why there is no compiler here) re-raised with the module."""
    try:
        with open(_module_index(module, flags)) as f:
            directory = os.path.join(cache_dir(), f.read().strip())
    except OSError:
        directory = None
    library = directory and os.path.join(directory, f"lib{name}.so")
    if library is None or not os.path.isfile(library + ".json"):
        raise FileNotFoundError(f"{missing}; and the cache ({cache_dir()}) holds no step "
                                f"compiled for this module with flags {list(flags)} "
                                "(Muon.precompile fills it where the compiler is)") from None
    return library


def _record(module, flags, directory):
    """Indexes `directory` by module and flags, atomically."""
    index = _module_index(module, flags)
    os.makedirs(os.path.dirname(index), exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix="index-", dir=os.path.dirname(index))
    with os.fdopen(fd, "w") as f:
        f.write(os.path.basename(directory))
    os.replace(staging, index)


def compile_step(module, flags=(), name="step", verbose=True, load=True):
    """Returns the aot.CompiledFunction of `module` (MLIR text), compiled
    with `flags` or found in the cache (its `compile_seconds`: the compile
    time, or None). Prints the compile time when it compiles (verbose).
    Without a compiler here, the library a compiler elsewhere cached for the
    same module and flags. `load=False`: compile only (None returned), e.g.
    for a target this machine cannot load."""
    try:
        fingerprint = compiler_fingerprint()
    except FileNotFoundError as missing:
        library = _precompiled(module, flags, name, missing)
        return _loaded(library, None) if load else None
    key = hashlib.sha256("\0".join([fingerprint, module, *flags]).encode())
    directory = os.path.join(cache_dir(), key.hexdigest()[:32])
    library = os.path.join(directory, f"lib{name}.so")
    seconds = None
    if not os.path.isfile(library + ".json"):
        start = time.perf_counter()
        os.makedirs(cache_dir(), exist_ok=True)
        # Compile into a fresh directory and rename it into place: concurrent
        # processes never see a half-written library.
        staging = tempfile.mkdtemp(prefix="compile-", dir=cache_dir())
        try:
            source = os.path.join(staging, f"{name}.mlir")
            with open(source, "w") as f:
                f.write(module)
            output = os.path.join(staging, f"lib{name}.so")
            proc = subprocess.run([find_muon_compile(), source, "-o", output, *flags],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise CompileError(f"muon-compile failed on the optimizer step "
                                   f"(module kept in {source}):\n{proc.stderr.strip()}")
            try:
                os.rename(staging, directory)
            except OSError:  # another process won the race: use its copy
                shutil.rmtree(staging, ignore_errors=True)
        except CompileError:
            raise  # the staging directory stays, for inspection
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        seconds = time.perf_counter() - start
        if verbose:
            print(f"muon_mlir.optim: compiled a step in {seconds:.2f} s (cached in "
                  f"{directory})", file=sys.stderr)
    _record(module, flags, directory)
    return _loaded(library, seconds) if load else None


def _loaded(library, seconds):
    function = aot.load(library)
    function.compile_seconds = seconds  # None: found in the cache
    return function
