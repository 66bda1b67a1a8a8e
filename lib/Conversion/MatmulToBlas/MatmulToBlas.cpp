//===- MatmulToBlas.cpp - linalg matmuls to CPU runtime GEMM calls --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Training steps spend most of their time in GEMMs; loops from
// convert-linalg-to-loops run them an order of magnitude below what a tuned
// BLAS (oneDNN) reaches on the same cores, so bufferized matmuls become
// runtime calls. The GPU pipeline does the same for the matmuls of imported
// training graphs (cuBLASLt instead of generic thread loops). The pass also
// drops the zero fill a product overwrites and loops over batch dims that
// no single stride spans.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"
#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Utils/GemmMatch.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
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

/// The layout of one GEMM's operand: a static shape with known strides.
struct OperandLayout {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> strides;

  /// `type`'s layout with its dims in `permutation`'s order (identity if
  /// empty); failure for dynamic shapes or strides.
  static FailureOr<OperandLayout> get(MemRefType type,
                                      ArrayRef<int64_t> permutation) {
    OperandLayout layout;
    int64_t offset;
    if (!type.hasStaticShape() ||
        failed(type.getStridesAndOffset(layout.strides, offset)) ||
        llvm::any_of(layout.strides, ShapedType::isDynamic))
      return failure();
    layout.shape = llvm::to_vector(type.getShape());
    if (!permutation.empty()) {
      applyPermutationToVector(layout.shape, permutation);
      applyPermutationToVector(layout.strides, permutation);
    }
    return layout;
  }

  /// The layout without its first `count` dims (looped over).
  OperandLayout dropFront(unsigned count) const {
    return {llvm::to_vector(ArrayRef(shape).drop_front(count)),
            llvm::to_vector(ArrayRef(strides).drop_front(count))};
  }

  MemRefType getType(Type element) const {
    return MemRefType::get(shape, element,
                           StridedLayoutAttr::get(element.getContext(),
                                                  ShapedType::kDynamic,
                                                  strides));
  }
};

bool hasGemmView(const OperandLayout &layout, Type element,
                 ArrayRef<ReassociationIndices> groups) {
  return groups.size() == layout.shape.size() ||
         memref::CollapseShapeOp::isGuaranteedCollapsible(
             layout.getType(element), groups);
}

/// BLAS takes sizes and leading dimensions as 32-bit ints: a matmul whose
/// matrices (after collapsing the groups) have a size or stride beyond that
/// stays a loop nest, which indexes in 64 bits.
bool fitsBlasIndexing(const OperandLayout &layout,
                      ArrayRef<ReassociationIndices> groups) {
  constexpr int64_t kMaxBlasInt = std::numeric_limits<int32_t>::max();
  for (const ReassociationIndices &group : groups) {
    int64_t size = 1;
    for (int64_t dim : group) {
      if (layout.strides[dim] > kMaxBlasInt)
        return false;
      size *= layout.shape[dim];
      if (size > kMaxBlasInt)
        return false;
    }
  }
  return true;
}

