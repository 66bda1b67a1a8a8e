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
def find_tool(name):
    """The executable of the project's tool `name` (muon-compile,
    muon-translate, muon-opt) this package uses: `$MUON_<NAME>`
    (MUON_COMPILE, MUON_TRANSLATE, MUON_OPT), the copy installed inside
    this package, the repository's build tree, then PATH."""
    variable = "MUON_" + name[len("muon-"):].upper()
    explicit = os.environ.get(variable)
    if explicit is not None and not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
        raise FileNotFoundError(f"{name} not found: {variable}={explicit!r} is not "
                                "an executable")
    candidates = [explicit,
                  os.path.join(_PACKAGE, "_native", "bin", name),
                  os.path.join(os.path.dirname(os.path.dirname(_PACKAGE)), "build", "bin", name),
                  shutil.which(name)]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        f"{name} not found: install the package with `pip install .` from the "
        f"muon-mlir repository, build it (cmake --build build), or set {variable}")


def find_muon_compile():
    """The muon-compile executable this package uses."""
    return find_tool("muon-compile")


@functools.lru_cache(maxsize=None)
def compiler_fingerprint(compiler=None):
    """SHA-256 of the compiler binary (`compiler`, or the one this package
    uses): the 'compiler version' of cache keys."""
    digest = hashlib.sha256()
    with open(compiler or find_muon_compile(), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir(explicit=None):
    if explicit:
        return explicit
    return os.environ.get("MUON_MLIR_CACHE",
                          os.path.join(os.path.expanduser("~"), ".cache", "muon_mlir"))


def _module_index(module, flags, cache=None):
    """Where the cache records the directory of the last library compiled
    for `module` with `flags`, by any compiler."""
    key = hashlib.sha256("\0".join([module, *flags]).encode()).hexdigest()[:32]
    return os.path.join(cache_dir(cache), "modules", key)


def _precompiled(module, flags, name, missing, cache=None):
    """The library a compiler elsewhere left in the cache for `module`, or
    `missing` (why there is no compiler here) re-raised with the module."""
    try:
        with open(_module_index(module, flags, cache)) as f:
            directory = os.path.join(cache_dir(cache), f.read().strip())
    except OSError:
        directory = None
    library = directory and os.path.join(directory, f"lib{name}.so")
    if library is None or not os.path.isfile(library + ".json"):
        raise FileNotFoundError(f"{missing}; and the cache ({cache_dir(cache)}) holds no step "
                                f"compiled for this module with flags {list(flags)} "
                                "(Muon.precompile fills it where the compiler is)") from None
    return library


def _record(module, flags, directory, cache=None):
    """Indexes `directory` by module and flags, atomically."""
    index = _module_index(module, flags, cache)
    os.makedirs(os.path.dirname(index), exist_ok=True)
    fd, staging = tempfile.mkstemp(prefix="index-", dir=os.path.dirname(index))
    with os.fdopen(fd, "w") as f:
        f.write(os.path.basename(directory))
    os.replace(staging, index)


def compile_step(module, flags=(), name="step", verbose=True, load=True, compiler=None):
    """Returns the aot.CompiledFunction of `module` (MLIR text), compiled
    with `flags` or found in the cache (its `compile_seconds`: the compile
    time, or None). Prints the compile time when it compiles (verbose).
    Without a compiler here, the library a compiler elsewhere cached for the
    same module and flags. `load=False`: compile only (None returned), e.g.
    for a target this machine cannot load. `compiler`: a muon-compile other
    than find_muon_compile()'s."""
    library, seconds = compile_library(module, flags, name, verbose, compiler)
    return _loaded(library, seconds) if load else None


def compile_library(module, flags=(), name="step", verbose=True, compiler=None,
                    label="muon_mlir.optim", cache=None):
    """compile_step's library: (path, compile seconds or None when cached);
    `label` starts the messages (the package part that compiles); `cache`:
    a cache directory other than cache_dir()'s."""
    root = cache_dir(cache)
    try:
        fingerprint = compiler_fingerprint(compiler)
    except FileNotFoundError as missing:
        return _precompiled(module, flags, name, missing, cache), None
    key = hashlib.sha256("\0".join([fingerprint, module, *flags]).encode())
    directory = os.path.join(root, key.hexdigest()[:32])
    library = os.path.join(directory, f"lib{name}.so")
    seconds = None
    if not os.path.isfile(library + ".json"):
        start = time.perf_counter()
        try:
            os.makedirs(root, exist_ok=True)
            # Compile into a fresh directory and rename it into place:
            # concurrent processes never see a half-written library.
            staging = tempfile.mkdtemp(prefix="compile-", dir=root)
        except OSError as e:
            raise OSError(e.errno, f"{label}: cannot write the compile cache {root} "
                          f"({e.strerror}); set MUON_MLIR_CACHE to a writable "
                          "directory") from e
        try:
            source = os.path.join(staging, f"{name}.mlir")
            with open(source, "w") as f:
                f.write(module)
            output = os.path.join(staging, f"lib{name}.so")
            proc = subprocess.run([compiler or find_muon_compile(), source, "-o", output, *flags],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise CompileError(f"{label}: muon-compile failed on the step "
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
            print(f"{label}: compiled a step in {seconds:.2f} s (cached in "
                  f"{directory})", file=sys.stderr)
    _record(module, flags, directory, cache)
    return library, seconds


def _loaded(library, seconds):
    function = aot.load(library)
    function.compile_seconds = seconds  # None: found in the cache
    return function
