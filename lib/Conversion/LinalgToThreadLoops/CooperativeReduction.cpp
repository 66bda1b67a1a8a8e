//===- CooperativeReduction.cpp - one block per reduced element -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A row reduction walked by one thread reads its row serially and leaves
// the GPU idle when there are few rows (softmax and LayerNorm rows, the
// loss, bias gradients). Here every output element gets a block: thread t
// combines elements t, t + T, t + 2T, … of the (flattened) reduction, so a
// warp reads consecutive elements of a contiguous row, and gpu.all_reduce
// (shuffles + workgroup memory after NVVM lowering) combines the threads.
//
//===----------------------------------------------------------------------===//

#include "CooperativeReduction.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <numeric>

using namespace mlir;

namespace {
/// An output that is the reduction `combiner(f(inputs), accumulator)`.
struct ReducedOutput {
  Operation *combiner;
  BlockArgument accumulator;
  gpu::AllReduceOperation kind;
  TypedAttr neutral;
};
} // namespace

static std::optional<gpu::AllReduceOperation> getAllReduceKind(Operation *op) {
  using Kind = gpu::AllReduceOperation;
  return TypeSwitch<Operation *, std::optional<Kind>>(op)
      .Case<arith::AddFOp, arith::AddIOp>([](auto) { return Kind::ADD; })
      .Case<arith::MulFOp, arith::MulIOp>([](auto) { return Kind::MUL; })
      .Case([](arith::MaxNumFOp) { return Kind::MAXNUMF; })
      .Case([](arith::MinNumFOp) { return Kind::MINNUMF; })
      .Case([](arith::MaximumFOp) { return Kind::MAXIMUMF; })
      .Case([](arith::MinimumFOp) { return Kind::MINIMUMF; })
      .Case([](arith::MaxSIOp) { return Kind::MAXSI; })
      .Case([](arith::MinSIOp) { return Kind::MINSI; })
      .Case([](arith::MaxUIOp) { return Kind::MAXUI; })
      .Case([](arith::MinUIOp) { return Kind::MINUI; })
      .Case([](arith::AndIOp) { return Kind::AND; })
      .Case([](arith::OrIOp) { return Kind::OR; })
      .Case([](arith::XOrIOp) { return Kind::XOR; })
      .Default([](Operation *) { return std::nullopt; });
}

/// Every output as a reduction over all reduction dims, or failure.
/// `matchReduction` guarantees each accumulator feeds only its combiner,
/// so the per-thread partials are independent of each other.
static FailureOr<SmallVector<ReducedOutput>>
matchReducedOutputs(linalg::LinalgOp op) {
  SmallVector<BlockArgument> accumulators(op.getRegionOutputArgs());
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<ReducedOutput> outputs;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (auto [dim, iterator] : llvm::enumerate(iterators))
      if (iterator == utils::IteratorType::reduction &&
          map.isFunctionOfDim(dim))
        return failure();
    unsigned position = init.getOperandNumber() - op.getNumDpsInputs();
    SmallVector<Operation *> combiners;
    if (!matchReduction(accumulators, position, combiners) ||
        combiners.size() != 1)
      return failure();
    Operation *combiner = combiners.front();
    // gpu.all_reduce's NVVM lowering shuffles 32-bit values.
    Type type = combiner->getResult(0).getType();
    if (!type.isIntOrFloat() || type.getIntOrFloatBitWidth() != 32)
      return failure();
    std::optional<gpu::AllReduceOperation> kind = getAllReduceKind(combiner);
    std::optional<TypedAttr> neutral = arith::getNeutralElement(combiner);
    if (!kind || !neutral)
      return failure();
    outputs.push_back({combiner, accumulators[position], *kind, *neutral});
  }
  return outputs;
}

/// The indices `map` selects from the loop indices `ivs`.
static SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                                   ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

/// Indices of the reduction dims (extents `ranges`) at flat position `flat`,
/// the last dim varying fastest.
static SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value flat,
                                      ArrayRef<int64_t> ranges) {
  SmallVector<Value> indices(ranges.size());
  for (int64_t i = static_cast<int64_t>(ranges.size()) - 1; i > 0; --i) {
    Value extent = arith::ConstantIndexOp::create(b, loc, ranges[i]);
    indices[i] = arith::RemUIOp::create(b, loc, flat, extent);
    flat = arith::DivUIOp::create(b, loc, flat, extent);
  }
  indices[0] = flat;
  return indices;
}

