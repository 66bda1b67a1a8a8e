//===- CUDALowering.h - Lower a step for muon-compile --target=cuda -*- C++
//-*-//
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

#include <string>

namespace mlir {
class MLIRContext;
class OpPassManager;
} // namespace mlir

namespace muon {

/// What `gpu-module-to-binary` embeds in the host code.
enum class CUDABinaryFormat {
  /// cubin for the chip plus its PTX, which newer GPUs' drivers can JIT.
  Fatbin,
  /// cubin only.
  Cubin,
  /// PTX only, compiled by the driver when first loaded.
  PTX,
};

/// The GPU code to generate.
struct CUDATargetOptions {
  /// SM architecture of the kernels, e.g. `sm_90` (H100/H200) or `sm_80`.
  std::string chip = "sm_90";
  /// NVPTX features; sm_90 needs PTX ISA 7.8 or newer (LLVM defaults
  /// older), kernels with more than 4 KB of parameters (buckets of many
  /// tensors, BucketBuffers.h) 8.1 or newer.
  std::string features = "+ptx86";
  CUDABinaryFormat format = CUDABinaryFormat::Fatbin;
};

/// Adds the lowering from optim/linalg on tensors to LLVM-dialect host code
/// plus a `gpu.binary` to `pm`.
void buildCUDALowering(mlir::OpPassManager &pm,
                       const CUDATargetOptions &options);

/// Registers the LLVM IR translations of what the lowering leaves in the
/// module (`gpu.binary`, NVVM) with `context`.
void registerCUDATranslations(mlir::MLIRContext &context);

} // namespace muon

#endif // MUON_COMPILER_CUDALOWERING_H
