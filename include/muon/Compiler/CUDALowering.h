//===- CUDALowering.h - Steps for muon-compile --target=cuda ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The passes that take a step from tensors to host code in the LLVM dialect
// with its kernels embedded as a GPU binary, calling runtime/cuda: public
// functions take memref descriptors of device memory, results as trailing
// out-params, with `_mlir_ciface_` wrappers.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_COMPILER_CUDALOWERING_H
#define MUON_COMPILER_CUDALOWERING_H

#include "muon/Pipelines/Pipelines.h"

namespace mlir {
class MLIRContext;
class OpPassManager;
} // namespace mlir

namespace muon {

/// Adds the lowering from optim/linalg on tensors to LLVM-dialect host code
/// plus a `gpu.binary` to `pm`.
void buildCUDALowering(mlir::OpPassManager &pm,
                       const CUDATargetOptions &options);

/// Registers the LLVM IR translations of what the lowering leaves in the
/// module (`gpu.binary`, NVVM) with `context`.
void registerCUDATranslations(mlir::MLIRContext &context);

} // namespace muon

#endif // MUON_COMPILER_CUDALOWERING_H
