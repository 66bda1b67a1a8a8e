//===- NewtonSchulzGemms.cpp - Newton–Schulz as runtime GEMM calls --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/NewtonSchulzGemms/NewtonSchulzGemms.h"
#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace muon::optim;

bool muon::hasRuntimeGemm(Type computeType) {
  return computeType.isF32() || computeType.isBF16();
}

LogicalResult muon::checkRuntimeGemmType(Operation *op, Type computeType) {
  if (hasRuntimeGemm(computeType))
    return success();
  return op->emitOpError() << "cannot run Newton–Schulz in " << computeType
                           << " on the GPU: the GEMMs take f32 or bf16";
}

Value muon::createNewtonSchulzGemmCalls(OpBuilder &b, Location loc, Value x0,
                                        bool x0IsScratch,
                                        const MatrixShape &matrix,
                                        NSScheduleAttr schedule,
                                        int64_t steps) {
  auto type = cast<MemRefType>(x0.getType());
  auto alloc = [&](ArrayRef<int64_t> shape) -> Value {
    return memref::AllocOp::create(
        b, loc, MemRefType::get(shape, type.getElementType()));
  };
  int64_t numMatrices = type.getDimSize(0);
  // Iterates alternate between two buffers; a scratch X₀ is one of them.
  Value iterates[2] = {x0IsScratch ? x0 : Value(), Value()};
  auto iterate = [&](int64_t index) {
    if (!iterates[index])
      iterates[index] = alloc(type.getShape());
    return iterates[index];
  };

  // Work on the wide orientation: the Gram matrix is m×m, m = min(A, B).
  bool tall = iteratesTransposed(matrix);
  int64_t gramSize = std::min(matrix.rows, matrix.cols);
  Value gram, poly;
  if (steps > 0) {
    gram = alloc({numMatrices, gramSize, gramSize});
    poly = alloc({numMatrices, gramSize, gramSize});
  }
  Value x = x0;
  for (auto [step, coefficients] : llvm::enumerate(schedule.getTuples(steps))) {
    auto [a, bCoeff, c] = coefficients;
    Value next = iterate((step + (x0IsScratch ? 1 : 0)) % 2);
    // S = X·Xᵀ (tall: Xᵀ·X); beta 0 ignores the contents of S. Both S and
    // T are symmetric: the runtime may compute half of each.
    createGPUSymmetricRankKCall(b, loc, x, gram, gram, 1.0, 0.0,
                                /*transposeLhs=*/tall);
    // T = c·S·S + b·S, with S·S = S·Sᵀ.
    createGPUSymmetricRankKCall(b, loc, gram, gram, poly, c, bCoeff,
                                /*transposeLhs=*/false);
    // X' = T·X + a·X (tall: X·Tᵀ + a·X, the transpose of T·Xᵀ + a·Xᵀ).
    if (tall)
      createGPUGemmCall(b, loc, x, poly, x, next, 1.0, a, false, true);
    else
      createGPUGemmCall(b, loc, poly, x, x, next, 1.0, a, false, false);
    x = next;
  }
  return x;
}
