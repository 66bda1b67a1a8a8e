//===- Registration.cpp - Register the muon-mlir pipelines ----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Pipelines/Pipelines.h"

#include "muon/Pass/ListedOptions.h"

using namespace mlir;

void muon::registerMuonPipelines() {
  registerPipelineWithListedOptions<MuonCPUPipelineOptions>(
      "muon-cpu-pipeline",
      "Lower optim ops on tensors to the LLVM dialect for CPU execution "
      "(optional bucketing, decompose, linalg, fusion, one-shot bufferization "
      "with out-params, "
      "loops, LLVM with C-interface wrappers)",
      buildMuonCPUPipeline);
  registerPipelineWithListedOptions<MuonGPUPipelineOptions>(
      "muon-gpu-pipeline",
      "Lower optim ops on tensors to host code calling the GPU runtime and "
      "kernels embedded as a fatbin (bucketing, fused kernels, GEMM calls, "
      "one-shot bufferization with out-params, device memory, gpu dialect, "
      "NVVM, gpu-module-to-binary)",
      buildMuonGPUPipeline);
  registerPipelineWithListedOptions<MuonGPUEmulationPipelineOptions>(
      "muon-gpu-emulation-pipeline",
      "muon-gpu-pipeline up to its gpu stage, then kernels and device memory "
      "operations on the host (convert-gpu-to-host-loops) lowered to the "
      "LLVM dialect like the CPU pipeline: the GPU program run without a GPU",
      buildMuonGPUEmulationPipeline);
}
