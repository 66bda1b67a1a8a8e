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
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace muon {
#define GEN_PASS_DEF_HOISTSCALARREADSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
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
  }
};
} // namespace
