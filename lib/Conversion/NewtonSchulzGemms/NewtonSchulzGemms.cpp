//===- NewtonSchulzGemms.cpp - Newton–Schulz as runtime GEMM calls --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/NewtonSchulzGemms/NewtonSchulzGemms.h"
#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/NSCostModel.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace muon;
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

namespace {
/// The N×m×m buffers of a Gram iteration, reused once their value is dead.
class GramBuffers {
public:
  GramBuffers(OpBuilder &b, Location loc, MemRefType type)
      : b(b), loc(loc), type(type) {}
  Value take() {
    if (free.empty())
      return memref::AllocOp::create(b, loc, type);
    return free.pop_back_val();
  }
  void release(Value buffer) { free.push_back(buffer); }

private:
  OpBuilder &b;
  Location loc;
  MemRefType type;
  SmallVector<Value> free;
};
} // namespace

/// Gram Newton–Schulz (see NSScheduleAttr): the steps on the m×m matrices
/// R, Z, Q; X is only multiplied by Q at restarts and at the end. `nextX`
/// gives a buffer for the next X (alternating, as the standard iteration).
static Value createGramGemmCalls(OpBuilder &b, Location loc, Value x0,
                                 const MatrixShape &matrix,
                                 NSScheduleAttr schedule, int64_t steps,
                                 llvm::function_ref<Value()> nextX) {
  auto type = cast<MemRefType>(x0.getType());
  bool tall = iteratesTransposed(matrix);
  int64_t gramSize = std::min(matrix.rows, matrix.cols);
  GramBuffers buffers(b, loc,
                      MemRefType::get({type.getDimSize(0), gramSize, gramSize},
                                      type.getElementType()));
  Value x = x0;
  // X = Q·X on the wide orientation (tall: X = X·Qᵀ).
  auto applyQ = [&](Value q) {
    Value next = nextX();
    if (tall)
      createGPUGemmCall(b, loc, x, q, next, next, 1.0, 0.0, false, true);
    else
      createGPUGemmCall(b, loc, q, x, next, next, 1.0, 0.0, false, false);
    x = next;
  };
  auto gramOfX = [&] {
    Value r = buffers.take();
    createGPUSymmetricRankKCall(b, loc, x, r, r, 1.0, 0.0,
                                /*transposeLhs=*/tall);
    return r;
  };

  SmallVector<int64_t> restarts = schedule.getRestartSteps(steps);
  Value r = gramOfX(), q;
  for (auto [step, coefficients] : llvm::enumerate(schedule.getTuples(steps))) {
    auto [a, bCoeff, c] = coefficients;
    if (llvm::is_contained(restarts, static_cast<int64_t>(step))) {
      buffers.release(r);
      applyQ(q);
      buffers.release(q);
      r = gramOfX();
      q = Value();
    }
    // Z = c·R·R + b·R, with R·R = R·Rᵀ.
    Value z = buffers.take();
    createGPUSymmetricRankKCall(b, loc, r, r, z, c, bCoeff,
                                /*transposeLhs=*/false);
    bool segmentEnd = static_cast<int64_t>(step) + 1 == steps ||
                      llvm::is_contained(restarts, step + 1);
    if (!segmentEnd) {
      // R' = Z·(R·Z + a·R) + a·(R·Z + a·R), into R's buffer.
      Value rz = buffers.take();
      createGPUGemmCall(b, loc, r, z, r, rz, 1.0, a, false, false);
      createGPUGemmCall(b, loc, z, rz, rz, r, 1.0, a, false, false);
      buffers.release(rz);
    }
    if (!q) {
      // Z is dead after R's update: Q = Z + a·I in its place.
      buildAddToDiagonal(b, loc, z, a);
      q = z;
      continue;
    }
    Value nextQ = buffers.take();
    createGPUGemmCall(b, loc, q, z, q, nextQ, 1.0, a, false, false);
    buffers.release(q);
    buffers.release(z);
    q = nextQ;
  }
  applyQ(q);
  return x;
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

  if (resolveNSAlgorithm(schedule, matrix, steps, type.getElementType()) ==
      NSAlgorithm::gram) {
    int64_t written = 0;
    return createGramGemmCalls(b, loc, x0, matrix, schedule, steps, [&] {
      return iterate((written++ + (x0IsScratch ? 1 : 0)) % 2);
    });
  }

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
