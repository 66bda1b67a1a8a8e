//===- LinalgToThreadLoops.cpp - linalg on buffers to block × thread loops ===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The ops the fused kernels do not cover (QK-clip's and Muon²-F's
// generics, imported forward and backward ops) reach the GPU through this
// generic path: parallel dims
// collapsed into one, tiled by the block size, so that consecutive threads
// take consecutive elements; reduction dims run sequentially per thread,
// unless they are long enough for a block per output element
// (CooperativeReduction.cpp).
//
//===----------------------------------------------------------------------===//

#include "CooperativeReduction.h"
#include "muon/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTLINALGTOTHREADLOOPSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// Single-level `scf.parallel`s at the top of the function: the loops
/// `linalgOpToParallelLoops` produced (kernel nests are two-level).
static SmallVector<scf::ParallelOp> getSingleLevelLoops(Operation *root) {
  SmallVector<scf::ParallelOp> loops;
  root->walk([&](scf::ParallelOp loop) {
    if (loop->getParentOfType<scf::ParallelOp>())
      return;
    WalkResult nested = loop.getBody()->walk(
        [](scf::ParallelOp) { return WalkResult::interrupt(); });
    if (!nested.wasInterrupted())
      loops.push_back(loop);
  });
  return loops;
}

/// `op` with its parallel dims outermost: loops are generated in dim order,
/// and a reduction dim outside a parallel one would be a host loop around
/// kernel launches.
static FailureOr<linalg::LinalgOp> hoistParallelDims(RewriterBase &rewriter,
                                                     linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (bool parallel : {true, false})
    for (auto [dim, iterator] : llvm::enumerate(iterators))
      if (linalg::isParallelIterator(iterator) == parallel)
        order.push_back(dim);
  if (llvm::is_sorted(order))
    return op;
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    FailureOr<linalg::GenericOp> generalized =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generalized))
      return failure();
    generic = *generalized;
  }
  FailureOr<linalg::GenericOp> interchanged =
      linalg::interchangeGenericOp(rewriter, generic, order);
  if (failed(interchanged))
    return failure();
  return cast<linalg::LinalgOp>(interchanged->getOperation());
}

/// Whether two index values are equal: the same value, or the results of
/// equivalent ops on the same operands (loop lowering computes each access's
/// indices with its own `affine.apply`s).
static bool isSameIndex(Value a, Value b) {
  if (a == b)
    return true;
  Operation *defA = a.getDefiningOp(), *defB = b.getDefiningOp();
  return defA && defB &&
         cast<OpResult>(a).getResultNumber() ==
             cast<OpResult>(b).getResultNumber() &&
         OperationEquivalence::isEquivalentTo(
             defA, defB, OperationEquivalence::IgnoreLocations);
}

/// The load in `loop`'s body of the element `store` writes, if it is the
/// only other access to that buffer in the loop, before the store, and the
/// loop varies neither the buffer nor the indices (an output element
/// accumulated over a reduction dim).
static memref::LoadOp getAccumulatorLoad(scf::ForOp loop,
                                         memref::StoreOp store) {
  Value buffer = store.getMemRef();
  auto invariant = [&](Value value) {
    return loop.isDefinedOutsideOfLoop(value);
  };
  if (!invariant(buffer) || !llvm::all_of(store.getIndices(), invariant))
    return nullptr;
  memref::LoadOp load;
  for (Operation *user : buffer.getUsers()) {
    if (user == store || !loop->isAncestor(user))
      continue;
    auto candidate = dyn_cast<memref::LoadOp>(user);
    if (load || !candidate || candidate->getBlock() != store->getBlock() ||
        !candidate->isBeforeInBlock(store) ||
        !llvm::all_of_zip(candidate.getIndices(), store.getIndices(),
                          isSameIndex))
      return nullptr;
    load = candidate;
  }
  return load;
}

