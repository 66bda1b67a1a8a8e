# -*- Python -*-
# lit configuration of the muon-mlir regression suite.

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MUON"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.muon_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%muon_src_root", config.muon_src_root))
config.substitutions.append(("%muon_obj_root", config.muon_obj_root))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# %python runs the configured interpreter (the project venv, which has numpy
# for writing and checking .npy fixtures) instead of the one running lit.
config.substitutions = [s for s in config.substitutions if s[0] != "%python"]
python_command = '"%s"' % config.python_executable

# Sanitizer builds (MUON_ENABLE_SANITIZERS, README): the tools, the CPU
# runtime and the steps muon-compile links against it carry ASan; libMLIR,
# Python, numpy and torch do not. Leaks are not checked (MLIR's registries
# live until exit); UBSan findings fail the test. Python loads the
# instrumented runtime through AOT-compiled steps, so it gets the ASan
# runtime preloaded; C callers load it after libc, which ASan must accept.
if config.muon_sanitizers:
    config.environment["ASAN_OPTIONS"] = (
        "detect_leaks=0:verify_asan_link_order=0:allocator_may_return_null=1")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    python_command = 'env LD_PRELOAD="%s" %s' % (config.asan_runtime, python_command)
    config.available_features.add("sanitizers")
config.substitutions.append(("%python", python_command))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH", os.path.join(config.muon_src_root, "python"),
                             append_path=True)

# Numeric tests run under the project's virtual environment; the torch
# references need torch there.
if subprocess.call([config.python_executable, "-c", "import torch"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("torch")

# Pass statistics are compiled out of release builds of LLVM/MLIR (such as
# Debian's): tests that read them require this feature.
_stats = subprocess.run(
    [os.path.join(config.muon_tools_dir, "muon-opt"), "-cse", "-mlir-pass-statistics",
     "-o", os.devnull], input="func.func @f() { return }", capture_output=True, text=True)
if "num-cse'd" in _stats.stderr:
    config.available_features.add("pass-statistics")

tool_dirs = [config.muon_tools_dir, config.llvm_tools_dir]
tools = ["muon-compile", "muon-fuzz-input-spec", "muon-fuzz-npy",
         "muon-fuzz-optim-parser", "muon-opt", "muon-run"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
