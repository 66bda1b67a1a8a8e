//===- HoistScalarReads.cpp - Read 0-d inputs once, before the loops
//-------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Lowerings pass the scalars of an update (lr·adjust, bias corrections) into
// element-wise generics as 0-d inputs, which a GPU reads in each kernel. On a
// CPU they are read once: upstream's inline-scalar-operands turns each into a
// tensor.extract in the body, and the invariant scalar work is moved out of
// the body here, so that the loops see registers instead of a load (and a
// possible alias of their stores) per element.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace muon {
#define GEN_PASS_DEF_HOISTSCALARREADSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {

/// Replaces the results of a 0-d generic that only yields values computed
/// before it (what hoisting leaves of the lowerings' scalar generics): reads
/// of a result become the value itself, other uses a tensor.from_elements.
/// Left alone, the generics of a large group all write into one shared
/// tensor.empty, whose uses one-shot bufferization's conflict analysis then
/// compares pairwise.
void forwardYieldedScalars(linalg::GenericOp generic) {
  if (generic.getNumLoops() != 0 || generic.getNumDpsInputs() != 0)
    return;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (!llvm::all_of(yield.getValues(), [&](Value value) {
        return !generic.getRegion().isAncestor(value.getParentRegion());
      }))
    return;
  OpBuilder builder(generic);
  for (auto [result, scalar] :
       llvm::zip_equal(generic.getResults(), yield.getValues())) {
    for (OpOperand &use : llvm::make_early_inc_range(result.getUses()))
      if (auto extract = dyn_cast<tensor::ExtractOp>(use.getOwner())) {
        extract.replaceAllUsesWith(scalar);
        extract.erase();
      }
    if (!result.use_empty())
      result.replaceAllUsesWith(tensor::FromElementsOp::create(
          builder, generic.getLoc(), result.getType(), scalar));
  }
  generic.erase();
}

struct HoistScalarReadsPass
    : muon::impl::HoistScalarReadsPassBase<HoistScalarReadsPass> {
  void runOnOperation() override {
    OpPassManager inlineScalars(getOperation()->getName());
    inlineScalars.addPass(createLinalgInlineScalarOperandsPass());
    if (failed(runPipeline(inlineScalars, getOperation())))
      return signalPassFailure();
    getOperation()->walk([](linalg::GenericOp generic) {
      // Scalar ops only: what depends on no element of the iteration.
      moveLoopInvariantCode(
          &generic.getRegion(),
          [&](Value value, Region *region) {
            return !region->isAncestor(value.getParentRegion());
          },
          [](Operation *op, Region *) {
            // linalg.index has no operands but is the iteration itself.
            return isPure(op) && op->getNumRegions() == 0 &&
                   !isa<linalg::YieldOp, linalg::IndexOp>(op);
          },
          [&](Operation *op, Region *) { op->moveBefore(generic); });
    });
    // Collected first: forwarding erases the reads that follow a generic.
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk(
        [&](linalg::GenericOp generic) { generics.push_back(generic); });
    for (linalg::GenericOp generic : generics)
      forwardYieldedScalars(generic);
  }
};
} // namespace