/// Carries `loop`'s accumulators (getAccumulatorLoad) in registers: each is
/// loaded once before the loop, threaded through it as an iter_arg and
/// stored once after it. Loop-lowered linalg reads and writes the output
/// element on every iteration, and the backend cannot keep it in a register
/// without knowing that the kernel's buffers do not alias: on an H200 a
/// bias gradient over 8192 tokens then took 2.95 ms, ~360 ns per iteration,
/// the round trip of a store and the load that reads it back.
static void promoteAccumulators(RewriterBase &rewriter, scf::ForOp loop) {
  // The indices' computations first, so that they are seen as invariant.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  SmallVector<std::pair<memref::LoadOp, memref::StoreOp>> accumulators;
  for (auto store : loop.getBody()->getOps<memref::StoreOp>())
    if (memref::LoadOp load = getAccumulatorLoad(loop, store))
      accumulators.push_back({load, store});
  if (accumulators.empty())
    return;
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (auto [load, store] : accumulators)
    inits.push_back(memref::LoadOp::create(
        rewriter, load.getLoc(), load.getMemRef(), load.getIndices()));
  unsigned first = loop.getNumResults();
  FailureOr<LoopLikeOpInterface> carried = loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return llvm::map_to_vector(accumulators, [](auto accumulator) {
          return accumulator.second.getValueToStore();
        });
      });
  auto newLoop = cast<scf::ForOp>(carried->getOperation());
  rewriter.setInsertionPointAfter(newLoop);
  for (auto [index, accumulator] : llvm::enumerate(accumulators)) {
    auto [load, store] = accumulator;
    rewriter.replaceAllUsesWith(load.getResult(),
                                newLoop.getRegionIterArgs()[first + index]);
    memref::StoreOp::create(rewriter, store.getLoc(),
                            newLoop.getResult(first + index), store.getMemRef(),
                            store.getIndices());
    rewriter.eraseOp(store);
    rewriter.eraseOp(load);
  }
}

