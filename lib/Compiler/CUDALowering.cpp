//===- CUDALowering.cpp - Lower a step for muon-compile --target=cuda -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Compiler/CUDALowering.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Pipelines/Pipelines.h"

using namespace mlir;

namespace {

/// Fails on host code that would touch memory: in the interim lowering every
/// buffer is the caller's device memory, so a host-side load, store, copy or
/// allocation left outside `gpu.launch` (scalar hyper-parameters read on the
/// host, temporaries) would fault at run time. A located compile-time error
/// instead.
struct CheckHostCodeLaunchesOnly
    : PassWrapper<CheckHostCodeLaunchesOnly, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckHostCodeLaunchesOnly)

  StringRef getArgument() const final {
    return "muon-check-host-code-launches-only";
  }

  void runOnOperation() override {
    auto touchesMemory = [](Operation *op) {
      if (isa<gpu::LaunchOp, func::ReturnOp, ViewLikeOpInterface>(op))
        return false;
      return llvm::any_of(op->getOperandTypes(), llvm::IsaPred<MemRefType>) ||
             llvm::any_of(op->getResultTypes(), llvm::IsaPred<MemRefType>);
    };
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isa<gpu::LaunchOp>(op))
          return WalkResult::skip();
        if (!touchesMemory(op))
          return WalkResult::advance();
        op->emitError() << "'" << op->getName()
                        << "' would access device memory from host code; "
                           "the interim CUDA lowering runs only steps whose "
                           "work maps entirely onto GPU kernels (until "
                           "--muon-gpu-pipeline lands)";
        return WalkResult::interrupt();
      });
      if (result.wasInterrupted())
        return signalPassFailure();
    }
  }
};

/// Upstream's generic path, until `--muon-gpu-pipeline` exists: the CPU
/// pipeline up to bufferization, linalg as parallel loops tiled onto blocks
/// of threads, then upstream's gpu-lower-to-nvvm-pipeline (kernel outlining,
/// NVVM, gpu-module-to-binary, host code calling mgpu*).
void buildInterimCUDALowering(OpPassManager &pm,
                              const muon::CUDATargetOptions &options) {
  muon::MuonCPUPipelineOptions bufferize;
  bufferize.stopAfter = muon::CPUPipelineStage::Bufferized;
  bufferize.blas = false;
  muon::buildMuonCPUPipeline(pm, bufferize);

  OpPassManager &funcPM = pm.nest<func::FuncOp>();
  funcPM.addPass(createConvertLinalgToParallelLoopsPass());
  funcPM.addPass(createParallelLoopTilingPass({1, 128}));
  funcPM.addPass(createCanonicalizerPass());
  funcPM.addPass(createGpuMapParallelLoopsPass());
  pm.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(std::make_unique<CheckHostCodeLaunchesOnly>());
  pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());

  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  switch (options.format) {
  case muon::CUDABinaryFormat::Fatbin:
    nvvm.cubinFormat = "fatbin";
    break;
  case muon::CUDABinaryFormat::Cubin:
    nvvm.cubinFormat = "bin";
    break;
  case muon::CUDABinaryFormat::PTX:
    nvvm.cubinFormat = "isa";
    break;
  }
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

} // namespace

void muon::buildCUDALowering(OpPassManager &pm,
                             const CUDATargetOptions &options) {
  // TODO(gpu-pipeline): the one place to switch to the project's pipeline
  // once it is merged:
  //   MuonGPUPipelineOptions gpu;  // chip/features/format from `options`
  //   buildMuonGPUPipeline(pm, gpu);
  buildInterimCUDALowering(pm, options);
}

void muon::registerCUDATranslations(MLIRContext &context) {
  DialectRegistry registry;
  registerGPUDialectTranslation(registry);
  // `#gpu.select_object`, which embeds the binary and its load/unload.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  context.appendDialectRegistry(registry);
}
