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

#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

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

/// OpenBLAS (Debian's build) takes sizes and leading dimensions as 32-bit
/// ints: a matmul with a static size or stride beyond that stays a loop nest,
/// which indexes in 64 bits.
bool fitsBlasIndexing(linalg::LinalgOp op) {
  constexpr int64_t kMaxBlasInt = std::numeric_limits<int32_t>::max();
  for (Value operand : op->getOperands()) {
    auto type = cast<MemRefType>(operand.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)))
      return false;
    for (int64_t extent : llvm::concat<const int64_t>(type.getShape(), strides))
      if (!ShapedType::isDynamic(extent) && extent > kMaxBlasInt)
        return false;
  }
  return true;
}

/// A rank-`rank` memref with fully dynamic sizes, strides and offset: the one
/// type each runtime entry point takes, whatever layout bufferization chose.
MemRefType getDynamicStridedType(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic,
                                       dynamic);
  return MemRefType::get(dynamic, type.getElementType(), layout);
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
    if (!fitsBlasIndexing(linalgOp))
      return rewriter.notifyMatchFailure(op, "sizes beyond 32-bit BLAS ints");

    Location loc = op.getLoc();
    SmallVector<Value> args;
    for (Value operand : op->getOperands()) {
      auto type = cast<MemRefType>(operand.getType());
      args.push_back(memref::CastOp::create(
          rewriter, loc, getDynamicStridedType(type), operand));
    }
    args.push_back(arith::ConstantIntOp::create(rewriter, loc,
                                                layout->transposeA, 64));
    args.push_back(arith::ConstantIntOp::create(rewriter, loc,
                                                layout->transposeB, 64));

    auto module = op->template getParentOfType<ModuleOp>();
    FunctionType fnType =
        rewriter.getFunctionType(ValueRange(args).getTypes(), {});
    if (!SymbolTable::lookupSymbolIn(module, *callee)) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      auto decl = func::FuncOp::create(rewriter, loc, *callee, fnType);
      decl.setPrivate();
      // The runtime takes memref descriptors by pointer.
      decl->setAttr("llvm.emit_c_interface", rewriter.getUnitAttr());
    }
    rewriter.replaceOpWithNewOp<func::CallOp>(op, *callee, TypeRange(), args);
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