/// Replaces the loads of `buffer` in `root` by `value` if none of them runs
/// inside a loop of `root` (each output element's accumulator is loaded
/// once, carried in registers): true if they were all replaced.
static bool replaceInitialLoads(RewriterBase &rewriter, Operation *root,
                                Value buffer, Value value) {
  SmallVector<memref::LoadOp> loads;
  WalkResult walk = root->walk([&](memref::LoadOp load) {
    if (load.getMemRef() != buffer)
      return WalkResult::advance();
    if (load->getParentOfType<scf::ForOp>() &&
        root->isProperAncestor(load->getParentOfType<scf::ForOp>()))
      return WalkResult::interrupt();
    loads.push_back(load);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return false;
  for (memref::LoadOp load : loads)
    rewriter.replaceOp(load, value);
  return true;
}

/// Loops of `op` in the current block: an scf.parallel over its parallel
/// dims around scf.for over its reductions, which carry the output element
/// in a register; an output just filled with a constant
/// (getOverwrittenFill) starts from that constant, and its memset goes. An
/// op without parallel dims (a full reduction, a 0-d computation) runs
/// inside a one-iteration scf.parallel, i.e. on one GPU thread: never on the
/// host.
static LogicalResult buildThreadLoops(RewriterBase &rewriter,
                                      linalg::LinalgOp op) {
  bool aliased = llvm::any_of(op.getDpsInputs(), [&](Value input) {
    return llvm::is_contained(op.getDpsInits(), input);
  });
  SmallVector<std::pair<Value, gpu::MemsetOp>> fills;
  if (!aliased && op.getNumReductionLoops() > 0)
    for (OpOperand &init : op.getDpsInitsMutable())
      if (gpu::MemsetOp fill = muon::getOverwrittenFill(op, init))
        fills.push_back({init.get(), fill});

  FailureOr<linalg::LinalgLoops> loops;
  Operation *root;
  if (op.getNumParallelLoops() > 0) {
    loops = linalg::linalgOpToParallelLoops(rewriter, op);
    root = succeeded(loops) ? loops->front() : nullptr;
  } else {
    Location loc = op.getLoc();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto single = scf::ParallelOp::create(rewriter, loc, zero, one, one);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(single.getBody()->getTerminator());
    loops = linalg::linalgOpToLoops(rewriter, op);
    root = single;
  }
  if (failed(loops))
    return failure();
  if (aliased)
    return success();
  OpBuilder::InsertionGuard guard(rewriter);
  // Innermost first: an inner loop's accumulator, once carried, is loaded
  // and stored around it in the next loop's body.
  for (Operation *loop : llvm::reverse(*loops))
    if (auto forOp = dyn_cast<scf::ForOp>(loop))
      promoteAccumulators(rewriter, forOp);
  llvm::SmallPtrSet<Operation *, 2> erased;
  for (auto [buffer, fill] : fills)
    if (!erased.contains(fill) &&
        replaceInitialLoads(rewriter, root, buffer, fill.getValue())) {
      erased.insert(fill);
      rewriter.eraseOp(fill);
    }
  return success();
}

namespace {
/// How many output elements `op` computes and how many elements each
/// reduces (the products of its parallel and its reduction extents).
struct IterationCounts {
  int64_t outputs = 1;
  int64_t reduced = 1;
};
} // namespace

static std::optional<IterationCounts> getIterationCounts(linalg::LinalgOp op) {
  IterationCounts counts;
  for (auto [iterator, extent] :
       llvm::zip(op.getIteratorTypesArray(), op.getStaticLoopRanges())) {
    if (ShapedType::isDynamic(extent))
      return std::nullopt;
    (iterator == utils::IteratorType::reduction ? counts.reduced
                                                : counts.outputs) *= extent;
  }
  return counts;
}

/// Whether `op`'s only memory effects allocate (a `gpu.alloc` of the next
/// op's output): it touches no memory other ops use.
static bool onlyAllocates(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::all_of(instances, [](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Allocate>(e.getEffect());
  });
}

/// Whether `op` is a memset of a buffer none of `ops` touches: a kernel of
/// `ops` may run after it (the next reduction's fill, which its kernel
/// then absorbs).
static bool isUnrelatedMemset(Operation *op, ArrayRef<linalg::LinalgOp> ops) {
  auto memset = dyn_cast<gpu::MemsetOp>(op);
  if (!memset || memset.getAsyncToken())
    return false;
  Value root = memref::skipViewLikeOps(memset.getDst());
  return llvm::none_of(ops, [&](linalg::LinalgOp linalgOp) {
    return muon::touchesBuffer(linalgOp, root);
  });
}

/// The linalg op after the last of `ops` if it is the next op that reads or
/// writes memory, memsets of buffers `ops` do not touch aside.
static linalg::LinalgOp getNextMemoryUser(ArrayRef<linalg::LinalgOp> ops) {
  for (Operation *next = ops.back()->getNextNode(); next;
       next = next->getNextNode())
    if (!isMemoryEffectFree(next) && !onlyAllocates(next) &&
        !isUnrelatedMemset(next, ops))
      return dyn_cast<linalg::LinalgOp>(next);
  return nullptr;
}

/// Whether `op` (parallel dims first) reduces along rows: its innermost
/// loop is a reduction that walks the innermost dim of the first buffer
/// input that varies with it (scalars and broadcasts do not), so the
/// threads of a block read consecutive elements.
static bool isRowReduction(linalg::LinalgOp op) {
  unsigned last = op.getNumLoops() - 1;
  if (op.getIteratorTypesArray()[last] != utils::IteratorType::reduction)
    return false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!isa<MemRefType>(input->get().getType()) || !map.isFunctionOfDim(last))
      continue;
    return map.getResults().back() == getAffineDimExpr(last, op.getContext());
  }
  return true;
}

/// Output elements from which a column reduction (consecutive output
/// elements along the inner dim of the input) runs a thread per output
/// element: consecutive threads then read consecutive elements, and there
/// are enough threads for the device (a block per element would read with
/// the row stride).
constexpr int64_t kColumnThreads = 1024;

/// CUDA's limit on the threads of a block: a launch with more fails.
constexpr unsigned kMaxBlockSize = 1024;

/// Remarks on `op` if each of its threads walks at least `threshold`
/// elements serially (its reduction extents; all of it on one thread when
/// it has no parallel dim).
static void remarkSerialWork(linalg::LinalgOp op, int64_t threshold) {
  std::optional<IterationCounts> counts = getIterationCounts(op);
  if (threshold <= 0 || !counts || counts->reduced < threshold)
    return;
  int64_t threads = counts->outputs, serial = counts->reduced;
  op.emitRemark() << "runs on " << threads << " GPU thread"
                  << (threads == 1 ? "" : "s") << ", each walking " << serial
                  << " elements serially";
}

