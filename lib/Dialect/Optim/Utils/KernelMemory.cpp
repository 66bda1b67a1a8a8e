//===- KernelMemory.cpp - Device temporaries of a Muon-family bucket ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/KernelMemory.h"
#include "muon/Dialect/Optim/Utils/NSCostModel.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace muon::optim;

/// The m×m buffers the Gram iteration's pool allocates: it replays the
/// lowering's takes and releases (NewtonSchulzGemms.cpp), where a released
/// buffer is reused before a new one is allocated.
static int64_t countGramBuffers(int64_t steps, ArrayRef<int64_t> restarts) {
  int64_t allocated = 0, free = 0;
  auto take = [&] { free ? --free : ++allocated; };
  take(); // R₀
  bool haveQ = false;
  for (int64_t step = 0; step < steps; ++step) {
    if (llvm::is_contained(restarts, step)) {
      free += 2; // R and Q, once X = Q·X
      take();    // the new R
      haveQ = false;
    }
    take(); // Z
    if (step + 1 != steps && !llvm::is_contained(restarts, step + 1)) {
      take(); // R·Z, released once R is updated
      ++free;
    }
    if (!haveQ) {
      haveQ = true; // Q = Z + a·I in Z's buffer
      continue;
    }
    take(); // the next Q; the old Q and Z are released
    free += 2;
  }
  return allocated;
}

static int64_t getByteWidth(Type type) {
  return llvm::divideCeil(type.getIntOrFloatBitWidth(), 8);
}

std::optional<int64_t>
muon::optim::getMuonBucketTemporaryBytes(const MuonBucketShape &shape) {
  const MatrixShape &matrix = shape.matrix;
  int64_t side = std::min(matrix.rows, matrix.cols);
  int64_t computeBytes = getByteWidth(shape.computeType);
  int64_t squareBuffers = 0, iterates = 1;
  if (shape.steps > 0) {
    iterates = 2;
    squareBuffers =
        resolveNSAlgorithm(shape.schedule, matrix, shape.steps,
                           shape.computeType) == NSAlgorithm::gram
            ? countGramBuffers(shape.steps,
                               shape.schedule.getRestartSteps(shape.steps))
            : 2;
  }
  std::optional<int64_t> elements =
      llvm::checkedMul(shape.numMatrices, matrix.rows * matrix.cols);
  std::optional<int64_t> squares =
      llvm::checkedMul(shape.numMatrices, side * side);
  if (!elements || !squares)
    return std::nullopt;
  auto times = [](std::optional<int64_t> a, int64_t b) {
    return a ? llvm::checkedMul(*a, b) : std::nullopt;
  };
  auto plus = [](std::optional<int64_t> a, std::optional<int64_t> b) {
    return a && b ? llvm::checkedAdd(*a, *b) : std::nullopt;
  };
  std::optional<int64_t> gemms =
      plus(times(elements, iterates * computeBytes),
           times(squares, squareBuffers * computeBytes));
  std::optional<int64_t> normalization = times(
      elements, computeBytes + getByteWidth(getNSInputType(shape.elementType,
                                                           shape.computeType)));
  if (!gemms || !normalization)
    return std::nullopt;
  std::optional<int64_t> bytes = std::max(*gemms, *normalization);
  if (isPackedMuonBucket(shape.numMembers))
    bytes = plus(bytes, times(elements, (shape.secondMoment ? 7 : 5) *
                                            getByteWidth(shape.elementType)));
  return bytes;
}
