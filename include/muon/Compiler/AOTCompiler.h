//===- AOTCompiler.h - Compile a step to a shared library -------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Ahead-of-time compilation of one function of a module: the muon CPU
// pipeline (or the CUDA lowering, with kernels embedded as a GPU binary), a
// flat C entry point, LLVM IR at -O3, an object for a chosen CPU and a shared
// library linked with the system compiler driver, plus a C header and a JSON
// description of the ABI (docs/ABI.md).
//
//===----------------------------------------------------------------------===//

#ifndef MUON_COMPILER_AOTCOMPILER_H
#define MUON_COMPILER_AOTCOMPILER_H

#include "muon/Compiler/CUDALowering.h"
#include "muon/Pipelines/Pipelines.h"
#include "llvm/Support/Error.h"

#include <string>

namespace muon {

enum class AOTTarget { CPU, CUDA };

/// What `compileAOT` writes to the output path.
enum class AOTEmitKind { LLVMIR, Object, SharedLibrary };

struct AOTCompileOptions {
  /// The function to compile; empty selects the module's only public one.
  std::string functionName;
  AOTTarget target = AOTTarget::CPU;
  /// The CPU to generate code for, e.g. `x86-64-v3`; empty: the host's CPU
  /// and features (fastest, but the artifact may not run elsewhere).
  std::string cpu;
  AOTEmitKind emit = AOTEmitKind::SharedLibrary;
  std::string outputPath;
  /// Where to write the C header; empty: none.
  std::string headerPath;
  /// Where to write the JSON description; empty: none.
  std::string jsonPath;
  /// Write results tied to an argument (`optim.aliasing_output`) into its
  /// buffer; false: return every result in a buffer of its own.
  bool inPlace = true;
  /// Run GEMMs through the CPU runtime (oneDNN), else as generated loops.
  bool useBlas = true;
  /// Whose GEMM entry points those calls use (CPU target).
  BlasRuntime blasRuntime = BlasRuntime::CPU;
  /// Polynomial erf/exp/tanh (CPU pipeline's approximate-math).
  bool approximateMath = true;
  /// Large loop nests on OpenMP threads (CPU pipeline's threads and
  /// thread-min-work).
  bool threads = false;
  int64_t threadMinWork = 32768;
  /// How the CPU target lowers the module (useBlas and blasRuntime are the
  /// CPU pipeline's).
  HostPipeline hostPipeline = HostPipeline::CPU;
  /// The GPU code to embed for `AOTTarget::CUDA` (its `gemmPrecision` also
  /// applies to `HostPipeline::GPUEmulation`).
  CUDATargetOptions cuda;
};

/// Compiles the module at `inputPath` as `options` say. Errors name the
/// cause: a located MLIR diagnostic, an unsupported signature or target, or
/// the linker's own output.
llvm::Error compileAOT(llvm::StringRef inputPath,
                       const AOTCompileOptions &options);

} // namespace muon

#endif // MUON_COMPILER_AOTCOMPILER_H
