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

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/SetVector.h"
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

/// Where the threads of a block meet. At the top level of a kernel the host
/// runs the threads up to such an op, then the op, then the rest.
static bool isBlockSync(Operation *op) {
  return isa<gpu::BarrierOp, gpu::AllReduceOp>(op);
}

/// Replaces the GPU index ops under `root` with the host loops' indices and
/// the launch bounds.
static void replaceIndexOps(RewriterBase &rewriter, Operation *root,
                            ValueRange blockIds, ValueRange threadIds,
                            ValueRange gridSizes, ValueRange blockSizes) {
  SmallVector<Operation *> indexOps;
  root->walk([&](Operation *nested) {
    if (isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GlobalIdOp, gpu::BlockDimOp,
            gpu::GridDimOp>(nested))
      indexOps.push_back(nested);
  });
  for (Operation *indexOp : indexOps) {
    rewriter.setInsertionPoint(indexOp);
    Value replacement =
        TypeSwitch<Operation *, Value>(indexOp)
            .Case([&](gpu::BlockIdOp id) {
              return blockIds[getDimIndex(id.getDimension())];
            })
            .Case([&](gpu::ThreadIdOp id) {
              return threadIds[getDimIndex(id.getDimension())];
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
                                                 blockIds[d], blockSizes[d]);
              return arith::AddIOp::create(rewriter, id.getLoc(), base,
                                           threadIds[d])
                  .getResult();
            });
    rewriter.replaceOp(indexOp, replacement);
  }
}

/// `lhs` combined with `rhs` as `reduce` combines the values of two threads.
static Value combine(OpBuilder &b, Location loc, gpu::AllReduceOp reduce,
                     Value lhs, Value rhs) {
  if (std::optional<gpu::AllReduceOperation> kind = reduce.getOp())
    return vector::makeArithReduction(b, loc, gpu::convertReductionKind(*kind),
                                      lhs, rhs);
  Block &region = reduce.getBody().front();
  IRMapping mapping;
  mapping.map(region.getArguments(), ValueRange{lhs, rhs});
  for (Operation &op : region.without_terminator())
    b.clone(op, mapping);
  return mapping.lookup(region.getTerminator()->getOperand(0));
}

/// The body of a kernel, split at its top-level barriers and
/// all-reductions, as the host runs it for one block: each phase is a loop
/// over the block's threads; a value a later phase uses is kept per thread
/// in a buffer, and an all-reduction combines its buffer in thread order
/// into one value every later phase reads.
class PhasedBlock {
public:
  PhasedBlock(Block &body) : body(body) {
    unsigned phase = 0;
    for (Operation &op : body.without_terminator()) {
      phaseOf[&op] = phase;
      if (isBlockSync(&op))
        ++phase;
    }
    numPhases = phase + 1;
  }

