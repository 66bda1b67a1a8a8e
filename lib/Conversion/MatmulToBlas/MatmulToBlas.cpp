//===- MatmulToBlas.cpp - linalg matmuls to CPU runtime GEMM calls --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Newton–Schulz spends nearly all its time in GEMMs; loops from
// convert-linalg-to-loops run them an order of magnitude below what OpenBLAS
// reaches on the same cores, so bufferized matmuls become runtime calls.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon::optim {
#define GEN_PASS_DEF_CONVERTMATMULTOBLAS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;

namespace {

/// Which operands of a (batch) matmul are read transposed, from its indexing
/// maps; failure for broadcasts and other non-GEMM maps.
struct GemmLayout {
  bool transposeA;
  bool transposeB;
};

FailureOr<GemmLayout> getGemmLayout(linalg::LinalgOp op, unsigned numBatch) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  // Loop dims: batch..., m, n, k.
  auto dims = [&](std::initializer_list<unsigned> inner) {
    SmallVector<AffineExpr> exprs;
    for (unsigned b = 0; b < numBatch; ++b)
      exprs.push_back(getAffineDimExpr(b, ctx));
    for (unsigned d : inner)
      exprs.push_back(getAffineDimExpr(numBatch + d, ctx));
    return AffineMap::get(numBatch + 3, 0, exprs, ctx);
  };
  enum { M = 0, N = 1, K = 2 };
  if (maps.size() != 3 || maps[2] != dims({M, N}))
    return failure();
  GemmLayout layout;
  if (maps[0] == dims({M, K}))
    layout.transposeA = false;
  else if (maps[0] == dims({K, M}))
    layout.transposeA = true;
  else
    return failure();
  if (maps[1] == dims({K, N}))
    layout.transposeB = false;
  else if (maps[1] == dims({N, K}))
    layout.transposeB = true;
  else
    return failure();
  return layout;
}

/// Name of the runtime entry point for these element types, if there is one.
std::optional<std::string> getRuntimeFunction(linalg::LinalgOp op,
                                              bool batched) {
  Type a = getElementTypeOrSelf(op.getDpsInputOperand(0)->get().getType());
  Type b = getElementTypeOrSelf(op.getDpsInputOperand(1)->get().getType());
  Type c = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
  if (a != b || !c.isF32())
    return std::nullopt;
  StringRef prefix = batched ? "muon_cpu_batch_matmul_" : "muon_cpu_matmul_";
  if (a.isF32())
    return (prefix + "f32").str();
  if (a.isBF16())
    return (prefix + "bf16").str();
  return std::nullopt;
}

/// Rewrites linalg.matmul / linalg.batch_matmul on memrefs into a call of the
/// CPU runtime GEMM for their element types.
template <typename MatmulOp>
struct MatmulToRuntimeCall : OpRewritePattern<MatmulOp> {
  using OpRewritePattern<MatmulOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    constexpr bool batched = std::is_same_v<MatmulOp, linalg::BatchMatmulOp>;
    auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
    if (!linalgOp.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "expects bufferized operands");
    FailureOr<GemmLayout> layout = getGemmLayout(linalgOp, batched ? 1 : 0);
    if (failed(layout))
      return rewriter.notifyMatchFailure(op, "not a plain or transposed GEMM");
    std::optional<std::string> callee = getRuntimeFunction(linalgOp, batched);
    if (!callee)
      return rewriter.notifyMatchFailure(op, "no runtime GEMM for its types");

    Location loc = op.getLoc();
    SmallVector<Value> args;
    for (Value operand : op->getOperands())
      args.push_back(muon::castToDynamicStrided(rewriter, loc, operand));
    args.push_back(arith::ConstantIntOp::create(rewriter, loc,
                                                layout->transposeA, 64));
    args.push_back(arith::ConstantIntOp::create(rewriter, loc,
                                                layout->transposeB, 64));
    muon::createRuntimeCall(rewriter, loc, *callee, args);
    rewriter.eraseOp(op);
    return success();
  }
};

struct ConvertMatmulToBlasPass
    : muon::optim::impl::ConvertMatmulToBlasBase<ConvertMatmulToBlasPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulToRuntimeCall<linalg::MatmulOp>,
                 MatmulToRuntimeCall<linalg::BatchMatmulOp>>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
