//===- MatmulToBlas.cpp - linalg matmuls to CPU runtime GEMM calls --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Newton–Schulz spends nearly all its time in GEMMs; loops from
// convert-linalg-to-loops run them an order of magnitude below what OpenBLAS
// reaches on the same cores, so bufferized matmuls become runtime calls. The
// GPU pipeline does the same for the matmuls of imported training graphs
// (cuBLASLt instead of generic thread loops).
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"
#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Utils/GemmMatch.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace muon {
#define GEN_PASS_DEF_CONVERTMATMULTOBLASPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {

/// Name of the CPU runtime entry point for these element types, if any.
std::optional<std::string> getCPURuntimeFunction(linalg::LinalgOp op,
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

bool hasGemmView(Value buffer, ArrayRef<ReassociationIndices> groups) {
  auto type = cast<MemRefType>(buffer.getType());
  return groups.size() == static_cast<size_t>(type.getRank()) ||
         memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups);
}

/// OpenBLAS (Debian's build) takes sizes and leading dimensions as 32-bit
/// ints: a matmul whose matrices (after collapsing the groups) have a size
/// or stride beyond that stays a loop nest, which indexes in 64 bits.
bool fitsBlasIndexing(Value buffer, ArrayRef<ReassociationIndices> groups) {
  constexpr int64_t kMaxBlasInt = std::numeric_limits<int32_t>::max();
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() ||
      failed(type.getStridesAndOffset(strides, offset)))
    return false;
  for (const ReassociationIndices &group : groups) {
    int64_t size = 1;
    for (int64_t dim : group) {
      if (ShapedType::isDynamic(strides[dim]) || strides[dim] > kMaxBlasInt)
        return false;
      size *= type.getDimSize(dim);
      if (size > kMaxBlasInt)
        return false;
    }
  }
  return true;
}

/// `buffer` with its dim groups collapsed: [batch,] rows, cols; with
/// `batched`, a missing batch dim becomes a leading unit dim.
Value toGemmView(OpBuilder &b, Location loc, Value buffer,
                 ArrayRef<ReassociationIndices> groups, bool batched) {
  auto type = cast<MemRefType>(buffer.getType());
  if (groups.size() != static_cast<size_t>(type.getRank()))
    buffer = memref::CollapseShapeOp::create(b, loc, buffer, groups);
  auto view = cast<MemRefType>(buffer.getType());
  if (!batched || view.getRank() == 3)
    return buffer;
  SmallVector<int64_t> shape = {1, view.getDimSize(0), view.getDimSize(1)};
  // The result type follows from the layout: a leading unit dim expands any.
  return memref::ExpandShapeOp::create(
      b, loc, shape, buffer, SmallVector<ReassociationIndices>{{0, 1}, {2}});
}

/// Whether the GPU runtime's GEMM takes the matrices of `buffer` viewed
/// through `groups`: static, each contiguous along one of its two dims
/// (cuBLASLt's leading dimension).
bool hasGPUGemmLayout(Value buffer, ArrayRef<ReassociationIndices> groups) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t offset;
  SmallVector<int64_t> strides;
  if (!type.hasStaticShape() ||
      failed(type.getStridesAndOffset(strides, offset)))
    return false;
  size_t n = groups.size();
  return strides[groups[n - 1].back()] == 1 ||
         strides[groups[n - 2].back()] == 1;
}

/// `buffer` without the reshapes and casts on it: views of the same elements.
Value stripReshapes(Value buffer) {
  while (Operation *op = buffer.getDefiningOp()) {
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(op))
      buffer = collapse.getSrc();
    else if (auto expand = dyn_cast<memref::ExpandShapeOp>(op))
      buffer = expand.getSrc();
    else if (auto cast = dyn_cast<memref::CastOp>(op))
      buffer = cast.getSource();
    else
      break;
  }
  return buffer;
}

/// The allocation `buffer` is a view of, if any.
memref::AllocOp getAllocation(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer.getDefiningOp<memref::AllocOp>();
}

/// The zero fill of `op`'s accumulator that the product can overwrite
/// instead (beta = 0): earlier in the same block, over the same elements of
/// a fresh allocation that nothing reads or writes in between. Bufferized
/// contractions start from such a fill; writing the product straight away
/// saves a pass over C.
linalg::FillOp getOverwritableZeroFill(linalg::LinalgOp op) {
  Value accumulator = stripReshapes(op.getDpsInitOperand(0)->get());
  memref::AllocOp allocation = getAllocation(accumulator);
  if (!allocation)
    return nullptr;
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.hasPureBufferSemantics() &&
        stripReshapes(fill.getOutputs()[0]) == accumulator)
      return matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) ? fill
                                                                 : nullptr;
    // Any access to the allocation in between, nested ones included.
    WalkResult access = prev->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (isa<BaseMemRefType>(operand.getType()) &&
            getAllocation(operand) == allocation &&
            !isa<ViewLikeOpInterface>(nested))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (access.wasInterrupted())
      return nullptr;
  }
  return nullptr;
}