/// Whether the GPU runtime's GEMM takes the matrices of this layout: each
/// contiguous along one of its two dims (cuBLASLt's leading dimension).
bool hasGPUGemmLayout(const OperandLayout &layout,
                      ArrayRef<ReassociationIndices> groups) {
  size_t n = groups.size();
  return layout.strides[groups[n - 1].back()] == 1 ||
         layout.strides[groups[n - 2].back()] == 1;
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

/// `groups` with the first `count` dims of the batch group looped over.
SmallVector<ReassociationIndices>
dropLoopedDims(ArrayRef<ReassociationIndices> groups, unsigned count) {
  SmallVector<ReassociationIndices> result;
  for (const ReassociationIndices &group : groups) {
    ReassociationIndices shifted;
    for (int64_t dim : group)
      if (dim >= count)
        shifted.push_back(dim - count);
    if (!shifted.empty())
      result.push_back(std::move(shifted));
  }
  return result;
}

/// The GEMM calls of one contraction: its operands' dims permuted batch
/// first, and the leading batch dims that no single stride spans (heads
/// interleaved with sequence positions) looped over around the call.
struct GemmPlan {
  SmallVector<OperandLayout> layouts; // per operand, after the loops
  SmallVector<SmallVector<ReassociationIndices>> groups;
  unsigned loopedDims = 0;
};

/// The plan for `op`, if every call's operands collapse to [batch,] rows,
/// cols matrices that `accepts` takes.
FailureOr<GemmPlan> planGemm(
    linalg::LinalgOp op, const muon::GemmMatch &match,
    function_ref<bool(const OperandLayout &, ArrayRef<ReassociationIndices>)>
        accepts) {
  SmallVector<OperandLayout> layouts;
  for (auto [operand, permutation] :
       llvm::zip(op->getOperands(), match.permutations)) {
    FailureOr<OperandLayout> layout =
        OperandLayout::get(cast<MemRefType>(operand.getType()), permutation);
    if (failed(layout))
      return failure();
    layouts.push_back(*layout);
  }
  unsigned batchDims = match.hasBatch ? match.groups[2].front().size() : 0;
  // The runtime GEMMs take one batch count for all operands: a broadcast
  // operand's batch dims are all looped over.
  for (unsigned looped = match.broadcastA ? batchDims : 0; looped <= batchDims;
       ++looped) {
    GemmPlan plan;
    plan.loopedDims = looped;
    bool feasible = true;
    for (auto [index, operand, layout, groups] :
         llvm::enumerate(op->getOperands(), layouts, match.groups)) {
      unsigned dropped = match.isBroadcast(index) ? 0 : looped;
      plan.layouts.push_back(layout.dropFront(dropped));
      plan.groups.push_back(dropLoopedDims(groups, dropped));
      feasible = feasible &&
                 hasGemmView(plan.layouts.back(),
                             getElementTypeOrSelf(operand.getType()),
                             plan.groups.back()) &&
                 accepts(plan.layouts.back(), plan.groups.back());
    }
    if (feasible)
      return plan;
  }
  return failure();
}

/// Emits `call` on each GEMM's operand views ([batch,] rows, cols before
/// collapsing, per `plan`): in loops over the looped batch dims.
void emitGemmCalls(
    PatternRewriter &rewriter, linalg::LinalgOp op,
    const muon::GemmMatch &match, const GemmPlan &plan,
    function_ref<void(OpBuilder &, Location, ArrayRef<Value>)> call) {
  Location loc = op.getLoc();
  SmallVector<Value> views;
  for (auto [operand, permutation] :
       llvm::zip(op->getOperands(), match.permutations))
    views.push_back(permutation.empty()
                        ? operand
                        : memref::TransposeOp::create(
                              rewriter, loc, operand,
                              AffineMapAttr::get(AffineMap::getPermutationMap(
                                  permutation, rewriter.getContext()))));
  if (plan.loopedDims == 0)
    return call(rewriter, loc, views);
  auto resultShape = cast<MemRefType>(views[2].getType()).getShape();
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t size : resultShape.take_front(plan.loopedDims)) {
    lbs.push_back(arith::ConstantIndexOp::create(rewriter, loc, 0));
    ubs.push_back(arith::ConstantIndexOp::create(rewriter, loc, size));
    steps.push_back(arith::ConstantIndexOp::create(rewriter, loc, 1));
  }
  scf::buildLoopNest(
      rewriter, loc, lbs, ubs, steps,
      [&](OpBuilder &b, Location nested, ValueRange ivs) {
        SmallVector<Value> slices;
        for (auto [index, view] : llvm::enumerate(views)) {
          if (match.isBroadcast(index)) {
            slices.push_back(view);
            continue;
          }
          auto type = cast<MemRefType>(view.getType());
          SmallVector<OpFoldResult> offsets(ivs.begin(), ivs.end());
          SmallVector<OpFoldResult> sizes(plan.loopedDims, b.getIndexAttr(1));
          for (int64_t size : type.getShape().drop_front(plan.loopedDims)) {
            offsets.push_back(b.getIndexAttr(0));
            sizes.push_back(b.getIndexAttr(size));
          }
          SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
          auto sliceType = memref::SubViewOp::inferRankReducedResultType(
              type.getShape().drop_front(plan.loopedDims), type, offsets, sizes,
              strides);
          slices.push_back(
              memref::SubViewOp::create(b, nested, cast<MemRefType>(sliceType),
                                        view, offsets, sizes, strides));
        }
        call(b, nested, slices);
      });
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
    return gpu ? rewriteToGPUCall(op, *match, rewriter)
               : rewriteToCPUCall(op, *match, rewriter);
  }

private:
  LogicalResult rewriteToCPUCall(linalg::LinalgOp op,
                                 const muon::GemmMatch &match,
                                 PatternRewriter &rewriter) const {
    FailureOr<GemmPlan> plan = planGemm(op, match, fitsBlasIndexing);
    if (failed(plan))
      return rewriter.notifyMatchFailure(
          op, "dim groups do not collapse, or beyond 32-bit BLAS ints");
    bool batched = plan->groups[2].size() == 3;
    std::optional<std::string> callee = getCPURuntimeFunction(op, batched);
    if (!callee)
      return rewriter.notifyMatchFailure(op, "no runtime GEMM for its types");
    linalg::FillOp fill = getOverwritableZeroFill(op);
    float beta = fill ? 0.0f : 1.0f;
    emitGemmCalls(rewriter, op, match, *plan,
                  [&](OpBuilder &b, Location loc, ArrayRef<Value> views) {
                    SmallVector<Value> args;
                    for (auto [view, groups] : llvm::zip(views, plan->groups))
                      args.push_back(muon::castToDynamicStrided(
                          b, loc, toGemmView(b, loc, view, groups, batched)));
                    args.push_back(arith::ConstantIntOp::create(
                        b, loc, match.transposeA, 64));
                    args.push_back(arith::ConstantIntOp::create(
                        b, loc, match.transposeB, 64));
                    args.push_back(arith::ConstantFloatOp::create(
                        b, loc, b.getF32Type(), APFloat(beta)));
                    muon::createRuntimeCall(b, loc, *callee, args);
                  });
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
    if (llvm::any_of(op->getOperands(), [&](Value operand) {
          return getElementTypeOrSelf(operand.getType()) != type;
        }))
      return rewriter.notifyMatchFailure(op, "mixed element types");
    FailureOr<GemmPlan> plan = planGemm(op, match, hasGPUGemmLayout);
    if (failed(plan))
      return rewriter.notifyMatchFailure(op, "layout");
    linalg::FillOp fill = getOverwritableZeroFill(op);
    StringRef variant;
    if (type.isF32() && precision == muon::GemmPrecision::TF32)
      variant = "_as_tf32";
    else if (type.isF32() && precision == muon::GemmPrecision::BF16)
      variant = "_as_bf16";
    emitGemmCalls(rewriter, op, match, *plan,
                  [&](OpBuilder &b, Location loc, ArrayRef<Value> views) {
                    SmallVector<Value> matrices;
                    for (auto [view, groups] : llvm::zip(views, plan->groups))
                      matrices.push_back(
                          toGemmView(b, loc, view, groups, /*batched=*/true));
                    muon::createGPUGemmCall(
                        b, loc, matrices[0], matrices[1], matrices[2],
                        matrices[2], /*alpha=*/1.0,
                        /*beta=*/fill ? 0.0 : 1.0, match.transposeA,
                        match.transposeB, variant);
                  });
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