namespace {
struct ConvertLinalgToThreadLoops
    : public muon::impl::ConvertLinalgToThreadLoopsPassBase<
          ConvertLinalgToThreadLoops> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize == 0 || blockSize > kMaxBlockSize) {
      emitError(UnknownLoc::get(&getContext()))
          << "convert-linalg-to-thread-loops: block-size must be in [1, "
          << kMaxBlockSize << "], got " << static_cast<unsigned>(blockSize);
      return signalPassFailure();
    }
    // Loops are tiled onto threads by upstream's tileParallelLoop, which
    // drops reduction results: a reduction must arrive as linalg, where it
    // gets a cooperative or per-thread kernel.
    WalkResult reductions = getOperation()->walk([](scf::ParallelOp loop) {
      if (loop.getNumReductions() == 0)
        return WalkResult::advance();
      loop.emitOpError("has reduction results, which cannot be mapped onto "
                       "GPU threads (write the reduction as a linalg op)");
      return WalkResult::interrupt();
    });
    if (reductions.wasInterrupted())
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> found;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        found.push_back(op);
    });
    // All parallel dims first before any kernel is built: an op that joins
    // an earlier reduction's kernel must iterate as that reduction does.
    SmallVector<linalg::LinalgOp> ops;
    for (linalg::LinalgOp op : found) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgOp> ordered = hoistParallelDims(rewriter, op);
      if (failed(ordered)) {
        op->emitOpError("cannot be turned into parallel loops");
        return signalPassFailure();
      }
      ops.push_back(*ordered);
    }
    // Consumers run inside a reduction's kernel are erased at the end, so
    // that no op created meanwhile reuses their address.
    SmallVector<Operation *> fused;
    for (linalg::LinalgOp op : ops) {
      if (llvm::is_contained(fused, op.getOperation()))
        continue;
      rewriter.setInsertionPoint(op);
      std::optional<IterationCounts> counts = getIterationCounts(op);
      if (cooperativeReductions && op.getNumReductionLoops() > 0 && counts &&
          counts->reduced >= cooperativeThreshold &&
          (isRowReduction(op) || counts->outputs < kColumnThreads)) {
        // Reductions of the same rows that read the previous ones' results
        // (a softmax's sum after its max), then an element-wise consumer.
        SmallVector<linalg::LinalgOp> chain = {op};
        linalg::LinalgOp consumer = getNextMemoryUser(chain);
        while (consumer && consumer.getNumReductionLoops() > 0 &&
               muon::canJoinCooperativeReduction(chain, consumer)) {
          chain.push_back(consumer);
          consumer = getNextMemoryUser(chain);
        }
        if (consumer && (consumer.getNumReductionLoops() > 0 ||
                         !muon::canJoinCooperativeReduction(chain, consumer)))
          consumer = nullptr;
        // Nothing between them reads or writes memory the kernel touches: it
        // runs in the last op's place, where its operands (an allocation of
        // its output, say) are all defined.
        rewriter.setInsertionPoint(consumer ? consumer : chain.back());
        if (succeeded(muon::buildCooperativeReduction(rewriter, chain,
                                                      blockSize, consumer))) {
          rewriter.eraseOp(op);
          llvm::append_range(fused,
                             llvm::map_range(ArrayRef(chain).drop_front(),
                                             [](linalg::LinalgOp later) {
                                               return later.getOperation();
                                             }));
          if (consumer)
            fused.push_back(consumer);
          continue;
        }
        rewriter.setInsertionPoint(op);
      }
      remarkSerialWork(op, serialRemarkThreshold);
      if (failed(buildThreadLoops(rewriter, op))) {
        op->emitOpError("cannot be turned into parallel loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
    for (Operation *consumer : fused)
      rewriter.eraseOp(consumer);
    for (scf::ParallelOp loop : getSingleLevelLoops(getOperation())) {
      if (loop.getNumLoops() < 2)
        continue;
      rewriter.setInsertionPoint(loop);
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0);
      collapseParallelLoops(rewriter, loop, {all});
    }
    for (scf::ParallelOp loop : getSingleLevelLoops(getOperation()))
      scf::tileParallelLoop(loop, {static_cast<int64_t>(blockSize)},
                            /*noMinMaxBounds=*/true);
  }
};
} // namespace
