//===- GPUPipeline.cpp - optim to host code + GPU kernels -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Bucketing first, so that the number of kernels and GEMMs per step depends
// on the number of buckets, not of parameters; then the bufferization the
// CPU pipeline uses, in which the update ops become their fused kernels and
// GEMM calls (lib/Conversion/OptimToKernels), device memory, the upstream
// mapping of parallel loops to the GPU, and the upstream NVVM/binary
// lowering.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"
#include "muon/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Transforms/Passes.h"

using namespace mlir;

static void addFusedStage(OpPassManager &pm,
                          const muon::MuonGPUPipelineOptions &options) {
  // NVPTX would abort on these at the end, after all the work.
  if (options.stopAfter == muon::GPUPipelineStage::LLVM) {
    muon::CheckCUDATargetPassOptions target;
    target.chip = options.chip;
    target.features = options.features;
    pm.addPass(muon::createCheckCUDATargetPass(target));
  }
  pm.addPass(muon::createCheckNoNestedModulesPass());
  // Input checks report through a status result computed on the device: the
  // host never reads the data they check.
  pm.addPass(muon::createAssertionsToStatusPass());
  // The updates keep their results themselves when a check fails, so that
  // they still update in place.
  pm.addPass(muon::optim::createOptimFoldSkipsPass());
  if (options.bucket) {
    muon::optim::OptimBucketPassOptions bucket;
    bucket.maxTemporaryBytes = options.bucketMemory;
    pm.addPass(muon::optim::createOptimBucketPass(bucket));
  }
  // What the kernels do not fuse (Muon²-F) decomposes here; its
  // `optim.newton_schulz` then lowers to GEMM calls as well.
  muon::optim::OptimDecomposePassOptions decompose;
  decompose.keepFusable = true;
  pm.addPass(muon::optim::createOptimDecomposePass(decompose));
  // The updates stay for bufferization, which forms their kernels
  // (lib/Conversion/OptimToKernels); the rest (QK-clip, ONNX optimizers)
  // takes the linalg path.
  muon::ConvertOptimToLinalgPassOptions linalg;
  linalg.keepFusable = true;
  pm.addPass(muon::createConvertOptimToLinalgPass(linalg));
  pm.addPass(muon::createDecomposeSoftmaxPass());
  // Element-wise arith/math on whole tensors (hand-written steps) as
  // linalg.generic, which fuses and bufferizes like the rest.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  // Reductions' kept dims would stop fusion at their readers.
  pm.addNestedPass<func::FuncOp>(muon::createFoldUnitDimsPass());
  // Keeps the GEMMs named (upstream's pass folds reshapes into them). The
  // device reads lr and the step count: kernels recompute their scalars,
  // and cheap element-wise producers rather than store them (memory, not
  // arithmetic, bounds its kernels).
  muon::FuseElementwisePassOptions fuse;
  fuse.fuseScalarProducers = true;
  fuse.recomputeProducers = true;
  pm.addNestedPass<func::FuncOp>(muon::createFuseElementwisePass(fuse));
  // cuBLASLt transposes operands through their layouts: no copy kernels.
  pm.addNestedPass<func::FuncOp>(muon::createFoldTransposesIntoGemmsPass());
  pm.addPass(createCSEPass());
  // A loss or a bias gradient would occupy a few blocks of the device.
  pm.addPass(muon::createSplitReductionsPass());
}

static void addGPUStage(OpPassManager &pm,
                        const muon::MuonGPUPipelineOptions &options) {
  // The matmuls of imported forward/backward graphs: cuBLASLt.
  muon::ConvertMatmulToBlasPassOptions blas;
  blas.runtime = muon::BlasRuntime::GPU;
  blas.precision = options.gemmPrecision;
  pm.addPass(muon::createConvertMatmulToBlasPass(blas));
  // Memory first: whole-buffer fills become memsets, not kernels.
  pm.addNestedPass<func::FuncOp>(muon::createConvertMemoryToGPUPass());
  // Embedding gradients: one thread per updated element, atomic adds. The
  // generic thread-loop pass then tiles the loop like its own.
  muon::ConvertScatterAddToLoopsPassOptions scatter;
  scatter.atomic = true;
  pm.addNestedPass<func::FuncOp>(
      muon::createConvertScatterAddToLoopsPass(scatter));
  muon::ConvertLinalgToThreadLoopsPassOptions threadLoops;
  threadLoops.cooperativeThreshold = options.cooperativeThreshold;
  pm.addNestedPass<func::FuncOp>(
      muon::createConvertLinalgToThreadLoopsPass(threadLoops));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  // Constants (trip counts, row sizes, strides) become part of the kernels,
  // not parameters: NVPTX then sees static loops it can unroll.
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(muon::createNameKernelsAfterModulesPass());
  // gpu-to-llvm lowers memory operations in their asynchronous form only.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(muon::createCheckNoHostAccessPass());
}

/// gpu-module-to-binary's name of `format`.
static StringRef getBinaryFormatName(muon::CUDABinaryFormat format) {
  switch (format) {
  case muon::CUDABinaryFormat::Fatbin:
    return "fatbin";
  case muon::CUDABinaryFormat::Cubin:
    return "bin";
  case muon::CUDABinaryFormat::PTX:
    return "isa";
  }
  llvm_unreachable("unknown CUDA binary format");
}

static void addLLVMStage(OpPassManager &pm,
                         const muon::MuonGPUPipelineOptions &options) {
  // Kernels and host code alike.
  pm.addPass(muon::createExpandMinifloatConversionsPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  // muon-check-cuda-target rejected what does not resolve.
  nvvm.cubinFeatures =
      llvm::expectedToOptional(
          muon::resolveCUDAFeatures(options.chip, options.features))
          .value_or(options.features);
  nvvm.cubinFormat = getBinaryFormatName(options.binaryFormat).str();
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

bool muon::CUDAChipParser::parse(llvm::cl::Option &option, StringRef argName,
                                 StringRef arg, std::string &value) {
  if (llvm::Error error = verifyCUDAChip(arg))
    return option.error(llvm::toString(std::move(error)));
  value = arg.str();
  return false;
}

void muon::buildMuonGPUPipeline(OpPassManager &pm,
                                const MuonGPUPipelineOptions &options) {
  addFusedStage(pm, options);
  if (options.stopAfter == GPUPipelineStage::Fused)
    return;
  addBufferizationStage(pm);
  if (options.stopAfter == GPUPipelineStage::Bufferized)
    return;
  addGPUStage(pm, options);
  if (options.stopAfter == GPUPipelineStage::GPU)
    return;
  addLLVMStage(pm, options);
}

void muon::buildMuonGPUEmulationPipeline(
    OpPassManager &pm, const MuonGPUEmulationPipelineOptions &options) {
  MuonGPUPipelineOptions gpu;
  gpu.bucket = options.bucket;
  gpu.bucketMemory = options.bucketMemory;
  gpu.gemmPrecision = options.gemmPrecision;
  gpu.cooperativeThreshold = options.cooperativeThreshold;
  gpu.stopAfter = GPUPipelineStage::GPU;
  buildMuonGPUPipeline(pm, gpu);
  pm.addPass(muon::createConvertGPUToHostLoopsPass());
  addHostLLVMStage(pm);
}