  /// Checks that every value crossing phases can be kept in a buffer.
  LogicalResult collectCrossingValues(gpu::GPUFuncOp kernel) {
    for (Operation &op : body.without_terminator()) {
      if (auto reduce = dyn_cast<gpu::AllReduceOp>(op)) {
        crossing.insert(reduce.getValue());
        continue;
      }
      if (isRematerializable(&op))
        continue;
      for (Value result : op.getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              return getPhase(user) > phaseOf.lookup(&op);
            }))
          crossing.insert(result);
    }
    for (Value value : crossing)
      if (!MemRefType::isValidElementType(value.getType()) ||
          isa<ShapedType>(value.getType()))
        return kernel.emitOpError("cannot run on the host: a value of type ")
               << value.getType() << " lives across a barrier or all-reduction";
    return success();
  }

  void build(RewriterBase &rewriter, Location loc, IRMapping &mapping,
             ValueRange blockIds, ValueRange gridSizes, ValueRange blockSizes) {
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value threads = arith::MulIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, blockSizes[0], blockSizes[1]),
        blockSizes[2]);
    DenseMap<Value, Value> slots;
    for (Value value : crossing)
      slots[value] = memref::AllocOp::create(
          rewriter, loc,
          MemRefType::get({ShapedType::kDynamic}, value.getType()),
          ValueRange{threads});

    auto phaseStart = body.begin();
    for (unsigned phase = 0; phase < numPhases; ++phase) {
      auto phaseEnd =
          std::find_if(phaseStart, std::prev(body.end()),
                       [](Operation &op) { return isBlockSync(&op); });
      auto loop = scf::ParallelOp::create(rewriter, loc, {zero, zero, zero},
                                          blockSizes, {one, one, one});
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
      ValueRange ids = loop.getInductionVars();
      // x fastest, as the GPU numbers the threads of a block.
      Value thread = arith::AddIOp::create(
          rewriter, loc, ids[0],
          arith::MulIOp::create(
              rewriter, loc, blockSizes[0],
              arith::AddIOp::create(rewriter, loc, ids[1],
                                    arith::MulIOp::create(rewriter, loc,
                                                          blockSizes[1],
                                                          ids[2]))));
      for (Value value : crossing)
        if (!isa<BlockArgument>(value) &&
            phaseOf.lookup(value.getDefiningOp()) < phase &&
            llvm::any_of(value.getUsers(), [&](Operation *user) {
              return getPhase(user) == phase;
            }))
          mapping.map(value, memref::LoadOp::create(rewriter, loc, slots[value],
                                                    thread));
      for (Operation &op : llvm::make_range(body.begin(), phaseStart))
        if (isRematerializable(&op))
          rewriter.clone(op, mapping);
      for (Operation &op : llvm::make_range(phaseStart, phaseEnd))
        rewriter.clone(op, mapping);
      for (Value value : crossing)
        if (isa<BlockArgument>(value) ||
            phaseOf.lookup(value.getDefiningOp()) == phase)
          memref::StoreOp::create(rewriter, loc, mapping.lookupOrDefault(value),
                                  slots[value], thread);
      replaceIndexOps(rewriter, loop, blockIds, ids, gridSizes, blockSizes);
      rewriter.setInsertionPointAfter(loop);
      if (phaseEnd == std::prev(body.end()))
        break;
      if (auto reduce = dyn_cast<gpu::AllReduceOp>(*phaseEnd)) {
        Value slot = slots[reduce.getValue()];
        Value first = memref::LoadOp::create(rewriter, loc, slot, zero);
        auto fold = scf::ForOp::create(
            rewriter, loc, one, threads, one, ValueRange{first},
            [&](OpBuilder &b, Location nested, Value i, ValueRange acc) {
              Value next = memref::LoadOp::create(b, nested, slot, i);
              scf::YieldOp::create(
                  b, nested, combine(b, nested, reduce, acc.front(), next));
            });
        mapping.map(reduce.getResult(), fold.getResult(0));
      }
      phaseStart = std::next(phaseEnd);
    }
    for (Value value : crossing)
      memref::DeallocOp::create(rewriter, loc, slots[value]);
  }

private:
  /// Ids, launch bounds and constants: recomputed in each phase that uses
  /// them rather than kept per thread.
  static bool isRematerializable(Operation *op) {
    return op->hasTrait<OpTrait::ConstantLike>() ||
           isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GlobalIdOp,
               gpu::BlockDimOp, gpu::GridDimOp>(op);
  }

  /// The phase of `op`'s top-level ancestor in the kernel.
  unsigned getPhase(Operation *op) const {
    return phaseOf.lookup(body.findAncestorOpInBlock(*op));
  }

  Block &body;
  DenseMap<Operation *, unsigned> phaseOf;
  unsigned numPhases;
  llvm::SetVector<Value> crossing;
};

