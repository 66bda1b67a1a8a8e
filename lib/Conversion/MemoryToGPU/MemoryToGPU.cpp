//===- MemoryToGPU.cpp - Host buffer ops to GPU runtime memory ops --------===//
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
// offset. Strided copies run as kernels.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace muon {
#define GEN_PASS_DEF_CONVERTMEMORYTOGPUPASS
#include "muon/Conversion/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// The buffer `value` views: itself, or the source of its views and
/// metadata extractions.
static Value getBufferRoot(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(def))
      value = metadata.getSource();
    else if (auto viewLike = dyn_cast<ViewLikeOpInterface>(def))
      value = viewLike.getViewSource();
    else
      break;
  }
  return value;
}

/// The raw device allocation `value` is a view of (through view-like ops),
/// or null.
static Value getDeviceAllocation(Value value) {
  Value root = getBufferRoot(value);
  return root.getDefiningOp<gpu::AllocOp>() ? root : nullptr;
}

/// Whether `value` is a static, contiguous row-major buffer that an
/// identity-layout view can alias: identity already, or a slice of a device
/// allocation of the step.
static bool hasIdentityView(Value value) {
  auto type = cast<MemRefType>(value.getType());
  if (type.getLayout().isIdentity())
    return true;
  int64_t offset;
  SmallVector<int64_t> strides;
  return getDeviceAllocation(value) &&
         memref::isStaticShapeAndContiguousRowMajor(type) &&
         succeeded(type.getStridesAndOffset(strides, offset)) &&
         !ShapedType::isDynamic(offset);
}

/// Bytes per element of `type` as the LLVM lowering lays buffers out, from
/// the data layout: an i1 takes a whole byte, so 32 of them take 32 bytes,
/// not the 4 their bit width suggests.
static int64_t getElementBytes(Operation *op, MemRefType type) {
  return DataLayout::closest(op).getTypeSize(type.getElementType());
}

/// An identity-layout memref aliasing `value`, which hasIdentityView: itself,
/// or a `memref.view` of its device allocation at its byte offset (the view
/// is created for `user`).
static Value getIdentityView(OpBuilder &b, Operation *user, Value value) {
  Location loc = user->getLoc();
  auto type = cast<MemRefType>(value.getType());
  if (type.getLayout().isIdentity())
    return value;
  int64_t offset;
  SmallVector<int64_t> strides;
  (void)type.getStridesAndOffset(strides, offset);
  // Allocations are viewed from byte 0, so the element offset of a slice is
  // relative to the start of its raw buffer.
  Value shift = arith::ConstantIndexOp::create(
      b, loc, offset * getElementBytes(user, type));
  return memref::ViewOp::create(
             b, loc, MemRefType::get(type.getShape(), type.getElementType()),
             getDeviceAllocation(value), shift, ValueRange())
      .getResult();
}

/// A device buffer of static identity-layout `type` for `op`: a raw
/// gpu.alloc of its bytes seen through a `memref.view` at byte 0 (the view's
/// source is the allocation to free).
static memref::ViewOp createDeviceBuffer(OpBuilder &b, Operation *op,
                                         MemRefType type) {
  Location loc = op->getLoc();
  int64_t bytes = type.getNumElements() * getElementBytes(op, type);
  Value raw =
      gpu::AllocOp::create(b, loc, MemRefType::get({bytes}, b.getI8Type()),
                           Type(), ValueRange(), ValueRange(), ValueRange())
          .getMemref();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return memref::ViewOp::create(b, loc, type, raw, zero, ValueRange());
}

namespace {
/// memref.alloc → raw gpu.alloc of its bytes + memref.view.
struct AllocToGPU : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    MemRefType type = op.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not static with identity layout");
    rewriter.replaceOp(op, createDeviceBuffer(rewriter, op, type).getResult());
    return success();
  }
};

