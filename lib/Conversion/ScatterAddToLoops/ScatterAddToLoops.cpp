//===- ScatterAddToLoops.cpp - optim.scatter_add on buffers to loops ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The embedding gradient as O(|updates|) loops. On the CPU an scf.for nest
// that loads, wraps and range-checks each position's index once, then adds
// its row; on the GPU one scf.parallel over every element of `updates`
// whose adds are atomic, because positions with the same index write the
// same row (convert-linalg-to-thread-loops then tiles it into blocks ×
// threads like any other single-level loop).
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTSCATTERADDTOLOOPSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;
using muon::optim::ScatterAddOp;

namespace {
/// The loop bounds of a scatter-add: dest's dims before `axis`, the dims of
/// `indices`, dest's dims after `axis` (the dims of `updates`, in order).
struct ScatterLoops {
  SmallVector<Value> lowerBounds, upperBounds, steps;
  int64_t numPre, numIndex;
  /// dest's extent along `axis`.
  Value extent;
};
} // namespace

static ScatterLoops getScatterLoops(OpBuilder &b, ScatterAddOp op) {
  Location loc = op.getLoc();
  ScatterLoops loops;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto size = [&](Value buffer, int64_t dim) {
    return getValueOrCreateConstantIndexOp(
        b, loc, memref::getMixedSize(b, loc, buffer, dim));
  };
  int64_t axis = op.getAxis();
  auto updatesType = cast<MemRefType>(op.getUpdates().getType());
  for (int64_t dim = 0, e = updatesType.getRank(); dim < e; ++dim) {
    loops.lowerBounds.push_back(zero);
    loops.upperBounds.push_back(size(op.getUpdates(), dim));
    loops.steps.push_back(one);
  }
  loops.numPre = axis;
  loops.numIndex = cast<MemRefType>(op.getIndices().getType()).getRank();
  loops.extent = size(op.getDest(), axis);
  return loops;
}

/// The row of dest that position `position` of `indices` adds into (negative
/// indices count from the end), and whether it lies in [0, extent).
static std::pair<Value, Value> buildRow(OpBuilder &b, Location loc,
                                        Value indices, ValueRange position,
                                        Value extent) {
  Value raw = memref::LoadOp::create(b, loc, indices, position);
  Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index, zero);
  Value wrapped = arith::AddIOp::create(b, loc, index, extent);
  Value row = arith::SelectOp::create(b, loc, negative, wrapped, index);
  // Unsigned: a row still negative after wrapping is out of range too.
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, extent);
  return {row, inRange};
}

/// dest's coordinates for the updates element at `ivs`: `row` replaces the
/// index dims.
static SmallVector<Value> getDestCoordinates(ValueRange ivs, Value row,
                                             const ScatterLoops &loops) {
  SmallVector<Value> coordinates(ivs.take_front(loops.numPre));
  coordinates.push_back(row);
  llvm::append_range(coordinates,
                     ivs.drop_front(loops.numPre + loops.numIndex));
  return coordinates;
}

namespace {
/// optim.scatter_add (buffers) → scf.for over pre and index dims, a range
/// check, scf.for over the row with load/add/store.
struct ScatterAddToForLoops : OpRewritePattern<ScatterAddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScatterAddOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "expects buffers");
    Location loc = op.getLoc();
    ScatterLoops loops = getScatterLoops(rewriter, op);
    int64_t numOuter = loops.numPre + loops.numIndex;
    auto outer = [&](ArrayRef<Value> range) {
      return ValueRange(range).take_front(numOuter);
    };
    auto inner = [&](ArrayRef<Value> range) {
      return ValueRange(range).drop_front(numOuter);
    };
    scf::buildLoopNest(
        rewriter, loc, outer(loops.lowerBounds), outer(loops.upperBounds),
        outer(loops.steps), [&](OpBuilder &b, Location l, ValueRange outerIvs) {
          auto [row, inRange] =
              buildRow(b, l, op.getIndices(), outerIvs.drop_front(loops.numPre),
                       loops.extent);
          auto ifOp = scf::IfOp::create(b, l, inRange);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifOp.thenBlock());
          scf::buildLoopNest(
              b, l, inner(loops.lowerBounds), inner(loops.upperBounds),
              inner(loops.steps),
              [&](OpBuilder &nb, Location nl, ValueRange innerIvs) {
                SmallVector<Value> ivs(outerIvs);
                llvm::append_range(ivs, innerIvs);
                SmallVector<Value> destAt = getDestCoordinates(ivs, row, loops);
                Value update =
                    memref::LoadOp::create(nb, nl, op.getUpdates(), ivs);
                Value old =
                    memref::LoadOp::create(nb, nl, op.getDest(), destAt);
                Value sum = arith::AddFOp::create(nb, nl, old, update);
                memref::StoreOp::create(nb, nl, sum, op.getDest(), destAt);
              });
        });
    rewriter.eraseOp(op);
    return success();
  }
};

/// optim.scatter_add (buffers) → one scf.parallel over the elements of
/// `updates`, each checking its index and adding with memref.atomic_rmw.
struct ScatterAddToAtomicLoop : OpRewritePattern<ScatterAddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScatterAddOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "expects buffers");
    Location loc = op.getLoc();
    ScatterLoops loops = getScatterLoops(rewriter, op);
    // A 0-d update still needs a thread: one iteration of a dummy dim.
    bool scalar = loops.lowerBounds.empty();
    if (scalar) {
      loops.lowerBounds.push_back(
          arith::ConstantIndexOp::create(rewriter, loc, 0));
      loops.upperBounds.push_back(
          arith::ConstantIndexOp::create(rewriter, loc, 1));
      loops.steps.push_back(loops.upperBounds.back());
    }
    scf::ParallelOp::create(
        rewriter, loc, loops.lowerBounds, loops.upperBounds, loops.steps,
        [&](OpBuilder &b, Location l, ValueRange ivs) {
          if (scalar)
            ivs = ValueRange();
          auto [row, inRange] =
              buildRow(b, l, op.getIndices(),
                       ivs.drop_front(loops.numPre).take_front(loops.numIndex),
                       loops.extent);
          auto ifOp = scf::IfOp::create(b, l, inRange);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifOp.thenBlock());
          Value update = memref::LoadOp::create(b, l, op.getUpdates(), ivs);
          memref::AtomicRMWOp::create(b, l, arith::AtomicRMWKind::addf, update,
                                      op.getDest(),
                                      getDestCoordinates(ivs, row, loops));
        });
    rewriter.eraseOp(op);
    return success();
  }
};

struct ConvertScatterAddToLoops
    : public muon::impl::ConvertScatterAddToLoopsPassBase<
          ConvertScatterAddToLoops> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    muon::populateScatterAddToLoopsPatterns(patterns, atomic);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    WalkResult left = getOperation()->walk([](ScatterAddOp op) {
      op.emitOpError("must be bufferized before it is lowered to loops");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace

void muon::populateScatterAddToLoopsPatterns(RewritePatternSet &patterns,
                                             bool atomic) {
  if (atomic)
    patterns.add<ScatterAddToAtomicLoop>(patterns.getContext());
  else
    patterns.add<ScatterAddToForLoops>(patterns.getContext());
}
