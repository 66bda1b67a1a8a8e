//===- CPUPipeline.cpp - optim to LLVM for CPU execution ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"
#include "muon/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Transforms/Passes.h"

using namespace mlir;

static void addLinalgStage(OpPassManager &pm,
                           const muon::MuonCPUPipelineOptions &options) {
  pm.addPass(muon::createCheckNoNestedModulesPass());
  // Input checks report through a status result, not an abort.
  pm.addPass(muon::createAssertionsToStatusPass());
  if (options.bucket)
    pm.addPass(muon::optim::createOptimBucketPass());
  pm.addPass(muon::optim::createOptimDecomposePass());
  // With BLAS, Newton–Schulz calls the GEMM entry points the GPU pipeline
  // calls (the CPU runtime implements them on oneDNN).
  muon::ConvertOptimToLinalgPassOptions toLinalg;
  toLinalg.nsGemm = options.blas ? muon::NewtonSchulzGemm::Runtime
                                 : muon::NewtonSchulzGemm::Linalg;
  pm.addPass(muon::createConvertOptimToLinalgPass(toLinalg));
  pm.addPass(muon::createDecomposeSoftmaxPass());
  // Element-wise arith/math on whole tensors (hand-written steps) as
  // linalg.generic, which fuses and bufferizes like the rest.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  // Reductions' kept dims would stop fusion at their readers.
  pm.addNestedPass<func::FuncOp>(muon::createFoldUnitDimsPass());
  // Keeps the GEMMs named (upstream's pass folds reshapes into them).
  pm.addNestedPass<func::FuncOp>(muon::createFuseElementwisePass());
  // Scalars computed once (lr·adjust, bias corrections) are read once, before
  // the loops that use them, instead of loaded per element.
  pm.addNestedPass<func::FuncOp>(muon::createHoistScalarReadsPass());
  // The runtime GEMMs transpose their operands for free; copies do not. On
  // CPU, a loop of batched GEMMs over attention's batch dim is too.
  if (options.blas) {
    muon::FoldTransposesIntoGemmsPassOptions fold;
    fold.interleavedBatch = true;
    pm.addNestedPass<func::FuncOp>(
        muon::createFoldTransposesIntoGemmsPass(fold));
  }
  pm.addPass(createCSEPass());
}

static void addLLVMStage(OpPassManager &pm,
                         const muon::MuonCPUPipelineOptions &options) {
  if (options.blas) {
    muon::ConvertMatmulToBlasPassOptions blas;
    blas.runtime = options.blasRuntime;
    pm.addPass(muon::createConvertMatmulToBlasPass(blas));
  }
  if (options.approximateMath)
    pm.addPass(muon::createApproximateMathPass());
  muon::addHostLLVMStage(pm, options.threads
                                 ? std::optional<int64_t>(options.threadMinWork)
                                 : std::nullopt);
}

void muon::buildMuonCPUPipeline(OpPassManager &pm,
                                const MuonCPUPipelineOptions &options) {
  addLinalgStage(pm, options);
  if (options.stopAfter == CPUPipelineStage::Linalg)
    return;
  addBufferizationStage(pm);
  if (options.stopAfter == CPUPipelineStage::Bufferized)
    return;
  addLLVMStage(pm, options);
}
