//===- Stages.cpp - Stages shared by the pipelines ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "Stages.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Conversion/Passes.h"
#include "muon/Transforms/Passes.h"

using namespace mlir;

void muon::addBufferizationStage(OpPassManager &pm) {
  // Results tied to an argument (`optim.aliasing_output`, muon-compile's
  // in-place ABI) are computed into its buffer: empty-tensor elimination
  // lets an elementwise update write there directly instead of through a
  // temporary, and the then redundant results are dropped before the rest
  // become out-params. Without the marking these passes change nothing.
  pm.addNestedPass<func::FuncOp>(muon::createMaterializeAliasedResultsPass());
  // An init CSE shared between writers: a filled one would be copied for
  // each of them, an empty one makes one alias set of all of them.
  pm.addNestedPass<func::FuncOp>(muon::createDuplicateSharedInitsPass());
  pm.addNestedPass<func::FuncOp>(muon::createDistinctReturnedValuesPass());
  // The parts of a concatenation (the Q, K, V gradients of a fused
  // projection) are computed into their slices, not copied there.
  pm.addNestedPass<func::FuncOp>(muon::createInsertSlicesInPlacePass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // A loop carrying an update (steps of an optimizer in an scf.for) yields
  // a new buffer where it cannot update in place.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(muon::createDropAliasedResultsPass());

  // Callers own every buffer: results become out-params, and a result
  // computed into a fresh allocation is computed into the caller's buffer.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());
  // Deallocation frees at the end of the function: temporaries would all
  // be live at once.
  pm.addNestedPass<func::FuncOp>(muon::createEarlyDeallocationPass());
}

void muon::addHostLLVMStage(OpPassManager &pm,
                            std::optional<int64_t> threadMinWork) {
  // The embedding gradients, as a loop nest (the GPU stage made atomic
  // loops of them already).
  pm.addNestedPass<func::FuncOp>(muon::createConvertScatterAddToLoopsPass());
  pm.addNestedPass<func::FuncOp>(
      muon::createConvertLinalgReductionsToLoopsPass());
  pm.addNestedPass<func::FuncOp>(muon::createStridedCopiesToLinalgPass());
  if (threadMinWork) {
    // Parallel dims become scf.parallel; the loops worth a thread team go to
    // OpenMP, the others back to serial loops.
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
    muon::HostParallelLoopsPassOptions parallel;
    parallel.minWork = *threadMinWork;
    pm.addPass(muon::createHostParallelLoopsPass(parallel));
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the alloca scopes of loop bodies without allocas (before
    // scf-to-cf splits the inner loops into blocks they cannot hold).
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  }
  // Before lower-affine: views at loop-dependent offsets (a GEMM looped over
  // a batch dim) expand to affine.apply.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // No __truncsfbf2 libcalls, which not every libgcc has.
  pm.addNestedPass<func::FuncOp>(muon::createExpandBF16ConversionsPass());
  pm.addPass(muon::createExpandMinifloatConversionsPass());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // The translation to LLVM IR analyses a region's whole function once per
  // parallel region: one function per region keeps that linear.
  pm.addPass(muon::createOutlineParallelRegionsPass());
  // Temporaries come from the CPU runtime's caching allocator
  // (runtime/cpu/HostAllocator.cpp): malloc would hand a step's large
  // buffers back to the kernel between calls and page-fault them in again.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertToLLVMPass());
  // Math without an LLVM lowering (erf, in imported GELUs) calls libm, which
  // the JIT process and AOT libraries (-lm) link; only what convert-to-llvm
  // left is touched (libm has no rsqrtf, for one), then the calls lowered.
  pm.addPass(muon::createCheckLibmNamesPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
