//===- InitAll.h - Register everything muon-mlir provides -------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The one list of what muon-mlir adds to an MLIR tool: muon-opt, the
// mlir-opt plugin, the C API and out-of-tree compilers call these instead of
// repeating it.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_INITALL_H
#define MUON_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace muon {

/// Adds the optim dialect to `registry`, with the bufferization of its
/// update ops into fused kernels. The upstream dialects its passes produce
/// are loaded by the passes themselves (getDependentDialects).
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every muon-mlir pass (optim dialect transforms, conversions,
/// generic transforms) and pipeline (muon-cpu-pipeline, ...) with the global
/// pass registry, so `--pass-pipeline` strings can name them. Idempotent.
void registerAllPasses();

} // namespace muon

#endif // MUON_INITALL_H
