//===- CPUPipeline.cpp - optim to LLVM for CPU execution ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"
#include "muon/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

using namespace mlir;

static void addLinalgStage(OpPassManager &pm,
                           const muon::MuonCPUPipelineOptions &options) {
  if (options.bucket)
    pm.addPass(muon::optim::createOptimBucket());
  pm.addPass(muon::optim::createOptimDecompose());
  pm.addPass(muon::optim::createConvertOptimToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCSEPass());
}

void muon::addBufferizationStage(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));

  // Callers own every buffer: results become out-params, and a result
  // computed into a fresh allocation is computed into the caller's buffer.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
}

static void addLLVMStage(OpPassManager &pm,
                         const muon::MuonCPUPipelineOptions &options) {
  if (options.blas) {
    muon::optim::ConvertMatmulToBlasOptions blas;
    blas.runtime =
        options.blasRuntime == muon::BlasRuntime::GPU ? "gpu" : "cpu";
    pm.addPass(muon::optim::createConvertMatmulToBlas(blas));
  }
  muon::addHostLLVMStage(pm);
}

void muon::addHostLLVMStage(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createConvertToLLVMPass());
  // Math without an LLVM lowering (erf, in imported GELUs) calls libm, which
  // the JIT process and AOT libraries (-lm) link; only what convert-to-llvm
  // left is touched (libm has no rsqrtf, for one), then the calls lowered.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
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
