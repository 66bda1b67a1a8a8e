//===- BufferizableOpInterfaceImpl.cpp - Updates bufferize to kernels -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `optim.muon`, `optim.muon2`, `optim.adamw` and `optim.newton_schulz`
// bufferize into their fused kernels and GEMM calls, built on the buffers
// one-shot bufferization assigns to their operands. The kernels write every
// result into a fresh buffer in the result's shape, which the analysis sees
// as an allocation (a result that is returned becomes the caller's
// out-param) — except an updated parameter or state whose only use is to be
// materialized into the donated argument it was computed from (the in-place
// ABI, muon-materialize-aliased-results): that result is the argument's
// buffer, updated in place (the kernels read and write each element of it
// in one thread), so nothing is allocated for it or copied back.
//
//===----------------------------------------------------------------------===//

#include "KernelLowerings.h"

#include "muon/Conversion/OptimToKernels/OptimToKernels.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace muon::optim;

/// The operand `result` is updated from, where the fused kernels update
/// it (Muon, full Muon² and AdamW).
static OpOperand *getKernelUpdatedOperand(OpResult result) {
  if (auto muon2 = dyn_cast<Muon2Op>(result.getOwner());
      muon2 && muon2.isFactored())
    return nullptr;
  return getUpdatedOperand(result);
}

/// Whether every other read of `value`'s buffer happens before `op`: each
/// use other than `allowed` lies before `op` in its block, and so does each
/// use of a value that may alias it (every shaped result of a user, but the
/// results of a destination-style op, which alias its inits only, where
/// `value` is an input). The forward graph's reads of a parameter are such.
static bool isOnlyReadBefore(Value value, Operation *op,
                             ArrayRef<OpOperand *> allowed) {
  SmallVector<Value> worklist = {value};
  DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    for (OpOperand &use : current.getUses()) {
      if (llvm::is_contained(allowed, &use))
        continue;
      Operation *user = op->getBlock()->findAncestorOpInBlock(*use.getOwner());
      if (!user || !user->isBeforeInBlock(op))
        return false;
      auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      if (dps && dps.isDpsInput(&use))
        continue;
      for (Value result : use.getOwner()->getResults())
        if (isa<ShapedType>(result.getType()))
          worklist.push_back(result);
    }
  }
  return true;
}

/// Whether `result` is updated in place: its only use materializes it into
/// the value it was updated from (a donated argument), whose other reads all
/// come before the update, so no one reads the old value after it.
/// Structural, so that analysis and bufferization agree: bufferizing the
/// function's boundary replaces the argument by one `to_tensor`, and the
/// reads before the update are bufferized (into reads of memrefs) first.
static bool isUpdatedInPlace(OpResult result) {
  OpOperand *updated = getKernelUpdatedOperand(result);
  if (!updated || !result.hasOneUse())
    return false;
  auto materialize =
      dyn_cast<MaterializeInDestinationOp>(*result.getUsers().begin());
  if (!materialize || materialize.getDest() != updated->get())
    return false;
  return isOnlyReadBefore(updated->get(), result.getOwner(),
                          {updated, &materialize.getDestMutable()});
}

/// The result `operand` is updated into in place, if any.
static OpResult getInPlaceResult(OpOperand &operand) {
  OpResult result = getReplacingResult(operand);
  if (result && getKernelUpdatedOperand(result) == &operand &&
      isUpdatedInPlace(result))
    return result;
  return {};
}

namespace {
template <typename OpTy>
struct UpdateKernelsOpInterface : public BufferizableOpInterface::ExternalModel<
                                      UpdateKernelsOpInterface<OpTy>, OpTy> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }

  bool bufferizesToMemoryWrite(Operation *, OpOperand &operand,
                               const AnalysisState &) const {
    return static_cast<bool>(getInPlaceResult(operand));
  }

  AliasingValueList getAliasingValues(Operation *, OpOperand &operand,
                                      const AnalysisState &) const {
    if (OpResult result = getInPlaceResult(operand))
      return {{result, BufferRelation::Equivalent, /*isDefinite=*/true}};
    return {};
  }

  bool bufferizesToAllocation(Operation *, Value value) const {
    return !isUpdatedInPlace(cast<OpResult>(value));
  }

  FailureOr<BufferLikeType>
  getBufferType(Operation *, Value value, const BufferizationOptions &options,
                const BufferizationState &state,
                SmallVector<Value> &invocationStack) const {
    auto result = cast<OpResult>(value);
    if (isUpdatedInPlace(result))
      return bufferization::getBufferType(
          getKernelUpdatedOperand(result)->get(), options, state,
          invocationStack);
    auto type = cast<RankedTensorType>(value.getType());
    return cast<BufferLikeType>(
        MemRefType::get(type.getShape(), type.getElementType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    // Decided before getBuffer adds uses to the operands.
    SmallVector<bool> updatedInPlace =
        llvm::map_to_vector(op->getResults(), [](OpResult result) {
          return isUpdatedInPlace(result);
        });
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
    }
    // Results updated in place are their operand's buffer: the kernels
    // write it where its layout is the identity, else write a fresh buffer
    // that is copied into it.
    SmallVector<Value> destinations(op->getNumResults()), inPlace(destinations);
    for (OpResult result : op->getResults()) {
      if (!updatedInPlace[result.getResultNumber()])
        continue;
      Value buffer =
          operands[getKernelUpdatedOperand(result)->getOperandNumber()];
      inPlace[result.getResultNumber()] = buffer;
      if (cast<MemRefType>(buffer.getType()).getLayout().isIdentity())
        destinations[result.getResultNumber()] = buffer;
    }
    FailureOr<SmallVector<Value>> results =
        buildKernels(rewriter, cast<OpTy>(op), operands, destinations);
    if (failed(results))
      return failure();
    for (auto [result, buffer] : llvm::zip_equal(*results, inPlace)) {
      if (!buffer || result == buffer)
        continue;
      memref::CopyOp::create(rewriter, op->getLoc(), result, buffer);
      result = buffer;
    }
    replaceOpWithBufferizedValues(rewriter, op, *results);
    return success();
  }
};
} // namespace

void muon::optim::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, OptimDialect *) {
    // What the kernels are built of: bufferization runs after these could
    // have been loaded.
    ctx->loadDialect<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                     linalg::LinalgDialect, math::MathDialect,
                     memref::MemRefDialect, scf::SCFDialect>();
    MuonOp::attachInterface<UpdateKernelsOpInterface<MuonOp>>(*ctx);
    Muon2Op::attachInterface<UpdateKernelsOpInterface<Muon2Op>>(*ctx);
    AdamWOp::attachInterface<UpdateKernelsOpInterface<AdamWOp>>(*ctx);
    NewtonSchulzOp::attachInterface<UpdateKernelsOpInterface<NewtonSchulzOp>>(
        *ctx);
  });
}
