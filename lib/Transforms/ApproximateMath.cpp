//===- ApproximateMath.cpp - Polynomial approximations of math ops --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct ApproximateMathPass
    : muon::impl::ApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::string> names(ops.begin(), ops.end());
    if (names.empty())
      names = {"erf", "exp", "tanh"};
    // Upstream asks by full op name (`math.erf`).
    auto selected = [&](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained(names, name);
    };
    // Upstream's patterns take scalars and vectors: on a tensor they compare
    // it with a scalar (invalid IR). Other ops are left to their lowering.
    auto isScalarOrVector = [](Type type) {
      return type.isIntOrIndexOrFloat() || isa<VectorType>(type);
    };
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (selected(op->getName().getStringRef()) &&
          llvm::all_of(op->getOperandTypes(), isScalarOrVector) &&
          llvm::all_of(op->getResultTypes(), isScalarOrVector))
        candidates.push_back(op);
    });
    RewritePatternSet patterns(&getContext());
    populateMathF32ExpansionPatterns(patterns, selected);
    populateMathPolynomialApproximationPatterns(patterns, selected);
    // New ops too: an f16 op's expansion is an f32 op to approximate.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(
            applyOpPatternsGreedily(candidates, std::move(patterns), config)))
      return signalPassFailure();
  }
};
} // namespace