/// `buffer` without the reshapes around it.
static Value stripReshapes(Value buffer) {
  while (Operation *def = buffer.getDefiningOp()) {
    if (!isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(def))
      break;
    buffer = def->getOperand(0);
  }
  return buffer;
}

bool muon::touchesBuffer(Operation *op, Value root) {
  WalkResult access = op->walk([&](Operation *nested) {
    if (isa<ViewLikeOpInterface>(nested))
      return WalkResult::advance();
    for (Value operand : nested->getOperands())
      if (auto memref = dyn_cast<MemrefValue>(operand);
          memref && memref::skipViewLikeOps(memref) == root)
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return access.wasInterrupted();
}

gpu::MemsetOp muon::getOverwrittenFill(linalg::LinalgOp op, OpOperand &init) {
  auto type = cast<MemRefType>(init.get().getType());
  llvm::SmallDenseSet<unsigned> dims;
  for (auto [result, extent] : llvm::zip_equal(
           op.getMatchingIndexingMap(&init).getResults(), type.getShape())) {
    if (auto dim = dyn_cast<AffineDimExpr>(result)) {
      if (!dims.insert(dim.getPosition()).second)
        return nullptr;
      continue;
    }
    auto constant = dyn_cast<AffineConstantExpr>(result);
    if (!constant || constant.getValue() != 0 || extent != 1)
      return nullptr;
  }
  Value buffer = stripReshapes(init.get());
  Value root = memref::skipViewLikeOps(cast<MemrefValue>(buffer));
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    auto memset = dyn_cast<gpu::MemsetOp>(prev);
    if (memset && !memset.getAsyncToken() &&
        stripReshapes(memset.getDst()) == buffer)
      return memset.getValue().getType() == type.getElementType() &&
                     matchPattern(memset.getValue(), m_Constant())
                 ? memset
                 : nullptr;
    if (touchesBuffer(prev, root))
      return nullptr;
  }
  return nullptr;
}

/// `op`'s payload at loop indices `ivs`: block arguments bound to `bound`
/// where given, other inputs loaded through their maps, other outputs
/// loaded if the payload reads them. Returns the yielded values.
static SmallVector<Value> buildPayload(OpBuilder &b, Location loc,
                                       linalg::LinalgOp op, ValueRange ivs,
                                       const IRMapping &bound) {
  IRMapping mapping = bound;
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    if (mapping.contains(arg) || (op.isDpsInit(&operand) && arg.use_empty()))
      continue;
    Value value = operand.get();
    if (isa<MemRefType>(value.getType()))
      value = memref::LoadOp::create(
          b, loc, value,
          applyMap(b, loc, op.getMatchingIndexingMap(&operand), ivs));
    mapping.map(arg, value);
  }
  Block *body = op.getBlock();
  for (Operation &payload : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(payload)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(payload, mapping);
  }
  return llvm::map_to_vector(
      body->getTerminator()->getOperands(),
      [&](Value v) { return mapping.lookupOrDefault(v); });
}

/// Whether `next`, run by the block of each output element of the
/// reductions in `chain` over the same iteration space after their
/// all-reduces, computes what it computes after them: it reads their
/// outputs only as the reduced values of its own row (through the maps
/// that wrote them), writes none of them, and writes an input of theirs
/// only where the same row reads it (the all-reduces order a row's reads
/// before its writes; other blocks touch other rows). `next` is either
/// element-wise or reduces the same dims as the chain.
bool muon::canJoinCooperativeReduction(ArrayRef<linalg::LinalgOp> chain,
                                       linalg::LinalgOp next) {
  linalg::LinalgOp op = chain.front();
  if (!next.hasPureBufferSemantics() ||
      next.getNumLoops() != op.getNumLoops() ||
      next.getStaticLoopRanges() != op.getStaticLoopRanges())
    return false;
  // Rows are blocks only when the parallel dims come first.
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (!llvm::is_sorted(iterators, [](auto lhs, auto rhs) {
        return lhs == utils::IteratorType::parallel &&
               rhs != utils::IteratorType::parallel;
      }))
    return false;
  // A reduction joins only where gpu.all_reduce implements it: otherwise
  // the chain before it would fail with it.
  if (next.getNumParallelLoops() != next.getNumLoops() &&
      (next.getIteratorTypesArray() != iterators ||
       failed(matchReducedOutputs(next))))
    return false;
  auto getRoot = [](Value buffer) {
    return memref::skipViewLikeOps(cast<MemrefValue>(buffer));
  };
  for (OpOperand &used : next->getOpOperands()) {
    if (!isa<MemRefType>(used.get().getType()))
      continue;
    bool nextWrites = next.isDpsInit(&used);
    AffineMap map = next.getMatchingIndexingMap(&used);
    for (linalg::LinalgOp reduction : chain) {
      for (OpOperand &reduced : reduction->getOpOperands()) {
        bool reductionWrites = reduction.isDpsInit(&reduced);
        if (!isa<MemRefType>(reduced.get().getType()) ||
            (!nextWrites && !reductionWrites) ||
            getRoot(used.get()) != getRoot(reduced.get()))
          continue;
        // Two views of one buffer, one of them written: their elements
        // cannot be matched here.
        if (used.get() != reduced.get() ||
            map != reduction.getMatchingIndexingMap(&reduced))
          return false;
        if (reductionWrites ? nextWrites : !map.isPermutation())
          return false;
      }
    }
  }
  return true;
}

