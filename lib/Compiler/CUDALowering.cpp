//===- CUDALowering.cpp - Lower a step for muon-compile --target=cuda -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Compiler/CUDALowering.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "muon/Pipelines/Pipelines.h"

using namespace mlir;

void muon::buildCUDALowering(OpPassManager &pm,
                             const CUDATargetOptions &options) {
  MuonGPUPipelineOptions gpu;
  gpu.chip = options.chip;
  gpu.features = options.features;
  gpu.binaryFormat = options.format;
  gpu.gemmPrecision = options.gemmPrecision;
  gpu.bucketMemory = options.bucketMemory;
  buildMuonGPUPipeline(pm, gpu);
}

void muon::registerCUDATranslations(MLIRContext &context) {
  DialectRegistry registry;
  registerGPUDialectTranslation(registry);
  // `#gpu.select_object`, which embeds the binary and its load/unload.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  context.appendDialectRegistry(registry);
}
