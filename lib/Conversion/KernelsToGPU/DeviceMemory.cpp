//===- DeviceMemory.cpp - Host buffer ops to GPU runtime memory ops -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Every buffer of the step lives in device memory, and host code must never
// dereference one: allocations, frees, copies and fills become gpu.alloc,
// gpu.dealloc, gpu.memcpy and gpu.memset (mgpuMemAlloc, ...). The upstream
// lowering of gpu.memcpy takes identity layouts only, but the packed buckets
// are copied slice by slice; so each allocation is raw bytes seen through a
// `memref.view`, and a contiguous slice becomes another view at its byte
// offset.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon::optim {
#define GEN_PASS_DEF_CONVERTMEMORYTOGPU
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;

/// The raw device allocation `value` is a view of (through view-like ops),
/// or null.
static Value getDeviceAllocation(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<gpu::AllocOp>(def))
      return value;
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      value = metadata.getSource();
    else if (auto viewLike = dyn_cast<ViewLikeOpInterface>(def))
      value = viewLike.getViewSource();
    else
      return nullptr;
  }
  return nullptr;
}

/// An identity-layout memref aliasing the contiguous `value`: itself, or a
/// `memref.view` of its device allocation at its byte offset.
static FailureOr<Value> getIdentityView(OpBuilder &b, Location loc,
                                        Value value) {
  auto type = cast<MemRefType>(value.getType());
  if (type.getLayout().isIdentity())
    return value;
  int64_t offset;
  SmallVector<int64_t> strides;
  Value raw = getDeviceAllocation(value);
  if (!raw || !memref::isStaticShapeAndContiguousRowMajor(type) ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset))
    return failure();
  // Allocations are viewed from byte 0, so the element offset of a slice is
  // relative to the start of its raw buffer.
  Value shift = arith::ConstantIndexOp::create(
      b, loc, offset * type.getElementTypeBitWidth() / 8);
  return memref::ViewOp::create(
             b, loc, MemRefType::get(type.getShape(), type.getElementType()),
             raw, shift, ValueRange())
      .getResult();
}

namespace {
/// memref.alloc → raw gpu.alloc of its bytes + memref.view.
struct AllocToGPU : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    MemRefType type = op.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return op.emitOpError("needs a static shape and identity layout to "
                            "live in device memory");
    Location loc = op.getLoc();
    int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
    auto rawType = MemRefType::get({bytes}, rewriter.getI8Type());
    Value raw = gpu::AllocOp::create(rewriter, loc, rawType, Type(),
                                     ValueRange(), ValueRange(), ValueRange())
                    .getMemref();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    rewriter.replaceOpWithNewOp<memref::ViewOp>(op, type, raw, zero,
                                                ValueRange());
    return success();
  }
};

/// memref.dealloc of (a view of) a device allocation → gpu.dealloc.
struct DeallocToGPU : OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::DeallocOp op,
                                PatternRewriter &rewriter) const override {
    Value raw = getDeviceAllocation(op.getMemref());
    if (!raw)
      return rewriter.notifyMatchFailure(op, "not a device allocation");
    rewriter.replaceOpWithNewOp<gpu::DeallocOp>(op, Type(), ValueRange(), raw);
    return success();
  }
};

/// memref.copy of contiguous buffers → gpu.memcpy.
struct CopyToGPU : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> source =
        getIdentityView(rewriter, op.getLoc(), op.getSource());
    FailureOr<Value> target =
        getIdentityView(rewriter, op.getLoc(), op.getTarget());
    if (failed(source) || failed(target))
      return rewriter.notifyMatchFailure(op, "not contiguous device buffers");
    rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(op, Type(), ValueRange(),
                                               *target, *source);
    return success();
  }
};

/// linalg.fill of a whole buffer with a 32- or 16-bit constant → gpu.memset.
struct FillToGPU : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    Value buffer = op.getOutputs().front();
    auto type = cast<MemRefType>(buffer.getType());
    unsigned width = type.getElementTypeBitWidth();
    if (!type.getLayout().isIdentity() || (width != 32 && width != 16))
      return rewriter.notifyMatchFailure(op, "not a memset");
    rewriter.replaceOpWithNewOp<gpu::MemsetOp>(op, Type(), ValueRange(), buffer,
                                               op.getInputs().front());
    return success();
  }
};

struct ConvertMemoryToGPUPass
    : public muon::optim::impl::ConvertMemoryToGPUBase<ConvertMemoryToGPUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AllocToGPU, DeallocToGPU, CopyToGPU, FillToGPU>(
        &getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      signalPassFailure();
    // Whatever is left would make the host touch device memory.
    WalkResult leftover = getOperation()->walk([](Operation *op) {
      if (!isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
               memref::CopyOp>(op))
        return WalkResult::advance();
      op->emitOpError("cannot be turned into a device memory operation (a "
                      "non-contiguous copy or a buffer not allocated by the "
                      "step)");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
