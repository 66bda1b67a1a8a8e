//===- Decompose.cpp - optim.muon/muon2 to moment math + NS ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMDECOMPOSE
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

// TODO(skeleton): patterns are being written; the pass is a no-op until then.
void muon::optim::populateOptimDecomposePatterns(RewritePatternSet &patterns) {}

namespace {
struct OptimDecomposePass
    : public muon::optim::impl::OptimDecomposeBase<OptimDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateOptimDecomposePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
