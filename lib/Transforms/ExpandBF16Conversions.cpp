//===- ExpandBF16Conversions.cpp - f32 <-> bf16 without libcalls ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Without AVX512-BF16 or AVX-NE-CONVERT, LLVM rounds f32 to bf16 through a
// call of `__truncsfbf2`, which GCC 12's libgcc lacks: AOT libraries with a
// bf16 Newton–Schulz then fail to link. Upstream's bf16 expansion rounds on
// the integer bits instead, on every CPU alike.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_EXPANDBF16CONVERSIONSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct ExpandBF16ConversionsPass
    : muon::impl::ExpandBF16ConversionsPassBase<ExpandBF16ConversionsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
