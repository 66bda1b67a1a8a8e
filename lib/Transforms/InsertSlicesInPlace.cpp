//===- InsertSlicesInPlace.cpp - Producers writing into concatenations ----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace muon {
#define GEN_PASS_DEF_INSERTSLICESINPLACEPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
/// The slice of a unit-stride, non-rank-reducing insert_slice with static
/// offsets and sizes.
struct Box {
  SmallVector<int64_t> offsets, sizes;

  bool isDisjointFrom(const Box &other) const {
    for (auto [a, n, b, m] :
         llvm::zip_equal(offsets, sizes, other.offsets, other.sizes))
      if (a + n <= b || b + m <= a)
        return true;
    return false;
  }
};

std::optional<Box> getStaticBox(tensor::InsertSliceOp op) {
  if (op.getSourceType().getRank() != op.getResultType().getRank() ||
      !op.hasUnitStride())
    return std::nullopt;
  std::optional<SmallVector<int64_t>> offsets =
      getConstantIntValues(op.getMixedOffsets());
  std::optional<SmallVector<int64_t>> sizes =
      getConstantIntValues(op.getMixedSizes());
  if (!offsets || !sizes)
    return std::nullopt;
  return Box{std::move(*offsets), std::move(*sizes)};
}

/// The op of `block` that `value` is defined at or in (null: it dominates
/// the whole block).
Operation *getDefinitionIn(Block *block, Value value) {
  Operation *def = value.getDefiningOp();
  return def ? block->findAncestorOpInBlock(*def) : nullptr;
}

/// The later of two ops of one block, null standing for the block's start.
Operation *getLater(Operation *a, Operation *b) {
  if (!a || !b)
    return a ? a : b;
  return a->isBeforeInBlock(b) ? b : a;
}

void setInsertionPointAfter(OpBuilder &b, Block *block, Operation *op) {
  if (op)
    b.setInsertionPointAfter(op);
  else
    b.setInsertionPointToStart(block);
}

/// The chain of insertions starting at `head`, each into the previous
/// one's only use; empty unless it has two or more static, pairwise
/// disjoint slices.
SmallVector<tensor::InsertSliceOp>
getDisjointChain(tensor::InsertSliceOp head) {
  SmallVector<tensor::InsertSliceOp> chain = {head};
  while (chain.back()->hasOneUse()) {
    auto next = dyn_cast<tensor::InsertSliceOp>(*chain.back()->user_begin());
    if (!next || next.getDest() != chain.back().getResult() ||
        next->getBlock() != head->getBlock())
      break;
    chain.push_back(next);
  }
  SmallVector<Box> boxes;
  for (tensor::InsertSliceOp op : chain) {
    std::optional<Box> box = getStaticBox(op);
    if (!box || llvm::any_of(boxes, [&](const Box &other) {
          return !box->isDisjointFrom(other);
        }))
      return {};
    boxes.push_back(std::move(*box));
  }
  return chain.size() >= 2 ? chain : SmallVector<tensor::InsertSliceOp>{};
}

/// Rebuilds `chain` in the order its sources are defined, each insertion
/// right after its source and the previous insertion.
void reorderChain(RewriterBase &rewriter,
                  MutableArrayRef<tensor::InsertSliceOp> chain) {
  Block *block = chain.front()->getBlock();
  auto sourceDef = [&](tensor::InsertSliceOp op) {
    return getDefinitionIn(block, op.getSource());
  };
  SmallVector<tensor::InsertSliceOp> order(chain);
  llvm::stable_sort(order,
                    [&](tensor::InsertSliceOp a, tensor::InsertSliceOp b) {
                      Operation *x = sourceDef(a), *y = sourceDef(b);
                      return y && (!x || x->isBeforeInBlock(y));
                    });
  bool placed = llvm::all_of(llvm::zip(order, chain), [&](auto pair) {
    auto [op, original] = pair;
    return op == original;
  });
  Value current = chain.front().getDest();
  Operation *previous = getDefinitionIn(block, current);
  // Already in order, each right after its source or the previous one:
  // nothing to gain.
  if (placed && llvm::all_of(chain, [&](tensor::InsertSliceOp op) {
        Operation *before = op->getPrevNode();
        return before == sourceDef(op) ||
               before == getDefinitionIn(block, op.getDest());
      }))
    return;
  for (tensor::InsertSliceOp op : order) {
    setInsertionPointAfter(rewriter, block, getLater(previous, sourceDef(op)));
    auto insert = tensor::InsertSliceOp::create(
        rewriter, op.getLoc(), op.getSource(), current, op.getMixedOffsets(),
        op.getMixedSizes(), op.getMixedStrides());
    current = insert.getResult();
    previous = insert;
  }
  rewriter.replaceOp(chain.back(), current);
  for (tensor::InsertSliceOp op : llvm::reverse(chain.drop_back()))
    rewriter.eraseOp(op);
}

