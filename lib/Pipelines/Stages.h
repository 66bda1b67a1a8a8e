//===- Stages.h - Stages shared by the pipelines ----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_PIPELINES_STAGES_H
#define MUON_LIB_PIPELINES_STAGES_H

#include <cstdint>
#include <optional>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace muon {

/// One-shot bufferization of the whole module with results as caller-owned
/// out-params, then deallocation of the remaining temporaries.
void addBufferizationStage(mlir::OpPassManager &pm);

/// Bufferized host code (loops, linalg on buffers, runtime calls) to the LLVM
/// dialect with C-interface wrappers; math without an LLVM lowering calls
/// libm. With `threadMinWork`, loop nests of at least that many innermost
/// iterations run on OpenMP threads (muon-host-parallel-loops).
void addHostLLVMStage(mlir::OpPassManager &pm,
                      std::optional<int64_t> threadMinWork = std::nullopt);

} // namespace muon

#endif // MUON_LIB_PIPELINES_STAGES_H
