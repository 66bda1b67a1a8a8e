"""Compiling step modules with muon-compile, cached on disk.

The tool is looked up once: `$MUON_COMPILE`, the copy installed inside this
package (`pip install .` puts it in `muon_mlir/_native/bin`, the CPU runtime
it links steps against in `_native/lib`), the repository's build tree
(`build/bin`), then PATH. A compiled library is stored under the cache directory
(`$MUON_MLIR_CACHE`, default `~/.cache/muon_mlir`) by the SHA-256 of the
module text, the compile flags and the compiler binary itself, so a changed
compiler never reuses a stale library and a rerun of the same model skips
compilation.
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
    candidates = [os.environ.get("MUON_COMPILE"),
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


def compile_step(module, flags=(), name="step", verbose=True):
    """Returns the aot.CompiledFunction of `module` (MLIR text), compiled
    with `flags` or found in the cache (its `compile_seconds`: the compile
    time, or None). Prints the compile time when it compiles (verbose)."""
    key = hashlib.sha256("\0".join([compiler_fingerprint(), module, *flags]).encode())
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
    function = aot.load(library)
    function.compile_seconds = seconds  # None: found in the cache
    return function