/// Rewrites GEMM contractions on memrefs into a call of the runtime GEMM for
/// their element types: the CPU runtime's BLAS entry points, or the GPU
/// runtime's D = op(A)·op(B) + C with D = C.
struct GemmToRuntimeCall : OpInterfaceRewritePattern<linalg::LinalgOp> {
  GemmToRuntimeCall(MLIRContext *context, bool gpu,
                    muon::GemmPrecision precision)
      : OpInterfaceRewritePattern<linalg::LinalgOp>(context), gpu(gpu),
        precision(precision) {}

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "expects bufferized operands");
    FailureOr<muon::GemmMatch> match = muon::matchGemm(op);
    if (failed(match))
      return rewriter.notifyMatchFailure(op, "not a plain or transposed GEMM");
    for (auto [operand, groups] : llvm::zip(op->getOperands(), match->groups))
      if (!hasGemmView(operand, groups))
        return rewriter.notifyMatchFailure(op, "dim groups do not collapse");
    return gpu ? rewriteToGPUCall(op, *match, rewriter)
               : rewriteToCPUCall(op, *match, rewriter);
  }

private:
  LogicalResult rewriteToCPUCall(linalg::LinalgOp op,
                                 const muon::GemmMatch &match,
                                 PatternRewriter &rewriter) const {
    std::optional<std::string> callee =
        getCPURuntimeFunction(op, match.hasBatch);
    if (!callee)
      return rewriter.notifyMatchFailure(op, "no runtime GEMM for its types");
    for (auto [operand, groups] : llvm::zip(op->getOperands(), match.groups))
      if (!fitsBlasIndexing(operand, groups))
        return rewriter.notifyMatchFailure(op, "sizes beyond 32-bit BLAS ints");
    Location loc = op.getLoc();
    SmallVector<Value> args;
    for (auto [operand, groups] : llvm::zip(op->getOperands(), match.groups))
      args.push_back(muon::castToDynamicStrided(
          rewriter, loc,
          toGemmView(rewriter, loc, operand, groups, match.hasBatch)));
    args.push_back(
        arith::ConstantIntOp::create(rewriter, loc, match.transposeA, 64));
    args.push_back(
        arith::ConstantIntOp::create(rewriter, loc, match.transposeB, 64));
    linalg::FillOp fill = getOverwritableZeroFill(op);
    args.push_back(arith::ConstantFloatOp::create(
        rewriter, loc, rewriter.getF32Type(), APFloat(fill ? 0.0f : 1.0f)));
    muon::createRuntimeCall(rewriter, loc, *callee, args);
    rewriter.eraseOp(op);
    if (fill)
      rewriter.eraseOp(fill);
    return success();
  }

  LogicalResult rewriteToGPUCall(linalg::LinalgOp op,
                                 const muon::GemmMatch &match,
                                 PatternRewriter &rewriter) const {
    Type type = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
    if (!type.isF32() && !type.isBF16())
      return rewriter.notifyMatchFailure(op, "no GPU GEMM for its type");
    for (auto [operand, groups] : llvm::zip(op->getOperands(), match.groups))
      if (getElementTypeOrSelf(operand.getType()) != type ||
          !hasGPUGemmLayout(operand, groups))
        return rewriter.notifyMatchFailure(op, "mixed types or layout");
    Location loc = op.getLoc();
    auto view = [&](unsigned operand) {
      return toGemmView(rewriter, loc, op->getOperand(operand),
                        match.groups[operand], /*batched=*/true);
    };
    Value accumulator = view(2);
    linalg::FillOp fill = getOverwritableZeroFill(op);
    StringRef variant;
    if (type.isF32() && precision == muon::GemmPrecision::TF32)
      variant = "_as_tf32";
    else if (type.isF32() && precision == muon::GemmPrecision::BF16)
      variant = "_as_bf16";
    muon::createGPUGemmCall(rewriter, loc, view(0), view(1), accumulator,
                            accumulator, /*alpha=*/1.0,
                            /*beta=*/fill ? 0.0 : 1.0, match.transposeA,
                            match.transposeB, variant);
    rewriter.eraseOp(op);
    if (fill)
      rewriter.eraseOp(fill);
    return success();
  }

  bool gpu;
  muon::GemmPrecision precision;
};

struct ConvertMatmulToBlas
    : muon::impl::ConvertMatmulToBlasPassBase<ConvertMatmulToBlas> {
  using ConvertMatmulToBlasPassBase::ConvertMatmulToBlasPassBase;

  void runOnOperation() override {
    if (runtime == muon::BlasRuntime::CPU &&
        precision != muon::GemmPrecision::FP32) {
      getOperation().emitError("convert-matmul-to-blas: precision=tf32/bf16 "
                               "needs runtime=gpu (the CPU runtime's BLAS "
                               "calls compute in fp32)");
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<GemmToRuntimeCall>(
        &getContext(), runtime == muon::BlasRuntime::GPU, precision);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
