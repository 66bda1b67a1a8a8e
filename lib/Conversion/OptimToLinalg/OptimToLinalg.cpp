//===- OptimToLinalg.cpp - Lower optim to linalg/tensor/arith -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTOPTIMTOLINALGPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;
using namespace muon::optim;

void muon::populateOptimToLinalgConversionPatterns(RewritePatternSet &patterns,
                                                   NewtonSchulzGemm nsGemm) {
  populateAdamWToLinalgPatterns(patterns);
  populateNewtonSchulzToLinalgPatterns(patterns, nsGemm);
  populateONNXOptimizersToLinalgPatterns(patterns);
  populateQKClipToLinalgPatterns(patterns);
}

namespace {
struct ConvertOptimToLinalg
    : public muon::impl::ConvertOptimToLinalgPassBase<ConvertOptimToLinalg> {
  using Base::Base;

  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<OptimDialect>();
    // Lowered after bufferization (convert-scatter-add-to-loops).
    target.addLegalOp<ScatterAddOp>();
    // Bufferized into fused kernels (lib/Conversion/OptimToKernels).
    auto isFusable = [&](Operation *op) {
      if (!keepFusable)
        return false;
      if (auto muon2 = dyn_cast<Muon2Op>(op))
        return !muon2.isFactored();
      return isa<MuonOp, AdamWOp, NewtonSchulzOp>(op);
    };
    target.addDynamicallyLegalOp<MuonOp, Muon2Op, AdamWOp, NewtonSchulzOp>(
        isFusable);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    // optim-decompose is the one pass that decomposes the Muon updates.
    WalkResult undecomposed = getOperation()->walk([&](Operation *op) {
      if (!isa<MuonOp, Muon2Op>(op) || isFusable(op))
        return WalkResult::advance();
      op->emitOpError("must be decomposed first (optim-decompose)");
      return WalkResult::interrupt();
    });
    if (undecomposed.wasInterrupted())
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    muon::populateOptimToLinalgConversionPatterns(patterns, nsGemm);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
