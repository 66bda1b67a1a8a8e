//===- CheckCUDATarget.cpp - A chip and PTX version NVPTX accepts ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "muon/Utils/CUDATarget.h"

namespace muon {
#define GEN_PASS_DEF_CHECKCUDATARGETPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct CheckCUDATargetPass
    : muon::impl::CheckCUDATargetPassBase<CheckCUDATargetPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<std::string> resolved =
        muon::resolveCUDAFeatures(chip, features);
    if (resolved)
      return;
    // An option error: no place in the module to point at.
    emitError(UnknownLoc::get(&getContext()))
        << "invalid CUDA target: " << llvm::toString(resolved.takeError());
    signalPassFailure();
  }
};
} // namespace