/// Whether the host computes what the GPU computes, running the threads of
/// a block one after another between the kernel's top-level barriers and
/// all-reductions: the threads must not communicate otherwise.
static LogicalResult checkEmulable(gpu::GPUFuncOp kernel) {
  if (!kernel.getWorkgroupAttributions().empty() ||
      !kernel.getPrivateAttributions().empty())
    return kernel.emitOpError("uses workgroup or private memory, which "
                              "threads run one after another cannot share");
  if (!kernel.getBody().hasOneBlock())
    return kernel.emitOpError("has more than one block; only structured "
                              "kernels run on the host");
  Block *body = &kernel.getBody().front();
  WalkResult result = kernel.walk([&](Operation *op) {
    if (isa<CallOpInterface>(op)) {
      op->emitOpError("calls a device function, which the host emulation "
                      "does not inline");
      return WalkResult::interrupt();
    }
    if (isBlockSync(op) && op->getBlock() == body) {
      auto reduce = dyn_cast<gpu::AllReduceOp>(op);
      if (!reduce || reduce.getOp() || reduce.getBody().hasOneBlock())
        return WalkResult::skip();
    }
    if (!isa_and_nonnull<gpu::GPUDialect>(op->getDialect()) ||
        isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GlobalIdOp, gpu::BlockDimOp,
            gpu::GridDimOp, gpu::ReturnOp, gpu::GPUFuncOp>(op))
      return WalkResult::advance();
    op->emitOpError("cannot run on the host: threads of a block run one "
                    "after another there, and this op needs them together "
                    "(only barriers and all-reductions at the top level of "
                    "a kernel are emulated)");
    return WalkResult::interrupt();
  });
  if (result.wasInterrupted())
    return failure();
  return PhasedBlock(*body).collectCrossingValues(kernel);
}

namespace {
/// gpu.launch_func → scf.parallel over (grid x, y, z, block x, y, z) running
/// a copy of the kernel's body; a kernel with barriers or all-reductions
/// runs as a loop over the grid around one loop over the block per phase.
struct LaunchFuncToParallelLoop : OpConversionPattern<gpu::LaunchFuncOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(gpu::LaunchFuncOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        op, op.getKernel());
    Block &body = kernel.getBody().front();
    PhasedBlock phases(body);
    (void)phases.collectCrossingValues(kernel);

    Location loc = op.getLoc();
    SmallVector<Value> gridSizes =
        flatten({adaptor.getGridSizeX(), adaptor.getGridSizeY(),
                 adaptor.getGridSizeZ()});
    SmallVector<Value> blockSizes =
        flatten({adaptor.getBlockSizeX(), adaptor.getBlockSizeY(),
                 adaptor.getBlockSizeZ()});
    IRMapping mapping;
    mapping.map(kernel.getArguments(), flatten(adaptor.getKernelOperands()));
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);

    if (llvm::any_of(body,
                     [](Operation &nested) { return isBlockSync(&nested); })) {
      auto grid = scf::ParallelOp::create(rewriter, loc, {zero, zero, zero},
                                          gridSizes, {one, one, one});
      rewriter.setInsertionPoint(grid.getBody()->getTerminator());
      phases.build(rewriter, loc, mapping, grid.getInductionVars(), gridSizes,
                   blockSizes);
    } else {
      SmallVector<Value> upperBounds(gridSizes);
      llvm::append_range(upperBounds, blockSizes);
      SmallVector<Value> zeros(upperBounds.size(), zero);
      SmallVector<Value> ones(upperBounds.size(), one);
      auto loop =
          scf::ParallelOp::create(rewriter, loc, zeros, upperBounds, ones);
      rewriter.setInsertionPointToStart(loop.getBody());
      for (Operation &nested : body.without_terminator())
        rewriter.clone(nested, mapping);
      ValueRange ivs = loop.getInductionVars();
      replaceIndexOps(rewriter, loop, ivs.take_front(3), ivs.drop_front(3),
                      gridSizes, blockSizes);
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