/// Whether `use` of a global stays on the host: the source of a copy (its
/// upload), or a scalar read of host code (outside the `scf.parallel` loops
/// that become kernels).
static bool isHostUse(OpOperand &use) {
  Operation *user = use.getOwner();
  if (auto copy = dyn_cast<gpu::MemcpyOp>(user))
    return copy.getSrc() == use.get();
  return isa<memref::LoadOp>(user) && !user->getParentOfType<scf::ParallelOp>();
}

/// Whether kernels read `global` (directly: not uploaded yet).
static bool isReadByKernels(memref::GetGlobalOp global) {
  return !llvm::all_of(global->getUses(), isHostUse);
}

/// memref.get_global of a constant (a mask or table of the imported graph)
/// → a device copy made at the function's entry and freed at its returns:
/// the global lives in host memory, which kernels cannot read.
struct ConstantGlobalToGPU : OpRewritePattern<memref::GetGlobalOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::GetGlobalOp op,
                                PatternRewriter &rewriter) const override {
    if (!isReadByKernels(op))
      return rewriter.notifyMatchFailure(op, "uploaded already or host-only");
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        op, op.getNameAttr());
    MemRefType type = op.getType();
    if (!global || !global.getConstant() || !type.hasStaticShape() ||
        !type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not a static constant");
    auto function = op->getParentOfType<FunctionOpInterface>();
    if (!function || function.getFunctionBody().empty())
      return rewriter.notifyMatchFailure(op, "not in a function body");
    // A get_global has no operands: the entry block dominates every use,
    // and a copy made there is made once per call, not per loop iteration.
    rewriter.moveOpBefore(op, &function.getFunctionBody().front().front());
    Location loc = op.getLoc();
    rewriter.setInsertionPointAfter(op);
    memref::ViewOp device = createDeviceBuffer(rewriter, op, type);
    Value raw = device.getSource();
    auto upload = gpu::MemcpyOp::create(rewriter, loc, Type(), ValueRange(),
                                        device, op.getResult());
    rewriter.replaceUsesWithIf(op.getResult(), device, [&](OpOperand &use) {
      return use.getOwner() != upload && !isHostUse(use);
    });
    for (Block &block : function.getFunctionBody()) {
      Operation *terminator = block.getTerminator();
      if (!terminator->hasTrait<OpTrait::ReturnLike>())
        continue;
      rewriter.setInsertionPoint(terminator);
      gpu::DeallocOp::create(rewriter, loc, Type(), ValueRange(), raw);
    }
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

/// memref.copy of contiguous buffers → gpu.memcpy; any other copy (a strided
/// slice, as forward graphs insert into and extract from) → linalg.copy,
/// which becomes a kernel like the rest of linalg.
struct CopyToGPU : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    Value source = op.getSource(), target = op.getTarget();
    if (!isa<MemRefType>(source.getType()) ||
        !isa<MemRefType>(target.getType()))
      return rewriter.notifyMatchFailure(op, "unranked");
    if (!hasIdentityView(source) || !hasIdentityView(target)) {
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, source, target);
      return success();
    }
    rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(
        op, Type(), ValueRange(), getIdentityView(rewriter, op, target),
        getIdentityView(rewriter, op, source));
    return success();
  }
};

/// The 32-bit pattern that a 64-bit constant `value` repeats (zero, for
/// one), if any.
static std::optional<uint32_t> getRepeated32BitPattern(Value value) {
  llvm::APInt bits;
  if (auto constant = value.getDefiningOp<arith::ConstantOp>()) {
    if (auto floatAttr = dyn_cast<FloatAttr>(constant.getValue()))
      bits = floatAttr.getValue().bitcastToAPInt();
    else if (auto intAttr = dyn_cast<IntegerAttr>(constant.getValue()))
      bits = intAttr.getValue();
  }
  if (bits.getBitWidth() != 64 ||
      bits.extractBits(32, 0) != bits.extractBits(32, 32))
    return std::nullopt;
  return bits.extractBits(32, 0).getZExtValue();
}

