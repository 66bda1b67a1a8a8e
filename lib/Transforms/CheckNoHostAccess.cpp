//===- CheckNoHostAccess.cpp - Host code leaves device buffers alone ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace muon {
#define GEN_PASS_DEF_CHECKNOHOSTACCESSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
/// What a value read on the host decides, through scalar arithmetic.
enum class HostUse { Other, ControlFlow, ViewOffset };
} // namespace

/// A branch or a loop's bounds (a run-time If condition, Loop trip count or
/// condition) first, else a view's offset (a Slice's run-time start).
static HostUse getHostUse(Value value) {
  SmallVector<Value> worklist = {value};
  llvm::SmallPtrSet<Operation *, 8> seen;
  HostUse use = HostUse::Other;
  while (!worklist.empty()) {
    for (Operation *user : worklist.pop_back_val().getUsers()) {
      if (!seen.insert(user).second)
        continue;
      if (isa<scf::IfOp, scf::ConditionOp, scf::ForOp, scf::WhileOp>(user))
        return HostUse::ControlFlow;
      if (isa<memref::SubViewOp, memref::ReinterpretCastOp>(user))
        use = HostUse::ViewOffset;
      if (isa_and_nonnull<arith::ArithDialect>(user->getDialect()))
        llvm::append_range(worklist, user->getResults());
    }
  }
  return use;
}

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
        InFlightDiagnostic diag = op->emitOpError(
            "reads or writes a buffer in host code; every buffer of a GPU "
            "program is device memory, so a GPU run would fault here");
        auto load = dyn_cast<memref::LoadOp>(op);
        HostUse use = load ? getHostUse(load.getResult()) : HostUse::Other;
        if (use == HostUse::ControlFlow)
          diag << " (the value decides a branch or a loop, as an ONNX If or "
                  "Loop on a run-time condition or trip count does; the GPU "
                  "pipeline needs those constant: run such steps on the CPU "
                  "pipeline)";
        if (use == HostUse::ViewOffset)
          diag << " (the value offsets a view, as a Slice's run-time start "
                  "read from a tensor does; the GPU pipeline needs offsets "
                  "the host computes, as from a Loop's iteration number: run "
                  "such steps on the CPU pipeline)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
