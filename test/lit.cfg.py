# -*- Python -*-
# lit configuration of the muon-mlir regression suite.

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MUON"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.muon_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
# Integration/ (model families, benchmark harnesses, GPU runs) is its own
# target, check-muon-integration, which sets this parameter.
if lit_config.params.get("integration") != "1":
    config.excludes.append("Integration")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%muon_src_root", config.muon_src_root))
config.substitutions.append(("%muon_obj_root", config.muon_obj_root))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
# The LLVM release's own mlir-opt (Debian's mlir-opt-22), which loads
# libMuonMLIRPlugin.so in test/Plugin.
config.substitutions.append(("%mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(("%cmake_generator", config.cmake_generator))
config.substitutions.append(("%cmake", '"%s"' % config.cmake_command))
config.substitutions.append(("%cxx_compiler", config.cxx_compiler))
config.substitutions.append(
    ("%cxx_launcher_flag",
     "-DCMAKE_CXX_COMPILER_LAUNCHER=" + config.cxx_compiler_launcher
     if config.cxx_compiler_launcher else ""))
config.substitutions.append(
    ("%muon_plugin", os.path.join(config.muon_obj_root, "lib", "libMuonMLIRPlugin.so")))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# %python runs the configured interpreter (the project venv, which has numpy
# for writing and checking .npy fixtures) instead of the one running lit.
config.substitutions = [s for s in config.substitutions if s[0] != "%python"]
python_command = '"%s"' % config.python_executable

# Sanitizer builds (MUON_ENABLE_SANITIZERS, README): the tools, the CPU
# runtime and the steps muon-compile links against it carry ASan; libMLIR,
# Python, numpy, torch and the tests' C callers do not. The ASan runtime is
# preloaded into every process, as it must come first in any process that
# loads the instrumented CPU runtime (Python and C callers of AOT-compiled
# steps). Leaks are not checked (MLIR's registries live until exit), UBSan
# findings fail the test, and user poisoning is off: LLVM's allocators poison
# their slabs in code inlined into our files but not in libMLIR, whose
# objects would then read as poisoned.
# libstdc++ is preloaded with it so that ASan's __cxa_throw interceptor finds
# the real one when Python (which does not link libstdc++) runs C++ code that
# throws, as ONNX Runtime does.
if config.muon_sanitizers:
    config.environment["LD_PRELOAD"] = config.asan_runtime + " libstdc++.so.6"
    config.environment["ASAN_OPTIONS"] = (
        "detect_leaks=0:allocator_may_return_null=1:allow_user_poisoning=0")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    config.available_features.add("sanitizers")
config.substitutions.append(("%python", python_command))
# Every host buffer of compiled code (CPU path, emulated device memory) gets
# a guard zone checked when it is freed: a write past a buffer aborts the
# test instead of passing silently (runtime/cpu/HostAllocator.cpp).
config.environment["MUON_HOST_GUARD"] = "1"

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH", os.path.join(config.muon_src_root, "python"),
                             append_path=True)

# Numeric tests run under the project's virtual environment; the torch
# references need torch there.
if subprocess.call([config.python_executable, "-c", "import torch"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("torch")
# The ONNX op importer tests take their references from ONNX Runtime.
if subprocess.call([config.python_executable, "-c", "import onnx, onnxruntime"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("onnxruntime")
# torch.onnx.export's default exporter (dynamo) writes through onnxscript.
if subprocess.call([config.python_executable, "-c", "import onnxscript"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("onnxscript")
# Hugging Face models for the importer's model-family tests.
if subprocess.call([config.python_executable, "-c", "import transformers"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("transformers")

# `cuda`: this build has the CUDA runtime and --target=cuda (a toolkit, no
# GPU needed). `cuda-device`: a GPU is usable from the venv's torch, so tests
# may execute compiled CUDA steps.
if config.muon_enable_cuda:
    config.available_features.add("cuda")
    config.substitutions.append(("%cuda_library_dir", config.cuda_library_dir))
    config.substitutions.append(("%cuda_driver_library", config.cuda_driver_library))
    # ptxas, which gpu-module-to-binary runs.
    llvm_config.with_environment("PATH", config.cuda_bin_dir, append_path=True)
    if subprocess.call([config.python_executable, "-c",
                        "import sys, torch; sys.exit(not torch.cuda.is_available())"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        config.available_features.add("cuda-device")

# Pass statistics are compiled out of release builds of LLVM/MLIR (such as
# Debian's): tests that read them require this feature.
_stats = subprocess.run(
    [os.path.join(config.muon_tools_dir, "muon-opt"), "-cse", "-mlir-pass-statistics",
     "-o", os.devnull], input="func.func @f() { return }", capture_output=True, text=True)
if "num-cse'd" in _stats.stderr:
    config.available_features.add("pass-statistics")

# The GPU pipeline's binary stage runs ptxas from the CUDA toolkit; tests of
# that stage require this feature.
_cuda_bin = "/usr/local/cuda/bin"
if os.path.exists(os.path.join(_cuda_bin, "ptxas")):
    llvm_config.with_environment("PATH", _cuda_bin, append_path=True)
    # MLIR's NVVM target finds libdevice (math functions) through CUDA_HOME.
    config.environment["CUDA_HOME"] = os.path.dirname(_cuda_bin)
    config.available_features.add("ptxas")

tool_dirs = [config.muon_tools_dir, config.llvm_tools_dir]
tools = ["muon-capi-optim-test", "muon-compile", "muon-fuzz-input-spec", "muon-fuzz-npy",
         "muon-fuzz-onnx-import", "muon-fuzz-optim-parser",
         "muon-fuzz-tensor-proto", "muon-opt", "muon-run", "muon-translate"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# muon_mlir.optim and muon_mlir.training compile their steps with this
# build's tools, into a cache that tests point at their own %t directories
# (MUON_MLIR_CACHE).
for _tool in ("muon-compile", "muon-opt", "muon-translate"):
    config.environment["MUON_" + _tool[len("muon-"):].upper()] = os.path.join(
        config.muon_tools_dir, _tool)