/// linalg.fill of a whole buffer with a 32- or 16-bit constant → gpu.memset;
/// a 64-bit constant repeating a 32-bit pattern (0.0 in f64 slots) →
/// gpu.memset of the same bytes viewed as i32.
struct FillToGPU : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    Value buffer = op.getOutputs().front();
    Value value = op.getInputs().front();
    auto type = cast<MemRefType>(buffer.getType());
    unsigned width = type.getElementTypeBitWidth();
    if (!type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "not contiguous");
    if (width == 64)
      return rewriteAsWords(op, buffer, value, rewriter);
    if (width != 32 && width != 16)
      return rewriter.notifyMatchFailure(op, "not a memset");
    rewriter.replaceOpWithNewOp<gpu::MemsetOp>(op, Type(), ValueRange(), buffer,
                                               value);
    return success();
  }

  static LogicalResult rewriteAsWords(linalg::FillOp op, Value buffer,
                                      Value value, PatternRewriter &rewriter) {
    std::optional<uint32_t> pattern = getRepeated32BitPattern(value);
    auto view = buffer.getDefiningOp<memref::ViewOp>();
    auto type = cast<MemRefType>(buffer.getType());
    if (!pattern || !view || !type.hasStaticShape() ||
        !view.getSource().getDefiningOp<gpu::AllocOp>())
      return rewriter.notifyMatchFailure(op, "not a 32-bit pattern memset");
    Location loc = op.getLoc();
    auto words = memref::ViewOp::create(
        rewriter, loc,
        MemRefType::get({2 * type.getNumElements()}, rewriter.getI32Type()),
        view.getSource(), view.getByteShift(), ValueRange());
    Value word = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getI32IntegerAttr(static_cast<int32_t>(*pattern)));
    rewriter.replaceOpWithNewOp<gpu::MemsetOp>(op, Type(), ValueRange(), words,
                                               word);
    return success();
  }
};

struct ConvertMemoryToGPU
    : public muon::impl::ConvertMemoryToGPUPassBase<ConvertMemoryToGPU> {
  void runOnOperation() override {
    // Allocations first: whether a copy is a memcpy depends on its buffers
    // being device allocations already.
    RewritePatternSet allocations(&getContext());
    allocations.add<AllocToGPU, ConstantGlobalToGPU>(&getContext());
    RewritePatternSet uses(&getContext());
    uses.add<DeallocToGPU, CopyToGPU, FillToGPU>(&getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(allocations),
                                     config)) ||
        failed(applyPatternsGreedily(getOperation(), std::move(uses), config)))
      signalPassFailure();
    // Whatever is left would make the host touch device memory.
    WalkResult leftover = getOperation()->walk([](Operation *op) {
      auto global = dyn_cast<memref::GetGlobalOp>(op);
      if (global && isReadByKernels(global)) {
        op->emitOpError("reads a global that kernels cannot read (not a "
                        "constant of static shape)");
        return WalkResult::interrupt();
      }
      if (!isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
               memref::CopyOp>(op))
        return WalkResult::advance();
      // A buffer that leaves an scf.if / scf.for or a block as a result or
      // argument hides which allocation it is: ownership-based deallocation
      // frees it conditionally, and no pattern can tell a device one.
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        Operation *def = getBufferRoot(dealloc.getMemref()).getDefiningOp();
        if (!def || def->getNumRegions() != 0) {
          op->emitOpError(
              "frees a buffer that crosses control flow (a region result "
              "or block argument); the GPU pipeline takes straight-line "
              "steps: keep loops and branches outside the compiled step");
          return WalkResult::interrupt();
        }
      }
      op->emitOpError("cannot be turned into a device memory operation (a "
                      "dynamic shape, a non-identity allocation, a stack "
                      "buffer or an unranked copy)");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
