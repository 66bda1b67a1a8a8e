//===- OptimToKernels.cpp - optim updates to fused kernels + GEMM calls ---===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Transforms/DialectConversion.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTOPTIMTOKERNELSPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;
using namespace muon::optim;

void muon::populateOptimToKernelsConversionPatterns(
    RewritePatternSet &patterns) {
  populateMuonToKernelsPatterns(patterns);
  populateAdamWToKernelsPatterns(patterns);
  populateNewtonSchulzToKernelsPatterns(patterns);
}

namespace {
struct ConvertOptimToKernels
    : public muon::impl::ConvertOptimToKernelsPassBase<ConvertOptimToKernels> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalOp<MuonOp, Muon2Op, AdamWOp, NewtonSchulzOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(&getContext());
    muon::populateOptimToKernelsConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
