//===- GPUToHostLoops.cpp - Run a GPU program on the host -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The GPU pipeline's `gpu` stage as host code, so that its device memory,
// kernel mapping, launch bounds and ordering run (and are checked against
// torch) on machines without a GPU. Kernels become scf.parallel loops over
// grid × block; the asynchronous tokens are converted to nothing, because
// the host runs every operation after the ones before it.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"

#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTGPUTOHOSTLOOPSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// The values of a 1:N adaptor's operands, concatenated: one per operand,
/// none for a token.
static SmallVector<Value> flatten(ArrayRef<ValueRange> operands) {
  SmallVector<Value> values;
  for (ValueRange range : operands)
    llvm::append_range(values, range);
  return values;
}

static unsigned getDimIndex(gpu::Dimension dimension) {
  return static_cast<unsigned>(dimension);
}

/// Whether running the threads of a block one after another computes what
/// the GPU computes: they must not communicate.
static LogicalResult checkEmulable(gpu::GPUFuncOp kernel) {
  if (!kernel.getWorkgroupAttributions().empty() ||
      !kernel.getPrivateAttributions().empty())
    return kernel.emitOpError("uses workgroup or private memory, which "
                              "threads run one after another cannot share");
  if (!kernel.getBody().hasOneBlock())
    return kernel.emitOpError("has more than one block; only structured "
                              "kernels run on the host");
  WalkResult result = kernel.walk([](Operation *op) {
    if (isa<CallOpInterface>(op)) {
      op->emitOpError("calls a device function, which the host emulation "
                      "does not inline");
      return WalkResult::interrupt();
    }
    if (!isa_and_nonnull<gpu::GPUDialect>(op->getDialect()) ||
        isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GlobalIdOp, gpu::BlockDimOp,
            gpu::GridDimOp, gpu::ReturnOp, gpu::GPUFuncOp>(op))
      return WalkResult::advance();
    op->emitOpError("cannot run on the host: threads of a block run one "
                    "after another there, and this op needs them together");
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}

/// Host code may not touch a buffer itself: all of them are device memory.
static LogicalResult checkNoHostAccess(func::FuncOp func) {
  WalkResult result = func.walk([](Operation *op) {
    if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::advance();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      Value value = effect.getValue();
      if (!value || !isa<MemRefType>(value.getType()) ||
          !isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
        continue;
      op->emitOpError("reads or writes a buffer in host code; every buffer "
                      "of a GPU program is device memory, so a GPU run would "
                      "fault here");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

namespace {
/// gpu.launch_func → scf.parallel over (grid x, y, z, block x, y, z) running
/// a copy of the kernel's body.
struct LaunchFuncToParallelLoop : OpConversionPattern<gpu::LaunchFuncOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(gpu::LaunchFuncOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        op, op.getKernel());

    Location loc = op.getLoc();
    SmallVector<Value> gridSizes =
        flatten({adaptor.getGridSizeX(), adaptor.getGridSizeY(),
                 adaptor.getGridSizeZ()});
    SmallVector<Value> blockSizes =
        flatten({adaptor.getBlockSizeX(), adaptor.getBlockSizeY(),
                 adaptor.getBlockSizeZ()});
    SmallVector<Value> upperBounds(gridSizes);
    llvm::append_range(upperBounds, blockSizes);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> zeros(upperBounds.size(), zero);
    SmallVector<Value> ones(upperBounds.size(), one);
    auto loop =
        scf::ParallelOp::create(rewriter, loc, zeros, upperBounds, ones);

    IRMapping mapping;
    mapping.map(kernel.getArguments(), flatten(adaptor.getKernelOperands()));
    rewriter.setInsertionPointToStart(loop.getBody());
    for (Operation &nested : kernel.getBody().front().without_terminator())
      rewriter.clone(nested, mapping);

    SmallVector<Value> ivs(loop.getInductionVars());
    SmallVector<Operation *> indexOps;
    loop.getBody()->walk([&](Operation *nested) {
      if (isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GlobalIdOp, gpu::BlockDimOp,
              gpu::GridDimOp>(nested))
        indexOps.push_back(nested);
    });
    for (Operation *indexOp : indexOps) {
      rewriter.setInsertionPoint(indexOp);
      Value replacement =
          TypeSwitch<Operation *, Value>(indexOp)
              .Case([&](gpu::BlockIdOp id) {
                return ivs[getDimIndex(id.getDimension())];
              })
              .Case([&](gpu::ThreadIdOp id) {
                return ivs[3 + getDimIndex(id.getDimension())];
              })
              .Case([&](gpu::BlockDimOp dim) {
                return blockSizes[getDimIndex(dim.getDimension())];
              })
              .Case([&](gpu::GridDimOp dim) {
                return gridSizes[getDimIndex(dim.getDimension())];
              })
              .Case([&](gpu::GlobalIdOp id) {
                unsigned d = getDimIndex(id.getDimension());
                Value base = arith::MulIOp::create(rewriter, id.getLoc(),
                                                   ivs[d], blockSizes[d]);
                return arith::AddIOp::create(rewriter, id.getLoc(), base,
                                             ivs[3 + d])
                    .getResult();
              });
      rewriter.replaceOp(indexOp, replacement);
    }
    // The async token (if any) converts to no value.
    SmallVector<SmallVector<Value>> results(op->getNumResults());
    rewriter.replaceOpWithMultiple(op, std::move(results));
    return success();
  }
};

struct AllocToHost : OpConversionPattern<gpu::AllocOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(gpu::AllocOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value buffer = memref::AllocOp::create(
        rewriter, op.getLoc(), op.getMemref().getType(),
        flatten(adaptor.getDynamicSizes()),
        flatten(adaptor.getSymbolOperands()), IntegerAttr());
    SmallVector<SmallVector<Value>> results(op->getNumResults());
    results[0].push_back(buffer);
    rewriter.replaceOpWithMultiple(op, std::move(results));
    return success();
  }
};

/// Ops with a synchronous host counterpart that produces no value.
template <typename GPUOp> struct MemoryOpToHost : OpConversionPattern<GPUOp> {
  using OpConversionPattern<GPUOp>::OpConversionPattern;
  using OneToNOpAdaptor = typename OpConversionPattern<GPUOp>::OneToNOpAdaptor;
  LogicalResult
  matchAndRewrite(GPUOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    createHostOp(rewriter, op, adaptor);
    SmallVector<SmallVector<Value>> results(op->getNumResults());
    rewriter.replaceOpWithMultiple(op, std::move(results));
    return success();
  }

  void createHostOp(OpBuilder &b, gpu::DeallocOp op,
                    OneToNOpAdaptor adaptor) const {
    memref::DeallocOp::create(b, op.getLoc(),
                              llvm::getSingleElement(adaptor.getMemref()));
  }
  void createHostOp(OpBuilder &b, gpu::MemcpyOp op,
                    OneToNOpAdaptor adaptor) const {
    memref::CopyOp::create(b, op.getLoc(),
                           llvm::getSingleElement(adaptor.getSrc()),
                           llvm::getSingleElement(adaptor.getDst()));
  }
  void createHostOp(OpBuilder &b, gpu::MemsetOp op,
                    OneToNOpAdaptor adaptor) const {
    linalg::FillOp::create(b, op.getLoc(),
                           llvm::getSingleElement(adaptor.getValue()),
                           llvm::getSingleElement(adaptor.getDst()));
  }
  // The host waits for nothing: everything before it has run.
  void createHostOp(OpBuilder &, gpu::WaitOp, OneToNOpAdaptor) const {}
};

struct ConvertGPUToHostLoops
    : public muon::impl::ConvertGPUToHostLoopsPassBase<ConvertGPUToHostLoops> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool emulable = true;
    module.walk([&](gpu::GPUFuncOp kernel) {
      emulable &= succeeded(checkEmulable(kernel));
    });
    module.walk([&](gpu::LaunchOp launch) {
      launch.emitOpError("must be outlined first (gpu-kernel-outlining)");
      emulable = false;
    });
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (!launch.hasClusterSize() && !launch.getDynamicSharedMemorySize())
        return;
      launch.emitOpError("uses thread block clusters or dynamic shared "
                         "memory, which the host does not emulate");
      emulable = false;
    });
    for (auto func : module.getOps<func::FuncOp>())
      emulable &= succeeded(checkNoHostAccess(func));
    if (!emulable)
      return signalPassFailure();

    MLIRContext *context = &getContext();
    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion(
        [](gpu::AsyncTokenType, SmallVectorImpl<Type> &) { return success(); });

    ConversionTarget target(*context);
    target.addIllegalDialect<gpu::GPUDialect>();
    target.addLegalOp<gpu::GPUModuleOp>();
    target.markOpRecursivelyLegal<gpu::GPUModuleOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(context);
    patterns.add<LaunchFuncToParallelLoop, AllocToHost,
                 MemoryOpToHost<gpu::DeallocOp>, MemoryOpToHost<gpu::MemcpyOp>,
                 MemoryOpToHost<gpu::MemsetOp>, MemoryOpToHost<gpu::WaitOp>>(
        converter, context);
    // Tokens threaded through loops and branches of the host code.
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};
} // namespace
