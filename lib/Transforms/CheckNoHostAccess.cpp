//===- CheckNoHostAccess.cpp - Host code leaves device buffers alone ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace muon {
#define GEN_PASS_DEF_CHECKNOHOSTACCESSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct CheckNoHostAccessPass
    : muon::impl::CheckNoHostAccessPassBase<CheckNoHostAccessPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([](Operation *op) {
      // The runtime's memory operations (gpu.memcpy, gpu.memset) are meant
      // for device buffers.
      if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
        return WalkResult::advance();
      auto effects = dyn_cast<MemoryEffectOpInterface>(op);
      if (!effects)
        return WalkResult::advance();
      SmallVector<MemoryEffects::EffectInstance> instances;
      effects.getEffects(instances);
      for (const MemoryEffects::EffectInstance &effect : instances) {
        Value value = effect.getValue();
        if (!value || !isa<MemRefType>(value.getType()) ||
            !isa<MemoryEffects::Read, MemoryEffects::Write>(effect.getEffect()))
          continue;
        op->emitOpError("reads or writes a buffer in host code; every buffer "
                        "of a GPU program is device memory, so a GPU run "
                        "would fault here");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
