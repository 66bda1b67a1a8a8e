//===- JitRunner.h - Run a function of an MLIR module on CPU ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs one function of a module on tensors: lowers the module with the muon
// CPU pipeline, JIT-compiles it with the upstream ExecutionEngine and calls
// the function's `_mlir_ciface_` wrapper with caller-allocated buffers.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNNER_JITRUNNER_H
#define MUON_RUNNER_JITRUNNER_H

#include "muon/Pipelines/Pipelines.h"
#include "muon/Step/HostTensor.h"
#include "muon/Step/StepModule.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace muon {

struct JitRunnerOptions {
  /// The function to run; empty selects the module's only public function.
  std::string functionName;
  /// Shared libraries that compiled code may call into, loaded after the MLIR
  /// C runner utilities (which provide `memrefCopy` and friends). Their
  /// entry points must be exported symbols.
  llvm::SmallVector<std::string> sharedLibPaths;
  HostPipeline pipeline = HostPipeline::CPU;
  /// Batch same-shaped optimizer updates first (the `optim-bucket` pass);
  /// unset, the pipeline's default (off on CPU, on in the GPU emulation).
  std::optional<bool> bucket;
  /// GPU emulation: reduction length from which a block of threads reduces
  /// each output element (the GPU pipelines' `cooperative-threshold`).
  int64_t cooperativeThreshold = 32;
  /// Run GEMMs through the project's CPU runtime (oneDNN), else as loops.
  bool useBlas = true;
  /// After the call that produces the results, time this many more calls
  /// (on scratch copies of the buffers; compilation and I/O excluded).
  unsigned benchmarkRepetitions = 0;
  /// Print the module to stderr once the pipeline has lowered it to LLVM.
  bool printIRAfterPipeline = false;
  /// Most bytes the function's arguments and results may take together: a
  /// larger signature is refused by `load` instead of aborting in malloc.
  uint64_t maxTensorBytes = getHostMemoryBytes();
};

/// A loaded module and the function in it to run.
class JitRunner {
public:
  /// Parses and verifies the module at `path` (text or bytecode, `-` for
  /// stdin), selects the function and checks that every argument and result
  /// is a statically shaped tensor of a supported element type. Nothing is
  /// compiled yet, so signature errors come fast.
  static llvm::Expected<std::unique_ptr<JitRunner>>
  load(llvm::StringRef path, JitRunnerOptions options);

  ~JitRunner();

  const FunctionSignature &getSignature() const;

  /// Checks that `inputs` match the function's arguments in count, element
  /// type and shape. NumPy has no bfloat16, so an f32 value given for a bf16
  /// argument is rounded to bf16 in place.
  llvm::Error matchInputs(llvm::MutableArrayRef<HostTensor> inputs) const;

  /// The same check of `expected` against the function's results.
  llvm::Error matchResults(llvm::MutableArrayRef<HostTensor> expected) const;

  /// Lowers and JIT-compiles the module, then calls the function. `inputs`
  /// must already match the signature (see `matchInputs`) and are not
  /// modified. Lowering rewrites the module, so call this once.
  llvm::Expected<llvm::SmallVector<HostTensor>>
  run(llvm::ArrayRef<HostTensor> inputs);

  /// Wall-clock time of each timed call of the last `run`, in milliseconds.
  llvm::ArrayRef<double> getBenchmarkTimesMs() const;

private:
  struct Impl;
  explicit JitRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace muon

#endif // MUON_RUNNER_JITRUNNER_H
