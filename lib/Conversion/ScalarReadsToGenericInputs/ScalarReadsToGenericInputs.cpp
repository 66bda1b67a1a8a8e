//===- ScalarReadsToGenericInputs.cpp - 0-d tensor reads into generics ----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A scalar read from a 0-d tensor outside a linalg.generic and captured by
// its body becomes, on a GPU, a host read of device memory. The generic takes
// the tensor as an input instead and recomputes the scalar chain per
// element: a few flops per thread, against a fault.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTSCALARREADSTOGENERICINPUTSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

static bool isScalarRead(Operation *op) {
  auto extract = dyn_cast<tensor::ExtractOp>(op);
  return extract && extract.getTensor().getType().getRank() == 0;
}

/// Pure ops computing scalars only, in `block`: what may be recomputed in a
/// generic's body.
static bool isSinkableScalarOp(Operation *op, Block *block) {
  return op->getBlock() == block && op->getNumRegions() == 0 && isPure(op) &&
         op->getNumResults() > 0 &&
         llvm::none_of(op->getResultTypes(), llvm::IsaPred<ShapedType>);
}

namespace {
struct SinkIntoGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(op.getRegion(), captured);

    BackwardSliceOptions options;
    options.inclusive = true;
    options.filter = [&](Operation *def) {
      return isSinkableScalarOp(def, op->getBlock());
    };
    SetVector<Operation *> slice;
    SmallVector<Value> sunk;
    for (Value value : captured) {
      Operation *def = value.getDefiningOp();
      if (!def || !isSinkableScalarOp(def, op->getBlock()))
        continue;
      SetVector<Operation *> valueSlice;
      if (failed(getBackwardSlice(value, &valueSlice, options)) ||
          llvm::none_of(valueSlice, isScalarRead))
        continue;
      slice.insert(valueSlice.begin(), valueSlice.end());
      sunk.push_back(value);
    }
    if (sunk.empty())
      return rewriter.notifyMatchFailure(op, "no scalar read captured");

    SetVector<Value> tensors;
    for (Operation *read : llvm::make_filter_range(slice, isScalarRead))
      tensors.insert(cast<tensor::ExtractOp>(read).getTensor());

    // The generic with the 0-d tensors as extra inputs, same body.
    SmallVector<Value> inputs(op.getDpsInputs());
    llvm::append_range(inputs, tensors);
    SmallVector<AffineMap> maps(op.getIndexingMapsArray());
    unsigned numInputs = op.getNumDpsInputs();
    AffineMap scalarMap =
        AffineMap::get(op.getNumLoops(), 0, {}, rewriter.getContext());
    maps.insert(maps.begin() + numInputs, tensors.size(), scalarMap);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), op.getResultTypes(), inputs, op.getDpsInits(),
        maps, op.getIteratorTypesArray());
    rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                                generic.getRegion().end());
    Block *body = generic.getBody();
    IRMapping mapping;
    for (auto [i, tensor] : llvm::enumerate(tensors)) {
      BlockArgument element = body->insertArgument(
          numInputs + i, cast<ShapedType>(tensor.getType()).getElementType(),
          tensor.getLoc());
      for (Operation *read : slice)
        if (isScalarRead(read) &&
            cast<tensor::ExtractOp>(read).getTensor() == tensor)
          mapping.map(read->getResult(0), element);
    }
    rewriter.setInsertionPointToStart(body);
    for (Operation *def : topologicalSort(slice))
      if (!isScalarRead(def))
        rewriter.clone(*def, mapping);
    for (Value value : sunk)
      rewriter.replaceUsesWithIf(
          value, mapping.lookup(value),
          [&](OpOperand &use) { return generic->isAncestor(use.getOwner()); });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct ConvertScalarReadsToGenericInputs
    : public muon::impl::ConvertScalarReadsToGenericInputsPassBase<
          ConvertScalarReadsToGenericInputs> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SinkIntoGeneric>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
