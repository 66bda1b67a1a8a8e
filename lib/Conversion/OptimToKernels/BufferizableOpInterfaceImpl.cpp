//===- BufferizableOpInterfaceImpl.cpp - Updates bufferize to kernels -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `optim.muon`, `optim.muon2`, `optim.adamw` and `optim.newton_schulz`
// bufferize into their fused kernels and GEMM calls, built on the buffers
// one-shot bufferization assigns to their operands. The kernels only read
// their operands and write every result into a fresh buffer in the
// result's shape, which the analysis sees as an allocation (a result that
// is returned becomes the caller's out-param).
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

using namespace mlir;
using namespace mlir::bufferization;
using namespace muon::optim;

namespace {
template <typename OpTy>
struct UpdateKernelsOpInterface : public BufferizableOpInterface::ExternalModel<
                                      UpdateKernelsOpInterface<OpTy>, OpTy> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return true;
  }

  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }

  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }

  bool bufferizesToAllocation(Operation *, Value) const { return true; }

  FailureOr<BufferLikeType> getBufferType(Operation *, Value value,
                                          const BufferizationOptions &,
                                          const BufferizationState &,
                                          SmallVector<Value> &) const {
    auto type = cast<RankedTensorType>(value.getType());
    return cast<BufferLikeType>(
        MemRefType::get(type.getShape(), type.getElementType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
    }
    FailureOr<SmallVector<Value>> results =
        buildKernels(rewriter, cast<OpTy>(op), operands);
    if (failed(results))
      return failure();
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