LogicalResult muon::buildCooperativeReduction(RewriterBase &rewriter,
                                              ArrayRef<linalg::LinalgOp> chain,
                                              unsigned maxThreads,
                                              linalg::LinalgOp consumer) {
  SmallVector<SmallVector<ReducedOutput>> outputs;
  for (linalg::LinalgOp op : chain) {
    FailureOr<SmallVector<ReducedOutput>> matched = matchReducedOutputs(op);
    if (failed(matched) || !op.hasPureBufferSemantics())
      return failure();
    outputs.push_back(std::move(*matched));
  }
  linalg::LinalgOp op = chain.front();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return failure();
  unsigned numParallel = op.getNumParallelLoops();
  ArrayRef<int64_t> parallelRanges = ArrayRef(ranges).take_front(numParallel);
  ArrayRef<int64_t> reductionRanges = ArrayRef(ranges).drop_front(numParallel);
  int64_t reductionSize =
      std::accumulate(reductionRanges.begin(), reductionRanges.end(),
                      int64_t{1}, std::multiplies<>());
  // Whole warps, each thread combining at least four elements; a block
  // size below a warp caps it too.
  int64_t threads = std::min<int64_t>(
      std::max<int64_t>(llvm::alignTo(llvm::divideCeil(reductionSize, 4), 32),
                        32),
      maxThreads);

  SmallVector<SmallVector<gpu::MemsetOp>> fills;
  for (linalg::LinalgOp reduction : chain)
    fills.push_back(
        llvm::map_to_vector(reduction.getDpsInitsMutable(), [&](auto &init) {
          return getOverwrittenFill(reduction, init);
        }));

  Location loc = op.getLoc();
  auto index = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, value);
  };
  Value zero = index(0), one = index(1);
  SmallVector<Value> blockBounds = llvm::map_to_vector(parallelRanges, index);
  if (blockBounds.empty())
    blockBounds.push_back(one);
  SmallVector<Value> zeros(blockBounds.size(), zero);
  SmallVector<Value> ones(blockBounds.size(), one);
  SmallVector<SmallVector<Value>> neutrals;
  for (ArrayRef<ReducedOutput> reduced : outputs)
    neutrals.push_back(
        llvm::map_to_vector(reduced, [&](const ReducedOutput &output) -> Value {
          return arith::ConstantOp::create(rewriter, loc, output.neutral);
        }));
  Value threadCount = index(threads), reductionEnd = index(reductionSize);

  OpBuilder::InsertionGuard guard(rewriter);
  auto blockLoop =
      scf::ParallelOp::create(rewriter, loc, zeros, blockBounds, ones);
  rewriter.setInsertionPoint(blockLoop.getBody()->getTerminator());
  auto threadLoop =
      scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                              ValueRange{threadCount}, ValueRange{one});
  rewriter.setInsertionPoint(threadLoop.getBody()->getTerminator());
  Value thread = threadLoop.getInductionVars().front();
  SmallVector<Value> parallelIvs(blockLoop.getInductionVars());
  parallelIvs.truncate(numParallel);

  // Each thread's strided share of the row (or of the whole reduction).
  auto reductionLoop = [&](ValueRange inits, auto body) {
    return scf::ForOp::create(
        rewriter, loc, thread, reductionEnd, threadCount, inits,
        [&](OpBuilder &b, Location nested, Value flat, ValueRange iterArgs) {
          SmallVector<Value> ivs(parallelIvs);
          llvm::append_range(ivs,
                             delinearize(b, nested, flat, reductionRanges));
          scf::YieldOp::create(b, nested, body(b, nested, ivs, iterArgs));
        });
  };
  // The reduced values of the row so far, in registers: a later reduction
  // or the consumer reads them there, not from memory.
  auto bindReduced = [](linalg::LinalgOp reader, ValueRange inits,
                        ValueRange values, IRMapping &bound) {
    for (OpOperand *input : reader.getDpsInputOperands())
      for (auto [init, value] : llvm::zip(inits, values))
        if (input->get() == init)
          bound.map(reader.getMatchingBlockArgument(input), value);
  };

  SmallVector<Value> outputIvs(parallelIvs);
  outputIvs.append(reductionRanges.size(), zero);
  SmallVector<Value> reducedInits, finals;
  SmallVector<SmallVector<Value>> outputIndices;
  for (auto [chained, reduced, reductionFills, inits] :
       llvm::zip_equal(chain, outputs, fills, neutrals)) {
    linalg::LinalgOp reduction = chained;
    IRMapping earlier;
    bindReduced(reduction, reducedInits, finals, earlier);
    auto partials =
        reductionLoop(inits, [&](OpBuilder &b, Location nested,
                                 ArrayRef<Value> ivs, ValueRange accs) {
          IRMapping bound = earlier;
          for (auto [output, acc] : llvm::zip(reduced, accs))
            bound.map(output.accumulator, acc);
          return buildPayload(b, nested, reduction, ivs, bound);
        });

    // What the outputs held is read before the all-reduce, which no thread
    // passes before every thread has arrived: thread 0's stores at the end
    // cannot overtake another thread's read. A constant they were filled
    // with just before is used as it is.
    SmallVector<Value> olds;
    for (auto [init, fill] :
         llvm::zip_equal(reduction.getDpsInitsMutable(), reductionFills)) {
      outputIndices.push_back(applyMap(
          rewriter, loc, reduction.getMatchingIndexingMap(&init), outputIvs));
      olds.push_back(fill ? fill.getValue()
                          : memref::LoadOp::create(rewriter, loc, init.get(),
                                                   outputIndices.back()));
    }
    for (auto [output, partial, old] :
         llvm::zip(reduced, partials.getResults(), olds)) {
      Value all = gpu::AllReduceOp::create(
          rewriter, loc, partial,
          gpu::AllReduceOperationAttr::get(rewriter.getContext(), output.kind),
          rewriter.getUnitAttr());
      IRMapping mapping;
      for (Value operand : output.combiner->getOperands())
        mapping.map(operand, operand == output.accumulator ? old : all);
      finals.push_back(rewriter.clone(*output.combiner, mapping)->getResult(0));
    }
    llvm::append_range(reducedInits, reduction.getDpsInits());
  }

  // Thread 0 stores the block's results.
  Value isFirst = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                        thread, zero);
  auto ifFirst = scf::IfOp::create(rewriter, loc, isFirst);
  rewriter.setInsertionPoint(ifFirst.thenBlock()->getTerminator());
  for (auto [init, value, indices] :
       llvm::zip_equal(reducedInits, finals, outputIndices))
    memref::StoreOp::create(rewriter, loc, value, init, indices);
  rewriter.setInsertionPointAfter(ifFirst);

  if (consumer) {
    IRMapping bound;
    bindReduced(consumer, reducedInits, finals, bound);
    reductionLoop(ValueRange{}, [&](OpBuilder &b, Location nested,
                                    ArrayRef<Value> ivs, ValueRange) {
      SmallVector<Value> results =
          buildPayload(b, nested, consumer, ivs, bound);
      for (auto [init, result] :
           llvm::zip(consumer.getDpsInitsMutable(), results))
        memref::StoreOp::create(
            b, nested, result, init.get(),
            applyMap(b, nested, consumer.getMatchingIndexingMap(&init), ivs));
      return SmallVector<Value>();
    });
  }

  if (blockBounds.size() > 1) {
    rewriter.setInsertionPoint(blockLoop);
    std::vector<unsigned> all(blockBounds.size());
    std::iota(all.begin(), all.end(), 0);
    collapseParallelLoops(rewriter, blockLoop, {all});
  }
  llvm::SmallSetVector<Operation *, 2> filled;
  for (ArrayRef<gpu::MemsetOp> reductionFills : fills)
    for (gpu::MemsetOp fill : reductionFills)
      if (fill)
        filled.insert(fill);
  for (Operation *fill : filled)
    rewriter.eraseOp(fill);
  return success();
}