/// insert_slice(collapse_shape(x)) into d → collapse_shape(insert_slice(x)
/// into expand_shape(d)), the expand_shape right after d.
LogicalResult insertUncollapsed(RewriterBase &rewriter,
                                tensor::InsertSliceOp op) {
  auto collapse = op.getSource().getDefiningOp<tensor::CollapseShapeOp>();
  std::optional<Box> box = getStaticBox(op);
  RankedTensorType destType = op.getResultType();
  if (!collapse || !box || !destType.hasStaticShape() ||
      !collapse.getSrcType().hasStaticShape())
    return failure();
  ArrayRef<int64_t> sourceShape = collapse.getSrcType().getShape();
  SmallVector<ReassociationIndices> groups = collapse.getReassociationIndices();
  SmallVector<int64_t> expanded, offsets, sizes;
  for (auto [dim, group] : llvm::enumerate(groups)) {
    // The group's inner extents must tile the destination's dim and the
    // slice's offset along it: then the slice is a box there too.
    int64_t inner = 1;
    for (int64_t d : ArrayRef(group).drop_front())
      inner *= sourceShape[d];
    int64_t extent = destType.getDimSize(dim), offset = box->offsets[dim];
    if (inner == 0 || extent % inner != 0 || offset % inner != 0)
      return failure();
    expanded.push_back(extent / inner);
    offsets.push_back(offset / inner);
    sizes.push_back(sourceShape[group.front()]);
    for (int64_t d : ArrayRef(group).drop_front()) {
      expanded.push_back(sourceShape[d]);
      offsets.push_back(0);
      sizes.push_back(sourceShape[d]);
    }
  }
  Block *block = op->getBlock();
  OpBuilder::InsertionGuard guard(rewriter);
  setInsertionPointAfter(rewriter, block, getDefinitionIn(block, op.getDest()));
  Value dest = rewriter.createOrFold<tensor::ExpandShapeOp>(
      op.getLoc(), RankedTensorType::get(expanded, destType.getElementType()),
      op.getDest(), groups);
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> strides(expanded.size(), 1);
  MLIRContext *context = rewriter.getContext();
  Value inserted = tensor::InsertSliceOp::create(
      rewriter, op.getLoc(), collapse.getSrc(), dest,
      getAsIndexOpFoldResult(context, offsets),
      getAsIndexOpFoldResult(context, sizes),
      getAsIndexOpFoldResult(context, strides));
  rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, destType, inserted,
                                                       groups);
  if (collapse->use_empty())
    rewriter.eraseOp(collapse);
  return success();
}

struct InsertSlicesInPlacePass
    : muon::impl::InsertSlicesInPlacePassBase<InsertSlicesInPlacePass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Chain heads: insertions whose destination is not the only use of
    // another insertion.
    SmallVector<SmallVector<tensor::InsertSliceOp>> chains;
    getOperation().walk([&](tensor::InsertSliceOp op) {
      auto previous = op.getDest().getDefiningOp<tensor::InsertSliceOp>();
      if (previous && previous->hasOneUse())
        return;
      SmallVector<tensor::InsertSliceOp> chain = getDisjointChain(op);
      if (!chain.empty())
        chains.push_back(std::move(chain));
    });
    for (SmallVector<tensor::InsertSliceOp> &chain : chains)
      reorderChain(rewriter, chain);

    SmallVector<tensor::InsertSliceOp> inserts;
    getOperation().walk(
        [&](tensor::InsertSliceOp op) { inserts.push_back(op); });
    for (tensor::InsertSliceOp op : inserts)
      (void)insertUncollapsed(rewriter, op);
  }
};
} // namespace
