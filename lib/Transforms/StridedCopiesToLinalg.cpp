//===- StridedCopiesToLinalg.cpp - Strided copies as loop nests -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// finalize-memref-to-llvm lowers a memref.copy between contiguous buffers to
// memcpy, but one with a strided side (a gradient written into its slice of
// a fused QKV buffer) to a call of the runner utilities' `memrefCopy`,
// which walks the elements one by one on one thread. As a linalg.copy it
// becomes a loop nest like any other: vectorized, and threaded where the
// pipeline threads loops.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_STRIDEDCOPIESTOLINALGPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct StridedCopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(copy.getSource().getType());
    auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
    if (!source || !target)
      return rewriter.notifyMatchFailure(copy, "unranked");
    if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(copy, "contiguous: memcpy");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                copy.getTarget());
    return success();
  }
};

struct StridedCopiesToLinalgPass
    : muon::impl::StridedCopiesToLinalgPassBase<StridedCopiesToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StridedCopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
