//===- Pipelines.h - End-to-end muon-mlir pipelines -------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_PIPELINES_PIPELINES_H
#define MUON_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace muon {

/// Where the CPU pipeline may stop so that each stage can be inspected.
enum class CPUPipelineStage { Linalg, Bufferized, LLVM };

struct MuonCPUPipelineOptions
    : public mlir::PassPipelineOptions<MuonCPUPipelineOptions> {
  PassOptions::Option<CPUPipelineStage> stopAfter{
      *this, "stop-after",
      llvm::cl::desc("Last stage to run (default: llvm)"),
      llvm::cl::init(CPUPipelineStage::LLVM),
      llvm::cl::values(
          clEnumValN(CPUPipelineStage::Linalg, "linalg",
                     "optim lowered and fused, still on tensors"),
          clEnumValN(CPUPipelineStage::Bufferized, "bufferized",
                     "on memrefs, results as out-params, loops not yet "
                     "lowered"),
          clEnumValN(CPUPipelineStage::LLVM, "llvm",
                     "LLVM dialect with C-interface wrappers"))};
  PassOptions::Option<bool> bucket{
      *this, "bucket",
      llvm::cl::desc("Batch same-shaped optimizer updates into one op per "
                     "bucket first (optim-bucket). Off on CPU: the runtime "
                     "still runs one GEMM per matrix, so packing only adds "
                     "copies (measured ~14% slower on GPT-2 layers)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> blas{
      *this, "blas",
      llvm::cl::desc("Run f32 and bf16 GEMMs through the CPU runtime's "
                     "OpenBLAS calls instead of generated loops"),
      llvm::cl::init(true)};
};

/// optim ops on tensors -> LLVM dialect for the execution engine or an object
/// file. Public functions take their results as trailing out-params (caller
/// allocated, static shapes) and get `_mlir_ciface_` wrappers taking one
/// pointer to a memref descriptor per argument.
void buildMuonCPUPipeline(mlir::OpPassManager &pm,
                          const MuonCPUPipelineOptions &options);

/// Registers `muon-cpu-pipeline` (and later pipelines) with the pass registry.
void registerMuonPipelines();

} // namespace muon

#endif // MUON_PIPELINES_PIPELINES_H
