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
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

/// Loops of `op` in the current block: an scf.parallel over its parallel
/// dims around scf.for over its reductions. An op without parallel dims (a
/// full reduction, a 0-d computation) runs inside a one-iteration
/// scf.parallel, i.e. on one GPU thread: never on the host.
static LogicalResult buildThreadLoops(RewriterBase &rewriter,
                                      linalg::LinalgOp op) {
  if (op.getNumParallelLoops() > 0)
    return linalg::linalgOpToParallelLoops(rewriter, op);
  Location loc = op.getLoc();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto single = scf::ParallelOp::create(rewriter, loc, zero, one, one);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(single.getBody()->getTerminator());
  return linalg::linalgOpToLoops(rewriter, op);
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

/// The linalg op after `op` if it is the next op that reads or writes
/// memory.
static linalg::LinalgOp getNextMemoryUser(Operation *op) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode())
    if (!isMemoryEffectFree(next) && !onlyAllocates(next))
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
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics())
        ops.push_back(op);
    });
    // Consumers run inside a reduction's kernel are erased at the end, so
    // that no op created meanwhile reuses their address.
    SmallVector<Operation *> fused;
    for (linalg::LinalgOp op : ops) {
      if (llvm::is_contained(fused, op.getOperation()))
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgOp> ordered = hoistParallelDims(rewriter, op);
      if (failed(ordered)) {
        op->emitOpError("cannot be turned into parallel loops");
        return signalPassFailure();
      }
      std::optional<IterationCounts> counts = getIterationCounts(*ordered);
      if (cooperativeReductions && ordered->getNumReductionLoops() > 0 &&
          counts && counts->reduced >= cooperativeThreshold &&
          (isRowReduction(*ordered) || counts->outputs < kColumnThreads)) {
        linalg::LinalgOp consumer = getNextMemoryUser(*ordered);
        if (consumer &&
            !muon::canFuseIntoCooperativeReduction(*ordered, consumer))
          consumer = nullptr;
        // Nothing between the two reads or writes memory: the kernel runs in
        // the consumer's place, where its operands (an allocation of its
        // output, say) are all defined.
        if (consumer)
          rewriter.setInsertionPoint(consumer);
        if (succeeded(muon::buildCooperativeReduction(rewriter, *ordered,
                                                      blockSize, consumer))) {
          rewriter.eraseOp(*ordered);
          if (consumer)
            fused.push_back(consumer);
          continue;
        }
        rewriter.setInsertionPoint(*ordered);
      }
      remarkSerialWork(*ordered, serialRemarkThreshold);
      if (failed(buildThreadLoops(rewriter, *ordered))) {
        op->emitOpError("cannot be turned into parallel loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(*ordered);
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
