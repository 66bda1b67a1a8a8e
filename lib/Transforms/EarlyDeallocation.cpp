//===- EarlyDeallocation.cpp - Free buffers after their last use ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace muon {
#define GEN_PASS_DEF_EARLYDEALLOCATIONPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// Whether a value of `type` is data read out of a buffer, not something
/// that may still refer to it (a memref, a `to_tensor` result, a pointer).
static bool holdsNoReference(Type type) {
  return isa<IntegerType, FloatType, IndexType, VectorType, ComplexType>(type);
}

/// The last op of `block` that uses `buffer` or a view of it (an ancestor
/// in `block` of every such use), or null where the buffer may escape what
/// this can see.
static Operation *findLastUse(Block *block, Value buffer, Operation *dealloc) {
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == dealloc)
        continue;
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || isa<memref::ExtractAlignedPointerAsIndexOp>(user))
        return nullptr;
      if (isa<ViewLikeOpInterface, memref::CastOp>(user)) {
        for (Value result : user->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            worklist.push_back(result);
      } else if (!llvm::all_of(user->getResultTypes(), holdsNoReference)) {
        return nullptr;
      }
      if (last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

namespace {
struct EarlyDeallocationPass
    : muon::impl::EarlyDeallocationPassBase<EarlyDeallocationPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk(
        [&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      Operation *last = findLastUse(block, alloc.getResult(), dealloc);
      if (!last || !last->isBeforeInBlock(dealloc) ||
          last->getNextNode() == dealloc)
        continue;
      dealloc->moveAfter(last);
      ++numMoved;
    }
  }
};
} // namespace
