//===- OptimToLinalg.cpp - Lower optim to linalg/tensor/arith -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/OptimToLinalg/OptimToLinalg.h"
#include "PatternsImpl.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace muon::optim {
#define GEN_PASS_DEF_CONVERTOPTIMTOLINALG
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

void muon::optim::populateOptimToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  populateAdamWToLinalgPatterns(patterns);
  populateNewtonSchulzToLinalgPatterns(patterns);
  populateONNXOptimizersToLinalgPatterns(patterns);
  populateQKClipToLinalgPatterns(patterns);
}

namespace {
struct ConvertOptimToLinalgPass
    : public muon::optim::impl::ConvertOptimToLinalgBase<
          ConvertOptimToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<OptimDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(&getContext());
    populateOptimDecomposePatterns(patterns);
    populateOptimToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
