//===- LinalgReductionsToLoops.cpp - Reductions accumulating in registers -===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTLINALGREDUCTIONSTOLOOPSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// `map`'s results at `ivs`, as index values.
static SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                                   ValueRange ivs) {
  SmallVector<Value> indices;
  for (unsigned i = 0, e = map.getNumResults(); i < e; ++i)
    indices.push_back(getValueOrCreateConstantIndexOp(
        b, loc,
        affine::makeComposedFoldedAffineApply(b, loc, map.getSubMap({i}),
                                              getAsOpFoldResult(ivs))));
  return indices;
}

namespace {
struct ReductionToLoops : OpRewritePattern<linalg::GenericOp> {
  ReductionToLoops(MLIRContext *context, bool reassociate)
      : OpRewritePattern(context), reassociate(reassociate) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not on buffers");
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    unsigned numParallel = op.getNumParallelLoops();
    if (numParallel == iterators.size())
      return rewriter.notifyMatchFailure(op, "no reduction");
    for (unsigned i = 0; i < iterators.size(); ++i)
      if ((i < numParallel) != (iterators[i] == utils::IteratorType::parallel))
        return rewriter.notifyMatchFailure(op, "a reduction dim before a "
                                               "parallel one");
    for (OpOperand &output : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&output);
      for (unsigned dim = numParallel; dim < iterators.size(); ++dim)
        if (map.isFunctionOfDim(dim))
          return rewriter.notifyMatchFailure(op, "output indexed by a "
                                                 "reduction dim");
      // Rows run as an scf.parallel (threads with parallel-loops): each
      // must own its output elements.
      for (unsigned dim = 0; dim < numParallel; ++dim)
        if (!map.isFunctionOfDim(dim))
          return rewriter.notifyMatchFailure(op, "output not indexed by a "
                                                 "parallel dim");
      Value root = memref::skipViewLikeOps(cast<MemrefValue>(output.get()));
      for (OpOperand *input : op.getDpsInputOperands())
        if (auto buffer = dyn_cast<MemrefValue>(input->get());
            buffer && memref::skipViewLikeOps(buffer) == root)
          return rewriter.notifyMatchFailure(op, "reads a buffer it writes");
    }

    Location loc = op.getLoc();
    SmallVector<Value> lbs, ubs, steps;
    auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
    for (Range range : linalgOp.createLoopRanges(rewriter, loc)) {
      lbs.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.offset));
      ubs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
      steps.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.stride));
    }
    auto buildRow = [&](OpBuilder &b, Location loc, ValueRange parallelIvs) {
      // The output maps ignore the reduction dims: any value will do.
      SmallVector<Value> rowIvs(parallelIvs);
      rowIvs.append(lbs.begin() + numParallel, lbs.end());
      SmallVector<Value> inits;
      SmallVector<SmallVector<Value>> outputIndices;
      for (OpOperand &output : op.getDpsInitsMutable()) {
        outputIndices.push_back(
            applyMap(b, loc, op.getMatchingIndexingMap(&output), rowIvs));
        inits.push_back(
            memref::LoadOp::create(b, loc, output.get(), outputIndices.back()));
      }
      SmallVector<Value> results = buildReduction(
          b, loc, op, parallelIvs, ArrayRef(lbs).drop_front(numParallel),
          ArrayRef(ubs).drop_front(numParallel),
          ArrayRef(steps).drop_front(numParallel), inits);
      for (auto [value, output, indices] :
           llvm::zip(results, op.getDpsInits(), outputIndices))
        memref::StoreOp::create(b, loc, value, output, indices);
    };
    if (numParallel == 0) {
      buildRow(rewriter, loc, {});
    } else {
      scf::ParallelOp::create(
          rewriter, loc, ArrayRef(lbs).take_front(numParallel),
          ArrayRef(ubs).take_front(numParallel),
          ArrayRef(steps).take_front(numParallel), buildRow);
    }
    rewriter.eraseOp(op);
    return success();
  }

private:
  /// The nest over the reduction dims carrying the outputs' running values;
  /// returns the final values.
  SmallVector<Value> buildReduction(OpBuilder &b, Location loc,
                                    linalg::GenericOp op,
                                    ValueRange parallelIvs, ValueRange lbs,
                                    ValueRange ubs, ValueRange steps,
                                    ValueRange inits) const {
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, inits,
        [&](OpBuilder &b, Location loc, ValueRange reductionIvs,
            ValueRange carried) -> scf::ValueVector {
          SmallVector<Value> ivs(parallelIvs);
          ivs.append(reductionIvs.begin(), reductionIvs.end());
          return buildBody(b, loc, op, ivs, carried);
        });
    return SmallVector<Value>(nest.results);
  }

  /// One iteration: the inputs loaded at `ivs`, the payload cloned with
  /// `carried` as the output arguments; returns the yielded values.
  scf::ValueVector buildBody(OpBuilder &b, Location loc, linalg::GenericOp op,
                             ValueRange ivs, ValueRange carried) const {
    Block *body = op.getBody();
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands()) {
      BlockArgument argument = op.getMatchingBlockArgument(input);
      Value value = input->get();
      if (isa<MemRefType>(value.getType()))
        value = memref::LoadOp::create(
            b, loc, value,
            applyMap(b, loc, op.getMatchingIndexingMap(input), ivs));
      mapping.map(argument, value);
    }
    for (auto [output, value] : llvm::zip(op.getDpsInitsMutable(), carried))
      mapping.map(op.getMatchingBlockArgument(&output), value);
    DenseSet<Value> carriedSet(carried.begin(), carried.end());
    for (Operation &payload : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(payload)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      Operation *clone = b.clone(payload, mapping);
      if (!reassociate)
        continue;
      auto fastMath = dyn_cast<arith::ArithFastMathInterface>(clone);
      if (fastMath && llvm::any_of(clone->getOperands(), [&](Value operand) {
            return carriedSet.contains(operand);
          }))
        clone->setAttr(
            fastMath.getFastMathAttrName(),
            arith::FastMathFlagsAttr::get(
                b.getContext(), fastMath.getFastMathFlagsAttr().getValue() |
                                    arith::FastMathFlags::reassoc));
    }
    scf::ValueVector yielded;
    for (Value value : body->getTerminator()->getOperands())
      yielded.push_back(mapping.lookupOrDefault(value));
    return yielded;
  }

  bool reassociate;
};

struct ConvertLinalgReductionsToLoopsPass
    : muon::impl::ConvertLinalgReductionsToLoopsPassBase<
          ConvertLinalgReductionsToLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReductionToLoops>(&getContext(), reassociate);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
