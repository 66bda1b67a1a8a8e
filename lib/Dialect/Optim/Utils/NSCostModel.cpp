//===- NSCostModel.cpp - Standard or Gram Newton–Schulz per shape ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/NSCostModel.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace muon::optim;

/// m ≤ n: the orientation both algorithms iterate on.
static std::pair<double, double> getWideDims(const MatrixShape &matrix) {
  auto rows = static_cast<double>(matrix.rows);
  auto cols = static_cast<double>(matrix.cols);
  return {std::min(rows, cols), std::max(rows, cols)};
}

double muon::optim::getStandardNSFlops(const MatrixShape &matrix,
                                       int64_t steps) {
  auto [m, n] = getWideDims(matrix);
  return static_cast<double>(steps) * (3 * m * m * n + m * m * m);
}

double muon::optim::getGramNSFlops(const MatrixShape &matrix, int64_t steps,
                                   ArrayRef<int64_t> restarts) {
  auto [m, n] = getWideDims(matrix);
  double cube = m * m * m, wide = m * m * n;
  double flops = wide + 2 * wide + restarts.size() * 3 * wide;
  for (int64_t step = 0; step < steps; ++step) {
    bool segmentStart = step == 0 || llvm::is_contained(restarts, step);
    bool segmentEnd =
        step + 1 == steps || llvm::is_contained(restarts, step + 1);
    flops += cube + (segmentStart ? 0 : 2 * cube) + (segmentEnd ? 0 : 4 * cube);
  }
  return flops;
}

NSAlgorithm muon::optim::resolveNSAlgorithm(NSScheduleAttr schedule,
                                            const MatrixShape &matrix,
                                            int64_t steps, Type computeType) {
  if (schedule.getAlgorithm() != NSAlgorithm::automatic)
    return schedule.getAlgorithm();
  if (!computeType.isBF16() && !computeType.isF16())
    return NSAlgorithm::standard;
  double gram = getGramNSFlops(matrix, steps, schedule.getRestartSteps(steps));
  return gram < getStandardNSFlops(matrix, steps) ? NSAlgorithm::gram
                                                  : NSAlgorithm::standard;
}
